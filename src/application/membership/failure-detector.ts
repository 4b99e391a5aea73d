import type { Member, PeerRegistry } from '../../domain/peer-registry.js';
import { watchedMembers } from '../../domain/watch-ring.js';
import type { Clock } from '../ports/clock.js';
import type { PeerClient } from '../ports/peer-client.js';
import { within } from './deadline.js';
import type { Prober } from './prober.js';
import { RoundBudget } from './round-budget.js';
import type { MembershipSettings } from './settings.js';

/** Death notices (`DELETE … reason: "dead"`) sent per probe interval, to all dead nodes' recipients together. */
export const MAX_DEATH_NOTICES_PER_ROUND = 32;
/** Notices waiting for a later round; past it the newest are dropped (gossip carries the news anyway). */
export const MAX_PENDING_DEATH_NOTICES = 256;

interface DeathNotice {
  readonly to: string;
  readonly dead: { readonly id: string; readonly url: string; readonly reason: 'dead' };
}

/**
 * SWIM-style failure detection over the HTTP API. Each period this node probes the members it watches (see
 * `watchedMembers`) directly, then indirectly through other meshchat members. A member that fails both
 * becomes suspect and is probed again every period; if it has not answered when the suspicion timeout ends,
 * it is dead: it leaves this node's list (a tombstone stays) and every member is told with the base protocol's
 * `DELETE /nodes/:id {url}`, which plain nodes honour too.
 */
export class FailureDetector {
  readonly #checking = new Set<string>();
  /** Suspicions this node raised, each with a token so a stale timer cannot end a newer suspicion. */
  readonly #suspicions = new Map<
    string,
    { readonly url: string; readonly incarnation?: number; readonly token: symbol }
  >();
  #stopped = false;
  readonly #notices = new RoundBudget(MAX_DEATH_NOTICES_PER_ROUND);
  readonly #pending: DeathNotice[] = [];

  constructor(
    private readonly deps: { registry: PeerRegistry; peers: PeerClient; clock: Clock; prober: Prober },
    private readonly settings: Pick<MembershipSettings, 'monitors' | 'suspicionTimeoutMs' | 'probeTimeoutMs'>,
  ) {}

  /** One probe period: checks every watched member and every member this node suspects. Returns at once. */
  round(): void {
    const { registry } = this.deps;
    this.#notices.refill();
    this.#sendNotices();
    const watched = watchedMembers(registry.list(), registry.self.id, this.settings.monitors);
    const targets = new Map(watched.map((m) => [m.id, m]));
    for (const id of this.#suspicions.keys()) {
      const member = registry.get(id);
      if (member) targets.set(id, member);
      else this.#suspicions.delete(id);
    }
    for (const member of targets.values()) void this.check(member);
  }

  /** Probes one member now (also used when gossip hints that a member may be down). */
  async check(member: Member): Promise<void> {
    const { registry, prober } = this.deps;
    if (this.#stopped || this.#checking.has(member.id)) return;
    this.#checking.add(member.id);
    try {
      const result = await prober.check(member);
      const current = registry.get(member.id);
      if (this.#stopped || !current || current.url !== member.url) return;
      if (result.alive) {
        this.#suspicions.delete(member.id);
        registry.confirm({ id: member.id, url: member.url, incarnation: result.incarnation });
      } else if (!result.inconclusive) {
        this.#suspect(current);
      }
    } finally {
      this.#checking.delete(member.id);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#suspicions.clear();
    this.#pending.length = 0;
  }

  #suspect(member: Member): void {
    // A suspicion stands while the registry still shows it; a member revived meanwhile (a PUT) starts over.
    if (this.#suspicions.has(member.id) && member.state === 'suspect') return;
    const token = Symbol(member.id);
    this.#suspicions.set(member.id, { url: member.url, incarnation: member.incarnation, token });
    this.deps.registry.suspect(member.id);
    void this.deps.clock.sleep(this.settings.suspicionTimeoutMs).then(() => this.#expire(member, token));
  }

  #expire(member: Member, token: symbol): void {
    const { registry, clock } = this.deps;
    if (this.#stopped || this.#suspicions.get(member.id)?.token !== token) return;
    this.#suspicions.delete(member.id);
    const current = registry.get(member.id);
    // Cleared meanwhile: it answered a probe, announced itself, refuted with a newer incarnation, or moved.
    if (
      current?.state !== 'suspect' ||
      current.url !== member.url ||
      current.incarnation !== member.incarnation
    )
      return;
    registry.declareDead(member.id, clock.now());
    const dead = { id: member.id, url: member.url, reason: 'dead' as const };
    // The dead node first (if it is alive after all, a bad link, it refutes at once), then the members most
    // likely to be real: live meshchat nodes, live plain nodes, and suspects last.
    const rank = (m: Member) => (m.state !== 'alive' ? 2 : m.incarnation === undefined ? 1 : 0);
    const members = [...registry.peers()].sort((a, b) => rank(a) - rank(b));
    for (const url of [member.url, ...members.map((m) => m.url)]) {
      if (this.#pending.length >= MAX_PENDING_DEATH_NOTICES) break;
      this.#pending.push({ to: url, dead });
    }
    this.#sendNotices();
  }

  /** Sends waiting death notices, oldest first, as far as this round's budget goes. */
  #sendNotices(): void {
    const { peers, clock } = this.deps;
    const timeoutMs = 4 * this.settings.probeTimeoutMs;
    const now = this.#pending.splice(0, this.#notices.take(this.#pending.length));
    for (const { to, dead } of now) void within(clock, timeoutMs, peers.withdraw(to, dead, { timeoutMs }));
  }
}
