import {
  type ChatClient,
  type ChatMessage,
  EVERYONE,
  isUserAddress,
  type PresenceEvent,
} from '../../src/client/index.js';
import { addIncoming, addNotice, conversation, touchSent } from './conversations.js';
import { plural } from './format.js';
import { peerInfo } from './peers.js';
import type { SentEntry } from './sent-messages.js';
import type { AppState } from './state.js';
import type { Store } from './store.js';

/** Node notices beyond this many in one batch are summed up in one line (a network merge). */
const MAX_NODE_NOTICES = 5;

export interface StoreEventHooks {
  /** The open conversation went away: open Everyone instead. */
  openEveryone(): void;
  /** A node's error frame, in words, for the composer's hint line. */
  nodeError(text: string): void;
  /** One of the node's users came online or went offline. */
  presence(change: PresenceEvent): void;
  /** The node refused this page's login token (expired, revoked): the page goes on anonymously. */
  loginRefused(): void;
  /**
   * The node is private (it serves logged-in users only) and this page is anonymous: it turned the connection
   * away (an `auth_required` error frame, then close 4401) and would turn away every new one.
   */
  authRequired(): void;
}

/**
 * What the client core tells, written into the page's state: the one place the store hears the node.
 * Returns the function that stops listening.
 */
export function storeEvents(client: ChatClient, store: Store<AppState>, hooks: StoreEventHooks): () => void {
  /** The core's view of the nodes and the map, read again after anything that may change them. */
  const refresh = (s: AppState): void => {
    s.nodes = client.knownNodes().filter((n) => n.listed || s.conversations.has(n.id));
    const mesh = client.mesh;
    if (mesh) s.mesh = mesh;
    else delete s.mesh;
  };
  /** The read marks were made by this connection's first history (a first visit, or a node that lost data). */
  let freshMarks = false;
  const touch = (s: AppState, entry: SentEntry | undefined): void => {
    if (entry) touchSent(s, [entry]);
  };
  /** A message the core says to show; a copy of a send of this page (`ownRef`) updates that send instead. */
  const show = (s: AppState, message: ChatMessage, ownRef: string | undefined, live: boolean): void => {
    if (ownRef !== undefined) {
      touch(s, s.sends.claimed(ownRef, message));
      return;
    }
    const sent = s.sends.fromThisNode(message, s.self?.id, s.account.me);
    addIncoming(s, sent ? { message, sent } : { message }, live);
  };

  const stops = [
    client.on('connection', (status) => {
      store.update((s) => {
        s.conn = status;
        refresh(s);
      });
      if (status.loginRefused) queueMicrotask(() => hooks.loginRefused());
    }),
    client.on('login', (user) =>
      store.update((s) => {
        s.account.me = user;
      }),
    ),
    client.on('presence', (change) => hooks.presence(change)),
    client.on('hello', (self) =>
      store.update((s) => {
        s.self = self;
        conversation(s, self.id);
      }),
    ),
    client.on('nodes', (listed) =>
      store.update((s) => {
        for (const n of listed) conversation(s, n.id);
        refresh(s);
      }),
    ),
    client.on('notices', (notices) =>
      store.update((s) => {
        refresh(s);
        for (const notice of notices.slice(0, MAX_NODE_NOTICES))
          addNotice(s, notice.id, notice.text, { node: true });
        if (notices.length > MAX_NODE_NOTICES)
          s.announcements.push(`${plural(notices.length, 'change')} to the node list`);
      }),
    ),
    client.on('mesh', () => store.update(refresh)),
    client.on('history', (batch) =>
      store.update((s) => {
        if (!s.firstHistorySeen) {
          s.firstHistorySeen = true;
          freshMarks = settleReadMarks(s, client.since ?? 0);
        } else if (batch.direct && !batch.reconnect && freshMarks && s.readMarks) {
          // The login's direct messages are the rest of the first history: on a first visit, read too.
          s.readMarks.base = s.readMarks.top = Math.max(s.readMarks.top, client.since ?? 0);
        }
        for (const item of batch.items) {
          if (item.kind === 'status') touch(s, s.sends.status(item.change));
          else show(s, item.message, item.ownRef, false);
        }
        s.older = { available: client.hasOlder, loading: false };
        if (staleOpenConversation(s)) queueMicrotask(() => hooks.openEveryone());
      }),
    ),
    client.on('older', (batch) =>
      store.update((s) => {
        // Older messages go in their place by time; they were read long ago, or never will be news.
        for (const item of batch.items) {
          if (item.kind === 'status') touch(s, s.sends.status(item.change));
          else show(s, item.message, item.ownRef, false);
        }
        s.older = { available: client.hasOlder, loading: false };
      }),
    ),
    client.on('message', ({ message, ownRef }) => store.update((s) => show(s, message, ownRef, true))),
    client.on('ack', (report) => store.update((s) => touch(s, s.sends.acked(report)))),
    client.on('status', ({ event }) => store.update((s) => touch(s, s.sends.status(event)))),
    client.on('error', (error) => {
      // A refused login token: the close that follows ends this connection and the page says so itself.
      if (error.code === 'unauthenticated') return;
      // A private node turning an anonymous page away: the page asks for a sign-in, in its own words.
      if (error.code === 'auth_required' && !store.state.account.signedIn) {
        queueMicrotask(() => hooks.authRequired());
        return;
      }
      // A refused request for older history may be asked again.
      if (store.state.older.loading)
        store.update((s) => (s.older = { available: client.hasOlder, loading: false }));
      const text = `Node error${error.code ? ` (${error.code})` : ''}: ${error.message}`;
      store.update((s) => {
        if (s.openKey !== undefined) addNotice(s, s.openKey, text, { error: true });
      });
      hooks.nodeError(text);
    }),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}

/**
 * A conversation remembered from an earlier visit with a node this network does not know (any more), and
 * nothing in it: it goes, and the page opens Everyone instead of an empty conversation with a stranger.
 */
function staleOpenConversation(s: AppState): boolean {
  const key = s.openKey;
  if (key === undefined || key === EVERYONE || key === s.self?.id || s.nodes.length === 0) return false;
  // A user's conversation is not a node's: signing out or in decides about it, not the node list.
  if (isUserAddress(key)) return false;
  if (peerInfo(s, key) || (s.conversations.get(key)?.items.length ?? 0) > 0) return false;
  s.conversations.delete(key);
  return true;
}

/**
 * The first history of a page load decides whether the stored read marks still fit this node: on a first
 * visit, or when the node's history cursor went back (it lost its data), everything in it counts as read.
 * Returns whether it made new marks.
 */
function settleReadMarks(s: AppState, top: number): boolean {
  if (s.readMarks && top >= s.readMarks.top) return false;
  s.readMarks = { base: top, top, convs: {} };
  s.readMarksDirty = true;
  return true;
}
