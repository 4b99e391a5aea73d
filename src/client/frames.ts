// The frames a meshchat node sends to its users (SPEC §3), as one client sees them, and their checks. Every
// frame is untrusted: a parser returns `undefined` (or drops the bad part) rather than throwing, so a broken or
// hostile node can make the client ignore a frame, never crash it.

/** `to` of a message for every node (a broadcast). */
export const EVERYONE = '*';

/** Nodes kept from one mesh frame, and links; a bigger frame is cut (`cut` says so). */
export const MAX_MESH_NODES = 300;
export const MAX_MESH_LINKS = 5000;

/** A node as the node list and `hello` describe it. A node that sends no state is alive (older nodes). */
export interface NodeInfo {
  readonly id: string;
  readonly url: string;
  /** `alive` or `suspect` in a node list; `dead` or `left` on the mesh map; any other string as sent. */
  readonly state: string;
  readonly incarnation?: number;
}

/** A file a message points to (`file: {id, name, size}`, SPEC section 6), shown as a download card. */
export interface FileReference {
  readonly id: string;
  readonly name: string;
  readonly size: number;
}

/** The longest file name a reference may carry, in UTF-16 units (a node allows 255 bytes of UTF-8). */
export const MAX_FILE_NAME_CHARS = 255;

/** A file reference as a node sent it: `undefined` unless it has a file id, a short name and a byte count. */
export function parseFileReference(value: unknown): FileReference | undefined {
  if (!isRecord(value)) return undefined;
  const { id, name, size } = value;
  if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) return undefined;
  if (typeof name !== 'string' || name === '' || name.length > MAX_FILE_NAME_CHARS) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  return { id, name, size };
}

/**
 * A message: live (`msg`) or a history entry, sent by anyone. `status` is on messages sent from the client's
 * own node (`queued` while in flight, then `delivered`, `expired` or `failed`).
 */
export interface ChatMessage {
  id?: string;
  from?: string;
  to?: string;
  msg: string;
  ts?: string;
  user?: string;
  /**
   * A direct message's sender (`name@node`), set by their node; such a message's `to` is the recipient's
   * address. Only the two of them are ever sent it.
   */
  fromUser?: string;
  /** A file the message points to; a malformed one is dropped (the text stays). */
  file?: FileReference;
  /** The node's history cursor for this message (its last change). */
  seq?: number;
  status?: string;
}

/** A `presence` frame: one of the node's users came online or went offline (`lastSeen` ISO-8601 or null). */
export interface PresenceEvent {
  readonly user: string;
  readonly online: boolean;
  readonly lastSeen: string | null;
}

export interface WireError {
  readonly code: string;
  readonly message: string;
}

/** A `status` event: message `id`, sent earlier to `to` (`*` for a broadcast), reached `status` at `node`. */
export interface StatusEvent {
  id: string;
  to?: string;
  node?: string;
  status: string;
  seq?: number;
  error?: WireError;
  /** For a direct message: its sender, the only user told of its fate. */
  fromUser?: string;
}

/** The node's answer to one sent message. A failure may name the id the node gave the message. */
export type AckResult =
  | { ok: true; id?: string; status: string }
  | { ok: false; id?: string; error: WireError };

export interface MeshLink {
  readonly from: string;
  readonly to: string;
}

