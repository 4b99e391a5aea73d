import { BROADCAST } from './delivery.js';
import { isUserAddressed } from './direct-message.js';
import { InvalidInput, TooLarge } from './errors.js';
import { assertFileReference, type FileReference } from './file-reference.js';
import { assertNodeId } from './node-record.js';

export const MESSAGE_MAX_BYTES = 64 * 1024;
export const USER_NAME_MAX_LENGTH = 64;
/** A node never relays a message that has already been relayed this many times. */
export const MAX_RELAY_HOPS = 2;

/** A message as it travels between nodes and to users (SPEC sections 1 and 2). */
export interface ChatMessage {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly msg: string;
  readonly ts: string;
  readonly user?: string;
  readonly hops?: number;
  /**
   * A direct message's sender, `name@node`, set by the origin node (whose id is `from`) from the logged-in
   * connection, never from the client; only direct messages (`to` a user address) carry it.
   */
  readonly fromUser?: string;
  /**
   * The origin node's signature of `canonicalMessage` (base64url), when the origin has a key; relays pass it on
   * unchanged. Never shown to users.
   */
  readonly sig?: string;
  /**
   * Set by the node that shows the message to its users, never sent to another node: the origin's signature
   * checked out here, or the message originated on this keyed node.
   */
  readonly verified?: boolean;
  /** A file the message points to (files extension, SPEC section 6), checked by `assertFileReference`. */
  readonly file?: FileReference;
}

/** What a node may receive on `PUT /msg`: the base protocol needs only `msg`; the rest is optional. */
export interface InboundMessage {
  readonly msg: string;
  readonly from?: string;
  readonly to?: string;
  readonly id?: string;
  readonly ts?: string;
  readonly user?: string;
  readonly hops?: number;
  readonly fromUser?: string;
  readonly sig?: string;
  readonly file?: unknown;
  readonly [extra: string]: unknown;
}

/** What a user asks its node to send. */
export interface OutgoingText {
  readonly to: string;
  readonly msg: string;
  readonly user?: string;
  readonly file?: FileReference;
}

/** The UTF-8 length of `text` (a lone surrogate counts as U+FFFD, 3 bytes, as encoders write it), counted in place. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

export function assertMessageText(msg: unknown): string {
  if (typeof msg !== 'string') throw new InvalidInput('invalid_message', 'The field "msg" must be a string.');
  // A UTF-16 unit is at most 3 UTF-8 bytes: a short enough text needs no counting.
  if (
    msg.length > MESSAGE_MAX_BYTES ||
    (msg.length * 3 > MESSAGE_MAX_BYTES && utf8Length(msg) > MESSAGE_MAX_BYTES)
  ) {
    throw new TooLarge(
      'message_too_large',
      `The message text is longer than ${MESSAGE_MAX_BYTES} bytes (UTF-8); split it into smaller messages.`,
    );
  }
  return msg;
}

/**
 * A display name from a sender that is not logged in (an anonymous socket.io or `/ws` connection, a `PUT /msg`
 * without `from`): one shaped as an account's address (`name@node`, with the `@` node ids never have) would
 * show to everyone as that account's own message, so only the account, logged in, sends under such a name.
 */
export function assertAnonymousUserName(user: string | undefined): void {
  if (isUserAddressed(user)) {
    throw new InvalidInput(
      'invalid_user',
      'A display name with "@" reads as an account\'s address (name@node), which this node gives only its ' +
        'logged-in users: ' +
        'log in to send as an account, or choose a display name without "@".',
    );
  }
}

export function assertUserName(user: unknown): string | undefined {
  if (user === undefined || user === null || user === '') return undefined;
  if (typeof user !== 'string' || user.length > USER_NAME_MAX_LENGTH) {
    throw new InvalidInput(
      'invalid_user',
      `The display name "user" must be a string of at most ${USER_NAME_MAX_LENGTH} characters.`,
    );
  }
  return user;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** `ts`, when present, is an ISO-8601 date and time with a zone, as the origin node stamped it. */
export function assertTimestamp(ts: unknown): string | undefined {
  if (ts === undefined) return undefined;
  if (typeof ts !== 'string' || !ISO_8601.test(ts) || Number.isNaN(Date.parse(ts))) {
    throw new InvalidInput(
      'invalid_timestamp',
      'The field "ts" must be an ISO-8601 time such as 2026-01-01T12:00:00.000Z.',
    );
  }
  return ts;
}

/** `to` of a message: a node id, or `*` for every node of the network. */
export function assertDestination(to: unknown): string {
  return to === BROADCAST ? BROADCAST : assertNodeId(to);
}

/** Checks what a user asked to send; `from` is never taken from the user. */
export function outgoingText(input: {
  to?: unknown;
  msg?: unknown;
  user?: unknown;
  file?: unknown;
}): OutgoingText {
  const to = assertDestination(input.to);
  const msg = assertMessageText(input.msg);
  const user = assertUserName(input.user);
  const file = assertFileReference(input.file);
  return {
    to,
    msg,
    ...(user === undefined ? {} : { user }),
    ...(file === undefined ? {} : { file }),
  };
}
