import { BROADCAST, type StatusUpdate } from './delivery.js';

/**
 * Direct messages (SPEC section 5): `to` is a user address `name@node` instead of a node id, and the origin node
 * stamps the sender's address as `fromUser`. Node ids cannot contain `@`, so the shape of `to` alone says which
 * kind a message is, on the wire and in storage.
 *
 * Who may see one is decided here, once, for every front end and for history: the two parties and nobody else.
 */

/** Whether `to` addresses a user (`name@node`) rather than a node or everyone. */
export function isUserAddressed(to: string | undefined): boolean {
  return typeof to === 'string' && to.includes('@');
}

/**
 * Whether a message addressed `to` is for node `node` itself: to its id, to one of its users (`name@node`), or to
 * everyone (`*`), rather than for a node it would relay to.
 */
export function isForNode(to: string | undefined, node: string): boolean {
  if (to === node || to === BROADCAST) return true;
  return isUserAddressed(to) && (to as string).slice((to as string).lastIndexOf('@') + 1) === node;
}

/** Whether a message (or history entry) is a direct message. */
export function isDirect(message: { readonly to: string; readonly fromUser?: string }): boolean {
  return isUserAddressed(message.to) || message.fromUser !== undefined;
}

/**
 * The user addresses allowed to see a message, or `undefined` when every user of the node may (a node
 * message or a broadcast). A direct message is for its recipient and its sender; one without a `fromUser`
 * (which no meshchat node sends) is for its recipient only.
 */
export function audienceOf(message: {
  readonly to: string;
  readonly fromUser?: string;
}): readonly string[] | undefined {
  if (!isDirect(message)) return undefined;
  return message.fromUser === undefined || message.fromUser === message.to
    ? [message.to]
    : [message.to, message.fromUser];
}

/**
 * Who may hear how a sent message settled: everyone for a node message, only the sender for a direct one (a
 * status of a direct message without `fromUser` is for nobody).
 */
export function statusAudienceOf(update: StatusUpdate): readonly string[] | undefined {
  if (!isUserAddressed(update.to) && update.fromUser === undefined) return undefined;
  return update.fromUser === undefined ? [] : [update.fromUser];
}

/** Whether the user `viewer` (an address, or `undefined` for an anonymous connection) may see `message`. */
export function visibleTo(
  message: { readonly to: string; readonly fromUser?: string },
  viewer: string | undefined,
): boolean {
  const audience = audienceOf(message);
  return audience === undefined || (viewer !== undefined && audience.includes(viewer));
}
