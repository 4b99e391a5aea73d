import type { NodeReport } from '../../domain/peer-registry.js';

/** What a node remembers across restarts: its last incarnation and the nodes it knew. */
export interface RememberedMembership {
  readonly incarnation: number;
  readonly nodes: readonly NodeReport[];
  /** The key each keyed node id is bound to (trust on first use), kept so a restart does not forget them. */
  readonly keys?: Readonly<Record<string, string>>;
}

/**
 * Keeps the known-node list where it survives a restart (the node's data dir).
 *
 * - `load` returns what the last `save` stored, or `undefined` when nothing was ever stored. It never throws for
 *   a missing store; a store it cannot read is reported by the adapter when it is opened.
 * - `save` replaces what is stored, atomically: after a crash `load` returns either the old or the new list.
 * - Both are synchronous and fast (a few milliseconds for thousands of nodes); callers batch saves.
 * - `close` releases the store; later calls are ignored.
 */
export interface MembershipStore {
  load(): RememberedMembership | undefined;
  save(membership: RememberedMembership): void;
  close(): void;
}
