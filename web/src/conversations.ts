import {
  type ChatClient,
  type ChatMessage,
  conversationKey,
  EVERYONE,
  type OutgoingMessage,
} from '../../src/client/index.js';
import { ellipsize, limitChars, MAX_USER_CHARS, parseTime } from './format.js';
import type { SentEntry } from './sent-messages.js';
import type { AppState, Conversation, LogItem, MessageItem, ShownMessage } from './state.js';

/** A message for the page to show; `sent` is set when it was sent from this node (it gets a tick). */
export interface Incoming {
  message: ChatMessage;
  sent?: SentEntry;
}

/** Items kept per conversation; older ones leave the page (the node keeps its own history). */
const MAX_CONV_ITEMS = 1000;
const PREVIEW_CHARS = 80;
const ANNOUNCE_CHARS = 160;

export function conversation(state: AppState, key: string): Conversation {
  let conv = state.conversations.get(key);
  if (!conv) {
    conv = { key, items: [], unread: 0, lastTime: 0, version: 0 };
    state.conversations.set(key, conv);
  }
  return conv;
}

export function convName(key: string): string {
  return key === EVERYONE ? 'Everyone' : key;
}

/**
 * A message goes to the conversation of the other node, a direct message to the other user's, a broadcast to
 * Everyone (the client core decides).
 */
export function conversationKeyOf(state: AppState, m: ChatMessage): string {
  return conversationKey(m, state.self?.id, state.account.me);
}

/**
 * Whether `a` goes after `b` in a log: by timestamp, and two messages of one node stamped in the same millisecond
 * by their ids (a meshchat node's ids grow in the order it stamps them).
 */
function isLater(a: LogItem, b: LogItem): boolean {
  if (a.time !== b.time) return a.time > b.time;
  if (a.kind !== 'msg' || b.kind !== 'msg' || a.message.from !== b.message.from) return false;
  const [later, earlier] = [a.message.id, b.message.id];
  return later !== undefined && earlier !== undefined && later > earlier;
}

function insert(conv: Conversation, item: LogItem, inOrder: boolean): void {
  const items = conv.items;
  // Live items go at the end; history is placed by its timestamp.
  let index = items.length;
  if (inOrder) while (index > 0 && isLater(items[index - 1] as LogItem, item)) index--;
  items.splice(index, 0, item);
  if (items.length > MAX_CONV_ITEMS) items.splice(0, items.length - MAX_CONV_ITEMS);
  conv.version++;
}

function notePreview(conv: Conversation, who: string, text: string, time: number): void {
  if (time < conv.lastTime) return;
  conv.lastTime = time;
  conv.preview = { who, text: ellipsize(text, PREVIEW_CHARS) };
}

export function markRead(state: AppState, conv: Conversation): void {
  conv.unread = 0;
  const marks = state.readMarks;
  if (marks && conv.maxSeq !== undefined && conv.maxSeq > (marks.convs[conv.key] ?? -1)) {
    marks.convs[conv.key] = conv.maxSeq;
    state.readMarksDirty = true;
  }
}

export function isReading(state: AppState, key: string): boolean {
  return state.reading && key === state.openKey;
}

/** A name is cut to what the composer allows, so a longer one cannot push the rest of the line away. */
function shownMessage(message: ChatMessage): ShownMessage {
  const shown = { ...message, from: message.from ?? '', to: message.to ?? '' };
  if (shown.user !== undefined) shown.user = limitChars(shown.user, MAX_USER_CHARS);
  return shown;
}

