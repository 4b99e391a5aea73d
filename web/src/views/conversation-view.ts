import { EVERYONE, isUserAddress } from '../../../src/client/index.js';
import { convName, sentCounts } from '../conversations.js';
import { el, reconcile } from '../dom.js';
import { dayKey, dayLabel, hueClass, initial, isoDay, plural } from '../format.js';
import { peerInfo, peerState, reachWords } from '../peers.js';
import { findPerson, personShown } from '../people.js';
import type { AppState, Conversation, LogItem, MessageItem } from '../state.js';
import { type MessageView, messageView } from './message-item.js';
import { stateLabel } from './state-label.js';
import type { Ui } from './ui.js';

/** How close to the end (px) the log must be scrolled for new messages to keep it at the end. */
const STICK_PX = 80;

/**
 * The open conversation: its header (who, their state, what waits for them) and its log, with a line for
 * each new day and a "new messages" line above what was unread when it was opened.
 */
export class ConversationView {
  readonly #items = new WeakMap<LogItem, MessageView | HTMLLIElement>();
  readonly #days = new Map<string, HTMLLIElement>();
  readonly #divider: HTMLLIElement;
  #drawnKey: string | undefined;
  #drawnConv: Conversation | undefined;
  #drawnVersion = -1;
  #drawnLast: LogItem | undefined;
  #drawnFirst: LogItem | undefined;
  #headSig = '';

