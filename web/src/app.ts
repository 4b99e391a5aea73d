// meshchat web client: plain TypeScript against the browser's WebSocket, no dependencies, one output file
// (the node serves only /app.js, so everything lives in this module).
//
// Security rule for this file: every string that comes from the network (node ids, urls, user names,
// message text, error messages) is put into the page with textContent / createTextNode / setAttribute only,
// never innerHTML. No inline styles either (the page's Content-Security-Policy forbids them): state is shown
// with classes and data-* attributes that style.css targets.
//
// Frames consumed from the node's plain WebSocket at /ws (connect to /ws?since=N on a reconnect, N = the
// highest `seq` seen, to get only what was missed):
//
//   {"type":"hello","node":{"id","url"}}                      which node this page talks to
//   {"type":"nodes","nodes":[{"id","url","state"?,"incarnation"?}]}
//                                                             the node's member list (itself first); state
//                                                             `alive` or `suspect` (absent = alive). A node
//                                                             that drops out of the list is shown as down.
//   {"type":"history","messages":[{"id","from","to","msg","ts","user"?,"seq","status"?}]}
//                                                             once per connect; entries with `status` and
//                                                             `from` = this node were sent from this node
//   {"type":"msg","id","from","to","msg","ts","user"?,"seq"}  a message for this node's users (`to:"*"` is a
//                                                             broadcast)
//   {"type":"ack","ref","ok":true,"id","status":"delivered"|"queued"}
//   {"type":"ack","ref","ok":false,"error":{"code","message"}}
//   {"type":"status","id","to","node","status":"delivered"|"expired"|"failed","seq"?,"error"?}
//                                                             how a queued message ended, per destination node
//   {"type":"error","error":{"code","message"}}
//   {"type":"mesh","nodes":[{"id","url","state"}],"links":[{"from","to"}]}
//                                                             the network as this node sees it: `from` lists
//                                                             `to` as a member; state `alive`, `suspect`,
//                                                             `dead` or `left` (both drawn as down). Sent on
//                                                             connect and on change.
//                                                             Until one arrives (or with a node that never
//                                                             sends it) the map is a star: this node knows every
//                                                             node of its `nodes` list.
//
// Frame sent: {"type":"msg","to":"<node id>"|"*","msg","user"?,"ref"}.
//
// Conversations: one per node plus "Everyone" (`*`). A message goes to the conversation of the other node:
// from X to this node → X; from this node to X → X; `to:"*"` → Everyone.

// ---------------------------------------------------------------------------------------------------------
// Wire types (node -> page frames are validated field by field, never trusted).

type NodeState = 'alive' | 'suspect' | 'dead';
/** What the page shows: the three known states, or `other` for a state it does not know. */
type ShownState = NodeState | 'other';

interface NodeInfo {
  id: string;
  url: string;
  /** `alive` or `suspect` (missed its probes, may be down); absent (older nodes) means alive. */
  state?: string;
  /** The node's version of its own record; shown only as a detail. */
  incarnation?: number;
}

interface ChatMessage {
  id?: string;
  from: string;
  to: string;
  msg: string;
  ts?: string;
  user?: string;
  seq?: number;
  /** History entries only: the delivery status of a message sent from this node to other nodes. */
  status?: DeliveryStatus;
}

type DeliveryStatus = 'sending' | 'delivered' | 'queued' | 'expired' | 'failed' | 'unconfirmed' | 'sent';

interface OutgoingFrame {
  type: 'msg';
  to: string;
  msg: string;
  user?: string;
  ref: string;
}

interface MeshNode {
  id: string;
  url: string;
  state: string;
}

interface MeshLink {
  from: string;
  to: string;
}

interface MeshGraph {
  source: 'mesh' | 'star';
  nodes: MeshNode[];
  links: MeshLink[];
}

type ConnState = 'connecting' | 'open' | 'waiting' | 'offline';
/** Which pane is in front: on a phone only that one shows; on a laptop the list and chat always do. */
type View = 'list' | 'chat' | 'mesh';

// ---------------------------------------------------------------------------------------------------------
// Constants.

const MAX_MSG_BYTES = 64 * 1024;
const MAX_USER_CHARS = 64;
const LONG_MESSAGE_CHARS = 2500;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** Items kept per conversation; older ones leave the page (the node keeps its own history). */
const MAX_CONV_ITEMS = 1000;
const MAX_REMEMBERED_IDS = 500;
/** Sent messages whose ack was lost with the connection, kept to be matched with the history on reconnect. */
const MAX_UNCONFIRMED = 50;
/** Status frames kept for messages this page does not know (yet). */
const MAX_EARLY_STATUS = 200;
/** The destination that means every node (a broadcast). */
const EVERYONE = '*';
/** Node-list changes beyond this many in one update are summed up in one line (a network merge). */
const MAX_NODE_NOTICES = 5;
/** Nodes drawn in the network map; a bigger mesh frame is cut (the summary says so). */
const MAX_MESH_NODES = 300;
const MAX_MESH_LINKS = 5000;
const PREVIEW_CHARS = 80;
const ANNOUNCE_CHARS = 160;
const STORAGE_USER = 'meshchat.user';
const STORAGE_DEST = 'meshchat.to';
const STORAGE_SENT = 'meshchat.sentIds';
const STORAGE_READ = 'meshchat.read';
const HUES = 8;
const SVG_NS = 'http://www.w3.org/2000/svg';

// ---------------------------------------------------------------------------------------------------------
// Small helpers.

function byId<T extends Element>(id: string, ctor: { new (): T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof ctor)) throw new Error(`meshchat: missing #${id}`);
  return found;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function seqOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

