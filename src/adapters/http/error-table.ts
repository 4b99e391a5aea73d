import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  BadCredentials,
  Forbidden,
  NameTaken,
  RateLimited,
  Unauthenticated,
} from '../../application/accounts/account-errors.js';
import {
  DestinationBusy,
  JoinFailed,
  OutboxFull,
  PeerCallFailed,
  RelayRefused,
  StoreClosed,
} from '../../application/errors.js';
import {
  AlreadyPublished,
  DownloadsBusy,
  FileTooLarge,
  FileUnavailable,
  StorageFailed,
  StorageFull,
  UnknownFile,
  UploadIncomplete,
} from '../../application/files/file-errors.js';
import {
  AuthRequired,
  DirectUnsupported,
  InboxFull,
  UnknownUser,
} from '../../application/messaging/direct-errors.js';
import {
  Conflict,
  HopLimitReached,
  InvalidInput,
  MeshError,
  TooLarge,
  UnknownNode,
} from '../../domain/errors.js';
import { BadSignature, KeyMismatch } from '../../domain/node-signature.js';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** The refusals the HTTP edge makes itself, before any use case runs, with their statuses. */
export const HTTP_REFUSALS = {
  malformed_json: 400,
  invalid_body: 400,
  not_found: 404,
  not_built: 404,
  method_not_allowed: 405,
  body_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  network_key_required: 401,
} as const satisfies Record<string, ContentfulStatusCode>;

export type HttpRefusalCode = keyof typeof HTTP_REFUSALS;

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

/** A refusal of the HTTP edge, its status taken from `HTTP_REFUSALS`. */
export function httpRefusal(code: HttpRefusalCode, message: string): HttpRefusal {
  return new HttpRefusal(HTTP_REFUSALS[code], code, message);
}

/** The one table from error classes to HTTP statuses. Anything not listed is a bug in this node: 500. */
export function statusFor(error: unknown): ContentfulStatusCode {
  if (error instanceof HttpRefusal) return error.status;
  if (error instanceof TooLarge || error instanceof FileTooLarge) return 413;
  if (error instanceof UploadIncomplete) return 400;
  if (error instanceof UnknownFile) return 404;
  if (error instanceof AlreadyPublished) return 409;
  if (error instanceof StorageFull) return 507;
  if (error instanceof StorageFailed) return 503;
  if (error instanceof FileUnavailable) return 502;
  if (error instanceof DownloadsBusy) return 503;
  if (error instanceof InvalidInput || error instanceof HopLimitReached) return 400;
  if (error instanceof DirectUnsupported) return 400;
  if (error instanceof UnknownNode || error instanceof UnknownUser) return 404;
  if (error instanceof Conflict || error instanceof NameTaken || error instanceof InboxFull) return 409;
  if (error instanceof KeyMismatch) return 409;
  if (error instanceof BadSignature) return 401;
  if (error instanceof Unauthenticated || error instanceof BadCredentials) return 401;
  if (error instanceof AuthRequired) return 401;
  if (error instanceof Forbidden) return 403;
  if (error instanceof RateLimited) return 429;
  if (error instanceof StoreClosed || error instanceof OutboxFull) return 503;
  if (error instanceof DestinationBusy) return 503;
  // A relay refused for good carries the destination's 4xx; anything else it claims is not believed.
  if (error instanceof RelayRefused)
    return (error.status >= 400 && error.status < 500 ? error.status : 502) as ContentfulStatusCode;
  if (error instanceof PeerCallFailed) return error.code === 'peer_timeout' ? 504 : 502;
  if (error instanceof JoinFailed) return 502;
  return 500;
}

/** The challenge every 401 carries (RFC 7235): this node's logins are bearer tokens from `POST /sessions`. */
export const BEARER_CHALLENGE = 'Bearer realm="meshchat"';

/**
 * Headers an error answer carries besides its body: `WWW-Authenticate` on a 401, and `Retry-After` (whole
 * seconds) on a 429, so a client knows how to log in and when to try again.
 */
export function headersFor(error: unknown): Record<string, string> {
  if (error instanceof Unauthenticated || error instanceof BadCredentials)
    return { 'WWW-Authenticate': BEARER_CHALLENGE };
  if (error instanceof RateLimited || error instanceof DestinationBusy)
    return { 'Retry-After': String(error.retryAfterSeconds) };
  return {};
}

export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof MeshError) return errorBody(error.code, error.message);
  return errorBody('internal_error', 'The node failed to handle this request; the failure has been logged.');
}
