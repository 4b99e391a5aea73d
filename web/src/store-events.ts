import { addIncoming, addNotice, conversation, dropDuplicate, touchSent } from './conversations.js';
import { plural } from './format.js';
import { peerInfo } from './peers.js';
import type { ClientEvents } from './protocol/client.js';
import { EVERYONE } from './protocol/frames.js';
import type { AppState } from './state.js';
import type { Store } from './store.js';

/** Node-list changes beyond this many in one update are summed up in one line (a network merge). */
const MAX_NODE_NOTICES = 5;

export interface StoreEventHooks {
  /** The protocol client's history cursor. */
  cursor(): number | undefined;
  /** The open conversation went away: open Everyone instead. */
  openEveryone(): void;
  /** A node's error frame, in words, for the composer's hint line. */
  nodeError(text: string): void;
}

/** What the protocol client tells, written into the page's state: the one place the store hears the wire. */
export function storeEvents(store: Store<AppState>, hooks: StoreEventHooks): ClientEvents {
  return {
    connection: (status) =>
      store.update((s) => {
        s.conn = status;
      }),
    hello: (self) =>
      store.update((s) => {
        s.self = self;
        conversation(s, self.id);
      }),
    nodes: (nodes, changes) =>
      store.update((s) => {
        const listed = new Set(nodes.map((n) => n.id));
        for (const n of s.nodes) if (!listed.has(n.id)) s.gone.set(n.id, n);
        for (const n of nodes) {
          s.gone.delete(n.id);
          conversation(s, n.id);
        }
        s.nodes = nodes;
        for (const change of changes.slice(0, MAX_NODE_NOTICES))
          addNotice(s, change.id, change.text, { node: true });
        if (changes.length > MAX_NODE_NOTICES)
          s.announcements.push(`${plural(changes.length, 'change')} to the node list`);
      }),
    mesh: (frame) =>
      store.update((s) => {
        if (frame) s.mesh = frame;
        else delete s.mesh;
      }),
    history: (batch) =>
      store.update((s) => {
        if (!s.firstHistorySeen) {
          s.firstHistorySeen = true;
          settleReadMarks(s, hooks.cursor() ?? 0);
        }
        for (const incoming of batch) addIncoming(s, incoming, false);
        if (staleOpenConversation(s)) queueMicrotask(() => hooks.openEveryone());
      }),
    message: (incoming) => store.update((s) => addIncoming(s, incoming, true)),
    sent: (entries) => store.update((s) => touchSent(s, entries)),
    duplicate: (id, keep) => store.update((s) => dropDuplicate(s, id, keep)),
    nodeError: (error) => {
      const text = `Node error${error.code ? ` (${error.code})` : ''}: ${error.message}`;
      store.update((s) => {
        if (s.openKey !== undefined) addNotice(s, s.openKey, text, { error: true });
      });
      hooks.nodeError(text);
    },
  };
}

/**
 * A conversation remembered from an earlier visit with a node this network does not know (any more), and
 * nothing in it: it goes, and the page opens Everyone instead of an empty conversation with a stranger.
 */
function staleOpenConversation(s: AppState): boolean {
  const key = s.openKey;
  if (key === undefined || key === EVERYONE || key === s.self?.id || s.nodes.length === 0) return false;
  if (peerInfo(s, key) || (s.conversations.get(key)?.items.length ?? 0) > 0) return false;
  s.conversations.delete(key);
  return true;
}

/**
 * The first history of a page load decides whether the stored read marks still fit this node: on a first
 * visit, or when the node's history cursor went back (it lost its data), everything in it counts as read.
 */
function settleReadMarks(s: AppState, top: number): void {
  if (!s.readMarks || top < s.readMarks.top) {
    s.readMarks = { base: top, top, convs: {} };
    s.readMarksDirty = true;
  }
}
