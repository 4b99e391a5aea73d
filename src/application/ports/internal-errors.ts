/**
 * Where a node's unexpected failures go: bugs and storage failures, never a peer's or a user's mistake (those
 * are outcomes the caller handles). `report` returns at once and never throws, so a failing reporter cannot
 * turn one failure into two; the reported work has already recovered or given up on its own.
 */
export interface InternalErrors {
  report(error: unknown): void;
}
