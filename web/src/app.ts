import { createChatClient, EVERYONE, WebSocketTransport } from '../../src/client/index.js';
import { conversation, openForReading, sendAndShow, totalUnread } from './conversations.js';
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

/** The node's `/ws` at `path`, on the origin the page came from. */
function wsUrl(path: string): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${path}`;
}

/**
 * The chat page: builds the state, its store, the client core and the views, and wires them. Everything
 * the page holds lives in the objects made here; calling it twice makes two independent pages' worth.
 */
export function startApp(doc: Document = document): App {
  const ui = findUi(doc);
  const storage = new PageStorage(localStorageOrNone());
  const store = new Store(createState(storage.readMarks(), storage.sentIds()));
  const state = store.state;
  const client = createChatClient({
    transport: new WebSocketTransport((path) => new WebSocket(wsUrl(path))),
  });

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
      const { to, msg, user } = old;
      sendAndShow(s, client, user === undefined ? { to, msg } : { to, msg, user });
    });
  };

  const list = new ConversationList(ui, openConversation);
  const chat = new ConversationView(ui, resend);
  const map = new MeshMap(ui, openConversation);
  // Refused or stopped, the client waits for a person to start it again; otherwise this skips the wait.
  const bar = new ConnectionBar(ui, () =>
    client.connection.state === 'closed' ? client.start() : client.reconnectNow(),
  );
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
      store.update((s) =>
        sendAndShow(s, client, user === undefined ? { to, msg: text } : { to, msg: text, user }),
      );
      chat.scrollToEnd();
      return true;
    },
  });

  const stopEvents = storeEvents(client, store, {
    openEveryone: () => selectConversation(EVERYONE),
    nodeError: (text) => composer.showHint(text, true),
  });

  store.subscribe((s) => {
    const marks = s.readMarks;
    const cursor = client.since;
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

  // The core waits while offline and dials as soon as it is told the network is back.
  window.addEventListener('online', () => client.setOnline(true));
  window.addEventListener('offline', () => client.setOnline(false));
  doc.addEventListener('visibilitychange', () => {
    if (!doc.hidden) client.reconnectNow();
  });
  window.addEventListener('pagehide', () => {
    if (state.readMarks) storage.saveReadMarks(state.readMarks);
  });

  store.update((s) => conversation(s, EVERYONE));
  selectConversation(storage.openConversation ?? EVERYONE);
  panes.setView(panes.defaultView(), false);
  client.setOnline(navigator.onLine);
  client.start();
  return {
    store,
    stop: () => {
      client.stop();
      stopEvents();
    },
  };
}
