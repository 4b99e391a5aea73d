// `meshchat chat --node <url> [--user NAME] [--to ID] [--json]`: the command-line chat client.
//
// A standalone front end: it speaks only the user wire protocol (socket.io at the node's URL, SPEC §3) and
// takes nothing from the node but the domain's wire rules (node ids, name length).
//
// - Interactive mode (default): a readline prompt; incoming messages are printed above the prompt line.
// - `--json` mode (scripts): JSON lines `{"to", "msg", "user"?}` on stdin are sent; every received message is
//   printed as one JSON line on stdout and nothing else goes to stdout; failures go to stderr as JSON lines.
//
// History: on every connection the node sends one `history` event (the messages it kept, or on a reconnect
// only those added or changed after the `since` cursor this client sends in its handshake). The client keeps
// the highest `seq` it has seen (messages, history entries, status events) and sends it as `since` on every
// reconnect, so a reconnect shows only what was missed; message ids already shown are never shown twice.

import * as readline from 'node:readline';
import { parseArgs } from 'node:util';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { USER_NAME_MAX_LENGTH } from '../domain/message.js';
import { isValidNodeId } from '../domain/node-record.js';
import {
  parseHttpUrlFlag,
  parseNodeIdFlag,
  parseUserNameFlag,
  requireFlag,
  USAGE_EXIT_CODE,
  UsageError,
  usageErrorFrom,
} from './args.js';

