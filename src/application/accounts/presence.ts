import { formatUserAddress } from '../../domain/account.js';
import type { AccountStore } from '../ports/accounts/account-store.js';
import { type AccountContext, audit } from './account-deps.js';

/** A user's presence as front ends push it: `lastSeen` is ISO-8601, or null when the user never left. */
export interface PresenceChange {
  readonly user: string;
  readonly online: boolean;
  readonly lastSeen: string | null;
}

export type PresenceListener = (change: PresenceChange) => void;

/**
 * Who of this node's users is online: a user is online while at least one of their authenticated connections
 * is open. Front ends call `opened` when a connection is authenticated and `closed` when the transport says it
 * is gone (its heartbeat, not a goodbye message). Connections are counted per user by id, so closing one twice,
 * or one never opened, changes nothing. The last close stores `lastSeen` in the account store.
 *
 * Listeners hear `{user, online, lastSeen}` on each change between offline and online, synchronously, in the
 * order of the calls; a listener that throws does not stop the others or the caller.
 */
export class Presence {
  readonly #connections = new Map<string, Set<string>>();
  readonly #listeners = new Set<PresenceListener>();

  constructor(private readonly deps: AccountContext & { store: AccountStore }) {}

  onChange(listener: PresenceListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  isOnline(name: string): boolean {
    return this.#connections.has(name);
  }

  /** Names of the users online now. */
  online(): string[] {
    return [...this.#connections.keys()];
  }

  /** An authenticated connection of `name` opened; `transport` names the front end (`socket.io`, `ws`). */
  opened(name: string, connectionId: string, transport: string): void {
    const open = this.#connections.get(name) ?? new Set<string>();
    if (open.has(connectionId)) return;
    open.add(connectionId);
    this.#connections.set(name, open);
    audit(this.deps, {
      user: name,
      op: 'connect',
      object: `${transport} connection ${connectionId}`,
      outcome: 'ok',
    });
    if (open.size === 1) this.#emit(name, true, this.deps.store.getAccount(name)?.lastSeen);
  }

  closed(name: string, connectionId: string, transport: string): void {
    const open = this.#connections.get(name);
    if (!open?.delete(connectionId)) return;
    audit(this.deps, {
      user: name,
      op: 'disconnect',
      object: `${transport} connection ${connectionId}`,
      outcome: 'ok',
    });
    if (open.size > 0) return;
    this.#connections.delete(name);
    const now = this.deps.clock.now();
    this.deps.store.setLastSeen(name, now);
    this.#emit(name, false, now);
  }

  #emit(name: string, online: boolean, lastSeen: number | undefined): void {
    const change: PresenceChange = {
      user: formatUserAddress({ name, node: this.deps.node }),
      online,
      lastSeen: lastSeen === undefined ? null : new Date(lastSeen).toISOString(),
    };
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A front end's failure to push is its own; presence stays right for everyone else.
      }
    }
  }
}
