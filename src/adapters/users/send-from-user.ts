import type { AuthenticatedUser } from '../../application/accounts/authenticate.js';
import { DestinationBusy } from '../../application/errors.js';
import { busyError } from '../../application/messaging/admission-gate.js';
import type { ForwardMessage, SendOutcome } from '../../application/messaging/forward-message.js';
import type { HistoryPage, HistoryQuery, OlderQuery } from '../../application/messaging/read-history.js';
import type { InternalErrors } from '../../application/ports/internal-errors.js';
import { MeshError } from '../../domain/errors.js';
import type { MeshGraph } from '../../domain/mesh-graph.js';
import type { PeerRegistry } from '../../domain/peer-registry.js';
import type { RateLimitedConnection } from '../http/http-rate-limits.js';
import { displayNameOf, type FrontEndAccounts } from './connection-auth.js';
import type { SendLimits } from './send-limits.js';

/** What every user front end needs besides the use case it drives. */
export interface FrontEndDeps {
  readonly registry: PeerRegistry;
  /**
   * History for a connection, a page at a time (`ReadHistory`): on connect, the newest page of what it may see
   * after the cursor it gives, with a logged-in user's waiting direct messages; then older pages on request.
   */
  readonly history: (query: HistoryQuery) => HistoryPage;
  /** The page before the oldest message a connection has, as it may see it. */
  readonly olderHistory: (query: OlderQuery) => HistoryPage;
  /** The network map, sent to each user on connect. */
  readonly mesh: () => MeshGraph;
  /** Told of a send that failed for a reason other than the user's input. */
  readonly errors: InternalErrors;
  /** Logged-in connections: tokens in the handshake or first frame, and presence. */
  readonly accounts: FrontEndAccounts;
  /** Budgets per connection and per account; no limit when absent (tests wiring by hand). */
  readonly limits?: SendLimits;
  /** The per-address HTTP budget: a connection cut off for flooding puts its address in the penalty box. */
  readonly addresses?: { penalize(request: RateLimitedConnection, ms: number): void };
  /** A private node (`--private`): connections without a valid login are refused `auth_required`. */
  readonly privateNode?: boolean;
  /** Whether a node id is bound to a key (signed node identity), shown per node in `nodes`; absent: not shown. */
  readonly verifiedNode?: (id: string) => boolean;
}

/** How front ends notice a connection that is gone without a goodbye. */
export interface FrontEndSettings {
  /**
   * Milliseconds between pings; a connection that has not answered one in about as long again is closed
   * (and its user, when logged in, goes offline). Default: socket.io's 25 s + 20 s, `/ws` 30 s + 30 s.
   */
  readonly heartbeatMs?: number;
  /** On a private node, how long a `/ws` connection has to send its `auth` frame (default 5 s). */
  readonly authWaitMs?: number;
}

/**
 * A user's send request from any front end, turned into the outcome the user is told. For a logged-in
 * connection, `user` is who sends: its address replaces the display name the client sent, and it is the
 * sender of a direct message (`to` a user address). Never throws: bad input and every failure become
 * `{ ok: false, error }`, so nothing a user sends disappears silently.
 */
export async function sendFromUser(
  forward: ForwardMessage,
  payload: unknown,
  errors: InternalErrors,
  origin?: string,
  user?: AuthenticatedUser,
): Promise<SendOutcome> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return failure('invalid_message', 'A message must be an object {to, msg, user?}.');
  }
  // A logged-in connection's display name is its address (`displayNameOf`), not what the client claims.
  const displayName = user && displayNameOf(user);
  const input = displayName === undefined ? payload : { ...payload, user: displayName };
  const sender = user && displayName ? { address: user.user, displayName } : undefined;
  try {
    return await forward.execute(
      input as { to?: unknown; msg?: unknown; user?: unknown; file?: unknown },
      origin,
      sender,
    );
  } catch (error) {
    // A destination that is behind: the sender is told when to try again, as for a rate limit.
    if (error instanceof DestinationBusy) return { ok: false, error: busyError(error) };
    if (error instanceof MeshError) return failure(error.code, error.message);
    errors.report(error);
    return failure('internal_error', 'The node failed to handle this message; the failure has been logged.');
  }
}

function failure(code: string, message: string): SendOutcome {
  return { ok: false, error: { code, message } };
}
