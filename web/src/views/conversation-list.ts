import { EVERYONE, isUserAddress } from '../../../src/client/index.js';
import { convName } from '../conversations.js';
import { el } from '../dom.js';
import { byCodeUnits, hueClass, initial, plural, shortWhen } from '../format.js';
import { peerInfo, peerState, reachWords, stateWords } from '../peers.js';
import { findPerson, personShown } from '../people.js';
import type { AppState, Conversation } from '../state.js';
import { stateLabel } from './state-label.js';
import type { Ui } from './ui.js';

interface ListItem {
  li: HTMLLIElement;
  btn: HTMLButtonElement;
  sig: string;
}

/** Everyone first, then this node, the people written with, the other nodes by id; nodes down go last. */
function sorted(state: AppState): Conversation[] {
  const selfId = state.self?.id;
  const rank = (c: Conversation): number => {
    if (c.key === EVERYONE) return 0;
    if (c.key === selfId) return 1;
    if (isUserAddress(c.key)) return 2;
    return peerState(state, c.key) === 'dead' ? 4 : 3;
  };
  return [...state.conversations.values()].sort((a, b) => rank(a) - rank(b) || byCodeUnits(a.key, b.key));
}

/**
 * The conversation list: one item per node and Everyone, updated in place (a click is never lost to a
 * redraw), with a roving tabindex that arrow keys, Home and End move.
 */
export class ConversationList {
  readonly #items = new Map<string, ListItem>();

  constructor(
    private readonly ui: Ui,
    private readonly open: (key: string) => void,
  ) {
    ui.nodeList.addEventListener('keydown', (ev) => this.#onKeydown(ev));
  }

  render(state: AppState): void {
    const { ui } = this;
    const active = document.activeElement;
    const focusedId =
      active instanceof HTMLElement && ui.nodeList.contains(active) ? active.dataset.nodeId : undefined;
    const convs = state.nodes.length > 0 || state.conversations.size > 1 ? sorted(state) : [];
    const openKey = state.openKey;
    const rovingId =
      focusedId ?? (openKey !== undefined && state.conversations.has(openKey) ? openKey : convs[0]?.key);
    const keep = new Set<string>();
    convs.forEach((conv, index) => {
      keep.add(conv.key);
      let item = this.#items.get(conv.key);
      if (!item) {
        item = this.#create(conv.key);
        this.#items.set(conv.key, item);
      }
      this.#fill(item, conv, state);
      item.btn.tabIndex = conv.key === rovingId ? 0 : -1;
      if (ui.nodeList.children[index] !== item.li)
        ui.nodeList.insertBefore(item.li, ui.nodeList.children[index] ?? null);
    });
    for (const [key, item] of this.#items) {
      if (keep.has(key)) continue;
      item.li.remove();
      this.#items.delete(key);
    }
    // The nodes listed, down ones included (the heading says "nodes"): Everyone and the conversations with
    // people are not nodes.
    const listed = convs.filter((c) => c.key !== EVERYONE && !isUserAddress(c.key)).length;
    ui.nodeCount.textContent = listed > 0 ? String(listed) : '';
    ui.nodesEmpty.hidden = convs.length > 0;
  }

  focus(key: string | undefined): void {
    const buttons = this.#buttons();
    const target = buttons.find((b) => b.dataset.nodeId === key) ?? buttons[0];
    if (!target) return;
    for (const b of buttons) b.tabIndex = b === target ? 0 : -1;
    target.focus();
  }

  #create(key: string): ListItem {
    const li = el('li');
    const btn = el('button', 'node conv-item');
    btn.type = 'button';
    btn.dataset.nodeId = key;
    btn.dataset.testid = 'conversation-item';
    btn.addEventListener('click', () => this.open(key));
    li.append(btn);
    return { li, btn, sig: '' };
  }

