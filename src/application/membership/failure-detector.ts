import type { Member, PeerRegistry } from '../../domain/peer-registry.js';
import { watchedMembers } from '../../domain/watch-ring.js';
import type { Clock } from '../ports/clock.js';
import type { PeerClient } from '../ports/peer-client.js';
import { within } from './deadline.js';
import type { Prober } from './prober.js';
import type { MembershipSettings } from './settings.js';

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

  constructor(
    private readonly deps: { registry: PeerRegistry; peers: PeerClient; clock: Clock; prober: Prober },
    private readonly settings: Pick<MembershipSettings, 'monitors' | 'suspicionTimeoutMs' | 'probeTimeoutMs'>,
  ) {}

  /** One probe period: checks every watched member and every member this node suspects. Returns at once. */
  round(): void {
    const { registry } = this.deps;
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
    // The dead node is told too: if it is alive after all (a bad link), it refutes at once.
    const dead = { id: member.id, url: member.url, reason: 'dead' as const };
    this.#tellEveryone(dead, [...registry.peers().map((m) => m.url), member.url]);
  }

  #tellEveryone(dead: { id: string; url: string; reason: 'dead' }, urls: readonly string[]): void {
    const { peers, clock } = this.deps;
    const timeoutMs = 4 * this.settings.probeTimeoutMs;
    for (const url of urls) void within(clock, timeoutMs, peers.withdraw(url, dead, { timeoutMs }));
  }
}
