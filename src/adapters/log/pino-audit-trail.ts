import type { AuditRecord, AuditTrail } from '../../application/ports/accounts/audit-trail.js';
import type { Logger } from './logger.js';

/** `AuditTrail` as log lines: one `info` line per record with `audit: true` and `event: 'account'`, as `AuditLog` writes. */
export class PinoAuditTrail implements AuditTrail {
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log.child({ audit: true });
  }

  record(entry: AuditRecord): void {
    const { at, node, user, op, object, outcome } = entry;
    this.#log.info(
      { event: 'account', at, node, user, op, object, outcome },
      `${op} by ${user} on ${object}: ${outcome}`,
    );
  }
}
