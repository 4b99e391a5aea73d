// meshchat web client: plain TypeScript against the browser's WebSocket.
//
// Security rule for this file: every string that comes from the network (node ids, urls, user names,
// message text, error messages) is put into the page with textContent / createTextNode only.

// ---------------------------------------------------------------------------------------------------------
// Wire types (node -> page frames are validated field by field, never trusted).

type NodeState = 'alive' | 'suspect' | 'dead';

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

type ConnState = 'connecting' | 'open' | 'waiting' | 'offline';

// ---------------------------------------------------------------------------------------------------------
// Constants.

const MAX_MSG_BYTES = 64 * 1024;
const MAX_USER_CHARS = 64;
const LONG_MESSAGE_CHARS = 2500;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
const MAX_LOG_ITEMS = 2000;
const MAX_REMEMBERED_IDS = 500;
/** Sent messages whose ack was lost with the connection, kept to be matched with the history on reconnect. */
const MAX_UNCONFIRMED = 50;
/** Status frames kept for messages this page does not know (yet). */
const MAX_EARLY_STATUS = 200;
/** The destination that means every node (a broadcast). */
const EVERYONE = '*';
/** Node-list changes beyond this many in one update are summed up in one line (a network merge). */
const MAX_NODE_NOTICES = 5;
const STORAGE_USER = 'meshchat.user';
const STORAGE_DEST = 'meshchat.to';
const STORAGE_SENT = 'meshchat.sentIds';
const HUES = 8;

// ---------------------------------------------------------------------------------------------------------
// Small helpers.

function byId<T extends HTMLElement>(id: string, ctor: { new (): T }): T {
  const el = document.getElementById(id);
  if (!(el instanceof ctor)) throw new Error(`meshchat: missing #${id}`);
  return el;
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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
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

function hueClass(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return `hue-${h % HUES}`;
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
  sidebar: byId('sidebar', HTMLElement),
  nodesToggle: byId('nodes-toggle', HTMLButtonElement),
  nodeCount: byId('node-count', HTMLElement),
  nodeList: byId('node-list', HTMLUListElement),
  nodesEmpty: byId('nodes-empty', HTMLElement),
  log: byId('log', HTMLOListElement),
  jumpLatest: byId('jump-latest', HTMLButtonElement),
  composer: byId('composer', HTMLFormElement),
  destId: byId('dest-id', HTMLElement),
  displayName: byId('display-name', HTMLInputElement),
  message: byId('message', HTMLTextAreaElement),
  send: byId('send', HTMLButtonElement),
  hint: byId('composer-hint', HTMLElement),
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

let selfNode: NodeInfo | undefined;
let nodes: NodeInfo[] = [];
/** False until the first node list of this connection: that one sets the baseline and is not announced. */
let nodesSynced = false;
let destination: string | undefined = storageGet(STORAGE_DEST) ?? undefined;
let destinationChosen = destination !== undefined;

const sentByRef = new Map<string, SentEntry>();
const sentById = new Map<string, SentEntry>();
/** Status frames that arrived before the ack (or history entry) that tells us which message they belong to. */
const earlyStatus = new Map<string, StatusUpdate[]>();
/** Messages whose ack was lost when the connection dropped; the reconnect history may tell what became of them. */
const unconfirmed: SentEntry[] = [];
/** The highest history cursor (`seq`) seen in msg, history and status frames; sent as `since` on reconnect. */
let maxSeq: number | undefined;
/** Message ids already in the log (de-duplication across history, echo and reconnects). */
const shownIds = new Map<string, HTMLLIElement>();
const logEntries: LogEntry[] = [];
/** Ids of messages this browser sent in earlier page loads, so history shows them as ours. */
const rememberedSentIds = loadRememberedIds();

let unread = 0;

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

// ---------------------------------------------------------------------------------------------------------
// Connection with automatic reconnect and exponential backoff.

let socket: WebSocket | undefined;
let connState: ConnState = 'connecting';
let attempt = 0;
let retryTimer: number | undefined;
let countdownTimer: number | undefined;
let connectTimer: number | undefined;
let everConnected = false;
let lostNoticeShown = false;

function wsUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const since = maxSeq === undefined ? '' : `?since=${maxSeq}`;
  return `${scheme}//${window.location.host}/ws${since}`;
}

function seeSeq(raw: unknown): void {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) return;
  if (maxSeq === undefined || raw > maxSeq) maxSeq = raw;
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
    if (everConnected && lostNoticeShown) addNotice('Reconnected.');
    everConnected = true;
    lostNoticeShown = false;
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
    if (everConnected && !lostNoticeShown) {
      addNotice('Connection to the node lost. Reconnecting automatically…');
      lostNoticeShown = true;
    }
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
    case 'error': {
      const err = parseError(frame.error);
      addNotice(`Node error${err.code ? ` (${err.code})` : ''}: ${err.message}`, true);
      break;
    }
    default:
      break;
  }
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
  document.title = titleText();
  if (!destinationChosen || !destination) destination = id;
  renderDestination();
  renderNodes();
}

