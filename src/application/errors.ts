import { MeshError } from '../domain/errors.js';

export type PeerFailure =
  | 'peer_unreachable'
  | 'peer_timeout'
  | 'peer_rejected'
  | 'peer_busy'
  | 'peer_bad_answer'
  | 'peer_forbidden';

/** A call to another node that did not end in a 2xx answer. Raised by every `PeerClient`. */
export class PeerCallFailed extends MeshError {
  constructor(
    readonly code: PeerFailure,
    message: string,
    /** The peer's HTTP status, when it answered. */
    readonly status?: number,
    /** The peer's own error code, when it answered with a meshchat error body. */
    readonly peerCode?: string,
  ) {
    super(message);
  }
}

/**
 * No seed answered `GET /nodes`, or each one that did refused or failed: the node could not join any network.
 * `seedFailed` when at least one seed failed (a 5xx, or an answer that breaks the protocol) rather than refused:
 * a fault of that seed, which may take the node in once it works again.
 */
export class JoinFailed extends MeshError {
  readonly code = 'join_failed';
  constructor(
    message: string,
    readonly seedFailed = false,
  ) {
    super(message);
  }
}

/** A public URL could not be obtained (missing token, tunnel refused, ...). The message is one line. */
export class EndpointUnavailable extends MeshError {
  readonly code = 'endpoint_unavailable';
}

/**
 * The node a message was relayed to refused it for good (a 4xx): the relaying node answers with the same status
 * and code, so the sender sees the refusal as if it had called that node itself, and does not retry.
 */
export class RelayRefused extends MeshError {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The outbox is at its bounds (in total, or for one destination): the message is not taken. */
export class OutboxFull extends MeshError {
  readonly code = 'outbox_full';
}

/**
 * A user's message for a destination that answers but has too much waiting for it in the outbox (admission,
 * `GET /limits`): nothing is taken; `retryAfterSeconds` says when to try again.
 */
export class DestinationBusy extends MeshError {
  readonly code = 'destination_busy';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The node's message store is closed (the node is stopping): nothing new can be kept, so nothing is taken. */
export class StoreClosed extends MeshError {
  readonly code = 'node_stopping';
  constructor(
    message = 'This node is stopping and took nothing; send the message again to another node or later.',
  ) {
    super(message);
  }
}