  #fill(item: ListItem, conv: Conversation, state: AppState): void {
    const key = conv.key;
    const isSelf = key === state.self?.id;
    const person = isUserAddress(key) ? personShown(findPerson(state, key)) : undefined;
    const shown = peerState(state, key);
    const info = person ? undefined : peerInfo(state, key);
    const url = info?.url;
    const when = conv.lastTime > 0 ? shortWhen(conv.lastTime) : '';
    const reach = key === EVERYONE ? reachWords(state) : '';
    const sig = JSON.stringify([
      isSelf,
      shown,
      info?.state,
      url,
      conv.preview?.who,
      conv.preview?.text,
      when,
      conv.unread,
      key === state.openKey,
      reach,
      person,
    ]);
    if (sig === item.sig) return;
    item.sig = sig;

    const btn = item.btn;
    btn.dataset.state = key === EVERYONE ? 'all' : person ? 'person' : shown;
    if (person) btn.dataset.presence = person.state;
    if (key === state.openKey) btn.setAttribute('aria-current', 'true');
    else btn.removeAttribute('aria-current');
    btn.classList.toggle('node-everyone', key === EVERYONE);
    btn.classList.toggle('is-self', isSelf);

    const avatar = el('span', `avatar ${hueClass(key)}`, initial(key));
    avatar.setAttribute('aria-hidden', 'true');
    if (person) avatar.append(el('span', `avatar-state presence-${person.state}`));
    else if (key !== EVERYONE) avatar.append(el('span', `avatar-state state-${shown}`));

    const body = el('span', 'node-body');
    const line = el('span', 'node-line');
    const name = el('span', 'node-id', convName(key));
    name.dir = 'auto';
    line.append(name);
    if (isSelf) line.append(el('span', 'badge badge-self', 'this node'));
    if (when) line.append(el('span', 'conv-when', when));
    body.append(line);

    const sub = el('span', 'node-sub');
    if (key === EVERYONE) sub.append(el('span', 'node-state state-all', `broadcast · ${reach}`));
    else if (person)
      sub.append(el('span', `node-state presence-words presence-${person.state}`, person.words));
    else sub.append(stateLabel(shown, info?.state));
    if (conv.preview !== undefined) {
      // Each part keeps its own direction: an Arabic name does not turn an English text around.
      const preview = el('span', 'conv-preview');
      const who = el('bdi', undefined, conv.preview.who);
      const text = el('bdi', undefined, conv.preview.text);
      who.dir = 'auto';
      text.dir = 'auto';
      preview.append(who, ': ', text);
      sub.append(preview);
    } else if (url) sub.append(el('span', 'node-url', url));
    body.append(sub);

    const badge = el('span', 'unread', conv.unread > 99 ? '99+' : String(conv.unread));
    badge.dataset.unread = String(conv.unread);
    badge.dataset.testid = 'unread';
    badge.hidden = conv.unread === 0;
    badge.setAttribute('aria-hidden', 'true');
    btn.replaceChildren(avatar, body, badge);

    const label = [convName(key)];
    if (key === EVERYONE) label.push(`broadcast to ${reach}`);
    else if (person) label.push(`direct messages, ${person.words}`);
    else label.push(isSelf ? `this node, ${stateWords(shown)}` : stateWords(shown, info?.state));
    if (conv.unread > 0) label.push(plural(conv.unread, 'unread message'));
    btn.setAttribute('aria-label', label.join(', '));
    btn.title = url ? `${key} — ${url}` : convName(key);
  }

  #buttons(): HTMLButtonElement[] {
    return Array.from(this.ui.nodeList.querySelectorAll<HTMLButtonElement>('button[data-node-id]'));
  }

  #onKeydown(ev: KeyboardEvent): void {
    const buttons = this.#buttons();
    const active = document.activeElement;
    const current = active instanceof HTMLButtonElement ? buttons.indexOf(active) : -1;
    if (current < 0) return;
    const next: Record<string, number> = {
      ArrowDown: (current + 1) % buttons.length,
      ArrowUp: (current - 1 + buttons.length) % buttons.length,
      Home: 0,
      End: buttons.length - 1,
    };
    const target = next[ev.key];
    if (target === undefined) return;
    ev.preventDefault();
    this.focus(buttons[target]?.dataset.nodeId);
  }
}
