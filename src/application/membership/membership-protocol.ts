import type { NodeRecord } from '../../domain/node-record.js';
import type { NodeReport, PeerRegistry } from '../../domain/peer-registry.js';
import type { PeerUrlPolicy } from '../../domain/peer-url-policy.js';
import type { Clock } from '../ports/clock.js';
import type { InternalErrors } from '../ports/internal-errors.js';
import type { PeerClient, ProbeVerdict } from '../ports/peer-client.js';
import type { Telemetry } from '../ports/telemetry.js';
import { AntiEntropy } from './anti-entropy.js';
import { sample, within } from './deadline.js';
import { FailureDetector } from './failure-detector.js';
import type { MembershipChecks } from './membership-checks.js';
import type { NodeKeys } from './node-keys.js';
import { Prober } from './prober.js';
import { MEMBERSHIP_PROFILES, type MembershipSettings } from './settings.js';
import type { ViewListener } from './view-listener.js';

/**
 * Members told of a refutation (at most one a probe interval): live meshchat nodes first, then the others.
 * Past it the newer incarnation spreads by gossip, so a flood of members cannot turn one report into
 * thousands of calls.
 */
export const MAX_REFUTATION_TARGETS = 32;

export interface MembershipDeps {
  readonly registry: PeerRegistry;
  readonly peers: PeerClient;
  readonly clock: Clock;
  /** Uniform in [0, 1): picks gossip partners, helpers and start offsets (seeded in tests). */
  readonly random?: () => number;
  /** Told of a round that failed unexpectedly (a bug, not a peer failure: those are outcomes). */
  readonly errors?: InternalErrors;
  /** Told of probe round-trips and of the node lists pulled (metrics, the mesh map); nobody by default. */
  readonly telemetry?: Telemetry;
  /** Gossip about nodes at URLs this node does not call is dropped; every URL by default. */
  readonly urls?: PeerUrlPolicy;
  /** Told of each gossiped list after it is merged (the mesh directory); nobody by default. */
  readonly views?: ViewListener;
  /** Signs this node's records and checks keyed nodes' records in gossip; all unsigned when absent. */
  readonly keys?: NodeKeys;
}

/**
 * Keeps the membership list correct while the node runs: the failure detector every probe interval,
 * anti-entropy every gossip interval, a reconnect attempt to one dead node every reconnect interval (which is
 * how two halves of a split network find each other again), and tombstone pruning. It also answers for this
 * node: when someone says it is down, it refutes with a newer incarnation announced to every member.
 */
export class MembershipProtocol implements MembershipChecks {
  readonly settings: MembershipSettings;
  readonly prober: Prober;
  readonly detector: FailureDetector;
  readonly antiEntropy: AntiEntropy;
  readonly #random: () => number;
  #started = false;
  #stopped = false;
  /** Refutations are sent at most once per probe interval, with the highest incarnation asked for meanwhile. */
  #lastRefuteAt = Number.NEGATIVE_INFINITY;
  #pendingRefute: number | undefined;
  readonly #claims = new Set<string>();

