import type {
  ChatMessage,
  ConnectionStatus,
  ListedUser,
  MeshGraph,
  NodeInfo,
  PeerView,
} from '../../src/client/index.js';
import { type SentEntry, type SentMemory, SentMessages } from './sent-messages.js';

/** Read marks kept across page loads: per conversation, the highest `seq` the user has seen there. */
export interface ReadMarks {
  /** Everything up to this cursor counts as read in a conversation without its own mark. */
  base: number;
  /** The highest cursor ever seen; a history that ends below it means the node lost its data. */
  top: number;
  convs: Record<string, number>;
}

/** Which pane is in front: on a phone only that one shows; on a laptop the list and chat always do. */
export type View = 'list' | 'chat' | 'mesh';

/** A message as the page shows it: always with a sender and a destination (a node may leave them out). */
export type ShownMessage = ChatMessage & { from: string; to: string };

export interface MessageItem {
  kind: 'msg';
  message: ShownMessage;
  /** Epoch ms the message is placed and dated by. */
  time: number;
  /** Sent from this node: its ledger entry, for the tick. */
  sent?: SentEntry;
  /** The user sent this text again: the resend offer goes. */
  resent?: boolean;
}

export interface NoticeItem {
  kind: 'notice';
  text: string;
  time: number;
  error: boolean;
  /** A node joined, changed state or left. */
  node: boolean;
  /** The same notice came this many times in a row (shown once, with the count); 1 when it came once. */
  repeats: number;
}

export type LogItem = MessageItem | NoticeItem;

/** One conversation: with a node (keyed by its id), a user (their address `name@node`), or Everyone (`*`). */
export interface Conversation {
  key: string;
  /** Messages and notices, oldest first. */
  items: LogItem[];
  unread: number;
  /** The highest history cursor among its messages (what "read up to here" stores). */
  maxSeq?: number;
  /** The latest message: who sent it and its start, each in its own writing direction. */
  preview?: { who: string; text: string };
  lastTime: number;
  /** The first message the user had not read when opening it: the "new messages" line goes above it. */
  newFrom?: LogItem;
  /** Grows with every change to its items (or their ticks): views redraw when it moves. */
  version: number;
}

/** The sign-in panel and who this page is signed in as. */
export interface AccountState {
  /** The address the node logged this page's connection in as; undefined while anonymous. */
  me?: string;
  /** A token is in use: the page connects signed in (the node has not necessarily answered yet). */
  signedIn: boolean;
  panelOpen: boolean;
  /** A request to the node is under way: the form's buttons wait. */
  busy: boolean;
  /** The last refusal, in the node's words, shown under the form. */
  error?: string;
  /** A line for the header: the session ended, or signing out did not reach the node. */
  notice?: string;
}

/** The mesh directory as the People section shows it. */
export interface PeopleState {
  users: readonly ListedUser[];
  /** Nodes whose users could not be listed (not answering). */
  missing: readonly string[];
  /** Whether an answer ever came; `error` is why the last try failed. */
  loaded: boolean;
  error?: string;
}

export interface AppState {
  self?: NodeInfo;
  account: AccountState;
  people: PeopleState;
  conn: ConnectionStatus;
  /**
   * The nodes as the client core tells them (states `unknown` while this page cannot hear its node): the
   * node's list (this node first), then those no longer listed that this page has a conversation with.
   */
  nodes: readonly PeerView[];
  /** The latest mesh map of this connection; undefined until one arrives (then the map is a star). */
  mesh?: MeshGraph;
  /** The ticks of messages sent from this node. */
  sends: SentMessages;
  conversations: Map<string, Conversation>;
  /** The conversation on screen (the composer sends there); on a phone's list view it is only highlighted. */
  openKey?: string;
  view: View;
  /** The conversation pane is on screen and the tab visible: what arrives in the open one is read. */
  reading: boolean;
  /** Lines for screen readers, spoken and dropped by the announcer. */
  announcements: string[];
  readMarks?: ReadMarks;
  readMarksDirty: boolean;
  /** True once the first history of this page load was read (it decides whether the read marks still hold). */
  firstHistorySeen: boolean;
  /** A node's error frame, for the composer's hint. */
  nodeError?: string;
  /** The node keeps older history than it sent this page (`available`), and a page of it is on its way. */
  older: { available: boolean; loading: boolean };
}

export function createState(readMarks: ReadMarks | undefined, sentIds: SentMemory): AppState {
  const state: AppState = {
    conn: { state: 'idle', failures: 0 },
    account: { signedIn: false, panelOpen: false, busy: false },
    people: { users: [], missing: [], loaded: false },
    nodes: [],
    sends: new SentMessages(sentIds),
    conversations: new Map(),
    view: 'chat',
    reading: false,
    announcements: [],
    readMarksDirty: false,
    firstHistorySeen: false,
    older: { available: false, loading: false },
  };
  if (readMarks) state.readMarks = readMarks;
  return state;
}

/**
 * What a new connection starts from when the page signs in or out: the conversations, ticks and read state of
 * the old identity go (the new connection's history brings back what this one may see), the rest stays.
 */
export function resetConversations(state: AppState, sentIds: SentMemory): void {
  state.conversations.clear();
  state.sends = new SentMessages(sentIds);
  state.firstHistorySeen = false;
  state.older = { available: false, loading: false };
  delete state.account.me;
  delete state.nodeError;
}
