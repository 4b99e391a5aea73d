import { MeshError } from '../../domain/errors.js';
import { StoreClosed } from '../errors.js';

/** `POST /users` for a name this node already has (409). */
export class NameTaken extends MeshError {
  readonly code = 'name_taken';
  constructor(readonly userName: string) {
    super(`The user name "${userName}" is taken on this node; choose another.`);
  }
}

/** A login (or unregister) whose name and password do not match an account; the same for an unknown name (401). */
export class BadCredentials extends MeshError {
  readonly code = 'bad_credentials';
  constructor() {
    super('The user name or password is wrong.');
  }
}

/**
 * Too many failed logins for this name or from this client address, or too many requests from one client
 * (429); `retryAfterSeconds` says when to try again.
 */
export class RateLimited extends MeshError {
  readonly code = 'rate_limited';
  constructor(
    readonly retryAfterSeconds: number,
    message = `Too many failed logins; try again in ${retryAfterSeconds} seconds.`,
  ) {
    super(message);
  }
}

/** A request without a usable token: missing, unknown, expired or revoked (401). */
export class Unauthenticated extends MeshError {
  readonly code = 'unauthenticated';
  constructor(why = 'This needs a valid login token; log in again.') {
    super(why);
  }
}

/** A valid token used on another user's resource (403). */
export class Forbidden extends MeshError {
  readonly code = 'forbidden';
}

/** The account store is closed: the node is stopping (503, `node_stopping`, as for the message store). */
export class AccountsClosed extends StoreClosed {
  constructor() {
    super('This node is stopping; try again on another node or later.');
  }
}
