import { DEFAULT_MAX_FILE_SIZE } from '../../domain/file-record.js';
import type { PeerRegistry } from '../../domain/peer-registry.js';
import type { Clock } from '../ports/clock.js';

/** Where a node is in its life: it answers HTTP while it joins and while it leaves, but is not fully there. */
export type NodePhase = 'starting' | 'running' | 'stopping';

/** A node's phase, set by its lifecycle and read by the health check. */
export interface PhaseBox {
  phase: NodePhase;
}

export interface HealthReason {
  readonly code:
    | 'starting'
    | 'stopping'
    | 'isolated'
    | 'peers_suspect'
    | 'outbox_backlog'
    | 'internal_errors';
  readonly message: string;
}

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  /** Empty when `ok`; otherwise one sentence per problem. */
  readonly reasons: readonly HealthReason[];
  readonly node: { readonly id: string; readonly url: string };
  readonly phase: NodePhase;
  readonly uptimeSeconds: number;
  readonly peers: {
    readonly alive: number;
    readonly suspect: number;
    readonly dead: number;
    readonly left: number;
  };
  readonly outbox: number;
  readonly users: number;
  /** What a client needs to know before it uploads: the most bytes one published file may have. */
  readonly files: { readonly maxFileSize: number };
}

export interface HealthLimits {
  /** Messages waiting in the outbox from which the node says it is behind. */
  readonly outboxBacklog: number;
  /** Internal errors (bugs, storage failures) are reported for this long after they happen. */
  readonly errorWindowMs: number;
}

export const DEFAULT_HEALTH_LIMITS: HealthLimits = { outboxBacklog: 1_000, errorWindowMs: 5 * 60_000 };

/** Remembers when internal errors happened, to tell how many fell in the last window. Bounded. */
export class RecentErrors {
  readonly #at: number[] = [];
  static readonly MAX_KEPT = 1_000;

  note(now: number): void {
    this.#at.push(now);
    if (this.#at.length > RecentErrors.MAX_KEPT) this.#at.shift();
  }

  since(from: number): number {
    while (this.#at.length > 0 && (this.#at[0] as number) < from) this.#at.shift();
    return this.#at.length;
  }
}

export interface HealthDeps {
  readonly registry: PeerRegistry;
  readonly clock: Clock;
  readonly phase: () => NodePhase;
  readonly outboxDepth: () => number;
  readonly users: () => number;
  readonly errors: RecentErrors;
  /** Clock milliseconds when the node was built. */
  readonly bornAt: number;
  /** `--max-file-size`, advertised here; `DEFAULT_MAX_FILE_SIZE` when not given. */
  readonly maxFileSize?: number;
}

/**
 * `GET /healthz`: `ok`, or `degraded` with a sentence per reason. Degraded means the node answers but cannot
 * do all its work: it is joining or leaving, no peer answers while some are suspect or messages wait for dead
 * ones, some peers stop answering, its outbox backs up, or it hit internal errors lately. A lone node that never
 * had peers, or whose peers left, is `ok`.
 */
export class CheckHealth {
  constructor(
    private readonly deps: HealthDeps,
    private readonly limits: HealthLimits = DEFAULT_HEALTH_LIMITS,
  ) {}

  execute(): HealthReport {
    const { registry, clock } = this.deps;
    const now = clock.now();
    const peers = registry.countByState();
    const phase = this.deps.phase();
    const outbox = this.deps.outboxDepth();
    const errors = this.deps.errors.since(now - this.limits.errorWindowMs);
    const reasons: HealthReason[] = [];
    if (phase === 'starting')
      reasons.push({ code: 'starting', message: 'The node is still joining the network.' });
    if (phase === 'stopping')
      reasons.push({ code: 'stopping', message: 'The node is leaving the network and shutting down.' });
    // Alone with dead nodes remembered is only a problem while messages wait for them (a tombstone stays for
    // the profile's tombstone time, long after the network is fine without the node).
    if (peers.alive === 0 && (peers.suspect > 0 || (peers.dead > 0 && outbox > 0))) {
      reasons.push({
        code: 'isolated',
        message: `No other node answers (${peers.suspect} suspect, ${peers.dead} found dead); ${waiting(outbox)} in the outbox.`,
      });
    } else if (peers.suspect > 0) {
      reasons.push({
        code: 'peers_suspect',
        message: `${peers.suspect} of ${peers.alive + peers.suspect} peers do not answer their probes.`,
      });
    }
    if (outbox >= this.limits.outboxBacklog) {
      reasons.push({
        code: 'outbox_backlog',
        message: `${waiting(outbox)} in the outbox for their destinations.`,
      });
    }
    if (errors > 0) {
      const minutes = Math.round(this.limits.errorWindowMs / 60_000);
      reasons.push({
        code: 'internal_errors',
        message: `${errors} internal error(s) in the last ${minutes} minute(s); see the node's log.`,
      });
    }
    const self = registry.self;
    return {
      status: reasons.length === 0 ? 'ok' : 'degraded',
      reasons,
      node: { id: self.id, url: self.url },
      phase,
      uptimeSeconds: Math.max(0, Math.round((now - this.deps.bornAt) / 1000)),
      peers,
      outbox,
      users: this.deps.users(),
      files: { maxFileSize: this.deps.maxFileSize ?? DEFAULT_MAX_FILE_SIZE },
    };
  }
}

/** "1 message waits", "3 messages wait". */
function waiting(count: number): string {
  return count === 1 ? '1 message waits' : `${count} messages wait`;
}
