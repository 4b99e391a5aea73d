import type { ListedUser } from '../../../src/client/index.js';
import { el, reconcile } from '../dom.js';
import { hueClass, initial, plural } from '../format.js';
import { personShown } from '../people.js';
import type { AppState } from '../state.js';
import type { Ui } from './ui.js';

interface PersonItem {
  li: HTMLLIElement;
  btn: HTMLButtonElement;
  sig: string;
}

/** Online first, then by address; this page's own user is left out (nobody writes to themselves). */
function sorted(users: readonly ListedUser[], me: string | undefined): ListedUser[] {
  return users
    .filter((u) => u.user !== me)
    .sort((a, b) => Number(b.online) - Number(a.online) || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
}

/**
 * The People section: every user of the mesh with an online dot and "last seen", and the nodes that did not
 * answer. A signed-in page opens a direct conversation on click; an anonymous one offers the sign-in panel.
 */
export class PeopleList {
  readonly #items = new Map<string, PersonItem>();

  constructor(
    private readonly ui: Ui,
    private readonly open: (address: string) => void,
    refresh: () => void,
  ) {
    ui.peopleRefresh.addEventListener('click', refresh);
  }

  render(state: AppState): void {
    const { ui } = this;
    const { people, account } = state;
    const users = sorted(people.users, account.me);
    const keep = new Set<string>();
    const children: HTMLLIElement[] = [];
    for (const user of users) {
      keep.add(user.user);
      let item = this.#items.get(user.user);
      if (!item) {
        item = this.#create(user.user);
        this.#items.set(user.user, item);
      }
      this.#fill(item, user, state);
      children.push(item.li);
    }
    for (const key of this.#items.keys()) if (!keep.has(key)) this.#items.delete(key);
    reconcile(ui.peopleList, children);
    const online = users.filter((u) => u.online).length;
    ui.peopleCount.textContent = users.length > 0 ? String(users.length) : '';
    ui.peopleCount.title = `${plural(online, 'person')} online`;
    ui.peopleEmpty.hidden = users.length > 0;
    ui.peopleEmpty.textContent = people.loaded
      ? 'Nobody else has an account yet.'
      : (people.error ?? 'Looking for people…');
    ui.peopleHelp.textContent = account.signedIn
      ? 'Users with an account, on every node. Choose one to write to them directly.'
      : 'Users with an account, on every node. Sign in to write to one directly.';
    ui.peopleMissing.hidden = people.missing.length === 0;
    ui.peopleMissing.textContent =
      people.missing.length === 0 ? '' : `Not answering, people unknown: ${people.missing.join(', ')}`;
  }

  #create(address: string): PersonItem {
    const li = el('li');
    const btn = el('button', 'node person');
    btn.type = 'button';
    btn.dataset.user = address;
    btn.dataset.testid = 'person';
    btn.addEventListener('click', () => this.open(address));
    li.append(btn);
    return { li, btn, sig: '' };
  }

  #fill(item: PersonItem, user: ListedUser, state: AppState): void {
    const shown = personShown(user);
    const current = state.openKey === user.user;
    const sig = JSON.stringify([shown, current, state.account.signedIn]);
    if (sig === item.sig) return;
    item.sig = sig;
    const { btn } = item;
    btn.dataset.presence = shown.state;
    if (current) btn.setAttribute('aria-current', 'true');
    else btn.removeAttribute('aria-current');
    const avatar = el('span', `avatar ${hueClass(user.user)}`, initial(user.user));
    avatar.setAttribute('aria-hidden', 'true');
    const dot = el('span', `avatar-state presence-${shown.state}`);
    dot.dataset.testid = 'presence-dot';
    avatar.append(dot);
    const body = el('span', 'node-body');
    const name = el('span', 'node-id', user.user);
    name.dir = 'auto';
    const words = el('span', `node-sub presence-words presence-${shown.state}`, shown.words);
    body.append(name, words);
    btn.replaceChildren(avatar, body);
    const action = state.account.signedIn ? 'write a direct message' : 'sign in to write';
    btn.setAttribute('aria-label', `${user.user}, ${shown.words}; ${action}`);
  }
}
