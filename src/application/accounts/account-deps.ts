import type { AuditOperation, AuditTrail } from '../ports/accounts/audit-trail.js';
import type { Clock } from '../ports/clock.js';

/** What every account use case has: this node's id (the home node of its users), time, and the audit trail. */
export interface AccountContext {
  readonly node: string;
  readonly clock: Clock;
  readonly audit: AuditTrail;
}

/** Writes one audit record stamped with the context's node and clock. */
export function audit(
  context: AccountContext,
  fields: { user: string | undefined; op: AuditOperation; object: string; outcome: string },
): void {
  context.audit.record({
    at: new Date(context.clock.now()).toISOString(),
    node: context.node,
    user: fields.user ?? '-',
    op: fields.op,
    object: fields.object,
    outcome: fields.outcome,
  });
}

/** How the audit trail names a session: a prefix of its token hash, which correlates login and logout only. */
export function sessionObject(tokenHash: string): string {
  return `session ${tokenHash.slice(0, 12)}`;
}
