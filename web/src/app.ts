import { addSend, conversation, openForReading, totalUnread } from './conversations.js';
import { ProtocolClient } from './protocol/client.js';
import { EVERYONE } from './protocol/frames.js';
import { type AppState, createState, type MessageItem } from './state.js';
import { PageStorage } from './storage.js';
import { Store } from './store.js';
import { storeEvents } from './store-events.js';
import { renderAnnouncements } from './views/announcer.js';
import { Composer } from './views/composer.js';
import { ConnectionBar } from './views/connection-bar.js';
import { ConversationList } from './views/conversation-list.js';
import { ConversationView } from './views/conversation-view.js';
import { MeshMap } from './views/mesh-map.js';
import { Panes } from './views/panes.js';
import { findUi } from './views/ui.js';

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

  const events = storeEvents(store, {
    cursor: () => client.cursor,
    openEveryone: () => selectConversation(EVERYONE),
    nodeError: (text) => composer.showHint(text, true),
  });

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