  constructor(
    private readonly ui: Ui,
    private readonly onResend: (item: MessageItem) => void,
    private readonly onOlder: () => void = () => {},
  ) {
    this.#divider = el('li', 'new-divider', 'New messages');
    this.#divider.setAttribute('role', 'separator');
    this.#divider.dataset.testid = 'new-messages';
    ui.jumpLatest.addEventListener('click', () => this.scrollToEnd());
    ui.loadOlder.addEventListener('click', () => this.onOlder());
    ui.log.addEventListener('scroll', () => {
      if (this.#nearEnd()) ui.jumpLatest.hidden = true;
    });
  }

  render(state: AppState): void {
    this.#renderHead(state);
    const { loadOlder } = this.ui;
    loadOlder.hidden = !state.older.available;
    loadOlder.disabled = state.older.loading;
    loadOlder.textContent = state.older.loading ? 'Loading…' : 'Older messages';
    const key = state.openKey;
    const conv = key === undefined ? undefined : state.conversations.get(key);
    if (!conv) {
      this.ui.log.replaceChildren();
      this.#drawnKey = key;
      return;
    }
    // A sign-in or sign-out makes new conversations under the same keys: that is a switch too.
    const switched = key !== this.#drawnKey || conv !== this.#drawnConv;
    if (!switched && conv.version === this.#drawnVersion) return;
    const stick = switched || this.#nearEnd();
    const last = conv.items[conv.items.length - 1];
    const grew = last !== this.#drawnLast;
    if (switched) this.#days.clear();
    const first = conv.items[0];
    const height = this.ui.log.scrollHeight;
    reconcile(this.ui.log, this.#children(conv));
    // Older messages came in above what is on screen: it stays where it was.
    if (!stick && !switched && first !== this.#drawnFirst)
      this.ui.log.scrollTop += this.ui.log.scrollHeight - height;
    this.#drawnFirst = first;
    this.#drawnKey = key;
    this.#drawnConv = conv;
    this.#drawnVersion = conv.version;
    this.#drawnLast = last;
    if (stick) this.scrollToEnd();
    else if (grew) this.ui.jumpLatest.hidden = false;
  }

  scrollToEnd(): void {
    this.ui.log.scrollTop = this.ui.log.scrollHeight;
    this.ui.jumpLatest.hidden = true;
  }

  #nearEnd(): boolean {
    const l = this.ui.log;
    return l.scrollHeight - l.scrollTop - l.clientHeight < STICK_PX;
  }

  #children(conv: Conversation): HTMLLIElement[] {
    const out: HTMLLIElement[] = [];
    let day: string | undefined;
    for (const item of conv.items) {
      const d = dayKey(item.time);
      if (d !== day) {
        day = d;
        out.push(this.#dayLine(d, item.time));
      }
      if (item === conv.newFrom) out.push(this.#divider);
      out.push(this.#itemLi(item));
    }
    return out;
  }

  #dayLine(key: string, time: number): HTMLLIElement {
    let li = this.#days.get(key);
    if (!li) {
      li = el('li', 'day-sep');
      li.setAttribute('role', 'separator');
      li.dataset.testid = 'day-separator';
      const t = el('time', undefined, dayLabel(time));
      t.dateTime = isoDay(time);
      li.append(t);
      this.#days.set(key, li);
    }
    return li;
  }

  #itemLi(item: LogItem): HTMLLIElement {
    const cached = this.#items.get(item);
    if (cached instanceof HTMLLIElement) return cached;
    if (cached) {
      cached.update();
      return cached.li;
    }
    if (item.kind === 'notice') {
      const text = item.repeats > 1 ? `${item.text} (${item.repeats} times)` : item.text;
      const li = el('li', item.error ? 'notice notice-error' : 'notice', text);
      if (item.node) li.classList.add('notice-node');
      this.#items.set(item, li);
      return li;
    }
    const view = messageView(item, this.onResend);
    this.#items.set(item, view);
    return view.li;
  }

  #renderHead(state: AppState): void {
    const { ui } = this;
    const key = state.openKey;
    const conv = key === undefined ? undefined : state.conversations.get(key);
    const counts = conv ? sentCounts(conv) : { waiting: 0, givenUp: 0 };
    const info = key === undefined ? undefined : peerInfo(state, key);
    const shown = key === undefined ? undefined : peerState(state, key);
    const person = isUserAddress(key) ? personShown(findPerson(state, key)) : undefined;
    const sig = JSON.stringify([
      person,
      state.account.me,
      key,
      shown,
      info,
      counts,
      key === EVERYONE ? reachWords(state) : '',
      state.self?.id,
    ]);
    if (sig === this.#headSig) return;
    this.#headSig = sig;
    ui.destId.replaceChildren();
    ui.convSub.replaceChildren();
    if (key === undefined || shown === undefined) {
      ui.destId.textContent = '—';
      ui.convAvatar.textContent = '';
      ui.messageLabel.textContent = 'Message';
      return;
    }
    const name = convName(key);
    ui.destId.textContent = name;
    ui.convAvatar.className = `avatar conv-avatar ${hueClass(key)}`;
    ui.convAvatar.textContent = initial(key);
    ui.chat.dataset.nodeId = key;
    ui.messageLabel.textContent = key === EVERYONE ? 'Message to every node' : `Message to ${key}`;
    ui.message.placeholder = key === EVERYONE ? 'Write to everyone…' : `Write to ${key}…`;
    ui.log.setAttribute('aria-label', `Messages with ${name}`);
    ui.log.dataset.empty =
      key === EVERYONE
        ? 'No broadcasts yet. What you write here goes to every node.'
        : `No messages with ${key} yet. Say hello.`;
    const notes: string[] = [];
    if (counts.waiting > 0)
      notes.push(`${plural(counts.waiting, 'message')} waiting, delivered when it is back`);
    if (counts.givenUp > 0)
      notes.push(`${plural(counts.givenUp, 'message')} not delivered: send again to retry`);

    if (person) {
      ui.chat.dataset.state = 'person';
      ui.messageLabel.textContent = `Direct message to ${key}`;
      ui.log.dataset.empty = state.account.me
        ? `No messages with ${key} yet. Only the two of you see what you write here.`
        : `Sign in to write to ${key}.`;
      ui.convSub.append(el('span', `node-state presence-words presence-${person.state}`, person.words));
      ui.convSub.append(el('span', 'conv-note', 'direct messages'));
    } else if (key === EVERYONE) {
      ui.convSub.append(el('span', 'node-state state-all', `broadcast to ${reachWords(state)}`));
      ui.chat.dataset.state = 'all';
    } else {
      ui.chat.dataset.state = shown;
      ui.convSub.append(stateLabel(shown, info?.state));
      if (key === state.self?.id) ui.convSub.append(el('span', 'conv-note', 'this node'));
      if (info?.verified) ui.convSub.append(el('span', 'conv-note', 'verified'));
      if (info?.url) ui.convSub.append(el('span', 'node-url', info.url));
      if ((shown === 'suspect' || shown === 'dead') && notes.length === 0)
        notes.push('messages sent now wait for it until they expire');
    }
    for (const note of notes) {
      const span = el('span', 'conv-note', note);
      span.dataset.testid = 'conv-note';
      ui.convSub.append(span);
    }
  }
}