export interface MeshGraph {
  readonly nodes: readonly NodeInfo[];
  readonly links: readonly MeshLink[];
  /** True when the frame held more than this client keeps (or links to nodes it could not keep). */
  readonly cut: boolean;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A history cursor: a non-negative safe integer, else undefined. */
export function parseSeq(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export function parseNode(value: unknown): NodeInfo | undefined {
  if (!isRecord(value) || typeof value.id !== 'string' || value.id === '' || value.id === EVERYONE)
    return undefined;
  const incarnation = parseSeq(value.incarnation);
  return {
    id: value.id,
    url: typeof value.url === 'string' ? value.url : '',
    state: typeof value.state === 'string' && value.state !== '' ? value.state : 'alive',
    ...(incarnation === undefined ? {} : { incarnation }),
  };
}

/** A node list: entries that are not nodes are dropped, and so is a second entry for the same id. */
export function parseNodes(value: unknown): NodeInfo[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const nodes: NodeInfo[] = [];
  const seen = new Set<string>();
  for (const item of value) {
    const node = parseNode(item);
    if (node && !seen.has(node.id)) {
      seen.add(node.id);
      nodes.push(node);
    }
  }
  return nodes;
}

/** A `hello` frame `{node}`: the node the client is connected to. */
export function parseHello(value: unknown): NodeInfo | undefined {
  return isRecord(value) ? parseNode(value.node) : undefined;
}

export function parseMessage(value: unknown): ChatMessage | undefined {
  if (!isRecord(value) || typeof value.msg !== 'string') return undefined;
  const message: ChatMessage = { msg: value.msg };
  for (const key of ['id', 'from', 'to', 'ts', 'user', 'status', 'fromUser'] as const) {
    const text = optionalString(value[key]);
    if (text !== undefined) message[key] = text;
  }
  const seq = parseSeq(value.seq);
  if (seq !== undefined) message.seq = seq;
  const file = parseFileReference(value.file);
  if (file !== undefined) message.file = file;
  return message;
}

export function parseStatusEvent(value: unknown): StatusEvent | undefined {
  if (!isRecord(value) || typeof value.id !== 'string' || typeof value.status !== 'string') return undefined;
  const event: StatusEvent = { id: value.id, status: value.status };
  const to = optionalString(value.to);
  if (to !== undefined) event.to = to;
  const node = optionalString(value.node);
  if (node !== undefined) event.node = node;
  const fromUser = optionalString(value.fromUser);
  if (fromUser !== undefined) event.fromUser = fromUser;
  const seq = parseSeq(value.seq);
  if (seq !== undefined) event.seq = seq;
  if (value.error !== undefined) event.error = parseWireError(value.error);
  return event;
}

export function parsePresence(value: unknown): PresenceEvent | undefined {
  if (!isRecord(value) || typeof value.user !== 'string' || typeof value.online !== 'boolean')
    return undefined;
  return {
    user: value.user,
    online: value.online,
    lastSeen: typeof value.lastSeen === 'string' ? value.lastSeen : null,
  };
}

/**
 * Who a connection is logged in as: `hello`'s `user` (socket.io) or an `auth` frame's (`/ws`), an address
 * `name@node`; `undefined` for an anonymous connection or a frame without one.
 */
export function parseLoggedInUser(value: unknown): string | undefined {
  if (!isRecord(value) || typeof value.user !== 'string' || !value.user.includes('@')) return undefined;
  return value.ok === false ? undefined : value.user;
}

/** An error in any shape a node may send (`{code, message}`, `{error: {…}}`, a string): always an error. */
export function parseWireError(value: unknown): WireError {
  const inner = isRecord(value) && isRecord(value.error) ? value.error : value;
  if (isRecord(inner)) {
    const code = typeof inner.code === 'string' ? inner.code : 'error';
    const message =
      typeof inner.message === 'string'
        ? inner.message
        : JSON.stringify(inner) || 'unknown error from the node';
    return { code, message };
  }
  if (typeof inner === 'string') return { code: 'error', message: inner };
  return { code: 'error', message: 'unknown error from the node' };
}

/** An acknowledgement; one this client does not understand is a failure `bad_ack`, never a success. */
export function parseAck(value: unknown): AckResult {
  if (isRecord(value) && value.ok === true) {
    const result: AckResult = {
      ok: true,
      status: typeof value.status === 'string' ? value.status : 'delivered',
    };
    if (typeof value.id === 'string') result.id = value.id;
    return result;
  }
  if (isRecord(value) && value.ok === false) {
    const result: AckResult = { ok: false, error: parseWireError(value.error) };
    if (typeof value.id === 'string') result.id = value.id;
    return result;
  }
  return {
    ok: false,
    error: {
      code: 'bad_ack',
      message: 'the node answered with an acknowledgement this client does not understand',
    },
  };
}

/**
 * A mesh frame `{nodes, links}`, at most `MAX_MESH_NODES` nodes and `MAX_MESH_LINKS` links. A link to a node
 * the frame does not describe still counts: that node is kept with state `unknown`.
 */
export function parseMesh(value: unknown): MeshGraph | undefined {
  if (!isRecord(value)) return undefined;
  const parsed = parseNodes(value.nodes);
  if (!parsed) return undefined;
  let cut = parsed.length > MAX_MESH_NODES;
  const nodes: NodeInfo[] = parsed.slice(0, MAX_MESH_NODES);
  const known = new Set(nodes.map((n) => n.id));
  const links: MeshLink[] = [];
  const seen = new Set<string>();
  for (const raw of Array.isArray(value.links) ? value.links : []) {
    if (!isRecord(raw)) continue;
    const from = optionalString(raw.from);
    const to = optionalString(raw.to);
    if (!from || !to || from === to || from === EVERYONE || to === EVERYONE) continue;
    const key = JSON.stringify([from, to]);
    if (seen.has(key)) continue;
    for (const id of [from, to]) {
      if (known.has(id) || nodes.length >= MAX_MESH_NODES) continue;
      known.add(id);
      nodes.push({ id, url: '', state: 'unknown' });
    }
    if (!known.has(from) || !known.has(to)) {
      cut = true;
      continue;
    }
    if (links.length >= MAX_MESH_LINKS) {
      cut = true;
      break;
    }
    seen.add(key);
    links.push({ from, to });
  }
  return { nodes, links, cut };
}
