import {
  AccountsApi,
  EVERYONE,
  FilesApi,
  fileReferenceOf,
  formatFileSize,
  isUserAddress,
  shownFileName,
} from '../../src/client/index.js';
import { AccountActions } from './account.js';
import { ChatSession } from './chat-session.js';
import { conversation, openForReading, sendAndShow, totalUnread } from './conversations.js';
import { downloadFile, downloadLarge, PAGE_DOWNLOAD_MAX_BYTES } from './file-transfer.js';
import { dialNode, localStorageOrNone, requestNode, sessionStorageOrNone } from './node-origin.js';
import { connected } from './peers.js';
import { PeopleDirectory } from './people.js';
import { type AppState, createState, type MessageItem } from './state.js';
import { PageStorage } from './storage.js';
import { Store } from './store.js';
import { TokenStorage } from './token-storage.js';
import { AccountPanel } from './views/account-panel.js';
import { renderAnnouncements } from './views/announcer.js';
import { Composer } from './views/composer.js';
import { ConnectionBar } from './views/connection-bar.js';
import { ConversationList } from './views/conversation-list.js';
import { ConversationView } from './views/conversation-view.js';
import { setCardDownloader } from './views/file-card.js';
import { FilesPanel } from './views/files-panel.js';
import { MeshMap } from './views/mesh-map.js';
import { Panes } from './views/panes.js';
import { PeopleList } from './views/people-list.js';
import { anonymousNameProblem } from './views/sender-label.js';
import { findUi } from './views/ui.js';

export interface App {
  readonly store: Store<AppState>;
  stop(): void;
}

/**
 * The chat page: builds the state, its store, the client core and the views, and wires them. Everything
 * the page holds lives in the objects made here; calling it twice makes two independent pages' worth.
 */