function onNodes(frame: Record<string, unknown>): void {
  if (!Array.isArray(frame.nodes)) return;
  const list: NodeInfo[] = [];
  const seen = new Set<string>();
  for (const raw of frame.nodes) {
    if (!isRecord(raw)) continue;
    const id = str(raw.id);
    if (!id || seen.has(id)) continue;
    seen.add(id);
    const info: NodeInfo = { id, url: str(raw.url) ?? '' };
    const state = str(raw.state);
    if (state) info.state = state;
    const incarnation = raw.incarnation;
    if (typeof incarnation === 'number' && Number.isSafeInteger(incarnation) && incarnation >= 0)
      info.incarnation = incarnation;
    list.push(info);
  }
  const previous = nodes;
  nodes = list;
  renderNodes();
  renderDestination();
  if (nodesSynced) announceNodeChanges(previous, list);
  nodesSynced = true;
}

function parseMessage(raw: Record<string, unknown>): ChatMessage | undefined {
  const from = str(raw.from);
  const msg = str(raw.msg);
  if (from === undefined || msg === undefined) return undefined;
  const m: ChatMessage = { from, to: str(raw.to) ?? '', msg };
  const id = str(raw.id);
  const ts = str(raw.ts);
  const user = str(raw.user);
  if (id) m.id = id;
  if (ts) m.ts = ts;
  if (user) m.user = limitChars(user, MAX_USER_CHARS);
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
  ui.log.setAttribute('aria-busy', 'true');
  const stick = isNearBottom();
  for (const raw of frame.messages) {
    if (!isRecord(raw)) continue;
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

// ---------------------------------------------------------------------------------------------------------
// Rendering: node list.

function stateOf(n: NodeInfo): NodeState | undefined {
  const state = n.state ?? 'alive';
  return state === 'alive' || state === 'suspect' || state === 'dead' ? state : undefined;
}

const STATE_TEXT: Record<NodeState, string> = {
  alive: 'up',
  suspect: 'not answering',
  dead: 'down',
};

/** A state this page does not know is shown as the node sent it. */
function stateText(n: NodeInfo): string {
  const state = stateOf(n);
  return state ? STATE_TEXT[state] : (n.state ?? '');
}

function nodeTitle(n: NodeInfo): string {
  const parts = [n.url ? `${n.id} — ${n.url}` : n.id, stateText(n)];
  if (n.incarnation !== undefined) parts.push(`incarnation ${n.incarnation}`);
  return parts.join(' · ');
}

/** The log line for a peer whose state changed between two lists, or undefined when it did not. */
function stateChangeText(before: NodeInfo, after: NodeInfo): string | undefined {
  if ((before.state ?? 'alive') === (after.state ?? 'alive')) return undefined;
  switch (stateOf(after)) {
    case 'alive':
      return `${after.id} is back`;
    case 'suspect':
      return `${after.id} is not answering`;
    case 'dead':
      return `${after.id} left or went down`;
    default:
      return `${after.id} is ${stateText(after)}`;
  }
}

/** One log line per peer that joined, changed state or left; the node itself is not a peer. */
function nodeChangeLines(previous: readonly NodeInfo[], next: readonly NodeInfo[]): string[] {
  const before = new Map(previous.map((n) => [n.id, n]));
  const after = new Set(next.map((n) => n.id));
  const lines: string[] = [];
  for (const n of next) {
    if (n.id === selfNode?.id) continue;
    const old = before.get(n.id);
    const text = old ? stateChangeText(old, n) : `${n.id} joined`;
    if (text) lines.push(text);
  }
  for (const n of previous) {
    if (!after.has(n.id) && n.id !== selfNode?.id) lines.push(`${n.id} left or went down`);
  }
  return lines;
}

function announceNodeChanges(previous: readonly NodeInfo[], next: readonly NodeInfo[]): void {
  const lines = nodeChangeLines(previous, next);
  for (const line of lines.slice(0, MAX_NODE_NOTICES)) addNotice(line, false, 'notice-node');
  const more = lines.length - MAX_NODE_NOTICES;
  if (more > 0) {
    addNotice(`…and ${more} more change${more === 1 ? '' : 's'} to the node list`, false, 'notice-node');
  }
}

function renderNodes(): void {
  const focusedId =
    document.activeElement instanceof HTMLElement && ui.nodeList.contains(document.activeElement)
      ? document.activeElement.dataset.nodeId
      : undefined;

  const selfId = selfNode?.id;
  const sorted = [...nodes].sort((a, b) => {
    if (a.id === selfId) return -1;
    if (b.id === selfId) return 1;
    const rank = (n: NodeInfo): number => (stateOf(n) === 'dead' ? 1 : 0);
    return rank(a) - rank(b) || a.id.localeCompare(b.id);
  });

  const frag = document.createDocumentFragment();
  if (nodes.length > 0) frag.append(renderEveryoneItem());
  for (const n of sorted) {
    const li = el('li');
    const btn = el('button', 'node');
    btn.type = 'button';
    btn.dataset.nodeId = n.id;
    btn.dataset.state = stateOf(n) ?? 'other';
    const selected = n.id === destination;
    btn.setAttribute('aria-pressed', selected ? 'true' : 'false');
    if (n.id === selfId) btn.classList.add('is-self');

    const avatar = el('span', `avatar ${hueClass(n.id)}`, Array.from(n.id)[0]?.toUpperCase() ?? '?');
    avatar.setAttribute('aria-hidden', 'true');
    btn.append(avatar);

    const body = el('span', 'node-body');
    const line = el('span', 'node-line');
    line.append(el('span', 'node-id', n.id));
    if (n.id === selfId) line.append(el('span', 'badge badge-self', 'you'));
    body.append(line);
    body.append(renderNodeState(n));
    if (n.url) body.append(el('span', 'node-url', n.url));
    btn.append(body);
    btn.title = nodeTitle(n);

    btn.addEventListener('click', () => chooseDestination(n.id));
    li.append(btn);
    frag.append(li);
  }
  ui.nodeList.replaceChildren(frag);
  ui.nodeCount.textContent = nodes.length ? String(nodes.length) : '';
  ui.nodesEmpty.hidden = nodes.length > 0;

  if (focusedId !== undefined) {
    for (const b of ui.nodeList.querySelectorAll<HTMLButtonElement>('button.node')) {
      if (b.dataset.nodeId === focusedId) b.focus();
    }
  }
}

/** The first entry of the node list: send to every node (a broadcast). */
function renderEveryoneItem(): HTMLLIElement {
  const li = el('li');
  const btn = el('button', 'node node-everyone');
  btn.type = 'button';
  btn.dataset.nodeId = EVERYONE;
  btn.dataset.state = 'all';
  btn.setAttribute('aria-pressed', destination === EVERYONE ? 'true' : 'false');
  const avatar = el('span', `avatar ${hueClass(EVERYONE)}`, '*');
  avatar.setAttribute('aria-hidden', 'true');
  const body = el('span', 'node-body');
  const line = el('span', 'node-line');
  line.append(el('span', 'node-id', 'Everyone'));
  body.append(line, el('span', 'node-url', `broadcast to all ${nodes.length} nodes`));
  btn.append(avatar, body);
  btn.title = 'Send to every node (broadcast)';
  btn.addEventListener('click', () => chooseDestination(EVERYONE));
  li.append(btn);
  return li;
}

/** A dot (its shape differs per state, not only its colour) followed by the state in words. */
function renderNodeState(n: NodeInfo): HTMLElement {
  const state = el('span', `node-state state-${stateOf(n) ?? 'other'}`);
  const dot = el('span', 'state-dot');
  dot.setAttribute('aria-hidden', 'true');
  state.append(dot, document.createTextNode(stateText(n)));
  return state;
}

function chooseDestination(id: string): void {
  destination = id;
  destinationChosen = true;
  storageSet(STORAGE_DEST, id);
  renderNodes();
  renderDestination();
  if (isNarrow()) setSidebarExpanded(false);
  ui.message.focus();
}

function renderDestination(): void {
  const dest = destination;
  ui.destId.replaceChildren();
  if (!dest) {
    ui.destId.textContent = '—';
    return;
  }
  if (dest === EVERYONE) {
    ui.destId.append(document.createTextNode('Everyone'), el('span', 'dest-note', ' (every node)'));
    return;
  }
  ui.destId.append(document.createTextNode(dest));
  const node = nodes.find((n) => n.id === dest);
  if (dest === selfNode?.id) ui.destId.append(el('span', 'dest-note', ' (this node)'));
  else if (nodes.length && !node) ui.destId.append(el('span', 'dest-note warn', ' (not in node list)'));
  else if (node && stateOf(node) !== 'alive') {
    ui.destId.append(el('span', `dest-note state-${stateOf(node) ?? 'other'}`, ` (${stateText(node)})`));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rendering: message log.

function isNearBottom(): boolean {
  const l = ui.log;
  return l.scrollHeight - l.scrollTop - l.clientHeight < 80;
}

function scrollToBottom(): void {
  ui.log.scrollTop = ui.log.scrollHeight;
  ui.jumpLatest.hidden = true;
}

function insertLogItem(item: HTMLLIElement, time: number, inOrder: boolean): void {
  const entry: LogEntry = { time, item };
  // Live messages go at the end; history is placed by its timestamp.
  let index = logEntries.length;
  if (inOrder) {
    while (index > 0 && (logEntries[index - 1]?.time ?? 0) > time) index--;
  }
  const before = logEntries[index]?.item ?? null;
  ui.log.insertBefore(item, before);
  logEntries.splice(index, 0, entry);

  while (logEntries.length > MAX_LOG_ITEMS) {
    const old = logEntries.shift();
    if (!old) break;
    old.item.remove();
    const oldId = old.item.dataset.id;
    if (oldId && shownIds.get(oldId) === old.item) shownIds.delete(oldId);
    if (oldId && sentById.get(oldId)?.item === old.item) sentById.delete(oldId);
  }
}

function removeLogItem(item: HTMLLIElement): void {
  const i = logEntries.findIndex((e) => e.item === item);
  if (i >= 0) logEntries.splice(i, 1);
  item.remove();
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

  if (m.to === '*') {
    meta.append(el('span', 'msg-to', '→ everyone'));
  } else if (mine || (m.to && selfNode && m.to !== selfNode.id)) {
    meta.append(el('span', 'msg-to', `→ ${m.to}`));
  }

  const t = el('time', 'msg-time', hhmm(time));
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
 * Shows a received or history message once per id. It is ours (with a tick that status frames update) when
 * this browser remembers sending it, or when it is a history entry with a status sent from this node.
 */
function addIncoming(m: ChatMessage, live: boolean): void {
  if (m.id) {
    if (shownIds.has(m.id) || sentById.has(m.id)) return;
  }
  const remembered = m.id !== undefined && rememberedSentIds.has(m.id);
  const mine = remembered || (m.status !== undefined && m.from === selfNode?.id);
  const stick = isNearBottom();
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
  insertLogItem(item, time.getTime(), !live);
  if (live) {
    if (stick) scrollToBottom();
    else ui.jumpLatest.hidden = false;
    if (document.hidden) {
      unread += 1;
      document.title = titleText();
    }
  }
}

function addNotice(text: string, isError = false, extraClass?: string): void {
  const stick = isNearBottom();
  const item = el('li', isError ? 'notice notice-error' : 'notice', text);
  if (extraClass) item.classList.add(extraClass);
  insertLogItem(item, Date.now(), false);
  if (stick) scrollToBottom();
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
  const to = destination;
  if (!to) {
    showHint('Choose a node to send to.', true);
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
  insertLogItem(item, time.getTime(), false);
  scrollToBottom();

  ui.message.value = '';
  resizeComposer();
  showHint(DEFAULT_HINT);
}

function resizeComposer(): void {
  const lines = ui.message.value.split('\n').length;
  ui.message.rows = Math.min(6, Math.max(1, lines));
}

// ---------------------------------------------------------------------------------------------------------
// Sidebar (collapsible on narrow screens).

const narrowQuery = window.matchMedia('(max-width: 720px)');

function isNarrow(): boolean {
  return narrowQuery.matches;
}

function setSidebarExpanded(expanded: boolean): void {
  ui.sidebar.classList.toggle('is-collapsed', !expanded);
  ui.nodesToggle.setAttribute('aria-expanded', expanded ? 'true' : 'false');
  ui.nodesToggle.textContent = expanded ? 'Hide' : 'Show';
}

// ---------------------------------------------------------------------------------------------------------
// Title / unread counter.

function titleText(): string {
  const base = selfNode ? `meshchat · ${selfNode.id}` : 'meshchat';
  return unread > 0 ? `(${unread}) ${base}` : base;
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

  ui.nodesToggle.addEventListener('click', () => {
    setSidebarExpanded(ui.sidebar.classList.contains('is-collapsed'));
  });
  setSidebarExpanded(false);

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
      unread = 0;
      document.title = titleText();
      if (connState === 'waiting' || connState === 'offline') reconnectNow();
    }
  });

  renderDestination();
  connect();
}

init();
