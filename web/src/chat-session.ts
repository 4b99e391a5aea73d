import {
  type ChatClient,
  createChatClient,
  EVERYONE,
  isUserAddress,
  type WebSocketDialer,
  WebSocketTransport,
} from '../../src/client/index.js';
import { conversation } from './conversations.js';
import type { SentMemory } from './sent-messages.js';
import { type AppState, resetConversations } from './state.js';
import type { Store } from './store.js';
import { type StoreEventHooks, storeEvents } from './store-events.js';

export interface ChatSessionDeps {
  readonly store: Store<AppState>;
  readonly dial: WebSocketDialer;
  readonly sentIds: SentMemory;
  readonly hooks: StoreEventHooks;
  /** Whether the host has a network now (`navigator.onLine`). */
  readonly online: () => boolean;
}

/**
 * The page's connection as one identity: a client core logged in with a token, or anonymous. Signing in or
 * out starts a new one from nothing (a new history cursor, so the node sends everything the new identity may
 * see) and empties the conversations of the old one, so nothing of one user stays on screen for the next.
 */
export class ChatSession {
  #client: ChatClient;
  #stopEvents: () => void;

  constructor(
    private readonly deps: ChatSessionDeps,
    token: string | undefined,
  ) {
    [this.#client, this.#stopEvents] = this.#make(token);
  }

  get client(): ChatClient {
    return this.#client;
  }

  start(): void {
    this.#client.setOnline(this.deps.online());
    this.#client.start();
  }

  /** Drops this connection and what it showed, and connects again as `token`'s user (anonymous without). */
  restart(token: string | undefined): void {
    this.stop();
    this.deps.store.update((s) => {
      resetConversations(s, this.deps.sentIds);
      if (s.openKey === undefined || isUserAddress(s.openKey)) s.openKey = EVERYONE;
      conversation(s, EVERYONE);
      conversation(s, s.openKey);
    });
    [this.#client, this.#stopEvents] = this.#make(token);
    this.start();
  }

  stop(): void {
    this.#stopEvents();
    this.#client.stop();
  }

  #make(token: string | undefined): [ChatClient, () => void] {
    const client = createChatClient({ transport: new WebSocketTransport(this.deps.dial, token) });
    return [client, storeEvents(client, this.deps.store, this.deps.hooks)];
  }
}
