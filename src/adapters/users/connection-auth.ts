import type { AuthenticatedUser } from '../../application/accounts/authenticate.js';
import type { InternalErrors } from '../../application/ports/internal-errors.js';
import { MeshError } from '../../domain/errors.js';
import { USER_NAME_MAX_LENGTH } from '../../domain/message.js';

/** What the user front ends need of the accounts: who a token is, and who is connected. */
export interface FrontEndAccounts {
  readonly authenticate: { execute(token: unknown): AuthenticatedUser };
  readonly presence: {
    opened(name: string, connectionId: string, transport: string): void;
    closed(name: string, connectionId: string, transport: string): void;
  };
}

/** The `/ws` close code after a refused `auth` frame (4000-4999 are the application's; 401 as in HTTP). */
export const WS_CLOSE_UNAUTHENTICATED = 4401;
/** The `/ws` close code when the account of a logged-in connection is removed. */
export const WS_CLOSE_ACCOUNT_REMOVED = 4403;

/** What a private node answers a connection that did not log in (the same code as HTTP's 401). */
export const AUTH_REQUIRED = {
  code: 'auth_required',
  message:
    'This node is private: log in first (socket.io: handshake auth {token}; /ws: a first frame {"type":"auth","token"}).',
} as const;

export type ConnectionAuth =
  | { readonly ok: true; readonly user: AuthenticatedUser }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/**
 * Who a connection's token stands for. Never throws: a bad token is `unauthenticated`, a stopping node
 * `node_stopping`, and anything else is reported and answered `internal_error`.
 */
export function authenticateConnection(
  accounts: FrontEndAccounts,
  token: unknown,
  errors: InternalErrors,
): ConnectionAuth {
  try {
    return { ok: true, user: accounts.authenticate.execute(token) };
  } catch (error) {
    if (error instanceof MeshError) return { ok: false, error: { code: error.code, message: error.message } };
    errors.report(error);
    return {
      ok: false,
      error: { code: 'internal_error', message: 'The node failed to check the login token; try again.' },
    };
  }
}

/**
 * Tells presence of a connection that opened or closed. Presence writes to the account store and the audit
 * trail; a failure there (a stopping node's closed store) must not throw inside a transport's event handler.
 */
export function notePresence(
  accounts: FrontEndAccounts,
  errors: InternalErrors,
  change: 'opened' | 'closed',
  user: AuthenticatedUser,
  connectionId: string,
  transport: string,
): void {
  try {
    accounts.presence[change](user.name, connectionId, transport);
  } catch (error) {
    errors.report(error);
  }
}

/**
 * The display name (`user`) of a logged-in connection's messages: its address `name@node`, whatever the client
 * set, so a name on a message from a logged-in user is one the node vouches for. An address over the display
 * name limit (a long node id) is shortened to the account name.
 */
export function displayNameOf(user: AuthenticatedUser): string {
  return user.user.length <= USER_NAME_MAX_LENGTH ? user.user : user.name;
}
