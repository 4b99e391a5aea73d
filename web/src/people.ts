import {
  type AccountsApi,
  isUserAddress,
  type ListedUser,
  type PresenceEvent,
} from '../../src/client/index.js';
import { shortWhen } from './format.js';
import { connected, stateOfRaw } from './peers.js';
import type { AppState } from './state.js';
import type { Store } from './store.js';

/** How often the directory is asked again with nothing else to go on. */
export const PEOPLE_REFRESH_MS = 30_000;
/** Presence changes arrive in bursts (a node restarting): they are answered with one request at most this often. */
export const PEOPLE_MIN_GAP_MS = 1_000;

/**
 * Keeps the People section current from `GET /users?scope=mesh`: on start, every 30 s, and soon after a
 * presence change or a person's request, never two requests at once and never more than one a second. The
 * node's presence events cover only its own users; other nodes' users change here on the next request, which
 * comes soon after a node goes down, comes back, joins or leaves (its users went or came with it).
 */
export class PeopleDirectory {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight = false;
  #again = false;
  #last = 0;
  #stopped = true;
  /** Addresses written with that the directory did not list, each asked about once. */
  readonly #sought = new Set<string>();
  /** The node list last looked at, and each node's state in it, as `id:state` lines. */
  #nodesSeen: AppState['nodes'] | undefined;
  #nodeStates: string | undefined;

  constructor(
    private readonly api: AccountsApi,
    private readonly store: Store<AppState>,
  ) {}

  start(): void {
    this.#stopped = false;
    this.refreshSoon();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Asks again as soon as the gap allows (a presence change, the Refresh button, the tab shown again). */
  refreshSoon(): void {
    if (this.#stopped) return;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#schedule(Math.max(0, this.#last + PEOPLE_MIN_GAP_MS - Date.now()));
  }

  /** One of this node's users came or went: their dot changes at once, and the directory is asked again. */
  presence(change: PresenceEvent): void {
    this.store.update((s) => {
      s.people = { ...s.people, users: s.people.users.map((u) => (u.user === change.user ? change : u)) };
    });
    this.refreshSoon();
  }

  /**
   * A conversation with someone the directory does not list yet (their node's list had not reached this one
   * when it was last asked): ask again once, so their dot does not wait for the next round.
   */
  seek(state: AppState): void {
    for (const key of state.conversations.keys()) {
      if (!isUserAddress(key) || this.#sought.has(key) || findPerson(state, key)) continue;
      this.#sought.add(key);
      this.refreshSoon();
    }
  }

  /**
   * The nodes as the page shows them changed: a node went down, came back, joined or left, so the users it
   * holds did too (a user whose node is down is not online). Asks the directory again, once the page hears its
   * node; without this, People would show them as before until the next 30 s round.
   */
  nodesChanged(state: AppState): void {
    if (state.nodes === this.#nodesSeen) return;
    this.#nodesSeen = state.nodes;
    const states = state.nodes
      .map((n) => `${n.id}:${stateOfRaw(n.state)}`)
      .sort()
      .join('\n');
    const before = this.#nodeStates;
    this.#nodeStates = states;
    // The first list the page hears is no change (People is being asked for at start anyway).
    if (before !== undefined && before !== '' && before !== states && connected(state)) this.refreshSoon();
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#fetch(), ms);
  }

  async #fetch(): Promise<void> {
    this.#inFlight = true;
    this.#last = Date.now();
    const answer = await this.api.meshUsers();
    this.#inFlight = false;
    if (this.#stopped) return;
    this.store.update((s) => {
      if (answer.ok) {
        s.people = { users: answer.value.users, missing: answer.value.missing, loaded: true };
      } else {
        s.people = { ...s.people, error: answer.error.message };
      }
    });
    if (this.#again) {
      this.#again = false;
      this.#schedule(PEOPLE_MIN_GAP_MS);
    } else this.#schedule(PEOPLE_REFRESH_MS);
  }
}

/** A person as the page shows them: their dot's state and the words beside it. */
export interface PersonShown {
  readonly state: 'online' | 'offline' | 'unknown';
  readonly words: string;
}

export function personShown(user: ListedUser | undefined, now = new Date()): PersonShown {
  if (!user) return { state: 'unknown', words: 'presence unknown' };
  if (user.online) return { state: 'online', words: 'online' };
  if (user.lastSeen === null) return { state: 'offline', words: 'offline, never seen' };
  const t = new Date(user.lastSeen).getTime();
  if (Number.isNaN(t)) return { state: 'offline', words: 'offline' };
  return { state: 'offline', words: `last seen ${shortWhen(t, now)}` };
}

/** The directory's entry for `address`, if listed. */
export function findPerson(state: AppState, address: string): ListedUser | undefined {
  return state.people.users.find((u) => u.user === address);
}
