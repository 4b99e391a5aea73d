import type { PresenceChange } from '../../src/application/accounts/presence.js';
import type { Recipients } from '../../src/application/messaging/deliver-direct.js';
import type { HistoryQuery } from '../../src/application/messaging/read-history.js';
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
 * `Recipients`: the accounts it was given, online while one of their connections is open.
 */
export class UserConnections implements UserPush, Recipients {
  readonly #connections = new Map<string, FakeConnection>();
  readonly #accounts: Set<string>;

  constructor(
    private readonly node: string,
    accounts: readonly string[],
    /** Set once the node is wired: what a connection is sent on connect (`ReadHistory`). */
    public history: (query: HistoryQuery) => HistoryEntry[] = () => [],
  ) {
    this.#accounts = new Set(accounts);
  }

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
    return connection;
  }

  disconnect(id: string): void {
    this.#connections.delete(id);
  }

  addAccount(name: string): void {
    this.#accounts.add(name);
  }

  exists(name: string): boolean {
    return this.#accounts.has(name);
  }

  isOnline(name: string): boolean {
    return [...this.#connections.values()].some((c) => c.name === name);
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
    for (const id of ids) this.#connections.delete(id);
    return ids.length;
  }

  #allowed(audience: readonly string[] | undefined): FakeConnection[] {
    return [...this.#connections.values()].filter(
      (c) => audience === undefined || (c.name !== undefined && audience.includes(`${c.name}@${this.node}`)),
    );
  }
}