/** A message from the node (live or from history), in its conversation, counted unread when it is. */
export function addIncoming(state: AppState, incoming: Incoming, live: boolean): void {
  const m = shownMessage(incoming.message);
  const conv = conversation(state, conversationKeyOf(state, m));
  const item: MessageItem = { kind: 'msg', message: m, time: parseTime(m.ts).getTime() };
  if (incoming.sent) item.sent = incoming.sent;
  insert(conv, item, !live);
  const sent = incoming.sent;
  const who = sent?.byThisPage ? 'You' : sent ? (m.user ?? 'this node') : (m.user ?? `@${m.from}`);
  notePreview(conv, who, m.msg, item.time);
  if (m.seq !== undefined && (conv.maxSeq === undefined || m.seq > conv.maxSeq)) conv.maxSeq = m.seq;

  if (sent || isReading(state, conv.key)) {
    if (isReading(state, conv.key)) markRead(state, conv);
    if (!sent && live)
      state.announcements.push(`${m.user ?? 'anonymous'} at ${m.from}: ${ellipsize(m.msg, ANNOUNCE_CHARS)}`);
  } else if (live) {
    conv.unread += 1;
    state.announcements.push(
      `New message from ${m.user ?? 'anonymous'} at ${m.from} in ${convName(conv.key)}`,
    );
  } else if (
    state.readMarks &&
    m.seq !== undefined &&
    m.seq > (state.readMarks.convs[conv.key] ?? state.readMarks.base)
  ) {
    // Missed while this page was closed or disconnected.
    conv.unread += 1;
  }
}

/** Hands `message` to the client core and shows it at once, with its tick. */
export function sendAndShow(
  state: AppState,
  client: Pick<ChatClient, 'send'>,
  message: OutgoingMessage,
): void {
  const { ref } = client.send(message);
  addSend(state, state.sends.sending(ref, message));
}

/** A message this page sends now, shown at once with its tick. */
function addSend(state: AppState, sent: SentEntry): void {
  const message: ShownMessage = {
    from: state.self?.id ?? 'this node',
    to: sent.to,
    msg: sent.msg,
    ts: new Date().toISOString(),
  };
  if (sent.user !== undefined) message.user = sent.user;
  if (sent.file !== undefined) message.file = sent.file;
  const conv = conversation(state, sent.to);
  const item: MessageItem = { kind: 'msg', message, time: Date.now(), sent };
  insert(conv, item, false);
  notePreview(conv, 'You', sent.msg, item.time);
}

/**
 * A line of the page's own in a conversation. The same notice again right after itself (a node refusing a
 * burst of sends, each with the same error) takes the place of the one before, counted, instead of filling
 * the conversation with copies.
 */
export function addNotice(
  state: AppState,
  key: string,
  text: string,
  kind: { error?: boolean; node?: boolean } = {},
): void {
  const conv = conversation(state, key);
  const error = kind.error ?? false;
  const node = kind.node ?? false;
  const last = conv.items[conv.items.length - 1];
  let repeats = 1;
  if (last?.kind === 'notice' && last.text === text && last.error === error && last.node === node) {
    repeats = last.repeats + 1;
    conv.items.pop();
  }
  insert(conv, { kind: 'notice', text, time: Date.now(), error, node, repeats }, false);
}

/** The conversations holding sent messages whose tick changed: they are drawn again. */
export function touchSent(state: AppState, entries: readonly SentEntry[]): void {
  const changed = new Set(entries);
  for (const conv of state.conversations.values()) {
    if (conv.items.some((i) => i.kind === 'msg' && i.sent !== undefined && changed.has(i.sent)))
      conv.version++;
  }
}

/** Sent messages of a conversation by where they stand: what its header says waits or was given up. */
export function sentCounts(conv: Conversation): { waiting: number; givenUp: number } {
  let waiting = 0;
  let givenUp = 0;
  for (const item of conv.items) {
    if (item.kind !== 'msg' || !item.sent) continue;
    if (item.sent.base === 'queued') waiting++;
    else if ((item.sent.base === 'expired' || item.sent.base === 'failed') && !item.resent) givenUp++;
  }
  return { waiting, givenUp };
}

/**
 * Opens a conversation for reading: what was unread gets the "new messages" line above it, which stays
 * until another conversation is opened.
 */
export function openForReading(state: AppState, conv: Conversation): void {
  if (conv.unread > 0) {
    let left = conv.unread;
    for (let i = conv.items.length - 1; i >= 0; i--) {
      const item = conv.items[i];
      if (item?.kind !== 'msg' || item.sent) continue;
      left--;
      if (left === 0) {
        conv.newFrom = item;
        break;
      }
    }
  }
  conv.version++;
  markRead(state, conv);
}

export function totalUnread(state: AppState): number {
  let n = 0;
  for (const conv of state.conversations.values()) n += conv.unread;
  return n;
}