function storageGet(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function storageSet(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Storage may be disabled (private mode, quota): the page works without it.
  }
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function parseTime(ts: string | undefined): Date {
  if (ts) {
    const d = new Date(ts);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return new Date();
}

function hhmm(d: Date): string {
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** Short time for the conversation list: the time today, else the date. */
function shortWhen(t: number): string {
  const d = new Date(t);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return hhmm(d);
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

function hueClass(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return `hue-${h % HUES}`;
}

function initial(id: string): string {
  return id === EVERYONE ? '*' : (Array.from(id)[0]?.toUpperCase() ?? '?');
}

/** Code-unit order: the same everywhere, unlike localeCompare, so the map is laid out the same for all. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const encoder = new TextEncoder();
function utf8Bytes(s: string): number {
  return encoder.encode(s).length;
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

function limitChars(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length > max ? chars.slice(0, max).join('') : s;
}

function ellipsize(s: string, max: number): string {
  const oneLine = s.replace(/\s+/g, ' ').trim();
  const chars = Array.from(oneLine);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : oneLine;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// crypto.randomUUID only exists in secure contexts; a node reached over plain http on a LAN is not one.
let refCounter = 0;
function newRef(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  refCounter += 1;
  return `web-${Date.now().toString(36)}-${refCounter}-${hex}`;
}

// ---------------------------------------------------------------------------------------------------------
// DOM references.

const ui = {
  selfId: byId('self-id', HTMLElement),
  selfUrl: byId('self-url', HTMLElement),
  connState: byId('conn-state', HTMLElement),
  connText: byId('conn-text', HTMLElement),
  connAnnounce: byId('conn-announce', HTMLElement),
  reconnectNow: byId('reconnect-now', HTMLButtonElement),
  meshToggle: byId('mesh-toggle', HTMLButtonElement),
  nodeCount: byId('node-count', HTMLElement),
  nodeList: byId('node-list', HTMLUListElement),
  nodesEmpty: byId('nodes-empty', HTMLElement),
  chat: byId('chat', HTMLElement),
  back: byId('back', HTMLButtonElement),
  convAvatar: byId('conv-avatar', HTMLElement),
  convTitle: byId('conv-title', HTMLElement),
  destId: byId('dest-id', HTMLElement),
  convSub: byId('conv-sub', HTMLElement),
  log: byId('log', HTMLOListElement),
  jumpLatest: byId('jump-latest', HTMLButtonElement),
  composer: byId('composer', HTMLFormElement),
  displayName: byId('display-name', HTMLInputElement),
  messageLabel: byId('message-label', HTMLLabelElement),
  message: byId('message', HTMLTextAreaElement),
  send: byId('send', HTMLButtonElement),
  hint: byId('composer-hint', HTMLElement),
  meshPanel: byId('mesh-panel', HTMLElement),
  meshBack: byId('mesh-back', HTMLButtonElement),
  meshSummary: byId('mesh-summary', HTMLElement),
  mesh: byId('mesh', SVGSVGElement),
  announcer: byId('announcer', HTMLElement),
};

const DEFAULT_HINT = ui.hint.textContent ?? '';

// ---------------------------------------------------------------------------------------------------------
// State.

/** A final status reported for one message (and, for a broadcast, one destination node). */
interface StatusUpdate {
  node?: string;
  status: DeliveryStatus;
  error?: string;
}

/** A message sent from this node (by this page, or known from the history), shown with a delivery tick. */
interface SentEntry {
  ref?: string;
  id?: string;
  to: string;
  msg: string;
  user?: string;
  item: HTMLLIElement;
  tick: HTMLElement;
  /** What the tick shows now (see renderTick). */
  status: DeliveryStatus;
  /** The status of the message as a whole: from the ack, the history, or (direct messages) a status frame. */
  base: DeliveryStatus;
  detail?: string;
  /** Broadcasts: the final status per destination node, from status frames. */
  perNode: Map<string, StatusUpdate>;
}

interface LogEntry {
  time: number;
  item: HTMLLIElement;
}

/** One conversation: with a node (keyed by its id), or with Everyone (`*`). */
interface Conversation {
  key: string;
  /** Messages and notices, oldest first; in the page's log only while this conversation is open. */
  entries: LogEntry[];
  unread: number;
  /** The highest history cursor among its messages (what "read up to here" stores). */
  maxSeq?: number;
  preview?: string;
  lastTime: number;
}

/** Read marks kept across page loads: per conversation, the highest `seq` the user has seen there. */
interface ReadMarks {
  /** Everything up to this cursor counts as read in a conversation without its own mark. */
  base: number;
  /** The highest cursor ever seen; a history that ends below it means the node lost its data. */
  top: number;
  convs: Record<string, number>;
}

let selfNode: NodeInfo | undefined;
let nodes: NodeInfo[] = [];
/** Nodes that were in an earlier list of this page's life and are not any more: shown as down. */
const goneNodes = new Map<string, NodeInfo>();
/** False until the first node list of this connection: that one sets the baseline and is not announced. */
let nodesSynced = false;

const conversations = new Map<string, Conversation>();
const convOfItem = new WeakMap<HTMLLIElement, Conversation>();
/** The conversation on screen (the composer sends there); on a phone's list view it is only highlighted. */
let openKey: string | undefined;
let view: View = 'chat';
let viewBeforeMesh: View = 'chat';

const sentByRef = new Map<string, SentEntry>();
const sentById = new Map<string, SentEntry>();
/** Status frames that arrived before the ack (or history entry) that tells us which message they belong to. */
const earlyStatus = new Map<string, StatusUpdate[]>();
/** Messages whose ack was lost when the connection dropped; the reconnect history may tell what became of them. */
const unconfirmed: SentEntry[] = [];
/** The highest history cursor (`seq`) seen in msg, history and status frames; sent as `since` on reconnect. */
let maxSeq: number | undefined;
/** Message ids already in a conversation (de-duplication across history, echo and reconnects). */
const shownIds = new Map<string, HTMLLIElement>();
/** Ids of messages this browser sent in earlier page loads, so history shows them as ours. */
const rememberedSentIds = loadRememberedIds();

let readMarks: ReadMarks | undefined = loadReadMarks();
let readMarksDirty = false;
/** True once the first history of this page load was read (it decides whether the read marks still hold). */
let firstHistorySeen = false;

/** The latest mesh frame of this connection; undefined until one arrives (then the map is a star). */
let meshFrame: { nodes: MeshNode[]; links: MeshLink[]; cut: boolean } | undefined;

function loadRememberedIds(): Set<string> {
  const raw = storageGet(STORAGE_SENT);
  if (!raw) return new Set();
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed)) return new Set(parsed.filter((x): x is string => typeof x === 'string'));
  } catch {
    // ignore corrupt storage
  }
  return new Set();
}

function rememberSentId(id: string): void {
  rememberedSentIds.add(id);
  const all = Array.from(rememberedSentIds);
  storageSet(STORAGE_SENT, JSON.stringify(all.slice(-MAX_REMEMBERED_IDS)));
}

function loadReadMarks(): ReadMarks | undefined {
  const raw = storageGet(STORAGE_READ);
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!isRecord(parsed) || !isRecord(parsed.convs)) return undefined;
    const base = seqOf(parsed.base);
    const top = seqOf(parsed.top);
    if (base === undefined || top === undefined) return undefined;
    const convs: Record<string, number> = {};
    for (const [key, value] of Object.entries(parsed.convs)) {
      const seq = seqOf(value);
      if (seq !== undefined) convs[key] = seq;
    }
    return { base, top, convs };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Connection with automatic reconnect and exponential backoff.

let socket: WebSocket | undefined;
let connState: ConnState = 'connecting';
let attempt = 0;
let retryTimer: number | undefined;
let countdownTimer: number | undefined;
let connectTimer: number | undefined;

function wsUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const since = maxSeq === undefined ? '' : `?since=${maxSeq}`;
  return `${scheme}//${window.location.host}/ws${since}`;
}

function seeSeq(raw: unknown): void {
  const seq = seqOf(raw);
  if (seq === undefined) return;
  if (maxSeq === undefined || seq > maxSeq) maxSeq = seq;
  if (readMarks && seq > readMarks.top) {
    readMarks.top = seq;
    readMarksDirty = true;
  }
}

const ANNOUNCE: Record<ConnState, string> = {
  connecting: 'Connecting to the node',
  open: 'Connected to the node',
  waiting: 'Disconnected from the node; reconnecting automatically',
  offline: 'Offline; will reconnect when the network is back',
};

function setConnState(state: ConnState, text: string): void {
  // The visible pill may tick every second; screen readers only hear real state changes.
  if (state !== connState || ui.connAnnounce.textContent === '')
    ui.connAnnounce.textContent = ANNOUNCE[state];
  connState = state;
  ui.connState.dataset.state = state;
  ui.connText.textContent = text;
  ui.reconnectNow.hidden = state === 'open' || state === 'connecting';
  ui.send.disabled = state !== 'open';
  document.body.dataset.conn = state;
}

function clearTimers(): void {
  if (retryTimer !== undefined) window.clearTimeout(retryTimer);
  if (countdownTimer !== undefined) window.clearInterval(countdownTimer);
  if (connectTimer !== undefined) window.clearTimeout(connectTimer);
  retryTimer = undefined;
  countdownTimer = undefined;
  connectTimer = undefined;
}

function connect(): void {
  clearTimers();
  if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) return;

  setConnState('connecting', attempt === 0 ? 'Connecting…' : `Reconnecting… (attempt ${attempt + 1})`);
  let ws: WebSocket;
  try {
    ws = new WebSocket(wsUrl());
  } catch {
    scheduleReconnect();
    return;
  }
  socket = ws;

  connectTimer = window.setTimeout(() => {
    if (ws.readyState === WebSocket.CONNECTING) ws.close();
  }, CONNECT_TIMEOUT_MS);

  ws.addEventListener('open', () => {
    if (socket !== ws) return;
    if (connectTimer !== undefined) window.clearTimeout(connectTimer);
    connectTimer = undefined;
    setConnState('open', 'Connected');
    nodesSynced = false;
    // Each connection starts with a star from its node list until its node sends a mesh frame.
    meshFrame = undefined;
    meshVersion++;
    scheduleRender();
  });

  ws.addEventListener('message', (ev: MessageEvent) => {
    if (socket !== ws) return;
    if (typeof ev.data !== 'string') return;
    let frame: unknown;
    try {
      frame = JSON.parse(ev.data);
    } catch {
      return;
    }
    handleFrame(frame);
  });

  ws.addEventListener('close', () => {
    if (socket !== ws) return;
    socket = undefined;
    failPending();
    scheduleReconnect();
  });
  // 'error' is always followed by 'close'; nothing to do here.
}

function scheduleReconnect(): void {
  clearTimers();
  const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  const delay = Math.round(exp * (0.75 + Math.random() * 0.5));
  attempt += 1;
  const due = Date.now() + delay;
  const render = (): void => {
    const secs = Math.max(1, Math.ceil((due - Date.now()) / 1000));
    const offline = navigator.onLine === false;
    setConnState(
      offline ? 'offline' : 'waiting',
      offline ? `Offline · retrying in ${secs}s` : `Disconnected · retrying in ${secs}s`,
    );
  };
  render();
  countdownTimer = window.setInterval(render, 1000);
  retryTimer = window.setTimeout(connect, delay);
}

function reconnectNow(): void {
  attempt = 0;
  connect();
}

function sendFrame(frame: OutgoingFrame): boolean {
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(frame));
  return true;
}

/** Messages still waiting for an ack when the socket drops may or may not have been delivered. */
function failPending(): void {
  for (const entry of sentByRef.values()) {
    if (entry.base === 'sending') {
      entry.base = 'unconfirmed';
      entry.detail = 'connection lost before the node confirmed';
      renderTick(entry);
      unconfirmed.push(entry);
      if (unconfirmed.length > MAX_UNCONFIRMED) unconfirmed.shift();
    }
  }
  sentByRef.clear();
}

// ---------------------------------------------------------------------------------------------------------
// Incoming frames.

function handleFrame(frame: unknown): void {
  if (!isRecord(frame)) return;
  switch (frame.type) {
    case 'hello':
      onHello(frame);
      break;
    case 'nodes':
      onNodes(frame);
      break;
    case 'msg': {
      seeSeq(frame.seq);
      const m = parseMessage(frame);
      if (m) addIncoming(m, true);
      break;
    }
    case 'ack':
      onAck(frame);
      break;
    case 'status':
      onStatus(frame);
      break;
    case 'history':
      onHistory(frame);
      break;
    case 'mesh':
      onMesh(frame);
      break;
    case 'error': {
      const err = parseError(frame.error);
      const text = `Node error${err.code ? ` (${err.code})` : ''}: ${err.message}`;
      if (openKey !== undefined) addNotice(conversation(openKey), text, true);
      showHint(text, true);
      break;
    }
    default:
      break;
  }
  scheduleRender();
}

function onHello(frame: Record<string, unknown>): void {
  const node = frame.node;
  if (!isRecord(node)) return;
  const id = str(node.id);
  if (!id) return;
  selfNode = { id, url: str(node.url) ?? '' };
  attempt = 0; // a healthy handshake resets the backoff
  ui.selfId.textContent = id;
  ui.selfUrl.textContent = selfNode.url;
  ui.selfUrl.title = selfNode.url;
  conversation(id);
  renderConversationHead();
}

