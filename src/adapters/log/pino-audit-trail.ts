import type {
  AuditOperation,
  AuditRecord,
  AuditTrail,
} from '../../application/ports/accounts/audit-trail.js';
import type { Logger } from './logger.js';

const FILE_OPERATIONS: ReadonlySet<AuditOperation> = new Set([
  'publish',
  'delete',
  'list',
  'search',
  'download',
]);

/**
 * `AuditTrail` as log lines: one `info` line per record with `audit: true` and `event: 'account'` (or `'file'`
 * for an operation on files), as `AuditLog` writes.
 */
export class PinoAuditTrail implements AuditTrail {
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log.child({ audit: true });
  }

  record(entry: AuditRecord): void {
    const { at, node, user, op, object, outcome } = entry;
    this.#log.info(
      { event: FILE_OPERATIONS.has(op) ? 'file' : 'account', at, node, user, op, object, outcome },
      `${op} by ${user} on ${object}: ${outcome}`,
    );
  }
}
