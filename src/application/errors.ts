import { MeshError } from '../domain/errors.js';

export type PeerFailure = 'peer_unreachable' | 'peer_timeout' | 'peer_rejected' | 'peer_busy' | 'peer_bad_answer';

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

/** No seed answered `GET /nodes`: the node could not join any network. */
export class JoinFailed extends MeshError {
  readonly code = 'join_failed';
}

/** A public URL could not be obtained (missing token, tunnel refused, ...). The message is one line. */
export class EndpointUnavailable extends MeshError {
  readonly code = 'endpoint_unavailable';
}
