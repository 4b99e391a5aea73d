import type { Presence, PresenceChange } from '../../src/application/accounts/presence.js';
import type { Recipients } from '../../src/application/messaging/deliver-direct.js';
import type { HistoryQuery } from '../../src/application/messaging/read-history.js';
import type { AccountStore } from '../../src/application/ports/accounts/account-store.js';
import type { UserPush } from '../../src/application/ports/user-push.js';
import type { HistoryEntry, StatusUpdate } from '../../src/domain/delivery.js';
import { audienceOf, statusAudienceOf } from '../../src/domain/direct-message.js';
import type { MeshGraph } from '../../src/domain/mesh-graph.js';
import type { NodeRecord } from '../../src/domain/node-record.js';

/** One user connection as the fake front end keeps it: who it is, and everything it was sent. */
export interface FakeConnection {
  readonly id: string;
  /** The account name when logged in. */
  readonly name?: string;
  readonly history: HistoryEntry[];
  readonly messages: HistoryEntry[];
  readonly statuses: StatusUpdate[];
}

/**
 * The users of one node as the real front ends treat them, without sockets: connections, anonymous or logged
 * in, that are sent their history on connect and then what `UserPush` hands them, each message and status to
 * the connections its audience allows (`audienceOf`, as socket.io and `/ws` do). It is also the node's
 * `Recipients`, read from the node's one account store and `Presence` (as `wireNode` does): a logged-in
 * connection opens presence for its user as the front ends do, and closing it closes that presence.
 */
export class UserConnections implements UserPush, Recipients {
  readonly #connections = new Map<string, FakeConnection>();

  constructor(
    private readonly node: string,
    /** The node's users, as `wireAccounts` wires them. */
    private readonly users: { readonly accounts: AccountStore; readonly presence: Presence },
    /** Set once the node is wired: what a connection is sent on connect (`ReadHistory`). */
    public history: (query: HistoryQuery) => HistoryEntry[] = () => [],
  ) {}

  /** Opens a connection (logged in as `name`, or anonymous) and sends it its history after `since`. */
  connect(id: string, name?: string, since?: number): FakeConnection {
    const viewer = name === undefined ? undefined : { name, address: `${name}@${this.node}` };
    const connection: FakeConnection = {
      id,
      ...(name === undefined ? {} : { name }),
      history: this.history({ since, viewer }),
      messages: [],
      statuses: [],
    };
    this.#connections.set(id, connection);
    if (name !== undefined) this.users.presence.opened(name, id, 'fake');
    return connection;
  }

  disconnect(id: string): void {
    const connection = this.#connections.get(id);
    this.#connections.delete(id);
    if (connection?.name !== undefined) this.users.presence.closed(connection.name, id, 'fake');
  }

  /** Registers `name` straight in the account store (no password: these users never log in over HTTP). */
  addAccount(name: string): void {
    this.users.accounts.createAccount({ name, passwordHash: 'unused', createdAt: 0 });
  }

  exists(name: string): boolean {
    return this.users.accounts.getAccount(name) !== undefined;
  }

  isOnline(name: string): boolean {
    return this.users.presence.isOnline(name);
  }

  get connectedUsers(): number {
    return this.#connections.size;
  }

  pushMessage(message: HistoryEntry, except?: string): number {
    let sent = 0;
    for (const c of this.#allowed(audienceOf(message))) {
      if (c.id === except) continue;
      c.messages.push(structuredClone(message));
      sent++;
    }
    return sent;
  }

  pushStatus(update: StatusUpdate): void {
    for (const c of this.#allowed(statusAudienceOf(update))) c.statuses.push(structuredClone(update));
  }

  pushNodes(_nodes: readonly NodeRecord[]): void {}
  pushMesh(_graph: MeshGraph): void {}
  pushPresence(_change: PresenceChange): void {}

  disconnectUser(name: string): number {
    const ids = [...this.#connections.values()].filter((c) => c.name === name).map((c) => c.id);
    for (const id of ids) this.disconnect(id);
    return ids.length;
  }

  #allowed(audience: readonly string[] | undefined): FakeConnection[] {
    return [...this.#connections.values()].filter(
      (c) => audience === undefined || (c.name !== undefined && audience.includes(`${c.name}@${this.node}`)),
    );
  }
}