function parseNodeList(raw: unknown): NodeInfo[] {
  const list: NodeInfo[] = [];
  if (!Array.isArray(raw)) return list;
  const seen = new Set<string>();
  for (const item of raw) {
    if (!isRecord(item)) continue;
    const id = str(item.id);
    if (!id || id === EVERYONE || seen.has(id)) continue;
    seen.add(id);
    const info: NodeInfo = { id, url: str(item.url) ?? '' };
    const state = str(item.state);
    if (state) info.state = state;
    const incarnation = item.incarnation;
    if (typeof incarnation === 'number' && Number.isSafeInteger(incarnation) && incarnation >= 0)
      info.incarnation = incarnation;
    list.push(info);
  }
  return list;
}

function onNodes(frame: Record<string, unknown>): void {
  if (!Array.isArray(frame.nodes)) return;
  const list = parseNodeList(frame.nodes);
  const previous = nodes;
  nodes = list;
  const listed = new Set(list.map((n) => n.id));
  for (const n of previous) if (!listed.has(n.id)) goneNodes.set(n.id, n);
  for (const n of list) {
    goneNodes.delete(n.id);
    conversation(n.id);
  }
  if (nodesSynced) announceNodeChanges(previous, list);
  nodesSynced = true;
  meshVersion++;
  renderConversationHead();
}

function parseMessage(raw: Record<string, unknown>): ChatMessage | undefined {
  const from = str(raw.from);
  const msg = str(raw.msg);
  if (from === undefined || msg === undefined) return undefined;
  const m: ChatMessage = { from, to: str(raw.to) ?? '', msg };
  const id = str(raw.id);
  const ts = str(raw.ts);
  const user = str(raw.user);
  const seq = seqOf(raw.seq);
  if (id) m.id = id;
  if (ts) m.ts = ts;
  if (user) m.user = limitChars(user, MAX_USER_CHARS);
  if (seq !== undefined) m.seq = seq;
  return m;
}

function parseError(raw: unknown): { code: string; message: string } {
  if (!isRecord(raw)) return { code: '', message: 'unknown error' };
  return { code: str(raw.code) ?? '', message: str(raw.message) ?? str(raw.code) ?? 'unknown error' };
}

function parseStatus(raw: unknown): DeliveryStatus | undefined {
  switch (raw) {
    case 'delivered':
    case 'queued':
    case 'expired':
    case 'failed':
      return raw;
    default:
      return undefined;
  }
}

function onAck(frame: Record<string, unknown>): void {
  const ref = str(frame.ref);
  if (!ref) return;
  const entry = sentByRef.get(ref);
  if (!entry) return;
  sentByRef.delete(ref);

  if (frame.ok !== true) {
    const err = parseError(frame.error);
    entry.base = 'failed';
    entry.detail = err.code && err.message !== err.code ? `${err.message} (${err.code})` : err.message;
    renderTick(entry);
    return;
  }
  entry.base = parseStatus(frame.status) ?? 'delivered';
  entry.detail = undefined;
  const id = str(frame.id);
  if (id) {
    rememberSentId(id);
    // Our node may have pushed the message back to us before acking it: keep only our own copy.
    const dup = shownIds.get(id);
    if (dup && dup !== entry.item) removeLogItem(dup);
    registerSent(entry, id);
  }
  renderTick(entry);
}

function parseStatusFrame(frame: Record<string, unknown>): StatusUpdate | undefined {
  const status = parseStatus(frame.status);
  if (!status) return undefined;
  const update: StatusUpdate = { status };
  const node = str(frame.node);
  if (node) update.node = node;
  if (frame.error !== undefined) update.error = parseError(frame.error).message;
  return update;
}

function onStatus(frame: Record<string, unknown>): void {
  seeSeq(frame.seq);
  const id = str(frame.id);
  const update = parseStatusFrame(frame);
  if (!id || !update) return;
  const entry = sentById.get(id);
  if (entry) {
    applyStatus(entry, update);
    renderTick(entry);
    return;
  }
  const early = earlyStatus.get(id) ?? [];
  early.push(update);
  earlyStatus.delete(id);
  earlyStatus.set(id, early);
  if (earlyStatus.size > MAX_EARLY_STATUS) {
    const oldest = earlyStatus.keys().next().value;
    if (oldest !== undefined) earlyStatus.delete(oldest);
  }
}

/** A status frame for a message: per node for a broadcast, for the whole message otherwise. */
function applyStatus(entry: SentEntry, update: StatusUpdate): void {
  if (entry.to === EVERYONE && update.node !== undefined) {
    entry.perNode.set(update.node, update);
  } else {
    entry.base = update.status;
    entry.detail = update.error;
  }
}

/** Files a sent message under its id (status frames find it there) and applies any status that came early. */
function registerSent(entry: SentEntry, id: string): void {
  entry.id = id;
  entry.item.dataset.id = id;
  sentById.set(id, entry);
  shownIds.set(id, entry.item);
  const early = earlyStatus.get(id);
  if (early) {
    earlyStatus.delete(id);
    for (const update of early) applyStatus(entry, update);
  }
}

function onHistory(frame: Record<string, unknown>): void {
  if (!Array.isArray(frame.messages)) return;
  const raws = frame.messages.filter(isRecord);
  if (!firstHistorySeen) {
    firstHistorySeen = true;
    settleReadMarks(raws);
  }
  ui.log.setAttribute('aria-busy', 'true');
  const stick = isNearBottom();
  for (const raw of raws) {
    seeSeq(raw.seq);
    const m = parseMessage(raw);
    if (!m) continue;
    const status = parseStatus(raw.status);
    const known = m.id ? sentById.get(m.id) : undefined;
    if (known) {
      // A message we already show as sent: the history brings its latest status (a change while away).
      if (status) {
        known.base = status;
        known.detail = undefined;
        renderTick(known);
      }
      continue;
    }
    if (status && m.from === selfNode?.id) {
      m.status = status;
      if (adoptUnconfirmed(m, status)) continue;
    }
    addIncoming(m, false);
  }
  ui.log.removeAttribute('aria-busy');
  if (stick) scrollToBottom();
  forgetStaleOpenConversation();
}

/**
 * A conversation remembered from an earlier visit with a node this network does not know (any more), and
 * nothing in it: the page opens Everyone instead of an empty conversation with a stranger.
 */
function forgetStaleOpenConversation(): void {
  const key = openKey;
  if (key === undefined || key === EVERYONE || key === selfNode?.id || nodes.length === 0) return;
  if (peerInfo(key) || (conversations.get(key)?.entries.length ?? 0) > 0) return;
  conversations.delete(key);
  selectConversation(EVERYONE);
}

/**
 * The first history of a page load decides whether the stored read marks still fit this node: on a first
 * visit, or when the node's history cursor went back (it lost its data), everything in it counts as read.
 */
function settleReadMarks(raws: Record<string, unknown>[]): void {
  let top = 0;
  for (const raw of raws) top = Math.max(top, seqOf(raw.seq) ?? 0);
  if (!readMarks || top < readMarks.top) {
    readMarks = { base: top, top, convs: {} };
    readMarksDirty = true;
  }
}

/**
 * A message sent from this page whose ack was lost with the connection, found again in the history (same
 * destination, text and name): it gets its id and its real status instead of a second copy in the log.
 */
function adoptUnconfirmed(m: ChatMessage, status: DeliveryStatus): boolean {
  if (!m.id || shownIds.has(m.id)) return false;
  const i = unconfirmed.findIndex(
    (e) => e.id === undefined && e.to === m.to && e.msg === m.msg && (e.user ?? '') === (m.user ?? ''),
  );
  const entry = unconfirmed[i];
  if (!entry) return false;
  unconfirmed.splice(i, 1);
  rememberSentId(m.id);
  entry.base = status;
  entry.detail = undefined;
  registerSent(entry, m.id);
  renderTick(entry);
  return true;
}

/**
 * Our node pushes a message to self or to everyone back to its users, often before the ack: the copy that
 * matches a send still waiting for its ack is that send, not a new message.
 */
function adoptEcho(m: ChatMessage): boolean {
  if (!m.id || m.from !== selfNode?.id) return false;
  for (const entry of sentByRef.values()) {
    if (
      entry.id === undefined &&
      entry.to === m.to &&
      entry.msg === m.msg &&
      (entry.user ?? '') === (m.user ?? '')
    ) {
      rememberSentId(m.id);
      registerSent(entry, m.id);
      return true;
    }
  }
  return false;
}

