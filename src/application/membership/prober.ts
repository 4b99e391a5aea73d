import type { NodeRecord } from '../../domain/node-record.js';
import type { PeerRegistry } from '../../domain/peer-registry.js';
import type { Clock } from '../ports/clock.js';
import type { PeerClient } from '../ports/peer-client.js';
import type { Telemetry } from '../ports/telemetry.js';
import { sample, within } from './deadline.js';
import type { MembershipSettings } from './settings.js';

/**
 * `inconclusive`: the probe failed, but this node waited far longer than the timeout, so its own event loop
 * was lagging (overload) and the silence proves nothing about the target (Lifeguard's local-health idea).
 */
export type ProbeResult =
  | { readonly alive: true; readonly incarnation?: number }
  | { readonly alive: false; readonly inconclusive?: true };

/** A failed probe that took longer than this many timeouts says more about this node than about the target. */
export const LAG_FACTOR = 1.5;

export interface ProberDeps {
  readonly registry: PeerRegistry;
  readonly peers: PeerClient;
  readonly clock: Clock;
  readonly random: () => number;
  /** Told of every direct probe's outcome and round-trip time, and of every node list pulled. */
  readonly telemetry?: Telemetry;
}

/**
 * Asks whether a node is alive. The direct probe is `GET /nodes/<its id>` at its URL, which every plain node
 * answers: the node is alive when it answers 2xx with its own URL (a 404 or another URL means someone else
 * now listens there). The indirect probe asks up to `monitors` other meshchat members to probe it
 * (`POST /probe`), so one bad link does not kill a node.
 */
export class Prober {
  constructor(
    private readonly deps: ProberDeps,
    private readonly settings: Pick<MembershipSettings, 'probeTimeoutMs' | 'monitors'>,
  ) {}

  async direct(target: NodeRecord): Promise<ProbeResult> {
    const { peers, clock } = this.deps;
    const timeoutMs = this.settings.probeTimeoutMs;
    const started = clock.now();
    const answer = await within(clock, timeoutMs, peers.getNode(target.url, target.id, { timeoutMs }));
    const alive = answer?.url === target.url;
    this.deps.telemetry?.probed(target.id, alive, clock.now() - started);
    if (!alive) return failure(clock.now() - started, timeoutMs);
    return answer.incarnation === undefined
      ? { alive: true }
      : { alive: true, incarnation: answer.incarnation };
  }

  async indirect(target: NodeRecord): Promise<ProbeResult> {
    const { registry, peers, clock, random } = this.deps;
    const helpers = registry
      .peers()
      .filter((m) => m.id !== target.id && m.state === 'alive' && m.incarnation !== undefined);
    const timeoutMs = 2 * this.settings.probeTimeoutMs;
    const started = clock.now();
    const asks = sample(helpers, this.settings.monitors, random).map(async (helper) => {
      const verdict = await within(clock, timeoutMs, peers.probeVia(helper.url, target, { timeoutMs }));
      if (!verdict?.alive) throw new Error('not confirmed');
      return verdict;
    });
    if (asks.length === 0) return { alive: false };
    try {
      const verdict = await Promise.any(asks);
      return verdict.incarnation === undefined
        ? { alive: true }
        : { alive: true, incarnation: verdict.incarnation };
    } catch {
      return failure(clock.now() - started, timeoutMs);
    }
  }

  /**
   * Whether a node really moved from `previous` to `next.url`: it answers there, and its old address is
   * silent (checked directly and indirectly). Returns the answer at the new address, or `undefined`.
   */
  async moved(
    previous: NodeRecord,
    next: NodeRecord,
  ): Promise<{ readonly incarnation?: number } | undefined> {
    const [old, now] = await Promise.all([this.check(previous), this.direct(next)]);
    return !old.alive && now.alive ? now : undefined;
  }

  /** The direct probe, then the indirect one when the direct one failed. */
  async check(target: NodeRecord): Promise<ProbeResult> {
    const direct = await this.direct(target);
    if (direct.alive || direct.inconclusive) return direct;
    return this.indirect(target);
  }
}

function failure(waitedMs: number, timeoutMs: number): ProbeResult {
  return waitedMs > LAG_FACTOR * timeoutMs ? { alive: false, inconclusive: true } : { alive: false };
}
