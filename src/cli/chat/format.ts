// How the terminal client writes what the client core reports: one line each, remote text made safe.
import {
  type AckResult,
  type ChatMessage,
  type FileReference,
  isDirectMessage,
  type NodeNotice,
  type PeerView,
  type PresenceEvent,
  type StatusEvent,
  shownFileName,
} from '../../client/index.js';
import { formatBytes } from '../files/progress.js';
import { CONTROL } from '../terminal-text.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what gets neutralised
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Makes remote text safe for a terminal: control characters (escape sequences, CR…) become visible escapes. */
export function clean(text: string, singleLine = false): string {
  return text.replace(singleLine ? CONTROL : CONTROL_CHARS, (c) => {
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

/** How a node's state reads to a person; a state this client does not know is shown as sent. */
export function stateLabel(state: string): string {
  switch (state) {
    case 'alive':
      return 'up';
    case 'suspect':
      return 'not answering';
    case 'dead':
      return 'down';
    case 'unknown':
      return 'unknown';
    default:
      return state;
  }
}

/** How a destination reads: a node id, or `* (every node)` for a broadcast. */
export function destinationLabel(to: string): string {
  return to === '*' ? '* (every node)' : clean(to, true);
}

/**
 * `[HH:MM:SS] <from>[ ✓][ (user)] → <to>: <msg>`; a broadcast reads `→ * (every node)`; a message sent from
 * this node (a history entry with a status) ends with `  [<status>]`. A direct message reads
 * `[HH:MM:SS] ✉ alice@a → you: <msg>` (`you` standing for `me`, the address the client is logged in as). ` ✓`
 * marks a verified sender (the node checked its origin's signature). A message with a file has a second
 * line, `formatFileLine`.
 */
export function formatMessage(message: ChatMessage, me?: string): string {
  const line = formatText(message, me);
  return message.file === undefined ? line : `${line}\n${formatFileLine(message.file)}`;
}

/**
 * The line under a message that points to a file: `  📎 <name> (<size>) · meshchat get <id>`, the command
 * that downloads it (add `--node URL` as for any command).
 */
export function formatFileLine(file: FileReference): string {
  return `  📎 ${clean(shownFileName(file.name), true)} (${formatBytes(file.size)}) · meshchat get ${file.id}`;
}

function formatText(message: ChatMessage, me?: string): string {
  if (isDirectMessage(message)) return formatDirect(message, me);
  const from = `${clean(message.from ?? '?', true)}${verifiedMark(message)}`;
  const user = message.user !== undefined && message.user !== '' ? ` (${clean(message.user, true)})` : '';
  const to = message.to === undefined ? '?' : destinationLabel(message.to);
  const status = message.status !== undefined ? `  [${clean(message.status, true)}]` : '';
  return `[${clock(message.ts)}] ${from}${user} → ${to}: ${clean(message.msg)}${status}`;
}

function formatDirect(message: ChatMessage, me: string | undefined): string {
  const who = (address: string | undefined) =>
    address === undefined ? '?' : address === me ? 'you' : clean(address, true);
  const status = message.status !== undefined ? `  [${clean(message.status, true)}]` : '';
  const from = `${who(message.fromUser)}${verifiedMark(message)}`;
  return `[${clock(message.ts)}] ✉ ${from} → ${who(message.to)}: ${clean(message.msg)}${status}`;
}

/** ` ✓` after the sender of a message whose origin node's signature the client's node checked. */
function verifiedMark(message: ChatMessage): string {
  return message.verified ? ' ✓' : '';
}

/** `• bob@a is online`, or `• bob@a went offline (last seen HH:MM:SS)`. */
export function formatPresence(change: PresenceEvent): string {
  const user = clean(change.user, true);
  if (change.online) return `• ${user} is online`;
  return `• ${user} went offline${change.lastSeen ? ` (last seen ${clock(change.lastSeen)})` : ''}`;
}

/** The `/users` listing: each user's address, and `online` or when last seen. */
export function formatUserList(
  users: readonly { user: string; online: boolean; lastSeen: string | null }[],
): string[] {
  const width = Math.min(48, Math.max(4, ...users.map((u) => u.user.length)));
  return [
    `users (${users.length}):`,
    ...users.map((u) => {
      const state = u.online
        ? 'online'
        : u.lastSeen
          ? `offline, last seen ${clean(u.lastSeen, true)}`
          : 'offline';
      return `  ${clean(u.user.padEnd(width), true)}  ${state}`;
    }),
  ];
}

/** Whose node a queued message waits for: `node b`, or for a direct message `ben@b's node b`. */
function queuedFor(to: string): string {
  const at = to.lastIndexOf('@');
  if (at < 0) return `node ${clean(to, true)}`;
  return `${clean(to, true)}'s node ${clean(to.slice(at + 1), true)}`;
}

/** The line for the node's answer to a message this client sent to `to`. */
export function formatAck(result: AckResult, to: string): string {
  // The node's sentence names the socket.io and /ws frames a front end sends; this one names the flag.
  if (!result.ok && result.error.code === 'auth_required')
    return '✗ log in to send this: start meshchat chat again with --login NAME';
  if (!result.ok) return `✗ ${clean(result.error.message, true)}`;
  const id = result.id !== undefined ? ` ${clean(result.id, true)}` : '';
  if (result.status === 'queued') {
    return to === '*'
      ? `◷ queued${id} (not every node took it at once; will retry the others)`
      : `◷ queued${id} (${queuedFor(to)} is not reachable; will retry)`;
  }
  if (result.status === 'delivered' && to === '*') return `✓ delivered${id} to every node`;
  return `✓ ${clean(result.status, true)}${id}`;
}

/**
 * The line for a status event (or a status change found in the history): `✓ delivered <id> to <node>`, with
 * `(was queued)` only when the user was told `queued` before (`previous`); `✗ expired <id> to <node> (never
 * delivered)`, `✗ failed <id> to <node>: <why>`. For one node of a broadcast the node is named and
 * `broadcast` noted; a broadcast as a whole reads `to every node`.
 */
export function formatStatus(event: StatusEvent, previous?: string): string {
  const id = clean(event.id, true);
  const notes: string[] = [];
  let where = id;
  if (event.to?.includes('@')) {
    // A direct message: its recipient, not only the node it lives on.
    where = `${id} to ${clean(event.to, true)}`;
  } else if (event.node !== undefined && event.node !== '') {
    where = `${id} to ${clean(event.node, true)}`;
    if (event.to === '*') notes.push('broadcast');
  } else if (event.to !== undefined && event.to !== '') {
    where = `${id} to ${event.to === '*' ? 'every node' : clean(event.to, true)}`;
  }
  if (event.status === 'delivered' && previous === 'queued') notes.push('was queued');
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
export function formatHistoryHeader(count: number, reconnect: boolean, more = false): string | undefined {
  const plural = count === 1 ? '' : 's';
  const older = more ? ' (older ones: /older)' : '';
  if (reconnect) return count === 0 ? undefined : `history: ${count} missed message${plural}${older}`;
  return count === 0 ? 'history: none' : `history: ${count} message${plural}${older}`;
}

/** The line before a page of older history: how many, and whether there are more still. */
export function formatOlderHeader(count: number, more: boolean): string {
  const what = count === 1 ? '1 older message' : `${count} older messages`;
  return `${what}${more ? ' (more: /older)' : '; that is the start of the history the node keeps'}`;
}

/**
 * Node changes, compact, in the order given: `+id` (joined, with its state when it is not up), `id back`,
 * `id not answering`, `id <state>`, `id came back`, `-id` (gone, reason not told), `-id (left)`, `-id (down)`.
 */
export function formatNotices(notices: readonly NodeNotice[]): string {
  return `nodes: ${notices.map(noticePart).join(', ')}`;
}

function noticePart(n: NodeNotice): string {
  const id = clean(n.id, true);
  switch (n.kind) {
    case 'joined':
      return n.state === 'alive' ? `+${id}` : `+${id} (${clean(stateLabel(n.state), true)})`;
    case 'came-back':
      return `${id} came back`;
    case 'recovered':
      return `${id} back`;
    case 'suspect':
    case 'state':
      return `${id} ${clean(stateLabel(n.state), true)}`;
    case 'left':
      return `-${id} (left)`;
    case 'dead':
      return `-${id} (down)`;
    case 'gone':
      return `-${id}`;
  }
}

/** The `/nodes` listing: `*` marks the node the client is on, `>` the destination. */
export function formatNodeList(
  nodes: readonly PeerView[],
  destination: string | undefined,
  reachable: boolean,
): string[] {
  const here = nodes.find((n) => n.self)?.id;
  const width = Math.min(24, Math.max(2, ...nodes.map((n) => n.id.length)));
  const lines = [`nodes (${nodes.length}):${reachable ? '' : ' (your node is unreachable: states unknown)'}`];
  for (const n of nodes) {
    const mark = `${n.id === here ? '*' : ' '}${n.id === destination ? '>' : ' '}`;
    const notes = [
      stateLabel(n.state),
      n.id === here ? 'you are here' : undefined,
      n.id === destination ? 'destination' : undefined,
      n.verified ? 'verified' : undefined,
    ]
      .filter((x) => x !== undefined)
      .join(', ');
    lines.push(
      `${mark} ${clean(n.id.padEnd(width), true)}  ${clean(n.url, true)}${notes ? `  (${clean(notes, true)})` : ''}`,
    );
  }
  if (destination === '*') lines.push(' > *  (every node: broadcast)');
  else if (destination !== undefined && !nodes.some((n) => n.id === destination))
    lines.push(` > ${clean(destination, true)}  (not in the list)`);
  return lines;
}
