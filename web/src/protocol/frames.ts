// The frames of the node's plain WebSocket at /ws (SPEC section 3), as this page reads them. Every field
// from the network is checked here, one by one; nothing past this file trusts the wire.
//
//   {"type":"hello","node":{"id","url"}}
//   {"type":"nodes","nodes":[{"id","url","state"?,"incarnation"?}]}   this node first; no state = alive
//   {"type":"history","messages":[{"id","from","to","msg","ts","user"?,"seq","status"?}]}
//   {"type":"msg","id","from","to","msg","ts","user"?,"seq","status"?} `status`: sent from this node
//   {"type":"ack","ref","ok":true,"id","status"} | {"type":"ack","ref","ok":false,"error":{"code","message"}}
//   {"type":"status","id","to","node","status","seq"?,"error"?}        how a queued message ended, per node
//   {"type":"mesh","nodes":[{"id","url","state"}],"links":[{"from","to"}]}
//   {"type":"error","error":{"code","message"}}
// Sent: {"type":"msg","to":"<node id>"|"*","msg","user"?,"ref"}.

/** The destination that means every node (a broadcast). */
export const EVERYONE = '*';
export const MAX_MSG_BYTES = 64 * 1024;
export const MAX_USER_CHARS = 64;

export interface NodeInfo {
  id: string;
  url: string;
  /** `alive`, `suspect`, `dead` or `left`; absent (older nodes) means alive. */
  state?: string;
  incarnation?: number;
}

/** What the node reports about a message sent from it. */
export type WireStatus = 'delivered' | 'queued' | 'expired' | 'failed';

export interface ChatMessage {
  id?: string;
  from: string;
  to: string;
  msg: string;
  ts?: string;
  user?: string;
  seq?: number;
  /** Set by the node on messages sent from it to other nodes (history entries and live pushes alike). */
  status?: WireStatus;
}

export interface WireError {
  code: string;
  message: string;
}

export interface StatusFrame {
  id: string;
  node?: string;
  status: WireStatus;
  error?: string;
  seq?: number;
}

export interface AckFrame {
  ref: string;
  ok: boolean;
  id?: string;
  status?: WireStatus;
  error?: WireError;
}

export interface MeshNode {
  id: string;
  url: string;
  state: string;
}

export interface MeshLink {
  from: string;
  to: string;
}

export interface MeshFrame {
  nodes: MeshNode[];
  links: MeshLink[];
  /** The frame was bigger than the page draws: part of it was dropped. */
  cut: boolean;
}

export interface OutgoingFrame {
  type: 'msg';
  to: string;
  msg: string;
  user?: string;
  ref: string;
}

/** Nodes drawn in the network map; a bigger mesh frame is cut (the summary says so). */
const MAX_MESH_NODES = 300;
const MAX_MESH_LINKS = 5000;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function seqOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

export function limitChars(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length > max ? chars.slice(0, max).join('') : s;
}

export function parseFrameText(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const frame: unknown = JSON.parse(text);
    return isRecord(frame) ? frame : undefined;
  } catch {
    return undefined;
  }
}

export function parseNode(raw: unknown): NodeInfo | undefined {
  if (!isRecord(raw)) return undefined;
  const id = str(raw.id);
  if (!id || id === EVERYONE) return undefined;
  const info: NodeInfo = { id, url: str(raw.url) ?? '' };
  const state = str(raw.state);
  if (state) info.state = state;
  const incarnation = seqOf(raw.incarnation);
  if (incarnation !== undefined) info.incarnation = incarnation;
  return info;
}

/** The nodes of a list, each id once, in order. */
export function parseNodeList(raw: unknown): NodeInfo[] {
  const list: NodeInfo[] = [];
  if (!Array.isArray(raw)) return list;
  const seen = new Set<string>();
  for (const item of raw) {
    const info = parseNode(item);
    if (!info || seen.has(info.id)) continue;
    seen.add(info.id);
    list.push(info);
  }
  return list;
}

export function parseStatus(raw: unknown): WireStatus | undefined {
  return raw === 'delivered' || raw === 'queued' || raw === 'expired' || raw === 'failed' ? raw : undefined;
}

export function parseError(raw: unknown): WireError {
  if (!isRecord(raw)) return { code: '', message: 'unknown error' };
  return { code: str(raw.code) ?? '', message: str(raw.message) ?? str(raw.code) ?? 'unknown error' };
}

export function parseMessage(raw: Record<string, unknown>): ChatMessage | undefined {
  const from = str(raw.from);
  const msg = str(raw.msg);
  if (from === undefined || msg === undefined) return undefined;
  const m: ChatMessage = { from, to: str(raw.to) ?? '', msg };
  const id = str(raw.id);
  const ts = str(raw.ts);
  const user = str(raw.user);
  const seq = seqOf(raw.seq);
  const status = parseStatus(raw.status);
  if (id) m.id = id;
  if (ts) m.ts = ts;
  if (user) m.user = limitChars(user, MAX_USER_CHARS);
  if (seq !== undefined) m.seq = seq;
  if (status) m.status = status;
  return m;
}

export function parseAck(frame: Record<string, unknown>): AckFrame | undefined {
  const ref = str(frame.ref);
  if (!ref) return undefined;
  if (frame.ok !== true) return { ref, ok: false, error: parseError(frame.error) };
  const ack: AckFrame = { ref, ok: true };
  const id = str(frame.id);
  const status = parseStatus(frame.status);
  if (id) ack.id = id;
  if (status) ack.status = status;
  return ack;
}

export function parseStatusFrame(frame: Record<string, unknown>): StatusFrame | undefined {
  const id = str(frame.id);
  const status = parseStatus(frame.status);
  if (!id || !status) return undefined;
  const update: StatusFrame = { id, status };
  const node = str(frame.node);
  const seq = seqOf(frame.seq);
  if (node) update.node = node;
  if (seq !== undefined) update.seq = seq;
  if (frame.error !== undefined) update.error = parseError(frame.error).message;
  return update;
}

/**
 * The network as the node sees it. A link to a node the frame does not describe still shows: that node is
 * drawn with an unknown state. Past the drawing limits the frame is cut, and says so.
 */
export function parseMesh(frame: Record<string, unknown>): MeshFrame | undefined {
  if (!Array.isArray(frame.nodes)) return undefined;
  const parsed = parseNodeList(frame.nodes);
  let cut = parsed.length > MAX_MESH_NODES;
  const nodes: MeshNode[] = parsed
    .slice(0, MAX_MESH_NODES)
    .map((n) => ({ id: n.id, url: n.url, state: n.state ?? 'alive' }));
  const known = new Set(nodes.map((n) => n.id));
  const links: MeshLink[] = [];
  const seen = new Set<string>();
  for (const raw of Array.isArray(frame.links) ? frame.links : []) {
    if (!isRecord(raw)) continue;
    const from = str(raw.from);
    const to = str(raw.to);
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
