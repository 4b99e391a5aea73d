import type { AuditRecord, AuditTrail } from '../../application/ports/accounts/audit-trail.js';

/**
 * One `AuditTrail` over several (the node's database and its log): each record goes to every target in order.
 * A target that throws despite its contract does not keep the record from the others, nor fail the operation.
 */
export class FanOutAuditTrail implements AuditTrail {
  constructor(
    private readonly targets: readonly AuditTrail[],
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  record(entry: AuditRecord): void {
    for (const target of this.targets) {
      try {
        target.record(entry);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
