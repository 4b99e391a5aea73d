import { Conflict, UnknownNode } from './errors.js';
import type { NodeRecord } from './node-record.js';

/** A member is `alive`, or `suspect` once it missed its probes and may be down (it stays listed until dead). */
export type MemberState = 'alive' | 'suspect';

/**
 * A node this node lists. `incarnation` is the version a meshchat node stamps on its own record (it grows when
 * the node restarts, moves to a new URL or refutes a suspicion); plain nodes have none.
 */
export interface Member extends NodeRecord {
  readonly incarnation?: number;
  readonly state: MemberState;
}

/**
 * What remains of a node that left (`DELETE`) or was found dead: enough to keep stale gossip from bringing it
 * back. A newer incarnation, or the node itself announcing or answering again, lifts it.
 */
export interface Tombstone extends NodeRecord {
  readonly incarnation?: number;
  readonly reason: 'left' | 'dead';
  /** When it was laid, in clock milliseconds. */
  readonly since: number;
}

/** What another node says about a node: a `GET /nodes` entry or a `PUT /nodes/:id` body. */
export interface NodeReport extends NodeRecord {
  readonly incarnation?: number;
  readonly state?: MemberState | 'dead' | 'left';
}

export type RegistryChange = {
  readonly kind: 'added' | 'updated' | 'removed';
  readonly node: Member;
  /** An update's state before it (a suspect that answered again was `suspect`). */
  readonly before?: MemberState;
};

/** How many other nodes are in each state: members `alive` or `suspect`, tombstones `dead` or `left`. */
export type StateCounts = Record<MemberState | Tombstone['reason'], number>;
export type UpsertResult = 'added' | 'updated' | 'unchanged';

/**
 * How to treat a gossiped report, decided without any I/O:
 * - `ignore`: nothing new, or stale.
 * - `accept`: a newer version of a live member at the same URL; take it as it is.
 * - `verify`: it may be true but must be checked with a probe first (an unknown node, a URL move, a node
 *   this node buried that may be back, or a hint that a member this node thinks alive is down).
 * - `refute`: it says this node itself is down; this node must announce a newer incarnation.
 */
export type Assessment =
  | { readonly action: 'ignore' }
  | { readonly action: 'accept' }
  | { readonly action: 'verify'; readonly why: 'unknown' | 'moved' | 'revived' | 'down_hint' }
  | { readonly action: 'refute'; readonly seen: number };

/**
 * Incarnations start from the clock's milliseconds, so one far in the future is forged or broken: taking it
 * would let a peer claim a node's record for good (its owner could never announce a newer one).
 */
export const MAX_INCARNATION_AHEAD_MS = 24 * 60 * 60_000;

export function isPlausibleIncarnation(incarnation: number | undefined, now: number): boolean {
  return incarnation === undefined || incarnation <= now + MAX_INCARNATION_AHEAD_MS;
}

/** Known nodes are capped so a hostile peer cannot grow this node's memory without bound. */
export const MAX_MEMBERS = 4_096;
export const MAX_TOMBSTONES = 4_096;

const isNewer = (a: number | undefined, b: number | undefined) =>
  a !== undefined && (b === undefined || a > b);
