import type { AuditRecord, AuditTrail } from '../../src/application/ports/accounts/audit-trail.js';

/** `AuditTrail` that keeps every record in order, for tests to read. */
export class RecordingAuditTrail implements AuditTrail {
  readonly records: AuditRecord[] = [];

  record(entry: AuditRecord): void {
    this.records.push(entry);
  }

  /** `op:user:outcome` for each record, the shape most assertions want. */
  summary(): string[] {
    return this.records.map((r) => `${r.op}:${r.user}:${r.outcome}`);
  }
}
