import { isRecord } from './frames.js';
import type { FrameType, InboundFrame, OutgoingMessage } from './transport.js';

const TYPES: ReadonlySet<string> = new Set<FrameType>([
  'hello',
  'nodes',
  'history',
  'mesh',
  'msg',
  'status',
  'error',
  'ack',
  'presence',
  'auth',
  'older',
]);

/**
 * A `/ws` text frame (SPEC §3) in the shape every transport hands the client: `nodes` and `history` unwrap
 * their list, `ack` brings its `ref`, the rest keep their fields (without `type`). Anything that is not a JSON
 * object of a known type is `undefined`.
 */
export function parseWsFrame(text: string): InboundFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.type !== 'string' || !TYPES.has(value.type)) return undefined;
  const { type: _type, ...fields } = value;
  const type = value.type as FrameType;
  if (type === 'nodes') return { type, data: value.nodes };
  if (type === 'history') {
    // A meshchat node says whether older messages are kept (`more`) and from which id to ask (`before`).
    if (typeof value.more !== 'boolean') return { type, data: value.messages };
    return { type, data: value.messages, page: { more: value.more, before: value.before } };
  }
  if (type === 'error') return { type, data: { error: value.error } };
  if (type === 'ack' || type === 'older') {
    const ref = typeof value.ref === 'string' ? value.ref : undefined;
    return ref === undefined ? { type, data: fields } : { type, data: fields, ref };
  }
  return { type, data: fields };
}

/** The `/ws` text frame that sends `message`; its ack will carry `ref`. */
export function wsSendFrame(message: OutgoingMessage, ref: string): string {
  return JSON.stringify({
    type: 'msg',
    to: message.to,
    msg: message.msg,
    ...(message.user === undefined ? {} : { user: message.user }),
    ...(message.file === undefined ? {} : { file: message.file }),
    ref,
  });
}

/** The `/ws` frame asking for the page of history before message `before`; its answer will carry `ref`. */
export function wsOlderFrame(before: string, limit: number | undefined, ref: string): string {
  return JSON.stringify({ type: 'older', before, ...(limit === undefined ? {} : { limit }), ref });
}

/** The first `/ws` frame of a logged-in connection (a token from `POST /sessions`). */
export function wsAuthFrame(token: string): string {
  return JSON.stringify({ type: 'auth', token });
}

/** The `/ws` path with the history cursor, relative to the node's origin. */
export function wsPath(since: number | undefined): string {
  return since === undefined ? '/ws' : `/ws?since=${since}`;
}