const byId = (a: NodeRecord, b: NodeRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The membership table: this node plus its peers with their state, and the tombstones of nodes that are
 * gone. Pure and synchronous; the failure detector and gossip (application layer) drive it, and every change
 * is told through `onChange` so front ends can push the list.
 */
export class PeerRegistry {
  #self: Member;
  readonly #peers = new Map<string, Member>();
  readonly #tombstones = new Map<string, Tombstone>();
  readonly #listeners = new Set<(change: RegistryChange) => void>();

  constructor(self: NodeRecord, incarnation = 0) {
    this.#self = { id: self.id, url: self.url, incarnation, state: 'alive' };
  }

  get self(): Member & { readonly incarnation: number } {
    return this.#self as Member & { readonly incarnation: number };
  }

  /** The node's own URL becomes known only once it listens (or its tunnel opens); a move is a new version. */
  setSelfUrl(url: string): void {
    if (url === this.#self.url) return;
    this.#self = { ...this.#self, url, incarnation: this.self.incarnation + 1 };
    this.#emit('updated', this.#self);
  }

  /** Answers a report that this node is down with an incarnation above anything seen; returns the new one. */
  refute(seen = 0): number {
    const incarnation = Math.max(this.self.incarnation, seen) + 1;
    this.#self = { ...this.#self, incarnation };
    this.#emit('updated', this.#self);
    return incarnation;
  }

  /** Every member, itself first, then peers by id. */
  list(): Member[] {
    return [this.#self, ...this.peers()];
  }

  peers(): Member[] {
    return [...this.#peers.values()].sort(byId);
  }

  get(id: string): Member | undefined {
    return id === this.#self.id ? this.#self : this.#peers.get(id);
  }

  get size(): number {
    return this.#peers.size + 1;
  }

  /** Other nodes by state (this node is not counted). */
  countByState(): StateCounts {
    const counts: StateCounts = { alive: 0, suspect: 0, dead: 0, left: 0 };
    for (const member of this.#peers.values()) counts[member.state]++;
    for (const grave of this.#tombstones.values()) counts[grave.reason]++;
    return counts;
  }

  tombstones(): Tombstone[] {
    return [...this.#tombstones.values()].sort(byId);
  }

  tombstone(id: string): Tombstone | undefined {
    return this.#tombstones.get(id);
  }

  /** A node this network has had: a member, or one remembered as gone (its tombstone). */
  known(id: string): Member | Tombstone | undefined {
    return this.get(id) ?? this.#tombstones.get(id);
  }

  /** The tombstones as `GET /nodes?include=dead` reports them: state `left` or `dead`. */
  goneReports(): NodeReport[] {
    return this.tombstones().map(({ id, url, incarnation, reason }) =>
      withoutUndefined({ id, url, incarnation, state: reason }),
    );
  }

  /**
   * `PUT /nodes/:id`: a node says where it listens (the base protocol's join, or a meshchat re-announce). It
   * adds the node, lifts its tombstone, or moves it to a new URL. Moving a live member needs a newer
   * incarnation; a plain node (no versions) can move once its old address stopped answering (it is suspect).
   */
  announce(report: NodeReport): UpsertResult {
    const { id, url, incarnation } = report;
    if (id === this.#self.id) {
      if (url === this.#self.url) return 'unchanged';
      throw new Conflict(
        'id_in_use',
        `The id "${id}" belongs to this node, which listens at ${this.#self.url}.`,
      );
    }
    if (url === this.#self.url) {
      throw new Conflict('url_in_use', `This node listens at ${url} itself, so "${id}" cannot be there.`);
    }
    const known = this.#peers.get(id);
    if (!known) {
      const grave = this.#tombstones.get(id);
      if (grave && incarnation !== undefined && isNewer(grave.incarnation, incarnation)) {
        throw new Conflict(
          'stale_record',
          `Node "${id}" is gone since incarnation ${grave.incarnation}, newer than ${incarnation}.`,
        );
      }
      return this.#add({ id, url, incarnation, state: 'alive' });
    }
    if (known.url !== url && !isNewer(incarnation, known.incarnation) && known.state === 'alive') {
      throw new Conflict(
        'stale_record',
        `Node "${id}" is live at ${known.url}${known.incarnation === undefined ? '' : ` (incarnation ${known.incarnation})`}; ` +
          'moving it to another URL needs a newer incarnation, or waiting until the old address stops answering.',
      );
    }
    if (incarnation !== undefined && known.incarnation !== undefined && incarnation < known.incarnation) {
      throw new Conflict(
        'stale_record',
        `Node "${id}" is known at incarnation ${known.incarnation}, newer than ${incarnation}.`,
      );
    }
    return this.#replace(known, { id, url, incarnation: incarnation ?? known.incarnation, state: 'alive' });
  }

  /**
   * `DELETE /nodes/:id {url}`: the node leaves, honoured only when both id and url match what is known (the
   * base protocol's rule). A tombstone keeps stale gossip from bringing it back.
   */
  remove(node: NodeRecord, now = 0, reason: Tombstone['reason'] = 'left'): void {
    if (node.id === this.#self.id) {
      throw new Conflict('cannot_remove_self', 'A node cannot be removed from its own list.');
    }
    const known = this.#peers.get(node.id);
    if (!known) throw new UnknownNode(node.id);
    if (known.url !== node.url) {
      throw new Conflict(
        'url_mismatch',
        `Node "${node.id}" is known at ${known.url}, not ${node.url}; it was not removed.`,
      );
    }
    this.#bury(known, reason, now);
  }

  /** Decides what a gossiped report deserves (see `Assessment`). */
  assess(report: NodeReport): Assessment {
    // A suspicion is another node's doubt, not news: only reports that a node is gone make this node check.
    const gone = report.state === 'dead' || report.state === 'left';
    const down = gone || report.state === 'suspect';
    if (report.id === this.#self.id) {
      // Reported down, or at another URL (a stale move, or someone claiming this id): a newer incarnation wins.
      const about = report.incarnation ?? -1;
      const wrong = down || report.url !== this.#self.url;
      return wrong && about >= this.self.incarnation
        ? { action: 'refute', seen: about }
        : { action: 'ignore' };
    }
    if (report.url === this.#self.url) return { action: 'ignore' };
    const known = this.#peers.get(report.id);
    if (!known) {
      if (down) return { action: 'ignore' };
      const grave = this.#tombstones.get(report.id);
      if (!grave) return { action: 'verify', why: 'unknown' };
      // A tombstone yields to a newer version, or (for a node found dead, not one that left) to a report that
      // it is alive at the same version: it may be back after a partition. A probe decides.
      if (isNewer(report.incarnation, grave.incarnation)) return { action: 'verify', why: 'revived' };
      const sameVersion = report.incarnation !== undefined && report.incarnation === grave.incarnation;
      // A plain node has no versions: found dead at one URL and reported at another, it may have restarted there.
      const plainElsewhere =
        report.incarnation === undefined && grave.incarnation === undefined && report.url !== grave.url;
      return grave.reason === 'dead' && (sameVersion || plainElsewhere)
        ? { action: 'verify', why: 'revived' }
        : { action: 'ignore' };
    }
    // Only the node itself can give a plain record a version: check with it.
    if (known.incarnation === undefined && report.incarnation !== undefined)
      return { action: 'verify', why: 'moved' };
    if (isNewer(report.incarnation, known.incarnation)) {
      if (report.url !== known.url) return { action: 'verify', why: 'moved' };
      if (gone) return { action: 'verify', why: 'down_hint' };
      return report.state === 'suspect' ? { action: 'ignore' } : { action: 'accept' };
    }
    const sameVersion = report.incarnation === known.incarnation;
    if (gone && sameVersion && known.state === 'alive' && report.url === known.url) {
      return { action: 'verify', why: 'down_hint' };
    }
    return { action: 'ignore' };
  }

  /**
   * Takes a report that `assess` called `accept`: a newer incarnation of a member at the same URL. A newer
   * incarnation is the node's own word that it is alive, so it also clears a suspicion (SWIM's refutation).
   */
  accept(report: NodeReport): void {
    const known = this.#peers.get(report.id);
    if (!known || known.incarnation === undefined || !isNewer(report.incarnation, known.incarnation)) return;
    this.#replace(known, { ...known, incarnation: report.incarnation, state: 'alive' });
  }

  /**
   * The node answered a probe at `url`: it is alive. Adds it, lifts its tombstone (a node that left only with
   * a newer incarnation), or moves it when it has a newer incarnation, or when its old address stopped
   * answering: it is suspect, or the caller just found it silent (`oldAddressSilent`).
   */
  confirm(
    node: NodeRecord & { readonly incarnation?: number },
    options: { oldAddressSilent?: boolean } = {},
  ): UpsertResult {
    if (node.id === this.#self.id || node.url === this.#self.url) return 'unchanged';
    const known = this.#peers.get(node.id);
    if (!known) {
      const grave = this.#tombstones.get(node.id);
      if (grave?.reason === 'left' && !isNewer(node.incarnation, grave.incarnation)) return 'unchanged';
      if (grave && isNewer(grave.incarnation, node.incarnation)) return 'unchanged';
      return this.#add({ id: node.id, url: node.url, incarnation: node.incarnation, state: 'alive' });
    }
    const mayMove =
      isNewer(node.incarnation, known.incarnation) || known.state === 'suspect' || options.oldAddressSilent;
    if (node.url !== known.url && !mayMove) return 'unchanged';
    const incarnation = isNewer(node.incarnation, known.incarnation) ? node.incarnation : known.incarnation;
    return this.#replace(known, { id: node.id, url: node.url, incarnation, state: 'alive' });
  }

  /** A member missed its probes. Returns false when it is not a member (or already suspect). */
  suspect(id: string): boolean {
    const known = this.#peers.get(id);
    if (!known || known.state === 'suspect') return false;
    this.#replace(known, { ...known, state: 'suspect' });
    return true;
  }

  /** A suspect was not cleared in time: it is dead and leaves the list. */
  declareDead(id: string, now: number): void {
    const known = this.#peers.get(id);
    if (known) this.#bury(known, 'dead', now);
  }

  /** Records that a node learned from gossip did not answer, so the same rumour is not checked again soon. */
  buryUnknown(report: NodeReport, now: number): void {
    if (this.#peers.has(report.id) || report.id === this.#self.id) return;
    const grave = this.#tombstones.get(report.id);
    const incarnation = isNewer(report.incarnation, grave?.incarnation)
      ? report.incarnation
      : grave?.incarnation;
    this.#setTombstone({
      id: report.id,
      url: grave?.url ?? report.url,
      incarnation,
      reason: 'dead',
      since: now,
    });
  }

  /** Forgets tombstones laid before `before` (clock milliseconds). */
  pruneTombstones(before: number): void {
    for (const [id, grave] of this.#tombstones) if (grave.since < before) this.#tombstones.delete(id);
  }

  onChange(listener: (change: RegistryChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #add(member: Member): UpsertResult {
    if (this.#peers.size + 1 >= MAX_MEMBERS) {
      throw new Conflict(
        'too_many_nodes',
        `This node already lists ${MAX_MEMBERS} nodes, the most it keeps.`,
      );
    }
    const clean = withoutUndefined(member);
    this.#tombstones.delete(member.id);
    this.#peers.set(member.id, clean);
    this.#emit('added', clean);
    return 'added';
  }

  #replace(known: Member, next: Member): UpsertResult {
    const clean = withoutUndefined(next);
    if (known.url === clean.url && known.incarnation === clean.incarnation && known.state === clean.state) {
      return 'unchanged';
    }
    this.#peers.set(clean.id, clean);
    this.#emit('updated', clean, known.state);
    return 'updated';
  }

  #bury(member: Member, reason: Tombstone['reason'], since: number): void {
    this.#peers.delete(member.id);
    this.#setTombstone({ id: member.id, url: member.url, incarnation: member.incarnation, reason, since });
    this.#emit('removed', member);
  }

  #setTombstone(grave: Tombstone): void {
    this.#tombstones.delete(grave.id);
    this.#tombstones.set(grave.id, withoutUndefined(grave));
    if (this.#tombstones.size > MAX_TOMBSTONES) {
      // Maps keep insertion order, so the first key is the oldest tombstone.
      const oldest = this.#tombstones.keys().next().value;
      if (oldest !== undefined) this.#tombstones.delete(oldest);
    }
  }

  #emit(kind: RegistryChange['kind'], node: Member, before?: MemberState): void {
    const change = before === undefined ? { kind, node } : { kind, node, before };
    for (const listener of this.#listeners) listener(change);
  }
}

function withoutUndefined<T extends { incarnation?: number }>(record: T): T {
  if (record.incarnation !== undefined) return record;
  const { incarnation: _, ...rest } = record;
  return rest as T;
}