export interface ChatIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Tuning knobs; the defaults are the documented behaviour (tests shorten them). */
export interface ChatOptions {
  /** How long to wait for the first connection before giving up (default 10 000 ms). */
  connectTimeoutMs?: number;
  /** How long to wait for the node's acknowledgement of a sent message (default 10 000 ms). */
  ackTimeoutMs?: number;
  /** Initial delay between reconnection attempts (default 1 000 ms, socket.io's default). */
  reconnectionDelayMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_ACK_TIMEOUT_MS = 10_000;
const DEFAULT_RECONNECTION_DELAY_MS = 1_000;

/** The commands of interactive mode: one list for `--help` and for `/help`. */
const INTERACTIVE_COMMANDS = [
  '  /nodes         list the nodes (* = the node you are on, > = the destination)',
  '  /to <id>       send your messages to node <id>; /to * sends to every node (broadcast)',
  '  /name <user>   set your display name (/name - clears it)',
  '  /help          show the commands',
  '  /quit          leave (Ctrl-D works too)',
  'A line starting with "//" sends the text with a single leading "/".',
];

export const CHAT_USAGE = `Usage: meshchat chat --node <url> [--user NAME] [--to ID] [--json]

Chat through a meshchat node (socket.io at the node's URL).

Options:
  --node <url>   the node to connect to (http:// or https:// URL), required
  --user <name>  display name sent with your messages (at most ${USER_NAME_MAX_LENGTH} characters)
  --to <id>      destination node id, or * for every node (default: the node you are connected to)
  --json         script mode: read JSON lines {"to", "msg", "user"?} on stdin ("to" may be "*") and send
                 each; print every received message as one JSON line on stdout (nothing else goes to
                 stdout); messages from the node's history are printed the same way with "history": true.
                 Failed sends, bad input lines, delivery status events and node errors go to stderr as JSON
                 lines. When stdin ends, waits for the pending acknowledgements and exits 0, or 1 if any
                 line could not be sent.
  -h, --help     show this help

Interactive commands:
${INTERACTIVE_COMMANDS.join('\n')}
`;

const INTERACTIVE_HELP = ['commands:', ...INTERACTIVE_COMMANDS];

// ---------------------------------------------------------------------------------------------------------
// Wire shapes (everything received is untrusted and checked at run time)

interface NodeInfo {
  id: string;
  url: string;
  /** `alive` or `suspect` (missed its probes, may be down); a node that sends no state is alive. */
  state: string;
}

/** A live message or a history entry. `status` is only on history entries sent from this node to others. */
export interface ChatMessage {
  id?: string;
  from?: string;
  to?: string;
  msg: string;
  ts?: string;
  user?: string;
  /** The node's history cursor for this message (its last change). */
  seq?: number;
  /** `queued` | `delivered` | `expired` | `failed` (any other string is shown as sent). */
  status?: string;
}

/** A `status` event: message `id`, sent earlier to `to` (`*` for a broadcast), reached `status` at `node`. */
export interface StatusEvent {
  id: string;
  to?: string;
  node?: string;
  status: string;
  seq?: number;
  error?: WireError;
}

interface OutgoingMessage {
  to: string;
  msg: string;
  user?: string;
}

export interface WireError {
  code: string;
  message: string;
}

export type AckResult = { ok: true; id?: string; status: string } | { ok: false; error: WireError };

interface ServerToClientEvents {
  hello: (payload: unknown) => void;
  nodes: (payload: unknown) => void;
  msg: (payload: unknown) => void;
  status: (payload: unknown) => void;
  history: (payload: unknown) => void;
  error: (payload: unknown) => void;
}

interface ClientToServerEvents {
  msg: (payload: OutgoingMessage, ack: (response: unknown) => void) => void;
}

type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function asNode(value: unknown): NodeInfo | undefined {
  if (!isRecord(value) || typeof value.id !== 'string' || value.id === '') return undefined;
  return {
    id: value.id,
    url: typeof value.url === 'string' ? value.url : '',
    state: typeof value.state === 'string' && value.state !== '' ? value.state : 'alive',
  };
}

function asNodes(value: unknown): NodeInfo[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const nodes: NodeInfo[] = [];
  for (const item of value) {
    const node = asNode(item);
    if (node) nodes.push(node);
  }
  return nodes;
}

function asHello(value: unknown): NodeInfo | undefined {
  return isRecord(value) ? asNode(value.node) : undefined;
}

/** How a node's state reads to a person; a state this client does not know is shown as sent. */
function stateLabel(state: string): string {
  if (state === 'alive') return 'up';
  if (state === 'suspect') return 'not answering';
  return state;
}

/**
 * What changed between two node lists, in list order, removals last: `+id` (joined, with its state when it
 * is not up), `id not answering`, `id back`, `id <state>` for any other state change, `-id`.
 */
function nodeChanges(previous: readonly NodeInfo[], next: readonly NodeInfo[]): string[] {
  const before = new Map(previous.map((n) => [n.id, n]));
  const changes: string[] = [];
  for (const n of next) {
    const old = before.get(n.id);
    if (!old) changes.push(n.state === 'alive' ? `+${n.id}` : `+${n.id} (${stateLabel(n.state)})`);
    else if (old.state !== n.state)
      changes.push(`${n.id} ${n.state === 'alive' ? 'back' : stateLabel(n.state)}`);
  }
  const after = new Set(next.map((n) => n.id));
  for (const p of previous) if (!after.has(p.id)) changes.push(`-${p.id}`);
  return changes;
}

/** A history cursor: a non-negative safe integer, else undefined. */
function asSeq(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function asMessage(value: unknown): ChatMessage | undefined {
  if (!isRecord(value) || typeof value.msg !== 'string') return undefined;
  const message: ChatMessage = { msg: value.msg };
  const id = optionalString(value.id);
  if (id !== undefined) message.id = id;
  const from = optionalString(value.from);
  if (from !== undefined) message.from = from;
  const to = optionalString(value.to);
  if (to !== undefined) message.to = to;
  const ts = optionalString(value.ts);
  if (ts !== undefined) message.ts = ts;
  const user = optionalString(value.user);
  if (user !== undefined) message.user = user;
  const seq = asSeq(value.seq);
  if (seq !== undefined) message.seq = seq;
  const status = optionalString(value.status);
  if (status !== undefined) message.status = status;
  return message;
}

function asStatusEvent(value: unknown): StatusEvent | undefined {
  if (!isRecord(value) || typeof value.id !== 'string' || typeof value.status !== 'string') return undefined;
  const event: StatusEvent = { id: value.id, status: value.status };
  const to = optionalString(value.to);
  if (to !== undefined) event.to = to;
  const node = optionalString(value.node);
  if (node !== undefined) event.node = node;
  const seq = asSeq(value.seq);
  if (seq !== undefined) event.seq = seq;
  if (value.error !== undefined) event.error = asWireError(value.error);
  return event;
}

function asWireError(value: unknown): WireError {
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

function asAck(value: unknown): AckResult {
  if (isRecord(value) && value.ok === true) {
    const result: AckResult = {
      ok: true,
      status: typeof value.status === 'string' ? value.status : 'delivered',
    };
    if (typeof value.id === 'string') result.id = value.id;
    return result;
  }
  if (isRecord(value) && value.ok === false) return { ok: false, error: asWireError(value.error) };
  return {
    ok: false,
    error: {
      code: 'bad_ack',
      message: 'the node answered with an acknowledgement this client does not understand',
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Helpers shared by both modes

interface ChatConfig {
  node: URL;
  user: string | undefined;
  to: string | undefined;
  json: boolean;
}

interface Timing {
  connectTimeoutMs: number;
  ackTimeoutMs: number;
  reconnectionDelayMs: number;
}

function safeWrite(stream: NodeJS.WritableStream, text: string): void {
  try {
    stream.write(text);
  } catch {
    // a closed output (EPIPE and friends) must not crash the client
  }
}

/** Remembers recently seen message ids (bounded) so a message that arrives twice is shown once. */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly limit = 5000) {}
  has(id: string): boolean {
    return this.ids.has(id);
  }
  /** True when the id was new (and is now remembered). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.limit) {
      const oldest = this.ids.values().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
    return true;
  }
}

/** What a history entry means to a client that may have seen it before (see {@link MessageLedger}). */
export type HistoryDecision = 'show' | 'status' | 'skip';

/**
 * What this client knows about the conversation: the message ids already shown, the last known delivery
 * status of messages sent from this node (from acks, status events and history), and the history cursor
 * (the highest `seq` seen), which every reconnect sends as `since`.
 */
export class MessageLedger {
  private readonly shown = new RecentIds();
  private readonly sent = new Map<string, string>();
  private cursor: number | undefined;

  constructor(private readonly limit = 5000) {}

  /** The highest seq seen so far; undefined until the node sent one. */
  get since(): number | undefined {
    return this.cursor;
  }

  seeSeq(seq: number | undefined): void {
    if (seq !== undefined && (this.cursor === undefined || seq > this.cursor)) this.cursor = seq;
  }

  /**
   * Whether a status event tells this user something: the node reports every copy's outcome, also one the
   * acknowledgement already gave (`delivered` at once). A broadcast's per-node `delivered` is news only after
   * it was acknowledged `queued`.
   */
  isNews(event: StatusEvent): boolean {
    const known = this.sent.get(event.id);
    if (event.to === '*') return event.status !== 'delivered' || known !== 'delivered';
    return known !== event.status;
  }

  /**
   * Takes a status event: records it (a broadcast's summary stays what the ack said until a copy fails; a
   * unicast's status is the event's) and returns whether it is news to this user.
   */
  status(event: StatusEvent): boolean {
    this.seeSeq(event.seq);
    const news = this.isNews(event);
    if (event.to !== '*' || event.status !== 'delivered') this.noteStatus(event.id, event.status);
    return news;
  }

  /** Records the status of a message sent from this node (an ack or a status event). */
  noteStatus(id: string, status: string): void {
    this.sent.delete(id);
    this.sent.set(id, status);
    if (this.sent.size > this.limit) {
      const oldest = this.sent.keys().next();
      if (!oldest.done) this.sent.delete(oldest.value);
    }
  }

  /** A live message: true when it should be shown (not seen before). */
  live(message: ChatMessage): boolean {
    this.seeSeq(message.seq);
    return message.id === undefined || this.shown.add(message.id);
  }

  /**
   * A history entry: `show` a message not seen before; `status` for a message already known whose status
   * changed to a final one while this client was away (show that change instead); `skip` otherwise.
   */
  history(entry: ChatMessage): HistoryDecision {
    this.seeSeq(entry.seq);
    const id = entry.id;
    if (id === undefined) return 'show';
    if (entry.status === undefined) return this.shown.add(id) ? 'show' : 'skip';
    const known = this.shown.has(id) || this.sent.has(id);
    const previous = this.sent.get(id);
    this.noteStatus(id, entry.status);
    if (!known) {
      this.shown.add(id);
      return 'show';
    }
    return previous !== entry.status && entry.status !== 'queued' ? 'status' : 'skip';
  }
}

/**
 * socket.io treats a URL path as a namespace; we want the default namespace at `<url path>/socket.io/`.
 * `since` is asked on every (re)connection attempt, so each handshake carries the current history cursor.
 */
function createSocket(node: URL, timing: Timing, since: () => number | undefined): ChatSocket {
  const prefix = node.pathname.replace(/\/+$/, '');
  return connectSocket(node.origin, {
    path: `${prefix}/socket.io/`,
    forceNew: true,
    reconnection: true,
    reconnectionDelay: timing.reconnectionDelayMs,
    reconnectionDelayMax: Math.max(5_000, timing.reconnectionDelayMs),
    auth: (cb) => {
      const cursor = since();
      cb(cursor === undefined ? {} : { since: cursor });
    },
  });
}

type FirstConnect = { ok: true } | { ok: false; message: string };

/** Waits for the first successful connection, bounded by `timeoutMs`. */
function waitForFirstConnect(socket: ChatSocket, node: URL, timeoutMs: number): Promise<FirstConnect> {
  return new Promise((resolve) => {
    let lastError = '';
    const done = (result: FirstConnect) => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onConnectError);
      resolve(result);
    };
    const onConnect = () => done({ ok: true });
    const onConnectError = (err: Error) => {
      lastError = err.message;
      // The node itself refused the connection (middleware error): socket.io will not retry, neither do we.
      if (!socket.active)
        done({ ok: false, message: `the node at ${node.href} refused the connection: ${err.message}` });
    };
    const timer = setTimeout(() => {
      const seconds = Math.round(timeoutMs / 100) / 10;
      done({
        ok: false,
        message: `cannot reach the node at ${node.href} within ${seconds} s${lastError ? ` (${lastError})` : ''}`,
      });
    }, timeoutMs);
    if (socket.connected) {
      done({ ok: true });
      return;
    }
    socket.on('connect', onConnect);
    socket.on('connect_error', onConnectError);
  });
}

/** Sends one message; never rejects: a refused message, a lost ack or a bad ack all become `{ok: false}`. */
function sendMessage(socket: ChatSocket, payload: OutgoingMessage, ackTimeoutMs: number): Promise<AckResult> {
  return new Promise((resolve) => {
    socket.timeout(ackTimeoutMs).emit('msg', payload, (err: Error | null, response: unknown) => {
      if (err) {
        const seconds = Math.round(ackTimeoutMs / 100) / 10;
        resolve({
          ok: false,
          error: { code: 'ack_timeout', message: `no acknowledgement from the node within ${seconds} s` },
        });
      } else {
        resolve(asAck(response));
      }
    });
  });
}

/** The node the client is connected to: its `hello`, else the listed node whose url is the one we dialled. */
function findSelf(hello: NodeInfo | undefined, nodes: NodeInfo[], node: URL): NodeInfo | undefined {
  if (hello) return hello;
  const want = node.href.replace(/\/+$/, '');
  return nodes.find((n) => n.url.replace(/\/+$/, '') === want);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what gets neutralised
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: same, for single-line fields
const CONTROL_CHARS_AND_NEWLINES = /[\u0000-\u001f\u007f-\u009f]/g;

/** Makes remote text safe for a terminal: control characters (escape sequences, CR…) become visible escapes. */
function clean(text: string, singleLine = false): string {
  return text.replace(singleLine ? CONTROL_CHARS_AND_NEWLINES : CONTROL_CHARS, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  });
}

function clock(ts: string | undefined): string {
  let date = ts === undefined ? new Date() : new Date(ts);
  if (Number.isNaN(date.getTime())) date = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** How a destination reads: a node id, or `* (every node)` for a broadcast. */
export function destinationLabel(to: string): string {
  return to === '*' ? '* (every node)' : clean(to, true);
}

/**
 * `[HH:MM:SS] <from>[ (user)] → <to>: <msg>`; a broadcast reads `→ * (every node)`; a message sent from this
 * node (a history entry with a status) ends with `  [<status>]`.
 */
export function formatMessage(message: ChatMessage): string {
  const from = clean(message.from ?? '?', true);
  const user = message.user !== undefined && message.user !== '' ? ` (${clean(message.user, true)})` : '';
  const to = message.to === undefined ? '?' : destinationLabel(message.to);
  const status = message.status !== undefined ? `  [${clean(message.status, true)}]` : '';
  return `[${clock(message.ts)}] ${from}${user} → ${to}: ${clean(message.msg)}${status}`;
}

/** The line for the node's answer to a message this client sent to `to`. */
export function formatAck(result: AckResult, to: string): string {
  if (!result.ok) return `✗ ${clean(result.error.message, true)}`;
  const id = result.id !== undefined ? ` ${clean(result.id, true)}` : '';
  if (result.status === 'queued') {
    return to === '*'
      ? `◷ queued${id} (not every node took it at once; will retry the others)`
      : `◷ queued${id} (node ${clean(to, true)} is not reachable; will retry)`;
  }
  if (result.status === 'delivered' && to === '*') return `✓ delivered${id} to every node`;
  return `✓ ${clean(result.status, true)}${id}`;
}

/**
 * The line for a status event (or a status change found in the history): `✓ delivered <id> to <node> (was
 * queued)`, `✗ expired <id> to <node> (never delivered)`, `✗ failed <id> to <node>: <why>`. For one node of a
 * broadcast the node is named and `broadcast` noted; a broadcast as a whole reads `to every node`.
 */
export function formatStatus(event: StatusEvent): string {
  const id = clean(event.id, true);
  const notes: string[] = [];
  let where = id;
  if (event.node !== undefined && event.node !== '') {
    where = `${id} to ${clean(event.node, true)}`;
    if (event.to === '*') notes.push('broadcast');
  } else if (event.to !== undefined && event.to !== '') {
    where = `${id} to ${event.to === '*' ? 'every node' : clean(event.to, true)}`;
  }
  if (event.status === 'delivered') notes.push('was queued');
  if (event.status === 'expired') notes.push('never delivered');
  const note = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  switch (event.status) {
    case 'delivered':
      return `✓ delivered ${where}${note}`;
    case 'expired':
      return `✗ expired ${where}${note}`;
    case 'failed':
      return `✗ failed ${where}${note}${event.error ? `: ${clean(event.error.message, true)}` : ''}`;
    case 'queued':
      return `◷ queued ${where}${note}`;
    default:
      return `• ${where}${note}: ${clean(event.status, true)}`;
  }
}

/**
 * The line before the history of a connection: always on the first one (`history: none` when empty), only
 * when something was missed on a reconnect.
 */
export function formatHistoryHeader(count: number, reconnect: boolean): string | undefined {
  const plural = count === 1 ? '' : 's';
  if (reconnect) return count === 0 ? undefined : `history: ${count} missed message${plural}`;
  return count === 0 ? 'history: none' : `history: ${count} message${plural}`;
}

function isTty(stream: NodeJS.ReadableStream | NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** Swallows write errors (EPIPE when the reader went away) while the client runs. */
function guardOutputs(io: ChatIo): () => void {
  const ignore = () => {};
  io.stdout.on('error', ignore);
  if (io.stderr !== io.stdout) io.stderr.on('error', ignore);
  return () => {
    io.stdout.off('error', ignore);
    if (io.stderr !== io.stdout) io.stderr.off('error', ignore);
  };
}

// ---------------------------------------------------------------------------------------------------------
// Entry point

/** Runs `meshchat chat`; `argv` are the arguments after `chat`. Resolves to the process exit code. */
export async function runChat(argv: string[], io: ChatIo, options: ChatOptions = {}): Promise<number> {
  let config: ChatConfig;
  try {
    const parsed = parseChatArgs(argv);
    if (parsed === 'help') {
      safeWrite(io.stdout, CHAT_USAGE);
      return 0;
    }
    config = parsed;
  } catch (err) {
    safeWrite(io.stderr, `meshchat chat: ${usageErrorFrom(err).message}\n`);
    return USAGE_EXIT_CODE;
  }

  const timing: Timing = {
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    ackTimeoutMs: options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    reconnectionDelayMs: options.reconnectionDelayMs ?? DEFAULT_RECONNECTION_DELAY_MS,
  };
  const unguard = guardOutputs(io);
  try {
    return config.json ? await runJsonMode(config, io, timing) : await runInteractive(config, io, timing);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    safeWrite(io.stderr, `meshchat chat: ${message.replace(/\s+/g, ' ').trim()}\n`);
    return 1;
  } finally {
    unguard();
  }
}

function parseChatArgs(argv: string[]): ChatConfig | 'help' {
  let values: { node?: string; user?: string; to?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        node: { type: 'string' },
        user: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw usageErrorFrom(err);
  }
  if (values.help) return 'help';
  const nodeText = requireFlag(values.node, '--node', 'url');
  const node = parseHttpUrlFlag('--node', nodeText);
  if (node.search !== '' || node.hash !== '') {
    throw new UsageError('--node must be a plain node URL without ?query or #fragment');
  }
  return {
    node,
    user: values.user === undefined ? undefined : parseUserNameFlag('--user', values.user),
    to: values.to === undefined || values.to === '*' ? values.to : parseNodeIdFlag('--to', values.to),
    json: values.json === true,
  };
}

// ---------------------------------------------------------------------------------------------------------
// --json mode

async function runJsonMode(config: ChatConfig, io: ChatIo, timing: Timing): Promise<number> {
  const printMessage = (raw: unknown) => safeWrite(io.stdout, `${JSON.stringify(raw)}\n`);
  const report = (entry: Record<string, unknown>) => safeWrite(io.stderr, `${JSON.stringify(entry)}\n`);

  let hello: NodeInfo | undefined;
  let nodes: NodeInfo[] = [];
  let closing = false;
  let retryTimer: NodeJS.Timeout | undefined;
  const ledger = new MessageLedger();

  const socket = createSocket(config.node, timing, () => ledger.since);
  const onMessage = (raw: unknown) => {
    const message = asMessage(raw);
    if (!message) {
      report({ error: { code: 'bad_event', message: 'ignored a malformed msg event from the node' } });
      return;
    }
    if (ledger.live(message)) printMessage(raw);
  };
  const onHistory = (payload: unknown) => {
    if (!Array.isArray(payload)) {
      report({ error: { code: 'bad_event', message: 'ignored a malformed history event from the node' } });
      return;
    }
    for (const raw of payload) {
      const entry = asMessage(raw);
      if (!entry || !isRecord(raw)) {
        report({ error: { code: 'bad_event', message: 'ignored a malformed history entry from the node' } });
        continue;
      }
      const decision = ledger.history(entry);
      if (decision === 'show') printMessage({ ...raw, history: true });
      else if (decision === 'status' && entry.id !== undefined && entry.status !== undefined) {
        // A message already printed whose delivery status changed while the client was away.
        const status: Record<string, unknown> = { id: entry.id, status: entry.status };
        if (entry.to !== undefined) status.to = entry.to;
        if (entry.seq !== undefined) status.seq = entry.seq;
        report({ status, history: true });
      }
    }
  };
  // Every listener is registered before the connection opens so nothing sent on connect is missed.
  socket.on('hello', (payload) => {
    hello = asHello(payload) ?? hello;
  });
  socket.on('nodes', (payload) => {
    nodes = asNodes(payload) ?? nodes;
  });
  socket.on('msg', onMessage);
  socket.on('history', onHistory);
  socket.on('status', (payload) => {
    const event = asStatusEvent(payload);
    if (event) ledger.status(event);
    report({ status: payload });
  });
  socket.on('error', (payload) => report({ error: asWireError(payload) }));
  let connectedOnce = false;
  socket.on('connect', () => {
    if (connectedOnce) report({ event: 'reconnected', node: config.node.href });
    connectedOnce = true;
  });
  socket.on('disconnect', (reason) => {
    if (closing) return;
    report({ event: 'disconnected', reason });
    if (reason === 'io server disconnect') {
      // socket.io does not retry when the node closed the session itself; try again after a pause.
      retryTimer = setTimeout(() => socket.connect(), timing.reconnectionDelayMs);
    }
  });

  const first = await waitForFirstConnect(socket, config.node, timing.connectTimeoutMs);
  if (!first.ok) {
    closing = true;
    socket.disconnect();
    report({ error: { code: 'unreachable', message: first.message } });
    return 1;
  }

  let failed = false;
  let lineNo = 0;
  const pending = new Set<Promise<void>>();
  const rl = readline.createInterface({
    input: io.stdin,
    terminal: false,
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const closed = new Promise<void>((resolve) => rl.once('close', () => resolve()));
  const onInputError = () => rl.close();
  io.stdin.on('error', onInputError);

  const fail = (n: number, code: string, message: string) => {
    failed = true;
    report({ error: { code, message }, line: n });
  };

  rl.on('line', (line) => {
    lineNo += 1;
    const n = lineNo;
    if (line.trim() === '') return;
    let input: unknown;
    try {
      input = JSON.parse(line);
    } catch (err) {
      fail(n, 'bad_json', `not a JSON line: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!isRecord(input)) {
      fail(n, 'bad_input', 'expected a JSON object {"to", "msg", "user"?}');
      return;
    }
    if (typeof input.msg !== 'string') {
      fail(n, 'bad_input', '"msg" must be a string');
      return;
    }
    if (input.to !== undefined && (typeof input.to !== 'string' || input.to === '')) {
      fail(n, 'bad_input', '"to" must be a non-empty string (a node id)');
      return;
    }
    if (input.user !== undefined && typeof input.user !== 'string') {
      fail(n, 'bad_input', '"user" must be a string');
      return;
    }
    const to = (input.to as string | undefined) ?? config.to ?? findSelf(hello, nodes, config.node)?.id;
    if (to === undefined) {
      fail(n, 'bad_input', 'no "to" given and no default destination (use --to or add "to" to the line)');
      return;
    }
    const payload: OutgoingMessage = { to, msg: input.msg };
    const user = (input.user as string | undefined) ?? config.user;
    if (user !== undefined) payload.user = user;
    const sent = sendMessage(socket, payload, timing.ackTimeoutMs).then((result) => {
      if (!result.ok) {
        failed = true;
        report({ error: result.error, line: n });
      } else if (result.id !== undefined) {
        ledger.noteStatus(result.id, result.status);
      }
    });
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
  });

  await closed;
  io.stdin.off('error', onInputError);
  // Each pending send settles within the ack timeout, so this wait is bounded.
  await Promise.all([...pending]);
  closing = true;
  clearTimeout(retryTimer);
  socket.disconnect();
  return failed ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------
// Interactive mode

async function runInteractive(config: ChatConfig, io: ChatIo, timing: Timing): Promise<number> {
  const terminal = isTty(io.stdin) && isTty(io.stdout);
  let rl: readline.Interface | undefined;
  let inputOpen = false;
  let closing = false;
  let connectedOnce = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let hello: NodeInfo | undefined;
  let nodes: NodeInfo[] | undefined;
  let destination = config.to;
  let user = config.user;
  let histories = 0;
  const ledger = new MessageLedger();
  const pending = new Set<Promise<void>>();

  /** Prints whole lines without garbling what the user is typing: clear the line, print, redraw the prompt. */
  const print = (text: string) => {
    if (rl && terminal && inputOpen) {
      readline.cursorTo(io.stdout, 0);
      readline.clearLine(io.stdout, 0);
      safeWrite(io.stdout, `${text}\n`);
      rl.prompt(true);
    } else {
      safeWrite(io.stdout, `${text}\n`);
    }
  };
  const self = () => findSelf(hello, nodes ?? [], config.node);
  const currentDestination = () => destination ?? self()?.id;
  const currentLabel = () => {
    const dest = currentDestination();
    return dest === undefined ? '?' : destinationLabel(dest);
  };
  const updatePrompt = () => rl?.setPrompt(`${user ? `${clean(user, true)} ` : ''}→ ${currentLabel()}> `);
  const showPrompt = () => {
    if (rl && terminal && inputOpen) rl.prompt(true);
  };

  const socket = createSocket(config.node, timing, () => ledger.since);
  const onMessage = (raw: unknown) => {
    const message = asMessage(raw);
    if (!message) return;
    if (ledger.live(message)) print(formatMessage(message));
  };
  const onHistory = (payload: unknown) => {
    if (!Array.isArray(payload)) return;
    const reconnect = histories > 0;
    histories += 1;
    const lines: string[] = [];
    let count = 0;
    for (const raw of payload) {
      const entry = asMessage(raw);
      if (!entry) continue;
      const decision = ledger.history(entry);
      if (decision === 'show') {
        count += 1;
        lines.push(formatMessage(entry));
      } else if (decision === 'status' && entry.id !== undefined && entry.status !== undefined) {
        const change: StatusEvent = { id: entry.id, status: entry.status };
        if (entry.to !== undefined) change.to = entry.to;
        lines.push(formatStatus(change));
      }
    }
    const header = formatHistoryHeader(count, reconnect);
    if (header !== undefined) print(header);
    for (const line of lines) print(line);
  };
  socket.on('hello', (payload) => {
    const node = asHello(payload);
    if (!node) return;
    const changed = hello?.id !== node.id;
    hello = node;
    if (changed) {
      updatePrompt();
      print(
        `you are on node ${clean(node.id, true)}${node.url ? ` (${clean(node.url, true)})` : ''}; ` +
          `messages go to ${currentLabel()}`,
      );
    }
  });
  socket.on('nodes', (payload) => {
    const next = asNodes(payload);
    if (!next) return;
    const previous = nodes;
    nodes = next;
    const changes = previous ? nodeChanges(previous, next) : [];
    if (changes.length > 0) print(`nodes: ${clean(changes.join(', '), true)}`);
    updatePrompt();
  });
  socket.on('msg', onMessage);
  socket.on('history', onHistory);
  socket.on('status', (payload) => {
    const event = asStatusEvent(payload);
    if (event && ledger.status(event)) print(formatStatus(event));
  });
  socket.on('error', (payload) => {
    const error = asWireError(payload);
    print(`✗ node error: ${clean(error.message, true)} (${clean(error.code, true)})`);
  });
  socket.on('connect', () => {
    print(
      connectedOnce
        ? `reconnected to ${config.node.href}`
        : `connected to ${config.node.href}; type /help for commands`,
    );
    connectedOnce = true;
  });
  socket.on('disconnect', (reason) => {
    if (closing) return;
    print(`connection lost (${reason}); reconnecting…`);
    if (reason === 'io server disconnect') {
      retryTimer = setTimeout(() => socket.connect(), timing.reconnectionDelayMs);
    }
  });

  safeWrite(io.stdout, `connecting to ${config.node.href} …\n`);
  const first = await waitForFirstConnect(socket, config.node, timing.connectTimeoutMs);
  if (!first.ok) {
    closing = true;
    socket.disconnect();
    safeWrite(io.stderr, `meshchat chat: ${first.message}\n`);
    return 1;
  }

  const input = io.stdin;
  const lineReader = readline.createInterface({
    input,
    output: terminal ? io.stdout : undefined,
    terminal,
    crlfDelay: Number.POSITIVE_INFINITY,
    historySize: terminal ? 100 : 0,
  });
  rl = lineReader;
  inputOpen = true;
  const closed = new Promise<void>((resolve) =>
    lineReader.once('close', () => {
      inputOpen = false;
      resolve();
    }),
  );
  const onInputError = () => lineReader.close();
  input.on('error', onInputError);
  lineReader.on('SIGINT', () => lineReader.close());

  updatePrompt();

  const printNodes = () => {
    if (!nodes) {
      print('no node list received yet');
      return;
    }
    const here = self()?.id;
    const dest = currentDestination();
    const width = Math.min(24, Math.max(2, ...nodes.map((n) => n.id.length)));
    const lines = [`nodes (${nodes.length}):`];
    for (const n of nodes) {
      const mark = `${n.id === here ? '*' : ' '}${n.id === dest ? '>' : ' '}`;
      const notes = [
        stateLabel(n.state),
        n.id === here ? 'you are here' : undefined,
        n.id === dest ? 'destination' : undefined,
      ]
        .filter((x) => x !== undefined)
        .join(', ');
      lines.push(
        `${mark} ${clean(n.id.padEnd(width), true)}  ${clean(n.url, true)}${notes ? `  (${notes})` : ''}`,
      );
    }
    if (dest === '*') lines.push(' > *  (every node: broadcast)');
    else if (dest !== undefined && !nodes.some((n) => n.id === dest))
      lines.push(` > ${clean(dest, true)}  (not in the list)`);
    for (const line of lines) print(line);
  };

  const send = (text: string) => {
    const to = currentDestination();
    if (to === undefined) {
      print('✗ no destination yet: choose one with /to <id>');
      return;
    }
    const payload: OutgoingMessage = { to, msg: text };
    if (user !== undefined) payload.user = user;
    const sent = sendMessage(socket, payload, timing.ackTimeoutMs).then((result) => {
      if (result.ok && result.id !== undefined) ledger.noteStatus(result.id, result.status);
      print(formatAck(result, to));
    });
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
  };

  const command = (line: string) => {
    const match = /^\/(\S*)\s*(.*)$/s.exec(line.trim());
    const name = match?.[1]?.toLowerCase() ?? '';
    const arg = match?.[2]?.trim() ?? '';
    switch (name) {
      case 'nodes':
        printNodes();
        return;
      case 'to': {
        if (arg === '') {
          print(
            currentDestination() !== undefined
              ? `messages go to ${currentLabel()}`
              : 'no destination yet: choose one with /to <id> (or /to * for every node)',
          );
          return;
        }
        if (arg === '*') {
          destination = arg;
          updatePrompt();
          print('messages go to every node (*)');
          return;
        }
        if (!isValidNodeId(arg)) {
          print(
            `✗ '${clean(arg, true)}' is not a node id (letters, digits, '.', '_', '-'; at most 64 characters; * for every node)`,
          );
          return;
        }
        destination = arg;
        updatePrompt();
        const target = nodes?.find((n) => n.id === arg);
        if (nodes && !target) {
          print(`! node ${arg} is not in the node list; messages to it may be queued or refused`);
        } else if (target && target.state !== 'alive') {
          print(`! node ${arg} is ${clean(stateLabel(target.state), true)}; messages to it may fail`);
        }
        print(`messages go to ${arg}`);
        return;
      }
      case 'name': {
        if (arg === '') {
          print(user ? `your name is ${clean(user, true)} (/name - clears it)` : 'no name set: /name <user>');
          return;
        }
        if (arg === '-') {
          user = undefined;
          updatePrompt();
          print('name cleared');
          return;
        }
        try {
          user = parseUserNameFlag('name', arg);
        } catch (err) {
          print(`✗ ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
        updatePrompt();
        print(`your name is ${user}`);
        return;
      }
      case 'help':
      case '?':
        for (const helpLine of INTERACTIVE_HELP) print(helpLine);
        return;
      case 'quit':
      case 'exit':
      case 'q':
        lineReader.close();
        return;
      default:
        print(`✗ unknown command /${clean(name, true)}; type /help`);
    }
  };

  lineReader.on('line', (line) => {
    if (closing) return;
    if (line.trim() === '') {
      showPrompt();
      return;
    }
    if (line.startsWith('//')) send(line.slice(1));
    else if (line.trimStart().startsWith('/')) command(line);
    else send(line);
    showPrompt();
  });
  showPrompt();

  await closed;
  input.off('error', onInputError);
  if (pending.size > 0) {
    print(`waiting for ${pending.size} acknowledgement${pending.size === 1 ? '' : 's'}…`);
    await Promise.all([...pending]);
  }
  closing = true;
  clearTimeout(retryTimer);
  socket.disconnect();
  if (terminal) safeWrite(io.stdout, '\n');
  return 0;
}
