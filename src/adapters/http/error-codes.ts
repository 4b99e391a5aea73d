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
  type PeerFailure,
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
import { LIST_MAX_LIMIT } from '../../application/files/list-files.js';
import { DEFAULT_INBOX_LIMIT } from '../../application/messaging/deliver-direct.js';
import {
  AuthRequired,
  DirectUnsupported,
  InboxFull,
  UnknownUser,
} from '../../application/messaging/direct-errors.js';
import { ACCOUNT_NAME_MAX_LENGTH, PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from '../../domain/account.js';
import {
  Conflict,
  HopLimitReached,
  InvalidInput,
  type MeshError,
  TooLarge,
  UnknownNode,
} from '../../domain/errors.js';
import {
  FILE_DESCRIPTION_MAX_BYTES,
  FILE_NAME_MAX_BYTES,
  SEARCH_MAX_LENGTH,
} from '../../domain/file-record.js';
import { MAX_RELAY_HOPS, MESSAGE_MAX_BYTES, USER_NAME_MAX_LENGTH } from '../../domain/message.js';
import { NODE_ID_MAX_LENGTH, NODE_URL_MAX_LENGTH } from '../../domain/node-record.js';
import { BadSignature, KeyMismatch } from '../../domain/node-signature.js';
import { MAX_MEMBERS } from '../../domain/peer-registry.js';
import { type HttpRefusalCode, httpRefusal, statusFor } from './error-table.js';
import { DEFAULT_MAX_BODY_BYTES } from './http-app-deps.js';

/** One error code this node answers with: its HTTP status (from `statusFor`) and what it means. */
export interface ErrorCodeEntry {
  readonly status: ContentfulStatusCode;
  /** The error class that raises it, or `HttpRefusal` for the HTTP edge's own refusals. */
  readonly raisedBy: string;
  readonly meaning: string;
}

/**
 * Codes raised by one error class. The status is asked of `statusFor` with an error of that class, so the error
 * table stays the one place that decides statuses; `raise` is the class's constructor for that code.
 */
function family<C extends string>(raise: (code: C) => MeshError, meanings: Record<C, string>) {
  return Object.fromEntries(
    Object.entries<string>(meanings).map(([code, meaning]) => {
      const sample = raise(code as C);
      return [code, { status: statusFor(sample), raisedBy: sample.name, meaning }];
    }),
  ) as Record<C, ErrorCodeEntry>;
}

/**
 * Every error code a client of this node's HTTP API can read, the one list (`docs/errors.md` is generated from
 * it). User front ends (socket.io acknowledgements, `/ws` frames) carry the same codes without a status.
 */
export const ERROR_CODES = {
  ...family((code: HttpRefusalCode) => httpRefusal(code, ''), {
    malformed_json: 'The request body is not valid JSON.',
    invalid_body: 'A field of the body is missing, of the wrong type or over its size limit.',
    not_found: 'There is no such route on this node.',
    not_built: 'The web client is not built; run `npm run build`.',
    method_not_allowed: 'The route does not take this method; the `Allow` header lists the ones it takes.',
    body_too_large: `The request body is over the limit (${DEFAULT_MAX_BODY_BYTES / 1024} KiB by default); it was not read.`,
    unsupported_media_type: 'The body was not sent with `Content-Type: application/json`.',
    range_not_satisfiable:
      'The `Range` of a download starts at or past the end of the file; `Content-Range: bytes */<size>` gives its size.',
    network_key_required:
      'A node-to-node call (or a `/peer` link upgrade) to a node started with `--network-key`, without a valid proof of that key in `Meshchat-Network`: none, another key, more than 5 minutes off, or one already used.',
  }),
  ...family((code) => new InvalidInput(code, ''), {
    invalid_node_id: `A node id breaks the id rule: 1 to ${NODE_ID_MAX_LENGTH} letters, digits, \`.\`, \`_\` or \`-\`, starting with a letter or digit.`,
    invalid_node_url: `A node url is not an absolute \`http:\` or \`https:\` URL without user-info of at most ${NODE_URL_MAX_LENGTH} characters.`,
    invalid_incarnation: "The incarnation is more than a day ahead of this node's clock.",
    forbidden_peer_url:
      'A node url whose host is a loopback, private, link-local, metadata, multicast or other non-public address (in any spelling), or `localhost`, on a node that calls only public peers (see `--allow-private-peers`).',
    invalid_message:
      'The field `msg` is not a string, or a user sent something that is not a message object.',
    invalid_user:
      `The display name \`user\` is not a string of at most ${USER_NAME_MAX_LENGTH} characters, or, from a sender not ` +
      'logged in, has an "@" (the shape of an account\'s address, which a node gives only its logged-in users).',
    invalid_timestamp: 'The field `ts` is not an ISO-8601 time with a zone.',
    invalid_scope:
      'The query parameter `scope` of `GET /users` or `GET /files` is neither `node` nor `mesh`.',
    invalid_name: `A user name is not 1 to ${ACCOUNT_NAME_MAX_LENGTH} letters, digits, \`.\`, \`_\` or \`-\` starting with a letter or digit.`,
    weak_password: `A new password is shorter than ${PASSWORD_MIN_LENGTH} characters.`,
    invalid_password: `A password is not a string, or is over ${PASSWORD_MAX_BYTES} bytes of UTF-8.`,
    invalid_address: 'A user address is not `name@node` (a user name and a node id).',
    invalid_file_name: `A file name is empty, over ${FILE_NAME_MAX_BYTES} bytes of UTF-8, has control characters or \`/\` or \`\\\`, is \`.\` or \`..\`, or its \`%XX\` escapes in the query are not UTF-8.`,
    invalid_description: `A file description is not text of at most ${FILE_DESCRIPTION_MAX_BYTES} bytes of UTF-8 without control characters (tabs and line breaks allowed), or its \`%XX\` escapes in the query are not UTF-8.`,
    invalid_file_id: 'A file id is not 64 lower-case hex digits (the SHA-256 of the content).',
    invalid_file_reference:
      'The `file` of a message is not `{id, name, size}` with a file id (64 lower-case hex digits), a valid file name and a size that is a whole number of bytes.',
    invalid_search: `A search \`q\` is over ${SEARCH_MAX_LENGTH} characters.`,
    invalid_limit: `A listing \`limit\` is not a whole number from 1 to ${LIST_MAX_LIMIT}.`,
    invalid_since:
      'The `since` of `GET /files/catalog` is not a whole number of at most 16 digits (a catalog version).',
  }),
  ...family(() => new AlreadyPublished(''), {
    already_published:
      'The user already published a file of that name, or that same content under another name.',
  }),
  ...family(() => new FileTooLarge(0), {
    file_too_large:
      "The file is over the node's `maxFileSize` (`GET /healthz`); refused before its body is read when `Content-Length` says so, else as soon as it grows past it.",
  }),
  ...family(() => new UploadIncomplete(''), {
    upload_incomplete: 'The upload ended before its last byte (the connection broke); nothing was kept.',
  }),
  ...family(() => new UnknownFile(''), {
    unknown_file: 'This node holds no file with that id.',
  }),
  ...family(() => new StorageFull(), {
    insufficient_storage: 'The node ran out of disk space while storing the file; nothing of it was kept.',
  }),
  ...family(() => new FileUnavailable(''), {
    file_unavailable:
      'A file published on another node could not be fetched: no holder reached, each one set aside, or every source broke off or sent bytes that failed their check. What was verified is kept: ask again to resume.',
  }),
  ...family(() => new DownloadsBusy(0), {
    downloads_busy:
      'The node already fetches as many files from other nodes as it allows at once; ask again shortly.',
  }),
  ...family(() => new StorageFailed(''), {
    storage_failed:
      'The node could not write or read its file store (an I/O error); nothing partial was kept.',
  }),
  ...family(() => new NameTaken(''), {
    name_taken: 'This node already has a user of that name (names are case-insensitive).',
  }),
  ...family(() => new BadCredentials(), {
    bad_credentials:
      'The user name or password is wrong; the same answer whether or not the name exists. Carries `WWW-Authenticate`.',
  }),
  ...family(() => new Unauthenticated(), {
    unauthenticated:
      'The request needs a login token (`Authorization: Bearer <token>`) and had none, or one that is malformed, unknown, expired or revoked. Carries `WWW-Authenticate`.',
  }),
  ...family(() => new Forbidden(''), {
    forbidden: "A valid login token used on another user's account.",
  }),
  ...family(() => new RateLimited(1), {
    rate_limited:
      'Too many requests from this address (or, on a socket, frames from this connection or messages from this account), or too many failed logins for this name or from this address; `Retry-After` (on sockets `retryAfter`) says in how many seconds to try again.',
  }),
  ...family(() => new HopLimitReached(MAX_RELAY_HOPS), {
    hop_limit: `The message was already relayed ${MAX_RELAY_HOPS} times; it is not relayed again.`,
  }),
  ...family(() => new UnknownNode(''), {
    unknown_node: 'This node neither lists that node id nor remembers it as gone.',
  }),
  ...family(() => new UnknownUser(''), {
    unknown_user:
      'A direct message to a name that has no account on its home node; its sender sees a `failed` status or a refused ack.',
  }),
  ...family(() => new InboxFull('', 0), {
    inbox_full: `The recipient is offline and ${DEFAULT_INBOX_LIMIT} direct messages already wait in their inbox (by default); nothing was taken.`,
  }),
  ...family(() => new AuthRequired(), {
    auth_required:
      'A direct message (`to` a user address) from a connection that is not logged in; log in with a token first.',
  }),
  ...family(() => new DirectUnsupported(''), {
    direct_unsupported:
      'A direct message to a node that has not shown it is a meshchat node (its record has no incarnation); a plain node is never handed one.',
  }),
  ...family((code) => new Conflict(code, ''), {
    id_in_use: "The id is this node's own, at another url.",
    url_in_use: "The url is this node's own, claimed by another id.",
    stale_record: 'The record is older than the one known, or moves a live node without a newer incarnation.',
    too_many_nodes: `This node already lists ${MAX_MEMBERS} nodes, the most it keeps.`,
    url_mismatch: 'The node is listed at another url; it was not removed.',
    node_alive: 'A death notice for a node that still answers; it was not removed.',
    cannot_remove_self: 'A node cannot be removed from its own list.',
  }),
  ...family(() => new KeyMismatch(''), {
    key_mismatch:
      'A node record signed by another key than the one this node bound to that id; nothing changed.',
  }),
  ...family(() => new BadSignature(''), {
    bad_signature:
      'A record or message of a keyed node without its signature, or with one that does not verify (a record: or is more than 5 minutes off); nothing changed, nothing was shown.',
  }),
  ...family((code) => new TooLarge(code, ''), {
    message_too_large: `The message text is over ${MESSAGE_MAX_BYTES} bytes of UTF-8.`,
  }),
  ...family(() => new StoreClosed(), {
    node_stopping: 'The node is shutting down and took nothing; send again later or to another node.',
  }),
  ...family(() => new DestinationBusy('', 1), {
    destination_busy:
      "A user's message for a node that answers but has too much waiting for it in this node's outbox (`GET /limits`, `admission`); nothing was taken, `retryAfter` says in how many seconds to try again.",
  }),
  ...family(() => new OutboxFull(''), {
    outbox_full: 'The outbox already holds as many undelivered messages as it keeps; nothing was taken.',
  }),
  ...family((code: PeerFailure) => new PeerCallFailed(code, ''), {
    peer_unreachable: 'Another node could not be reached.',
    peer_timeout: 'Another node did not answer in time.',
    peer_rejected: 'Another node refused the call.',
    peer_busy: 'Too many calls to another node are already waiting.',
    peer_bad_answer: 'Another node answered with something that is not what the protocol says.',
    peer_forbidden:
      "Another node's address resolves outside the public internet, and this node does not call such addresses.",
  }),
  ...family(() => new JoinFailed(''), {
    join_failed:
      'No seed node answered (or took the node in: each refused it or failed), so the node joined no network.',
  }),
  internal_error: {
    status: 500,
    raisedBy: 'any other error',
    meaning:
      'A fault in this node (a bug, a failed disk write); it is logged. A client mistake never gets it.',
  },
} satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes only the user front ends send (a `/ws` error frame, a `status` event), never an HTTP answer. */
export const FRONT_END_ONLY_CODES = {
  expired:
    "A `status` event's error: the destination did not take the message before its time to live ran out.",
  invalid_frame: 'A `/ws` frame that is not JSON text or not a `msg` frame; the connection stays open.',
  invalid_history_request:
    'A request for older history (socket.io `older`, `/ws` frame `older`) without a message id in `before`, or with a `limit` that is not a whole number from 1.',
} satisfies Record<string, string>;

/**
 * Codes only a peer link answers (a frame's `status` and `body`, section 8 of the SPEC), never an HTTP route:
 * the node on the other end of the link reads them as it would read the HTTP answer they stand for.
 */
export const PEER_LINK_ONLY_CODES = {
  answer_too_large: {
    status: 502,
    meaning:
      "The answer to a call over a peer link would be larger than a link frame (4 MiB, `maxPayload`), a file's bytes say; it was read no further. Files are fetched over HTTP, where a body has no such bound.",
  },
} satisfies Record<string, { readonly status: number; readonly meaning: string }>;
