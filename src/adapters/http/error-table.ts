import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { JoinFailed, OutboxFull, PeerCallFailed, RelayRefused, StoreClosed } from '../../application/errors.js';
import { Conflict, HopLimitReached, InvalidInput, MeshError, TooLarge, UnknownNode } from '../../domain/errors.js';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** An HTTP-only refusal (unsupported media type, malformed JSON, ...) with its own status. */
export class HttpRefusal extends MeshError {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The one table from error classes to HTTP statuses. Anything not listed is a bug in this node: 500. */
export function statusFor(error: unknown): ContentfulStatusCode {
  if (error instanceof HttpRefusal) return error.status;
  if (error instanceof TooLarge) return 413;
  if (error instanceof InvalidInput || error instanceof HopLimitReached) return 400;
  if (error instanceof UnknownNode) return 404;
  if (error instanceof Conflict) return 409;
  if (error instanceof StoreClosed || error instanceof OutboxFull) return 503;
  // A relay refused for good carries the destination's 4xx; anything else it claims is not believed.
  if (error instanceof RelayRefused) return (error.status >= 400 && error.status < 500 ? error.status : 502) as ContentfulStatusCode;
  if (error instanceof PeerCallFailed) return error.code === 'peer_timeout' ? 504 : 502;
  if (error instanceof JoinFailed) return 502;
  return 500;
}

export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof MeshError) return errorBody(error.code, error.message);
  return errorBody('internal_error', 'The node failed to handle this request; the failure has been logged.');
}
