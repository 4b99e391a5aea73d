import {
  addIncoming,
  addNotice,
  addSend,
  conversation,
  dropDuplicate,
  openForReading,
  totalUnread,
  touchSent,
} from './conversations.js';
import { plural } from './format.js';
import { peerInfo } from './peers.js';
import { type ClientEvents, ProtocolClient } from './protocol/client.js';
import { EVERYONE } from './protocol/frames.js';
import { type AppState, createState, type MessageItem } from './state.js';
import { PageStorage } from './storage.js';
import { Store } from './store.js';
import { renderAnnouncements } from './views/announcer.js';
import { Composer } from './views/composer.js';
import { ConnectionBar } from './views/connection-bar.js';
import { ConversationList } from './views/conversation-list.js';
import { ConversationView } from './views/conversation-view.js';
import { MeshMap } from './views/mesh-map.js';
import { Panes } from './views/panes.js';
import { findUi } from './views/ui.js';

/** Node-list changes beyond this many in one update are summed up in one line (a network merge). */
const MAX_NODE_NOTICES = 5;

export interface App {
  readonly store: Store<AppState>;
  stop(): void;
}

function localStorageOrNone(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/**
 * The chat page: builds the state, its store, the protocol client and the views, and wires them. Everything
 * the page holds lives in the objects made here; calling it twice makes two independent pages' worth.
 */
export function startApp(doc: Document = document): App {
  const ui = findUi(doc);
  const storage = new PageStorage(localStorageOrNone());
  const store = new Store(createState(storage.readMarks()));
  const state = store.state;

  const selectConversation = (key: string): void => {
    store.update((s) => {
      if (s.openKey === key) return;
      const previous = s.openKey === undefined ? undefined : s.conversations.get(s.openKey);
      if (previous?.newFrom) {
        previous.newFrom = undefined;
        previous.version++;
      }
      s.openKey = key;
      storage.openConversation = key;
      const conv = conversation(s, key);
      if (s.reading) openForReading(s, conv);
    });
    panes.updateReading();
  };

  const openConversation = (key: string): void => {
    selectConversation(key);
    panes.showChat();
    // On a touch screen, focusing the box would pop up the keyboard over the conversation.
    if (panes.coarsePointer.matches) ui.convTitle.focus();
    else ui.message.focus();
  };

  const resend = (item: MessageItem): void => {
    const old = item.sent;
    if (!old) return;
    store.update((s) => {
      item.resent = true;
      conversation(s, old.to).version++;
      addSend(s, client.send(old.to, old.msg, old.user));
    });
  };

  const list = new ConversationList(ui, openConversation);
  const chat = new ConversationView(ui, resend);
  const map = new MeshMap(ui, openConversation);
  const bar = new ConnectionBar(ui, () => client.reconnectNow());
  const panes = new Panes(ui, store, {
    readingChanged: () =>
      store.update((s) => {
        if (s.openKey !== undefined) openForReading(s, conversation(s, s.openKey));
      }),
    focusList: (key) => list.focus(key),
    focusMap: () => map.focus(),
  });
  const composer = new Composer(ui, storage, {
    send: (text, user) => {
      const to = state.openKey;
      if (to === undefined) return false;
      store.update((s) => addSend(s, client.send(to, text, user)));
      chat.scrollToEnd();
      return true;
    },
  });

  const events: ClientEvents = {
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
          settleReadMarks(s, client.cursor ?? 0);
        }
        for (const incoming of batch) addIncoming(s, incoming, false);
        forgetStaleOpenConversation(s);
      }),
    message: (incoming) => store.update((s) => addIncoming(s, incoming, true)),
    sent: (entries) => store.update((s) => touchSent(s, entries)),
    duplicate: (id, keep) => store.update((s) => dropDuplicate(s, id, keep)),
    nodeError: (error) => {
      const text = `Node error${error.code ? ` (${error.code})` : ''}: ${error.message}`;
      store.update((s) => {
        if (s.openKey !== undefined) addNotice(s, s.openKey, text, { error: true });
      });
      composer.showHint(text, true);
    },
  };

  /**
   * A conversation remembered from an earlier visit with a node this network does not know (any more), and
   * nothing in it: the page opens Everyone instead of an empty conversation with a stranger.
   */
  const forgetStaleOpenConversation = (s: AppState): void => {
    const key = s.openKey;
    if (key === undefined || key === EVERYONE || key === s.self?.id || s.nodes.length === 0) return;
    if (peerInfo(s, key) || (s.conversations.get(key)?.items.length ?? 0) > 0) return;
    s.conversations.delete(key);
    queueMicrotask(() => selectConversation(EVERYONE));
  };

  const client = new ProtocolClient(events, {
    url: (since) => {
      const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
      return `${scheme}//${window.location.host}/ws${since === undefined ? '' : `?since=${since}`}`;
    },
    memory: storage.sentIds(),
    online: () => navigator.onLine,
  });

  store.subscribe((s) => {
    const marks = s.readMarks;
    const cursor = client.cursor;
    if (marks && cursor !== undefined && cursor > marks.top) {
      marks.top = cursor;
      s.readMarksDirty = true;
    }
    bar.render(s);
    list.render(s);
    chat.render(s);
    composer.render(s);
    map.render(s);
    renderAnnouncements(ui, s);
    const total = totalUnread(s);
    const base = s.self ? `meshchat · ${s.self.id}` : 'meshchat';
    doc.title = total > 0 ? `(${total}) ${base}` : base;
    if (s.readMarksDirty && marks) {
      s.readMarksDirty = false;
      storage.saveReadMarks(marks);
    }
  });

  const reconnectIfWaiting = (): void => {
    if (state.conn.state === 'waiting' || state.conn.state === 'offline') client.reconnectNow();
  };
  window.addEventListener('online', reconnectIfWaiting);
  doc.addEventListener('visibilitychange', () => {
    if (!doc.hidden) reconnectIfWaiting();
  });
  window.addEventListener('pagehide', () => {
    if (state.readMarks) storage.saveReadMarks(state.readMarks);
  });

  store.update((s) => conversation(s, EVERYONE));
  selectConversation(storage.openConversation ?? EVERYONE);
  panes.setView(panes.defaultView(), false);
  client.start();
  return { store, stop: () => client.stop() };
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
