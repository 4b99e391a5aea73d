import type { Authenticate, AuthenticatedUser } from '../accounts/authenticate.js';
import type { AuditOperation, AuditTrail } from '../ports/accounts/audit-trail.js';
import type { Clock } from '../ports/clock.js';
import type { ContentStore } from '../ports/files/content-store.js';
import type { FileCatalog } from '../ports/files/file-catalog.js';
import type { ContentLocks } from './content-locks.js';

/** The files' store as every file use case shares it: this node, time, the audit trail, the records, the bytes. */
export interface FileStoreContext {
  readonly node: string;
  readonly clock: Clock;
  readonly audit: AuditTrail;
  readonly catalog: FileCatalog;
  readonly content: ContentStore;
  /** One lock per content id, shared by publish and the deletes (see `ContentLocks`). */
  readonly locks: ContentLocks;
}

/** What the file use cases of the HTTP API share: the store, and who a token stands for. */
export interface FilesContext extends FileStoreContext {
  readonly authenticate: Authenticate;
}

/** How the audit trail names a request without a login. */
export const ANONYMOUS = '-';

/** The user a request's token stands for, or `undefined` when it carries none (a bad token is refused). */
export function optionalUser(
  context: FilesContext,
  token: string | undefined,
): AuthenticatedUser | undefined {
  return token === undefined ? undefined : context.authenticate.execute(token);
}

/**
 * Runs `operation` and writes one audit record of it, whether it succeeds (`ok`) or is refused (the error's
 * code). `describe` names the object once the outcome is known, so a refusal is recorded with what was asked.
 */
export async function audited<T>(
  context: Pick<FileStoreContext, 'node' | 'clock' | 'audit'>,
  op: AuditOperation,
  user: () => string | undefined,
  object: (result: T | undefined) => string,
  operation: () => Promise<T> | T,
): Promise<T> {
  let result: T | undefined;
  let outcome = 'ok';
  try {
    result = await operation();
    return result;
  } catch (error) {
    outcome = (error as { code?: unknown }).code?.toString() ?? 'internal_error';
    throw error;
  } finally {
    context.audit.record({
      at: new Date(context.clock.now()).toISOString(),
      node: context.node,
      user: user() ?? ANONYMOUS,
      op,
      object: object(result),
      outcome,
    });
  }
}