export function startApp(doc: Document = document): App {
  const ui = findUi(doc);
  const storage = new PageStorage(localStorageOrNone());
  const tokens = new TokenStorage(sessionStorageOrNone());
  const sentIds = storage.sentIds();
  const store = new Store(createState(storage.readMarks(), sentIds));
  const state = store.state;
  const api = new AccountsApi(requestNode);
  const people = new PeopleDirectory(api, store);
  const token = tokens.token;
  state.account.signedIn = token !== undefined;
  const session = new ChatSession(
    {
      store,
      dial: dialNode,
      sentIds,
      online: () => navigator.onLine,
      hooks: {
        openEveryone: () => selectConversation(EVERYONE),
        nodeError: (text) => composer.showHint(text, true),
        presence: (change) => people.presence(change),
        loginRefused: () => account.loginRefused(),
        // Connecting again anonymously would be turned away again in 5 s: wait for a sign-in (or "Reconnect").
        authRequired: () => {
          session.client.stop();
          account.authRequired();
        },
      },
    },
    token,
  );
  const account = new AccountActions(api, store, tokens, session);

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
      const { to, msg, user, file } = old;
      sendAndShow(s, session.client, {
        to,
        msg,
        ...(user === undefined ? {} : { user }),
        ...(file === undefined ? {} : { file }),
      });
    });
  };

  const list = new ConversationList(ui, openConversation);
  const chat = new ConversationView(ui, resend, () => {
    if (session.client.loadOlder()) store.update((s) => (s.older.loading = true));
  });
  const map = new MeshMap(ui, openConversation);
  // Refused or stopped, the client waits for a person to start it again; otherwise this skips the wait.
  const bar = new ConnectionBar(ui, () =>
    session.client.connection.state === 'closed' ? session.start() : session.client.reconnectNow(),
  );
  const accountPanel = new AccountPanel(ui, account);
  const peopleList = new PeopleList(
    ui,
    (address) => (state.account.signedIn ? openConversation(address) : account.offerSignIn(address)),
    () => people.refreshSoon(),
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
      // A signed-in connection's messages carry its address whatever the name field says.
      const name = state.account.signedIn ? undefined : user;
      store.update((s) =>
        sendAndShow(
          s,
          session.client,
          name === undefined ? { to, msg: text } : { to, msg: text, user: name },
        ),
      );
      chat.scrollToEnd();
      return true;
    },
  });

  const filesPanel = new FilesPanel(ui, {
    api: new FilesApi(requestNode),
    token: () => tokens.token,
    me: () => state.account.me,
    share: (file) => {
      const to = state.openKey;
      if (to === undefined) return { refused: 'Open a conversation first, then post the file in it.' };
      if (isUserAddress(to) && !state.account.signedIn)
        return { refused: 'Sign in to write to a person directly.' };
      const name = state.account.signedIn ? undefined : ui.displayName.value.trim() || undefined;
      const nameProblem = anonymousNameProblem(name);
      if (nameProblem) return { refused: nameProblem };
      const msg = `File: ${shownFileName(file.name)} (${formatFileSize(file.size)})`;
      const ref = fileReferenceOf(file);
      store.update((s) =>
        sendAndShow(
          s,
          session.client,
          name === undefined ? { to, msg, file: ref } : { to, msg, user: name, file: ref },
        ),
      );
      chat.scrollToEnd();
      return { postedIn: to === EVERYONE ? 'Everyone' : `the conversation with ${to}` };
    },
  });
  // The page downloads a file itself, so a refusal is said in words where the Download was pressed (the
  // browser would only mark its download failed): a small one is fetched, with the login when signed in (its
  // owner sees who fetched it); a large one is asked about first, then streamed by the browser.
  setCardDownloader((file, ev) => {
    ev.preventDefault();
    const token = tokens.token;
    const inFiles = ev.currentTarget instanceof Element && ev.currentTarget.closest('#files-panel') !== null;
    const download = file.size > PAGE_DOWNLOAD_MAX_BYTES ? downloadLarge(file) : downloadFile(file, token);
    download.catch((error: unknown) => {
      const text = `Could not download ${shownFileName(file.name)}: ${error instanceof Error ? error.message : String(error)}`;
      if (inFiles) filesPanel.say(text, true);
      else composer.showHint(text, true);
    });
  });

  store.subscribe((s) => {
    filesPanel.accountChanged(s.account.me);
    filesPanel.connectionChanged(connected(s));
    const marks = s.readMarks;
    const cursor = session.client.since;
    if (marks && cursor !== undefined && cursor > marks.top) {
      marks.top = cursor;
      s.readMarksDirty = true;
    }
    bar.render(s);
    accountPanel.render(s);
    list.render(s);
    peopleList.render(s);
    chat.render(s);
    composer.render(s);
    map.render(s);
    renderAnnouncements(ui, s);
    people.seek(s);
    people.nodesChanged(s);
    const total = totalUnread(s);
    const base = s.self ? `meshchat · ${s.self.id}` : 'meshchat';
    doc.title = total > 0 ? `(${total}) ${base}` : base;
    if (s.readMarksDirty && marks) {
      s.readMarksDirty = false;
      storage.saveReadMarks(marks);
    }
  });

  // The core waits while offline and dials as soon as it is told the network is back.
  window.addEventListener('online', () => session.client.setOnline(true));
  window.addEventListener('offline', () => session.client.setOnline(false));
  doc.addEventListener('visibilitychange', () => {
    if (doc.hidden) return;
    session.client.reconnectNow();
    people.refreshSoon();
  });
  window.addEventListener('pagehide', () => {
    if (state.readMarks) storage.saveReadMarks(state.readMarks);
  });

  store.update((s) => conversation(s, EVERYONE));
  // A conversation with a user needs a login: an anonymous page opens Everyone instead.
  const remembered = storage.openConversation;
  selectConversation(
    remembered && (token !== undefined || !isUserAddress(remembered)) ? remembered : EVERYONE,
  );
  panes.setView(panes.defaultView(), false);
  session.start();
  people.start();
  return {
    store,
    stop: () => {
      session.stop();
      people.stop();
    },
  };
}