  constructor(
    private readonly deps: MembershipDeps,
    settings: Partial<MembershipSettings> = {},
  ) {
    this.settings = { ...MEMBERSHIP_PROFILES.lan, ...settings };
    this.#random = deps.random ?? Math.random;
    const core = { ...deps, random: this.#random };
    this.prober = new Prober(core, this.settings);
    this.detector = new FailureDetector({ ...core, prober: this.prober }, this.settings);
    this.antiEntropy = new AntiEntropy(
      {
        ...core,
        prober: this.prober,
        detector: this.detector,
        refute: (seen) => this.refute(seen),
        introduce: (url) => void this.#announceTo(url),
      },
      this.settings,
    );
  }

  /**
   * Starts the periodic work; each loop begins at a random offset so nodes started together do not align.
   * `remembered` nodes (from before a restart) that the join did not reach are kept as found dead, so the
   * reconnect loop keeps trying them: a node restarted while the network was unreachable finds it again. So
   * are those remembered as having left: after a restart, who had left is old news (a whole network stopped
   * and started again comes back one node at a time), and a node found this way is probed, then told of this
   * node by its own signed record, which gossip cannot do for a keyed node it no longer lists.
   */
  start(remembered: readonly NodeReport[] = []): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    const { registry, clock } = this.deps;
    for (const node of remembered) if (!registry.get(node.id)) registry.buryUnknown(node, clock.now());
    const s = this.settings;
    void this.#every(s.probeIntervalMs, () => this.detector.round());
    void this.#every(s.gossipIntervalMs, async () => {
      await this.antiEntropy.round();
      registry.pruneTombstones(clock.now() - s.tombstoneTtlMs);
    });
    void this.#every(s.reconnectIntervalMs, () => this.reconnect());
  }

  /** Stops the loops; calls in flight finish on their own deadlines and change nothing more. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.detector.stop();
    this.antiEntropy.stop();
  }

  /**
   * This node was reported down, or at another URL: take an incarnation above `seen` and announce it to every
   * member. Coalesced: at most one refutation per probe interval, so a flood of reports costs one round of PUTs.
   */
  refute(seen = 0): void {
    if (this.#stopped) return;
    const { clock } = this.deps;
    const waitMs = this.#lastRefuteAt + this.settings.probeIntervalMs - clock.now();
    const first = this.#pendingRefute === undefined;
    this.#pendingRefute = Math.max(this.#pendingRefute ?? 0, seen);
    if (!first) return;
    if (waitMs <= 0) this.#sendRefutation();
    else void clock.sleep(waitMs).then(() => this.#sendRefutation());
  }

  /** `POST /probe`: probes a member on another node's behalf (inconclusive counts as not answering). */
  async probeFor(target: NodeRecord): Promise<ProbeVerdict> {
    const result = await this.prober.direct(target);
    return result.alive ? result : { alive: false };
  }

  /** Whether a node answers one direct probe now; an inconclusive probe (this node lagging) counts as alive. */
  async answers(node: NodeRecord): Promise<boolean> {
    const result = await this.prober.direct(node);
    return result.alive || result.inconclusive === true;
  }

  /**
   * A `PUT` tried to move a live node (without versions) to `claim.url`. If the old address no longer
   * answers, and the new one answers as that node, the node has moved: a plain node that restarted elsewhere
   * announces itself only once, so this is its only chance.
   */
  async claim(claim: NodeRecord): Promise<void> {
    const { registry } = this.deps;
    if (this.#stopped || this.#claims.has(claim.id) || this.#claims.size >= 64) return;
    this.#claims.add(claim.id);
    try {
      const known = registry.get(claim.id);
      if (!known) return;
      const answer = await this.prober.moved(known, claim);
      if (this.#stopped || !answer || registry.get(claim.id)?.url !== known.url) return;
      registry.confirm(
        { id: claim.id, url: claim.url, incarnation: answer.incarnation },
        { oldAddressSilent: true },
      );
    } finally {
      this.#claims.delete(claim.id);
    }
  }

  #sendRefutation(): void {
    const seen = this.#pendingRefute ?? 0;
    this.#pendingRefute = undefined;
    if (this.#stopped) return;
    this.#lastRefuteAt = this.deps.clock.now();
    this.deps.registry.refute(seen);
    const rank = (m: { state: string; incarnation?: number }) =>
      m.state !== 'alive' ? 2 : m.incarnation === undefined ? 1 : 0;
    const targets = [...this.deps.registry.peers()].sort((a, b) => rank(a) - rank(b));
    for (const member of targets.slice(0, MAX_REFUTATION_TARGETS)) void this.#announceTo(member.url);
  }

  /** Probes one node this node found dead; if it answers, it is listed again and told about this node. */
  async reconnect(): Promise<void> {
    const { registry } = this.deps;
    const [grave] = sample(
      registry.tombstones().filter((t) => t.reason === 'dead'),
      1,
      this.#random,
    );
    if (!grave) return;
    const result = await this.prober.direct(grave);
    if (!result.alive || this.#stopped) return;
    const incarnation = result.incarnation ?? grave.incarnation;
    if (registry.confirm({ id: grave.id, url: grave.url, incarnation }) === 'added')
      void this.#announceTo(grave.url);
  }

  #signed(record: NodeReport): NodeReport {
    return this.deps.keys?.sign('announce', record) ?? record;
  }

  async #announceTo(url: string): Promise<void> {
    const { peers, clock, registry } = this.deps;
    const self: NodeReport = registry.self;
    const timeoutMs = 4 * this.settings.probeTimeoutMs;
    await within(
      clock,
      timeoutMs,
      peers.announce(url, this.#signed({ id: self.id, url: self.url, incarnation: self.incarnation }), {
        timeoutMs,
      }),
    );
  }

  async #every(intervalMs: number, task: () => unknown): Promise<void> {
    const { clock } = this.deps;
    await clock.sleep(Math.floor(this.#random() * intervalMs));
    while (!this.#stopped) {
      try {
        await task();
      } catch (error) {
        // One failed round must not end the loop; the next round starts over.
        this.deps.errors?.report(error);
      }
      if (this.#stopped) break;
      await clock.sleep(intervalMs);
    }
  }
}
