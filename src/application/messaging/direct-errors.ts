import { MeshError } from '../../domain/errors.js';

/** A direct message to a name that has no account on its home node (404); the sender sees it as `failed`. */
export class UnknownUser extends MeshError {
  readonly code = 'unknown_user';
  constructor(readonly address: string) {
    super(`There is no user "${address}": the name has no account on that node.`);
  }
}

/** The recipient's inbox holds as many waiting direct messages as it keeps (409); nothing was taken. */
export class InboxFull extends MeshError {
  readonly code = 'inbox_full';
  constructor(
    readonly address: string,
    readonly limit: number,
  ) {
    super(
      `The inbox of ${address} already holds ${limit} unread direct messages; try again once they have read them.`,
    );
  }
}

/** A direct message from a connection that is not logged in (401): a sender must have an address. */
export class AuthRequired extends MeshError {
  readonly code = 'auth_required';
  constructor(
    message = 'Log in to send a direct message (socket.io: auth {token}; /ws: a first frame {"type":"auth"}).',
  ) {
    super(message);
  }
}

/**
 * A direct message to a node that has not shown it is a meshchat node (400): a plain node would show it to
 * every one of its users, so it is never handed one.
 */
export class DirectUnsupported extends MeshError {
  readonly code = 'direct_unsupported';
  constructor(readonly node: string) {
    super(`Node "${node}" is not a meshchat node, so it cannot take direct messages.`);
  }
}