function onMesh(frame: Record<string, unknown>): void {
  if (!Array.isArray(frame.nodes)) return;
  const parsed = parseNodeList(frame.nodes);
  let cut = parsed.length > MAX_MESH_NODES;
  const meshNodes: MeshNode[] = parsed
    .slice(0, MAX_MESH_NODES)
    .map((n) => ({ id: n.id, url: n.url, state: n.state ?? 'alive' }));
  const known = new Set(meshNodes.map((n) => n.id));
  const links: MeshLink[] = [];
  const seen = new Set<string>();
  for (const raw of Array.isArray(frame.links) ? frame.links : []) {
    if (!isRecord(raw)) continue;
    const from = str(raw.from);
    const to = str(raw.to);
    if (!from || !to || from === to || from === EVERYONE || to === EVERYONE) continue;
    const key = JSON.stringify([from, to]);
    if (seen.has(key)) continue;
    // A link to a node the frame does not describe still shows: that node is drawn with an unknown state.
    for (const id of [from, to]) {
      if (known.has(id)) continue;
      if (meshNodes.length >= MAX_MESH_NODES) break;
      known.add(id);
      meshNodes.push({ id, url: '', state: 'unknown' });
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
  meshFrame = { nodes: meshNodes, links, cut };
  meshVersion++;
}

// ---------------------------------------------------------------------------------------------------------
// Nodes and their states.

function stateOfRaw(state: string | undefined): ShownState {
  const s = state ?? 'alive';
  // A node that left on purpose is as gone as one found dead: both are drawn as down.
  if (s === 'left') return 'dead';
  return s === 'alive' || s === 'suspect' || s === 'dead' ? s : 'other';
}

/** A node's state as this page shows it: from the node list; down once it left the list. */
function peerState(id: string): ShownState {
  if (id === EVERYONE) return 'alive';
  const listed = nodes.find((n) => n.id === id);
  if (listed) return stateOfRaw(listed.state);
  if (id === selfNode?.id) return 'alive';
  return nodes.length > 0 || goneNodes.has(id) ? 'dead' : 'other';
}

function peerInfo(id: string): NodeInfo | undefined {
  return nodes.find((n) => n.id === id) ?? goneNodes.get(id);
}

const STATE_TEXT: Record<NodeState, string> = {
  alive: 'up',
  suspect: 'not answering',
  dead: 'down',
};

/** A state this page does not know is shown as the node sent it. */
function stateWords(state: ShownState, raw?: string): string {
  if (raw === 'left') return 'left';
  return state === 'other' ? raw || 'unknown' : STATE_TEXT[state];
}

/** The log line for a peer whose state changed between two lists, or undefined when it did not. */
function stateChangeText(before: NodeInfo, after: NodeInfo): string | undefined {
  if ((before.state ?? 'alive') === (after.state ?? 'alive')) return undefined;
  switch (stateOfRaw(after.state)) {
    case 'alive':
      return `${after.id} is back`;
    case 'suspect':
      return `${after.id} is not answering`;
    case 'dead':
      return `${after.id} left or went down`;
    default:
      return `${after.id} is ${after.state ?? 'unknown'}`;
  }
}

/** One notice per peer that joined, changed state or left, in that peer's conversation. */
function announceNodeChanges(previous: readonly NodeInfo[], next: readonly NodeInfo[]): void {
  const before = new Map(previous.map((n) => [n.id, n]));
  const after = new Set(next.map((n) => n.id));
  const changes: { id: string; text: string }[] = [];
  for (const n of next) {
    if (n.id === selfNode?.id) continue;
    const old = before.get(n.id);
    const text = old ? stateChangeText(old, n) : `${n.id} joined`;
    if (text) changes.push({ id: n.id, text });
  }
  for (const n of previous) {
    if (!after.has(n.id) && n.id !== selfNode?.id)
      changes.push({ id: n.id, text: `${n.id} left or went down` });
  }
  for (const change of changes.slice(0, MAX_NODE_NOTICES)) {
    addNotice(conversation(change.id), change.text, false, 'notice-node');
  }
  if (changes.length > MAX_NODE_NOTICES) {
    announce(`${plural(changes.length, 'change')} to the node list`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Conversations.

function conversation(key: string): Conversation {
  let conv = conversations.get(key);
  if (!conv) {
    conv = { key, entries: [], unread: 0, lastTime: 0 };
    conversations.set(key, conv);
  }
  return conv;
}

function conversationKeyOf(m: { from: string; to: string }): string {
  if (m.to === EVERYONE) return EVERYONE;
  if (m.from === selfNode?.id) return m.to || m.from;
  return m.from;
}

function convName(key: string): string {
  return key === EVERYONE ? 'Everyone' : key;
}

/** The user reads `key` now: it is open, its pane is on screen and the tab is visible. */
function isReading(key: string): boolean {
  return key === openKey && chatOnScreen() && !document.hidden;
}

function markRead(conv: Conversation): void {
  if (conv.unread !== 0) {
    conv.unread = 0;
    scheduleRender();
  }
  if (readMarks && conv.maxSeq !== undefined && conv.maxSeq > (readMarks.convs[conv.key] ?? -1)) {
    readMarks.convs[conv.key] = conv.maxSeq;
    readMarksDirty = true;
  }
}

function markOpenRead(): void {
  if (openKey !== undefined && isReading(openKey)) markRead(conversation(openKey));
}

function totalUnread(): number {
  let n = 0;
  for (const conv of conversations.values()) n += conv.unread;
  return n;
}

/** Makes `key` the open conversation (log, header, composer target) without changing panes or focus. */
function selectConversation(key: string): Conversation {
  const changed = key !== openKey;
  openKey = key;
  storageSet(STORAGE_DEST, key);
  const conv = conversation(key);
  if (changed) {
    meshVersion++;
    renderLog(conv);
  }
  renderConversationHead();
  scheduleRender();
  return conv;
}

/** Opens a conversation from the list or the map: its pane comes to the front and takes the focus. */
function openConversation(key: string): void {
  const conv = selectConversation(key);
  if (view === 'mesh') leaveMeshForChat();
  else setView('chat', true);
  markRead(conv);
  // On a touch screen, focusing the box would pop up the keyboard over the conversation.
  if (coarsePointer.matches) ui.convTitle.focus();
  else ui.message.focus();
}

/** Escape / the back button: from the conversation (or map) to the list. */
function goBack(): void {
  if (view === 'mesh') {
    closeMesh();
    return;
  }
  if (isNarrow()) {
    if (isRecord(history.state) && history.state.meshchat === 'chat') history.back();
    else setView('list', false);
  }
  focusListItem(openKey);
}

function openMesh(): void {
  if (view === 'mesh') return;
  viewBeforeMesh = view;
  setView('mesh', true);
  const target =
    ui.mesh.querySelector<SVGGElement>('.mesh-node[tabindex="0"]') ?? ui.mesh.querySelector('.mesh-node');
  if (target instanceof SVGGElement) target.focus();
  else ui.meshPanel.focus();
}

/**
 * The map is a side trip: a conversation opened from it takes its place in the browser history, so "back"
 * from that conversation goes to the list (phone) and not to the map again.
 */
function leaveMeshForChat(): void {
  const inHistory = isRecord(history.state) && history.state.meshchat === 'mesh';
  if (!inHistory) {
    setView('chat', true);
    return;
  }
  if (viewBeforeMesh === 'chat' || !isNarrow()) history.back();
  else replaceHistory('chat');
  setView('chat', false);
}

function replaceHistory(v: View): void {
  try {
    history.replaceState({ meshchat: v }, '');
  } catch {
    // ignore: see setView
  }
}

function closeMesh(): void {
  if (view !== 'mesh') return;
  if (isRecord(history.state) && history.state.meshchat === 'mesh') history.back();
  else setView(viewBeforeMesh === 'mesh' ? defaultView() : viewBeforeMesh, false);
  ui.meshToggle.focus();
}

// ---------------------------------------------------------------------------------------------------------
// Views and layout.

const narrowQuery = window.matchMedia('(max-width: 720px)');
const wideQuery = window.matchMedia('(min-width: 1100px)');
const coarsePointer = window.matchMedia('(pointer: coarse)');

function isNarrow(): boolean {
  return narrowQuery.matches;
}

function isWide(): boolean {
  return wideQuery.matches;
}

function defaultView(): View {
  return isNarrow() ? 'list' : 'chat';
}

/** The conversation pane is visible (a phone shows one pane; a mid-size screen swaps chat and map). */
function chatOnScreen(): boolean {
  if (openKey === undefined) return false;
  if (isNarrow()) return view === 'chat';
  if (!isWide()) return view !== 'mesh';
  return true;
}

/**
 * Shows a pane. `push` adds a browser history step where the pane covers another one (a phone's chat over
 * the list, the map over the chat below laptop width), so the browser's back button goes back too.
 */
function setView(next: View, push: boolean): void {
  let v = next;
  if (v === 'list' && !isNarrow()) v = 'chat';
  if (v === 'mesh' && isWide()) v = 'chat';
  if (v === 'chat' && openKey === undefined) v = isNarrow() ? 'list' : 'chat';
  const covers = (v === 'chat' && isNarrow()) || (v === 'mesh' && !isWide());
  if (push && covers && v !== view) {
    try {
      history.pushState({ meshchat: v }, '');
    } catch {
      // A sandboxed page may refuse; the in-page back button still works.
    }
  }
  view = v;
  document.body.dataset.view = v;
  ui.meshToggle.setAttribute('aria-pressed', v === 'mesh' ? 'true' : 'false');
  markOpenRead();
  scheduleRender();
}

/** Crossing a breakpoint: setView settles panes that no longer exist at this width (a list view on a laptop). */
function onLayoutChange(): void {
  setView(view, false);
}

// ---------------------------------------------------------------------------------------------------------
// Rendering, batched: many frames in one task (a history, a burst) render the list and the map once.

let renderQueued = false;

function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  queueMicrotask(flushRender);
}

function flushRender(): void {
  renderQueued = false;
  renderSidebar();
  renderMesh();
  const total = totalUnread();
  const base = selfNode ? `meshchat · ${selfNode.id}` : 'meshchat';
  document.title = total > 0 ? `(${total}) ${base}` : base;
  if (readMarksDirty && readMarks) {
    readMarksDirty = false;
    storageSet(STORAGE_READ, JSON.stringify(readMarks));
  }
}

/** Everyone first, then this node, then the others by id; nodes that are down go last. */
function sortedConversations(): Conversation[] {
  const selfId = selfNode?.id;
  const rank = (c: Conversation): number => {
    if (c.key === EVERYONE) return 0;
    if (c.key === selfId) return 1;
    return peerState(c.key) === 'dead' ? 3 : 2;
  };
  return [...conversations.values()].sort((a, b) => rank(a) - rank(b) || byCodeUnits(a.key, b.key));
}

interface ListItem {
  li: HTMLLIElement;
  btn: HTMLButtonElement;
  sig: string;
}

/** The list's items by conversation key: updated in place, so a click is never lost to a re-render. */
const listItems = new Map<string, ListItem>();

function renderSidebar(): void {
  const active = document.activeElement;
  const focusedId =
    active instanceof HTMLElement && ui.nodeList.contains(active) ? active.dataset.nodeId : undefined;
  const convs = nodes.length > 0 || conversations.size > 1 ? sortedConversations() : [];
  const rovingId =
    focusedId ?? (openKey !== undefined && conversations.has(openKey) ? openKey : convs[0]?.key);

  const keep = new Set<string>();
  let index = 0;
  for (const conv of convs) {
    keep.add(conv.key);
    let item = listItems.get(conv.key);
    if (!item) {
      const li = el('li');
      const btn = el('button', 'node conv-item');
      btn.type = 'button';
      btn.dataset.nodeId = conv.key;
      btn.dataset.testid = 'conversation-item';
      const key = conv.key;
      btn.addEventListener('click', () => openConversation(key));
      li.append(btn);
      item = { li, btn, sig: '' };
      listItems.set(conv.key, item);
    }
    fillConversationItem(item, conv);
    item.btn.tabIndex = conv.key === rovingId ? 0 : -1;
    if (ui.nodeList.children[index] !== item.li)
      ui.nodeList.insertBefore(item.li, ui.nodeList.children[index] ?? null);
    index++;
  }
  for (const [key, item] of listItems) {
    if (keep.has(key)) continue;
    item.li.remove();
    listItems.delete(key);
  }
  ui.nodeCount.textContent = nodes.length ? String(nodes.length) : '';
  ui.nodesEmpty.hidden = convs.length > 0;
}

function fillConversationItem(item: ListItem, conv: Conversation): void {
  const key = conv.key;
  const isSelf = key === selfNode?.id;
  const state = peerState(key);
  const info = peerInfo(key);
  const url = info?.url ?? (isSelf ? selfNode?.url : undefined);
  const when = conv.lastTime > 0 ? shortWhen(conv.lastTime) : '';
  const sig = JSON.stringify([
    isSelf,
    state,
    info?.state,
    url,
    conv.preview,
    when,
    conv.unread,
    key === openKey,
    key === EVERYONE ? nodes.length : 0,
  ]);
  if (sig === item.sig) return;
  item.sig = sig;

  const btn = item.btn;
  btn.dataset.state = key === EVERYONE ? 'all' : state;
  if (key === openKey) btn.setAttribute('aria-current', 'true');
  else btn.removeAttribute('aria-current');
  btn.classList.toggle('node-everyone', key === EVERYONE);
  btn.classList.toggle('is-self', isSelf);

  const avatar = el('span', `avatar ${hueClass(key)}`, initial(key));
  avatar.setAttribute('aria-hidden', 'true');
  if (key !== EVERYONE) avatar.append(el('span', `avatar-state state-${state}`));

  const body = el('span', 'node-body');
  const line = el('span', 'node-line');
  line.append(el('span', 'node-id', convName(key)));
  if (isSelf) line.append(el('span', 'badge badge-self', 'this node'));
  if (when) line.append(el('span', 'conv-when', when));
  body.append(line);

  const sub = el('span', 'node-sub');
  if (key === EVERYONE) {
    sub.append(el('span', 'node-state state-all', `broadcast · ${plural(nodes.length, 'node')}`));
  } else {
    sub.append(renderStateLabel(state, info?.state));
  }
  if (conv.preview !== undefined) sub.append(el('span', 'conv-preview', conv.preview));
  else if (url) sub.append(el('span', 'node-url', url));
  body.append(sub);

  const badge = el('span', 'unread', conv.unread > 99 ? '99+' : String(conv.unread));
  badge.dataset.unread = String(conv.unread);
  badge.dataset.testid = 'unread';
  badge.hidden = conv.unread === 0;
  badge.setAttribute('aria-hidden', 'true');
  btn.replaceChildren(avatar, body, badge);

  const label = [convName(key)];
  if (key === EVERYONE) label.push(`broadcast to ${plural(nodes.length, 'node')}`);
  else label.push(isSelf ? `this node, ${stateWords(state)}` : stateWords(state, info?.state));
  if (conv.unread > 0) label.push(plural(conv.unread, 'unread message'));
  btn.setAttribute('aria-label', label.join(', '));
  btn.title = url ? `${key} — ${url}` : convName(key);
}

/** A dot (its shape differs per state, not only its colour) followed by the state in words. */
function renderStateLabel(state: ShownState, raw?: string): HTMLElement {
  const label = el('span', `node-state state-${state}`);
  const dot = el('span', 'state-dot');
  dot.setAttribute('aria-hidden', 'true');
  label.append(dot, document.createTextNode(stateWords(state, raw)));
  return label;
}

function listButtons(): HTMLButtonElement[] {
  return Array.from(ui.nodeList.querySelectorAll<HTMLButtonElement>('button[data-node-id]'));
}

function focusListItem(key: string | undefined): void {
  const buttons = listButtons();
  const target = buttons.find((b) => b.dataset.nodeId === key) ?? buttons[0];
  if (!target) return;
  for (const b of buttons) b.tabIndex = b === target ? 0 : -1;
  target.focus();
}

function onListKeydown(ev: KeyboardEvent): void {
  const buttons = listButtons();
  const active = document.activeElement;
  const current = active instanceof HTMLButtonElement ? buttons.indexOf(active) : -1;
  if (current < 0) return;
  let next: number;
  switch (ev.key) {
    case 'ArrowDown':
      next = (current + 1) % buttons.length;
      break;
    case 'ArrowUp':
      next = (current - 1 + buttons.length) % buttons.length;
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = buttons.length - 1;
      break;
    default:
      return;
  }
  ev.preventDefault();
  focusListItem(buttons[next]?.dataset.nodeId);
}

function renderConversationHead(): void {
  const key = openKey;
  ui.destId.replaceChildren();
  ui.convSub.replaceChildren();
  if (key === undefined) {
    ui.destId.textContent = '—';
    ui.convAvatar.textContent = '';
    ui.messageLabel.textContent = 'Message';
    return;
  }
  const name = convName(key);
  ui.destId.textContent = name;
  ui.convAvatar.className = `avatar conv-avatar ${hueClass(key)}`;
  ui.convAvatar.textContent = initial(key);
  ui.chat.dataset.nodeId = key;
  ui.messageLabel.textContent = key === EVERYONE ? 'Message to every node' : `Message to ${key}`;
  ui.message.placeholder = key === EVERYONE ? 'Write to everyone…' : `Write to ${key}…`;
  ui.log.setAttribute('aria-label', `Messages with ${name}`);
  ui.log.dataset.empty =
    key === EVERYONE
      ? 'No broadcasts yet. What you write here goes to every node.'
      : `No messages with ${key} yet. Say hello.`;

  if (key === EVERYONE) {
    ui.convSub.append(el('span', 'node-state state-all', `broadcast to ${plural(nodes.length, 'node')}`));
    ui.chat.dataset.state = 'all';
    return;
  }
  const state = peerState(key);
  ui.chat.dataset.state = state;
  ui.convSub.append(renderStateLabel(state, peerInfo(key)?.state));
  if (key === selfNode?.id) ui.convSub.append(el('span', 'conv-note', 'this node'));
  const url = peerInfo(key)?.url ?? (key === selfNode?.id ? selfNode.url : undefined);
  if (url) ui.convSub.append(el('span', 'node-url', url));
  if (state === 'suspect' || state === 'dead') {
    ui.convSub.append(el('span', 'conv-note', 'messages wait for it and are delivered when it is back'));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rendering: the open conversation's log.

function isNearBottom(): boolean {
  const l = ui.log;
  return l.scrollHeight - l.scrollTop - l.clientHeight < 80;
}

function scrollToBottom(): void {
  ui.log.scrollTop = ui.log.scrollHeight;
  ui.jumpLatest.hidden = true;
}

function renderLog(conv: Conversation): void {
  ui.log.replaceChildren(...conv.entries.map((e) => e.item));
  scrollToBottom();
}

function insertLogItem(conv: Conversation, item: HTMLLIElement, time: number, inOrder: boolean): void {
  const entries = conv.entries;
  // Live items go at the end; history is placed by its timestamp.
  let index = entries.length;
  if (inOrder) {
    while (index > 0 && (entries[index - 1]?.time ?? 0) > time) index--;
  }
  const before = entries[index]?.item ?? null;
  entries.splice(index, 0, { time, item });
  convOfItem.set(item, conv);
  if (conv.key === openKey) ui.log.insertBefore(item, before);

  while (entries.length > MAX_CONV_ITEMS) {
    const old = entries.shift();
    if (!old) break;
    old.item.remove();
    const oldId = old.item.dataset.id;
    if (oldId && shownIds.get(oldId) === old.item) shownIds.delete(oldId);
    if (oldId && sentById.get(oldId)?.item === old.item) sentById.delete(oldId);
  }
}

function removeLogItem(item: HTMLLIElement): void {
  const conv = convOfItem.get(item);
  if (conv) {
    const i = conv.entries.findIndex((e) => e.item === item);
    if (i >= 0) conv.entries.splice(i, 1);
  }
  item.remove();
}

function notePreview(conv: Conversation, who: string, text: string, time: number): void {
  if (time < conv.lastTime) return;
  conv.lastTime = time;
  conv.preview = `${who}: ${ellipsize(text, PREVIEW_CHARS)}`;
}

function noteSeq(conv: Conversation, seq: number | undefined): void {
  if (seq !== undefined && (conv.maxSeq === undefined || seq > conv.maxSeq)) conv.maxSeq = seq;
}

/**
 * `mine`: sent from this node. `byThisPage`: sent from this browser (labelled "you"); a message another user
 * of this node sent is labelled with its name and "this node".
 */
function buildMessageItem(
  m: ChatMessage,
  mine: boolean,
  byThisPage = true,
): { item: HTMLLIElement; time: Date } {
  const time = parseTime(m.ts);
  const item = el('li', mine ? 'msg mine' : 'msg');
  if (m.id) item.dataset.id = m.id;
  item.dataset.from = m.from;
  item.dataset.to = m.to;
  item.dataset.mine = mine ? 'true' : 'false';

  const meta = el('div', 'msg-meta');
  let label = m.user ?? 'anonymous';
  if (mine && byThisPage) label = m.user ? `${m.user} (you)` : 'You';
  else if (mine) label = m.user ? `${m.user} (this node)` : 'Sent from this node';
  const who = el('span', 'msg-user', label);
  if (!m.user && !mine) who.classList.add('is-anon');
  meta.append(who);

  const from = el('span', `msg-from ${hueClass(m.from)}`);
  from.append(document.createTextNode(`@${m.from}`));
  from.title = `sent from node ${m.from}`;
  meta.append(from);

  const today = time.toDateString() === new Date().toDateString();
  const t = el('time', 'msg-time', today ? hhmm(time) : `${shortWhen(time.getTime())} ${hhmm(time)}`);
  t.dateTime = time.toISOString();
  t.title = time.toLocaleString();
  meta.append(t);
  item.append(meta);

  const text = el('div', 'msg-text', m.msg);
  item.append(text);

  if (m.msg.length > LONG_MESSAGE_CHARS) {
    text.classList.add('is-clamped');
    const more = el(
      'button',
      'btn btn-link msg-more',
      `Show full message (${formatBytes(utf8Bytes(m.msg))})`,
    );
    more.type = 'button';
    more.setAttribute('aria-expanded', 'false');
    more.addEventListener('click', () => {
      const expanded = text.classList.toggle('is-clamped') === false;
      more.setAttribute('aria-expanded', expanded ? 'true' : 'false');
      more.textContent = expanded ? 'Show less' : `Show full message (${formatBytes(utf8Bytes(m.msg))})`;
    });
    item.append(more);
  }
  return { item, time };
}

/**
 * Shows a received or history message once per id, in its conversation. It is ours (with a tick that status
 * frames update) when this browser remembers sending it, or when it is a history entry with a status sent
 * from this node.
 */
function addIncoming(m: ChatMessage, live: boolean): void {
  if (m.id) {
    if (shownIds.has(m.id) || sentById.has(m.id)) return;
  }
  if (live && adoptEcho(m)) return;
  const remembered = m.id !== undefined && rememberedSentIds.has(m.id);
  const mine = remembered || (m.status !== undefined && m.from === selfNode?.id);
  const conv = conversation(conversationKeyOf(m));
  const isOpen = conv.key === openKey;
  const stick = isOpen && isNearBottom();
  const { item, time } = buildMessageItem(m, mine, remembered);
  if (mine) {
    const tick = el('div', 'tick');
    item.append(tick);
    const entry: SentEntry = {
      to: m.to,
      msg: m.msg,
      item,
      tick,
      status: 'sent',
      base: m.status ?? 'sent',
      perNode: new Map(),
    };
    if (m.user) entry.user = m.user;
    if (m.id) registerSent(entry, m.id);
    renderTick(entry);
  }
  if (m.id) shownIds.set(m.id, item);
  insertLogItem(conv, item, time.getTime(), !live);
  const who = remembered ? 'You' : mine ? (m.user ?? 'this node') : (m.user ?? `@${m.from}`);
  notePreview(conv, who, m.msg, time.getTime());
  noteSeq(conv, m.seq);

  if (mine) {
    if (isReading(conv.key)) markRead(conv);
  } else if (isReading(conv.key)) {
    markRead(conv);
    if (live) announce(`${m.user ?? 'anonymous'} at ${m.from}: ${ellipsize(m.msg, ANNOUNCE_CHARS)}`);
  } else if (live) {
    conv.unread += 1;
    announce(`New message from ${m.user ?? 'anonymous'} at ${m.from} in ${convName(conv.key)}`);
  } else if (readMarks && m.seq !== undefined && m.seq > (readMarks.convs[conv.key] ?? readMarks.base)) {
    // Missed while this page was closed or disconnected.
    conv.unread += 1;
  }

  if (isOpen && live) {
    if (stick) scrollToBottom();
    else ui.jumpLatest.hidden = false;
  }
}

function addNotice(conv: Conversation, text: string, isError = false, extraClass?: string): void {
  const isOpen = conv.key === openKey;
  const stick = isOpen && isNearBottom();
  const item = el('li', isError ? 'notice notice-error' : 'notice', text);
  if (extraClass) item.classList.add(extraClass);
  insertLogItem(conv, item, Date.now(), false);
  if (stick) scrollToBottom();
}

/** Polite screen-reader announcement (new messages); only the last few stay in the live region. */
function announce(text: string): void {
  ui.announcer.append(el('p', undefined, text));
  while (ui.announcer.childElementCount > 3) ui.announcer.firstElementChild?.remove();
}

const TICK_TEXT: Record<DeliveryStatus, string> = {
  sending: 'sending…',
  delivered: '✓ delivered',
  queued: '◷ queued',
  expired: '✗ expired',
  failed: '✗ failed',
  unconfirmed: '? not confirmed',
  sent: 'sent',
};

function setTick(entry: SentEntry, status: DeliveryStatus, text: string): void {
  entry.status = status;
  entry.tick.dataset.status = status;
  entry.item.dataset.status = status;
  entry.tick.textContent = text;
}

function nodeOutcome(u: StatusUpdate, node: string): string {
  return u.status === 'failed' && u.error ? `${node} (failed: ${u.error})` : `${node} (${u.status})`;
}

/**
 * Shows a sent message's status. A direct message shows its own status. A broadcast never shows more than is
 * known: any node that reported expired/failed makes it "not delivered to …" (failed wins over expired), even
 * when other nodes got it; it is "delivered" only when the node said so for the whole broadcast.
 */
function renderTick(entry: SentEntry): void {
  const base = entry.base;
  const plain = (status: DeliveryStatus): string =>
    entry.detail ? `${TICK_TEXT[status]}: ${entry.detail}` : TICK_TEXT[status];
  if (entry.to !== EVERYONE || base === 'sending') {
    setTick(entry, base, plain(base));
    return;
  }
  const bad: string[] = [];
  const good: string[] = [];
  let worst: DeliveryStatus | undefined;
  for (const [node, u] of entry.perNode) {
    if (u.status === 'failed' || u.status === 'expired') {
      bad.push(nodeOutcome(u, node));
      if (worst !== 'failed') worst = u.status;
    } else if (u.status === 'delivered') {
      good.push(node);
    }
  }
  if (base === 'failed' || base === 'expired')
    worst = worst === 'failed' || base === 'failed' ? 'failed' : base;
  if (worst) {
    const parts = [bad.length > 0 ? `✗ not delivered to ${bad.join(', ')}` : `${TICK_TEXT[worst]}`];
    if (bad.length === 0 && entry.detail) parts[0] = `${parts[0]}: ${entry.detail}`;
    if (good.length > 0) parts.push(`delivered to ${good.join(', ')}`);
    setTick(entry, worst, parts.join('; '));
  } else if (base === 'delivered') {
    setTick(entry, 'delivered', '✓ delivered to every node');
  } else if (base === 'queued') {
    setTick(
      entry,
      'queued',
      good.length > 0
        ? `◷ delivered to ${good.join(', ')}; queued for the others`
        : '◷ queued: not every node took it yet',
    );
  } else if (good.length > 0) {
    setTick(entry, base, `${plain(base)} · delivered to ${good.join(', ')}`);
  } else {
    setTick(entry, base, plain(base));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rendering: the network map (inline SVG built with DOM calls, deterministic circular layout).

const NODE_R = 18;
const MESH_MIN = { width: 420, height: 340 };

function currentGraph(): MeshGraph {
  if (meshFrame) return { source: 'mesh', nodes: withGoneNodes(meshFrame.nodes), links: meshFrame.links };
  const selfId = selfNode?.id;
  const list: MeshNode[] = nodes
    .slice(0, MAX_MESH_NODES)
    .map((n) => ({ id: n.id, url: n.url, state: n.state ?? 'alive' }));
  if (selfNode && !list.some((n) => n.id === selfNode?.id)) {
    list.unshift({ id: selfNode.id, url: selfNode.url, state: 'alive' });
  }
  const links =
    selfId === undefined ? [] : list.filter((n) => n.id !== selfId).map((n) => ({ from: selfId, to: n.id }));
  return { source: 'star', nodes: withGoneNodes(list), links };
}

/**
 * Nodes that dropped out of this page's node list are shown as down, on the map as in the list: those the
 * map does not draw already are added, as down and with no links.
 */
function withGoneNodes(drawn: MeshNode[]): MeshNode[] {
  const ids = new Set(drawn.map((n) => n.id));
  const gone: MeshNode[] = [];
  for (const n of goneNodes.values()) {
    if (drawn.length + gone.length >= MAX_MESH_NODES) break;
    if (!ids.has(n.id) && n.id !== selfNode?.id) gone.push({ id: n.id, url: n.url, state: 'dead' });
  }
  return gone.length > 0 ? [...drawn, ...gone] : drawn;
}

/** This node at the top, the others clockwise in id order, on one circle sized so neighbours keep apart. */
function circleLayout(ids: string[]): { pos: Map<string, { x: number; y: number }>; radius: number } {
  const selfId = selfNode?.id;
  const order = [...ids].sort((a, b) => {
    if (a === selfId) return -1;
    if (b === selfId) return 1;
    return byCodeUnits(a, b);
  });
  const n = order.length;
  const radius = n <= 1 ? 0 : Math.max(n === 2 ? 80 : 115, (n * 70) / (2 * Math.PI));
  const pos = new Map<string, { x: number; y: number }>();
  order.forEach((id, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, n);
    pos.set(id, { x: round1(radius * Math.cos(angle)), y: round1(radius * Math.sin(angle)) });
  });
  return { pos, radius };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function meshLabel(id: string): string {
  return ellipsize(id, 16);
}

/** What the map was last drawn from; it is drawn again only when this changes. */
let meshDrawn = '';
let meshVersion = 0;

function renderMesh(): void {
  const unreadSig: string[] = [];
  for (const conv of conversations.values())
    if (conv.unread > 0) unreadSig.push(`${conv.key}:${conv.unread}`);
  const sig = JSON.stringify([meshVersion, selfNode?.id, openKey, unreadSig]);
  if (sig === meshDrawn) return;
  meshDrawn = sig;
  const graph = currentGraph();
  const active = document.activeElement;
  const focusedId =
    active instanceof SVGGElement && ui.mesh.contains(active) ? active.dataset.nodeId : undefined;
  const selfId = selfNode?.id;
  const { pos, radius } = circleLayout(graph.nodes.map((n) => n.id));
  ui.mesh.setAttribute('viewBox', meshViewBox(pos, radius));
  ui.mesh.dataset.source = graph.source;
  ui.mesh.dataset.nodes = String(graph.nodes.length);
  ui.mesh.dataset.links = String(graph.links.length);

  const linkKeys = new Set(graph.links.map((l) => JSON.stringify([l.from, l.to])));
  const outDegree = new Map<string, number>();
  const inDegree = new Map<string, number>();
  for (const l of graph.links) {
    outDegree.set(l.from, (outDegree.get(l.from) ?? 0) + 1);
    inDegree.set(l.to, (inDegree.get(l.to) ?? 0) + 1);
  }

  const defs = svg('defs');
  for (const [markerId, cls] of [
    ['mesh-arrow', 'mesh-arrow'],
    ['mesh-arrow-active', 'mesh-arrow is-active'],
  ] as const) {
    const marker = svg('marker', {
      id: markerId,
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      markerUnits: 'userSpaceOnUse',
      orient: 'auto',
    });
    marker.append(svg('path', { d: 'M0,0L10,5L0,10Z', class: cls }));
    defs.append(marker);
  }

  const edges = svg('g', { class: 'mesh-edges' });
  for (const link of graph.links) {
    const a = pos.get(link.from);
    const b = pos.get(link.to);
    if (!a || !b) continue;
    const mutual = linkKeys.has(JSON.stringify([link.to, link.from]));
    const path = svg('path', { class: 'mesh-edge', d: edgePath(a, b, mutual) });
    path.dataset.from = link.from;
    path.dataset.to = link.to;
    path.dataset.testid = 'mesh-edge';
    if (mutual) path.dataset.mutual = 'true';
    const isActive = openKey !== undefined && (link.from === openKey || link.to === openKey);
    if (isActive) path.classList.add('is-active');
    path.setAttribute('marker-end', `url(#${isActive ? 'mesh-arrow-active' : 'mesh-arrow'})`);
    edges.append(path);
  }

  const group = svg('g', { class: 'mesh-nodes' });
  const order = [...graph.nodes].sort((x, y) => {
    if (x.id === selfId) return -1;
    if (y.id === selfId) return 1;
    return byCodeUnits(x.id, y.id);
  });
  const rovingId =
    focusedId ?? (openKey !== undefined && pos.has(openKey) ? openKey : (selfId ?? order[0]?.id));
  for (const node of order) {
    const p = pos.get(node.id);
    if (!p) continue;
    group.append(
      renderMeshNode(node, p, {
        tabbable: node.id === rovingId,
        lists: outDegree.get(node.id) ?? 0,
        listedBy: inDegree.get(node.id) ?? 0,
        radius,
      }),
    );
  }
  ui.mesh.replaceChildren(defs, edges, group);
  if (focusedId !== undefined) focusMeshNode(focusedId);
  renderMeshSummary(graph);
}

/** Labels go above the nodes in the circle's upper part (edges leave them downwards), below the others. */
function labelAbove(p: { y: number }, radius: number): boolean {
  return radius > 0 && p.y < -radius * 0.3;
}

/** The drawing's box with room for labels, at least MESH_MIN wide and high so a small mesh is not blown up. */
function meshViewBox(pos: Map<string, { x: number; y: number }>, radius: number): string {
  let minX = 0;
  let maxX = 0;
  let minY = 0;
  let maxY = 0;
  for (const p of pos.values()) {
    const above = labelAbove(p, radius);
    minX = Math.min(minX, p.x - NODE_R - 70);
    maxX = Math.max(maxX, p.x + NODE_R + 70);
    minY = Math.min(minY, p.y - NODE_R - (above ? 40 : 10));
    maxY = Math.max(maxY, p.y + NODE_R + (above ? 10 : 36));
  }
  const width = Math.max(MESH_MIN.width, maxX - minX);
  const height = Math.max(MESH_MIN.height, maxY - minY);
  const x = (minX + maxX) / 2 - width / 2;
  const y = (minY + maxY) / 2 - height / 2;
  return `${round1(x)} ${round1(y)} ${round1(width)} ${round1(height)}`;
}

function edgePath(a: { x: number; y: number }, b: { x: number; y: number }, mutual: boolean): string {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  if (!mutual) {
    const ux = dx / len;
    const uy = dy / len;
    const sx = a.x + ux * (NODE_R + 2);
    const sy = a.y + uy * (NODE_R + 2);
    const ex = b.x - ux * (NODE_R + 3);
    const ey = b.y - uy * (NODE_R + 3);
    return `M${round1(sx)},${round1(sy)}L${round1(ex)},${round1(ey)}`;
  }
  // Both directions: two gentle curves, each bent to its own left, so both arrows show.
  const bend = Math.min(24, len * 0.12);
  const cx = (a.x + b.x) / 2 + (dy / len) * bend;
  const cy = (a.y + b.y) / 2 - (dx / len) * bend;
  const toward = (from: { x: number; y: number }, gap: number): { x: number; y: number } => {
    const vx = cx - from.x;
    const vy = cy - from.y;
    const l = Math.hypot(vx, vy) || 1;
    return { x: from.x + (vx / l) * gap, y: from.y + (vy / l) * gap };
  };
  const s = toward(a, NODE_R + 2);
  const e = toward(b, NODE_R + 3);
  return `M${round1(s.x)},${round1(s.y)}Q${round1(cx)},${round1(cy)} ${round1(e.x)},${round1(e.y)}`;
}

function renderMeshNode(
  node: MeshNode,
  p: { x: number; y: number },
  info: { tabbable: boolean; lists: number; listedBy: number; radius: number },
): SVGGElement {
  const state = stateOfRaw(node.state);
  const isSelf = node.id === selfNode?.id;
  const unread = conversations.get(node.id)?.unread ?? 0;
  const g = svg('g', { class: 'mesh-node', transform: `translate(${p.x},${p.y})` });
  g.dataset.nodeId = node.id;
  g.dataset.state = state;
  g.dataset.testid = 'mesh-node';
  g.setAttribute('role', 'button');
  g.setAttribute('tabindex', info.tabbable ? '0' : '-1');
  if (isSelf) g.classList.add('is-self');
  if (node.id === openKey) g.classList.add('is-open');
  const words = stateWords(state, node.state);
  const label = [
    node.id,
    isSelf ? `this node, ${words}` : words,
    `lists ${plural(info.lists, 'node')}`,
    `listed by ${plural(info.listedBy, 'node')}`,
  ];
  if (unread > 0) label.push(plural(unread, 'unread message'));
  g.setAttribute('aria-label', `${label.join(', ')}. Open the conversation`);

  const title = svg('title');
  title.textContent = node.url ? `${node.id} — ${node.url} · ${words}` : `${node.id} · ${words}`;
  g.append(title);
  g.append(svg('circle', { class: 'mesh-focus', r: NODE_R + 6 }));
  if (isSelf) g.append(svg('circle', { class: 'mesh-self-ring', r: NODE_R + 3 }));
  g.append(svg('circle', { class: 'mesh-dot', r: NODE_R }));
  if (state === 'dead') {
    const k = NODE_R * 0.55;
    g.append(svg('path', { class: 'mesh-cross', d: `M${-k},${-k}L${k},${k}M${k},${-k}L${-k},${k}` }));
  } else {
    const glyph = svg('text', { class: 'mesh-glyph', y: 5 });
    glyph.textContent = state === 'alive' ? initial(node.id) : '?';
    g.append(glyph);
  }
  const above = labelAbove(p, info.radius);
  const name = svg('text', { class: 'mesh-label', y: above ? -NODE_R - 22 : NODE_R + 15 });
  name.textContent = meshLabel(node.id);
  const sub = svg('text', { class: 'mesh-state', y: above ? -NODE_R - 9 : NODE_R + 28 });
  sub.textContent = isSelf ? `${words} · this node` : words;
  g.append(name, sub);
  if (unread > 0) {
    const badge = svg('g', { class: 'mesh-unread', transform: `translate(${NODE_R - 2},${-NODE_R + 2})` });
    badge.dataset.unread = String(unread);
    badge.append(svg('circle', { r: 8 }));
    const count = svg('text', { y: 3.5 });
    count.textContent = unread > 9 ? '9+' : String(unread);
    badge.append(count);
    g.append(badge);
  }
  return g;
}

function renderMeshSummary(graph: MeshGraph): void {
  if (graph.nodes.length === 0) {
    ui.meshSummary.textContent = 'Waiting for the node list…';
    return;
  }
  const counts = { alive: 0, suspect: 0, dead: 0, other: 0 };
  for (const n of graph.nodes) counts[stateOfRaw(n.state)] += 1;
  const parts = [plural(graph.nodes.length, 'node'), `${counts.alive} up`];
  if (counts.suspect) parts.push(`${counts.suspect} not answering`);
  if (counts.dead) parts.push(`${counts.dead} down`);
  if (counts.other) parts.push(`${counts.other} unknown`);
  parts.push(plural(graph.links.length, 'link'));
  let text = parts.join(' · ');
  text +=
    graph.source === 'star'
      ? '. This node’s own list, until the node sends its map of the network.'
      : '. An arrow points from a node to a node it lists.';
  if (graph.source === 'mesh' && meshFrame?.cut) text += ' (Too big to draw whole: part of it is shown.)';
  ui.meshSummary.textContent = text;
}

function meshNodes(): SVGGElement[] {
  return Array.from(ui.mesh.querySelectorAll<SVGGElement>('g.mesh-node'));
}

function focusMeshNode(id: string | undefined): void {
  const all = meshNodes();
  const target = all.find((g) => g.dataset.nodeId === id) ?? all[0];
  if (!target) return;
  for (const g of all) g.setAttribute('tabindex', g === target ? '0' : '-1');
  target.focus();
}

function meshNodeOf(target: EventTarget | null): SVGGElement | undefined {
  if (!(target instanceof Element)) return undefined;
  const g = target.closest('g.mesh-node');
  return g instanceof SVGGElement && ui.mesh.contains(g) ? g : undefined;
}

function onMeshKeydown(ev: KeyboardEvent): void {
  const g = meshNodeOf(ev.target);
  if (!g) return;
  const id = g.dataset.nodeId;
  if (ev.key === 'Enter' || ev.key === ' ') {
    ev.preventDefault();
    if (id !== undefined) openConversation(id);
    return;
  }
  const all = meshNodes();
  const i = all.indexOf(g);
  let next: number;
  switch (ev.key) {
    case 'ArrowRight':
    case 'ArrowDown':
      next = (i + 1) % all.length;
      break;
    case 'ArrowLeft':
    case 'ArrowUp':
      next = (i - 1 + all.length) % all.length;
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = all.length - 1;
      break;
    default:
      return;
  }
  ev.preventDefault();
  focusMeshNode(all[next]?.dataset.nodeId);
}

// ---------------------------------------------------------------------------------------------------------
// Sending.

function currentUser(): string | undefined {
  const name = limitChars(ui.displayName.value.trim(), MAX_USER_CHARS);
  return name === '' ? undefined : name;
}

function showHint(text: string, isError = false): void {
  ui.hint.textContent = text;
  ui.hint.classList.toggle('is-error', isError);
}

function submitMessage(): void {
  const text = ui.message.value;
  if (text.trim() === '') {
    showHint('Type a message first.', true);
    return;
  }
  const to = openKey;
  if (to === undefined) {
    showHint('Choose a conversation first.', true);
    return;
  }
  const bytes = utf8Bytes(text);
  if (bytes > MAX_MSG_BYTES) {
    showHint(`Message too long: ${formatBytes(bytes)} (limit 64 KiB).`, true);
    return;
  }
  if (connState !== 'open') {
    showHint('Not connected to the node; your text is kept. It can be sent once reconnected.', true);
    return;
  }

  const user = currentUser();
  const ref = newRef();
  const frame: OutgoingFrame = { type: 'msg', to, msg: text, ref };
  if (user) frame.user = user;

  const from = selfNode?.id ?? 'this node';
  const draft: ChatMessage = { from, to, msg: text, ts: new Date().toISOString() };
  if (user) draft.user = user;
  const { item, time } = buildMessageItem(draft, true);
  item.dataset.ref = ref;
  const tick = el('div', 'tick');
  item.append(tick);
  const entry: SentEntry = {
    ref,
    to,
    msg: text,
    item,
    tick,
    status: 'sending',
    base: 'sending',
    perNode: new Map(),
  };
  if (user) entry.user = user;

  if (!sendFrame(frame)) {
    entry.base = 'failed';
    entry.detail = 'not connected';
  } else {
    sentByRef.set(ref, entry);
  }
  renderTick(entry);
  const conv = conversation(to);
  insertLogItem(conv, item, time.getTime(), false);
  notePreview(conv, 'You', text, time.getTime());
  scrollToBottom();
  scheduleRender();

  ui.message.value = '';
  resizeComposer();
  showHint(DEFAULT_HINT);
}

function resizeComposer(): void {
  const lines = ui.message.value.split('\n').length;
  ui.message.rows = Math.min(6, Math.max(1, lines));
}

// ---------------------------------------------------------------------------------------------------------
// Wiring.

function init(): void {
  ui.displayName.value = limitChars(storageGet(STORAGE_USER) ?? '', MAX_USER_CHARS);
  ui.displayName.addEventListener('input', () => {
    storageSet(STORAGE_USER, limitChars(ui.displayName.value.trim(), MAX_USER_CHARS));
  });

  ui.composer.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submitMessage();
  });

  ui.message.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey && !ev.isComposing) {
      ev.preventDefault();
      submitMessage();
    }
  });
  ui.message.addEventListener('input', () => {
    resizeComposer();
    const bytes = utf8Bytes(ui.message.value);
    if (bytes > MAX_MSG_BYTES) showHint(`Message too long: ${formatBytes(bytes)} (limit 64 KiB).`, true);
    else if (bytes > MAX_MSG_BYTES - 4096) showHint(`${formatBytes(bytes)} of 64 KiB`);
    else if (ui.hint.classList.contains('is-error') || ui.hint.textContent !== DEFAULT_HINT) {
      showHint(DEFAULT_HINT);
    }
  });

  ui.nodeList.addEventListener('keydown', onListKeydown);
  ui.back.addEventListener('click', goBack);
  ui.meshToggle.addEventListener('click', () => (view === 'mesh' ? closeMesh() : openMesh()));
  ui.meshBack.addEventListener('click', closeMesh);
  ui.mesh.addEventListener('click', (ev) => {
    const id = meshNodeOf(ev.target)?.dataset.nodeId;
    if (id !== undefined) openConversation(id);
  });
  ui.mesh.addEventListener('keydown', onMeshKeydown);

  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || ev.isComposing || ev.defaultPrevented) return;
    const target = ev.target;
    if (view === 'mesh' || (target instanceof Node && ui.meshPanel.contains(target))) {
      if (view === 'mesh') {
        ev.preventDefault();
        closeMesh();
      } else {
        focusListItem(openKey);
      }
      return;
    }
    if (target instanceof Node && ui.nodeList.contains(target)) return;
    if (view === 'chat') {
      ev.preventDefault();
      goBack();
    }
  });

  window.addEventListener('popstate', (ev) => {
    const state: unknown = ev.state;
    const wanted = isRecord(state) ? str(state.meshchat) : undefined;
    const next: View = wanted === 'chat' || wanted === 'mesh' ? wanted : defaultView();
    const wasMesh = view === 'mesh';
    setView(next, false);
    if (view === 'list') focusListItem(openKey);
    else if (wasMesh && view !== 'mesh') ui.meshToggle.focus();
  });

  ui.reconnectNow.addEventListener('click', reconnectNow);
  ui.jumpLatest.addEventListener('click', scrollToBottom);
  ui.log.addEventListener('scroll', () => {
    if (isNearBottom()) ui.jumpLatest.hidden = true;
  });

  window.addEventListener('online', () => {
    if (connState === 'waiting' || connState === 'offline') reconnectNow();
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) {
      markOpenRead();
      scheduleRender();
      if (connState === 'waiting' || connState === 'offline') reconnectNow();
    }
  });
  narrowQuery.addEventListener('change', onLayoutChange);
  wideQuery.addEventListener('change', onLayoutChange);
  window.addEventListener('pagehide', () => {
    if (readMarks) storageSet(STORAGE_READ, JSON.stringify(readMarks));
  });

  const stored = storageGet(STORAGE_DEST);
  conversation(EVERYONE);
  selectConversation(stored && stored.length <= 64 ? stored : EVERYONE);
  setView(defaultView(), false);
  connect();
}

init();
