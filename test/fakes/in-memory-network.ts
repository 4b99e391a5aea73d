import Database from 'better-sqlite3';
import { HttpRefusal, statusFor } from '../../src/adapters/http/error-table.js';
import { extensionFields, userListEntry } from '../../src/adapters/http/wire-schemas.js';
import { MemoryMessageStore } from '../../src/adapters/storage/memory-message-store.js';
import { DEFAULT_MESSAGE_STORE_SETTINGS } from '../../src/adapters/storage/message-store-settings.js';
import { SqliteFileCatalog } from '../../src/adapters/storage/sqlite-file-catalog.js';
import { FanOutUserPush } from '../../src/adapters/users/fan-out-user-push.js';
import type { DirectorySettings } from '../../src/application/directory/directory-settings.js';
import { PeerCallFailed } from '../../src/application/errors.js';
import { type OwnCatalogAnswer, ownCatalogAnswer } from '../../src/application/files/own-catalog-answer.js';
import type { MembershipSettings } from '../../src/application/membership/settings.js';
import { allViews } from '../../src/application/membership/view-listener.js';
import type { DeliverySettings } from '../../src/application/messaging/delivery-settings.js';
import type { MessageSignatures } from '../../src/application/messaging/message-signatures.js';
import { fanOutTelemetry } from '../../src/application/operations/telemetry.js';
import type { Clock } from '../../src/application/ports/clock.js';
import type { CatalogCopies } from '../../src/application/ports/files/catalog-copies.js';
import type { Inbox } from '../../src/application/ports/inbox.js';
import type { MessageStore } from '../../src/application/ports/message-store.js';
import type {
  BatchItemResult,
  CallOptions,
  CatalogAnswer,
  GossipReport,
  NodeAnswer,
  PeerClient,
  ProbeVerdict,
  UserListAnswer,
} from '../../src/application/ports/peer-client.js';
import type { Telemetry } from '../../src/application/ports/telemetry.js';
import { MAX_CATALOG_RECORDS_PER_NODE } from '../../src/domain/catalog.js';
import { type DirectoryUser, MAX_DIRECTORY_USERS_PER_NODE } from '../../src/domain/directory.js';
import { MeshError, UnknownNode } from '../../src/domain/errors.js';
import type { ChatMessage, InboundMessage } from '../../src/domain/message.js';
import type { BatchProof } from '../../src/domain/message-signature.js';
import { type NodeRecord, nodeRecord } from '../../src/domain/node-record.js';
import { type NodeReport, PeerRegistry } from '../../src/domain/peer-registry.js';
import { type AccountsWiring, wireAccounts } from '../../src/wiring/wire-accounts.js';
import { type CatalogWiring, wireCatalog } from '../../src/wiring/wire-catalog.js';
import { type DirectoryWiring, wireDirectory } from '../../src/wiring/wire-directory.js';
import { type MembershipWiring, wireMembership } from '../../src/wiring/wire-membership.js';
import { type MessagingWiring, wireMessaging } from '../../src/wiring/wire-messaging.js';
import { FakeClock } from './fake-clock.js';
import { FakePasswordHasher } from './fake-password-hasher.js';
import { InMemoryAccountStore } from './in-memory-account-store.js';
import { InMemoryCatalogCopies } from './in-memory-catalog-copies.js';
import { InMemoryInbox } from './in-memory-inbox.js';
import { InMemoryMembershipStore } from './in-memory-membership-store.js';
import { RecordingAuditTrail } from './recording-audit-trail.js';
import { RecordingPushNotifier, SequentialIds } from './recording-push-notifier.js';
import { SequentialSessionTokens } from './sequential-session-tokens.js';
import { UserConnections } from './user-connections.js';

/** The server side of a node as other nodes see it: what the HTTP API would call. */
export interface InboundPeerApi {
  listNodes(includeDead: boolean): NodeReport[];
  getNode(id: string): NodeAnswer;
  announce(node: { id: string; url: string; incarnation?: number }): void;
  withdraw(node: { id: string; url: string; reason?: 'dead' | 'left' }): Promise<void>;
  receive(message: InboundMessage): Promise<unknown>;
  /** `POST /msgs`; a plain node has none (it rejects with 404 as the HTTP API would). */
  receiveBatch(messages: InboundMessage[], proof?: BatchProof): Promise<BatchItemResult[]>;
  probe(target: { id: string; url: string }): Promise<ProbeVerdict>;
  /** `GET /users` and its version header; a plain node has none (404, as the HTTP API would). */
  listUsers(): { users: DirectoryUser[]; version: number };
  /** `GET /files/catalog` and its version header; a node without files has none (404, as over HTTP). */
  listCatalog?(since?: number): OwnCatalogAnswer;
}

/**
 * Nodes wired to each other with no sockets: each node's `PeerClient` calls straight into the other nodes'
 * use cases. Everything crosses as JSON (as on the wire), and errors come back as the status the HTTP API
 * would give, so the fake tells the same story as the real adapter (the contract suite checks that).
 *
 * Faults: a node can be down (refuses at once) or hanging (never answers); with a clock, calls can also be
 * dropped at random or cut by a partition, and then fail with `peer_timeout` when their deadline passes on
 * that clock, as a lost packet does.
 */
export class InMemoryNetwork {
  readonly #nodes = new Map<string, InboundPeerApi>();
  readonly #down = new Set<string>();
  readonly #hanging = new Set<string>();
  readonly #side = new Map<string, number>();
  readonly #clock: Clock | undefined;
  readonly #random: () => number;
  #dropRate = 0;
  calls = 0;
  dropped = 0;

  constructor(options: { clock?: Clock; random?: () => number } = {}) {
    this.#clock = options.clock;
    this.#random = options.random ?? Math.random;
  }

  register(url: string, api: InboundPeerApi): void {
    this.#nodes.set(url, api);
  }

  unregister(url: string): void {
    this.#nodes.delete(url);
  }

  /** A node that is down refuses connections. */
  setDown(url: string, down: boolean): void {
    if (down) this.#down.add(url);
    else this.#down.delete(url);
  }

  /** A hanging node accepts calls and never answers. */
  setHanging(url: string, hanging: boolean): void {
    if (hanging) this.#hanging.add(url);
    else this.#hanging.delete(url);
  }

  /** Loses this share of calls (0 to 1); needs a clock. */
  setDropRate(rate: number): void {
    this.#dropRate = rate;
  }

  /** Splits the network: calls between nodes of different groups are lost. Nodes in no group reach everyone. */
  partition(...groups: readonly string[][]): void {
    this.#side.clear();
    groups.forEach((urls, side) => {
      for (const url of urls) this.#side.set(url, side);
    });
  }

  heal(): void {
    this.#side.clear();
  }

  /** A client for calls made by the node at `from` (partitions need to know who calls). */
  client(from?: string): PeerClient {
    return new InMemoryPeerClient(this, from);
  }

  async call<T>(
    url: string,
    use: (api: InboundPeerApi) => T | Promise<T>,
    from?: string,
    timeoutMs = 5_000,
  ): Promise<T> {
    this.calls++;
    await Promise.resolve();
    if (this.#hanging.has(url)) return new Promise<T>(() => {});
    if (this.#clock && (this.#cut(from, url) || (this.#dropRate > 0 && this.#random() < this.#dropRate))) {
      this.dropped++;
      await this.#clock.sleep(timeoutMs);
      throw new PeerCallFailed(
        'peer_timeout',
        `${url} did not answer within ${timeoutMs} ms (in-memory network).`,
      );
    }
    const api = this.#nodes.get(url);
    if (!api || this.#down.has(url)) {
      throw new PeerCallFailed(
        'peer_unreachable',
        `Could not reach ${url}: ECONNREFUSED (in-memory network).`,
      );
    }
    try {
      return JSON.parse(JSON.stringify((await use(api)) ?? null)) as T;
    } catch (error) {
      if (!(error instanceof MeshError)) throw error;
      throw new PeerCallFailed(
        'peer_rejected',
        `${url} answered with ${statusFor(error)}: ${error.message}`,
        statusFor(error),
        error.code,
      );
    }
  }

  #cut(from: string | undefined, to: string): boolean {
    if (from === undefined) return false;
    const a = this.#side.get(from);
    const b = this.#side.get(to);
    return a !== undefined && b !== undefined && a !== b;
  }
}

export class InMemoryPeerClient implements PeerClient {
  constructor(
    private readonly network: InMemoryNetwork,
    private readonly from?: string,
  ) {}

  #call<T>(url: string, use: (api: InboundPeerApi) => T | Promise<T>, options: CallOptions = {}): Promise<T> {
    return this.network.call(url, use, this.from, options.timeoutMs);
  }

  async listNodes(
    url: string,
    options: CallOptions & { includeDead?: boolean } = {},
  ): Promise<GossipReport[]> {
    const list = await this.#call(url, (api) => api.listNodes(options.includeDead ?? false), options);
    return list.flatMap((entry) => {
      try {
        return [
          {
            ...nodeRecord(entry.id, entry.url),
            ...extensionFields(entry as unknown as Record<string, unknown>),
          },
        ];
      } catch {
        return [];
      }
    });
  }

  getNode(url: string, id: string, options: CallOptions = {}): Promise<NodeAnswer> {
    return this.#call(url, (api) => api.getNode(id), options);
  }

  async announce(url: string, node: NodeReport, options: CallOptions = {}): Promise<void> {
    const wire =
      node.incarnation === undefined
        ? { id: node.id, url: node.url }
        : { id: node.id, url: node.url, incarnation: node.incarnation };
    await this.#call(url, (api) => api.announce(wire), options);
  }

  async withdraw(
    url: string,
    node: NodeRecord & { reason?: 'dead' },
    options: CallOptions = {},
  ): Promise<void> {
    const wire = node.reason
      ? { id: node.id, url: node.url, reason: node.reason }
      : { id: node.id, url: node.url };
    await this.#call(url, (api) => api.withdraw(wire), options);
  }

  /** The fake has no peer links: a message goes signed whenever the caller signs (`signed`), as over HTTP. */
  async sendMessage(
    url: string,
    message: ChatMessage | InboundMessage,
    options: CallOptions & { readonly signed?: () => ChatMessage | InboundMessage } = {},
  ): Promise<void> {
    const { signed, ...call } = options;
    const wire = JSON.parse(JSON.stringify(signed ? signed() : message)) as InboundMessage;
    await this.#call(url, (api) => api.receive(wire), call);
  }

  sendMessages(
    url: string,
    messages: readonly ChatMessage[],
    options: CallOptions & { readonly prove?: () => BatchProof | undefined } = {},
  ): Promise<BatchItemResult[]> {
    const wire = JSON.parse(JSON.stringify(messages)) as InboundMessage[];
    const { prove, ...call } = options;
    const proof = prove?.();
    return this.#call(url, (api) => api.receiveBatch(wire, proof), call);
  }

  async listUsers(url: string, options: CallOptions = {}): Promise<UserListAnswer> {
    const answer = await this.#call(url, (api) => api.listUsers(), options);
    // As the HTTP adapter reads it: entries checked one by one, at most the cap of them.
    const users: DirectoryUser[] = [];
    for (const entry of answer.users) {
      if (users.length >= MAX_DIRECTORY_USERS_PER_NODE) break;
      const parsed = userListEntry.safeParse(entry);
      if (parsed.success) users.push(parsed.data);
    }
    return { users, version: answer.version };
  }

  async listCatalog(
    url: string,
    options: CallOptions & { readonly since?: number } = {},
  ): Promise<CatalogAnswer> {
    const { since, ...call } = options;
    const answer = await this.#call(
      url,
      (api) => {
        if (!api.listCatalog)
          throw new HttpRefusal(404, 'not_found', 'There is no GET /files/catalog on this node.');
        return api.listCatalog(since);
      },
      call,
    );
    // As the HTTP adapter reads it: JSON across, objects only, at most the cap of them.
    const files = (JSON.parse(JSON.stringify(answer.files)) as unknown[])
      .filter((entry) => typeof entry === 'object' && entry !== null && !Array.isArray(entry))
      .slice(0, MAX_CATALOG_RECORDS_PER_NODE);
    if ('since' in answer && since !== undefined)
      return { files, version: answer.version, since: answer.since, removed: [...answer.removed] };
    return { files, version: answer.version, full: true };
  }

  async probeVia(url: string, target: NodeRecord, options: CallOptions = {}): Promise<ProbeVerdict> {
    const wire = { id: target.id, url: target.url };
    const { alive, incarnation } = await this.#call(url, (api) => api.probe(wire), options);
    return incarnation === undefined ? { alive } : { alive, incarnation };
  }
}

/** One node on the in-memory network: its state, use cases and a recorder standing for its users. */
export interface MemoryNode extends MembershipWiring, MessagingWiring, AccountsWiring, DirectoryWiring {
  readonly id: string;
  readonly url: string;
  readonly registry: PeerRegistry;
  readonly users: RecordingPushNotifier;
  readonly store: MessageStore;
  readonly clock: FakeClock;
  readonly api: InboundPeerApi;
  /** The node's user connections and accounts (none unless `accounts` was given): direct messages. */
  readonly connections: UserConnections;
  readonly inbox: Inbox | undefined;
  /** The node's own file records and its mesh catalog, when created with `files`. */
  readonly catalog: CatalogWiring | undefined;
}

export function memoryUrl(id: string): string {
  return `http://${id.toLowerCase()}.mesh.test`;
}

/** The membership and messaging of a node, as `wireNode` builds them, over fakes and this network. */
export function createMemoryNode(
  network: InMemoryNetwork,
  id: string,
  options: {
    clock?: FakeClock;
    leaveTimeoutMs?: number;
    membership?: Partial<MembershipSettings>;
    random?: () => number;
    incarnation?: number;
    delivery?: Partial<DeliverySettings>;
    /** The node's message store (pass the one of an earlier node to simulate a restart). */
    store?: MessageStore;
    /** Leave the courier unstarted (the test starts it), as a node is while it joins. */
    startCourier?: boolean;
    /** Told of unexpected failures (in the courier, the membership rounds). */
    onError?: (error: unknown) => void;
    /** Told of what the use cases do (metrics, the mesh map); a part that throws fails the test's call. */
    telemetry?: Partial<Telemetry>;
    /** The node's registry, when the test built what reads it first (its operations). */
    registry?: PeerRegistry;
    /**
     * Account names to register on this node (in its one account store, which the directory lists too): it then
     * takes direct messages for them (`connections`, `inbox`).
     */
    accounts?: readonly string[];
    /** Where their direct messages wait (pass an earlier node's to simulate a restart). */
    inbox?: Inbox;
    inboxLimit?: number;
    /** Over what the membership profile implies. */
    directory?: Partial<DirectorySettings>;
    /** Give the node a file catalog (in memory) and the mesh catalog over it, as `wireNode` does. */
    files?: boolean;
    /** Where its mesh catalog keeps its copies (pass an earlier node's to simulate a restart). */
    catalogCopies?: CatalogCopies;
    /** Signed messages: what the node signs and checks with (nothing without). */
    signatures?: MessageSignatures;
  } = {},
): MemoryNode {
  const url = memoryUrl(id);
  const registry = options.registry ?? new PeerRegistry({ id, url }, options.incarnation ?? 1);
  const users = new RecordingPushNotifier();
  const inbox = options.accounts ? (options.inbox ?? new InMemoryInbox()) : undefined;
  const clock = options.clock ?? new FakeClock();
  const peers = network.client(url);
  const store = options.store ?? new MemoryMessageStore(DEFAULT_MESSAGE_STORE_SETTINGS);
  const rethrow = {
    report: (error: unknown) => {
      throw error;
    },
  };
  const telemetry = options.telemetry ? fanOutTelemetry([options.telemetry], rethrow) : undefined;
  const { onError } = options;
  const errors = onError ? { report: (error: unknown) => onError(error) } : undefined;
  const { random } = options;
  // The node's users as `wireNode` wires them: one account store and one presence, which the direct messages
  // (as their recipients) and the directory (through `listUsers`) both read.
  const accounts = wireAccounts({
    node: id,
    clock,
    store: new InMemoryAccountStore(),
    hasher: new FakePasswordHasher(),
    tokens: new SequentialSessionTokens(),
    audit: new RecordingAuditTrail(),
    inbox,
  });
  const connections = new UserConnections(id, accounts);
  for (const name of options.accounts ?? []) connections.addAccount(name);
  const push = options.accounts ? new FanOutUserPush([users, connections]) : users;
  const messaging = wireMessaging(
    {
      registry,
      peers,
      clock,
      ids: new SequentialIds(id),
      store,
      push,
      random,
      errors,
      telemetry,
      ...(inbox ? { inbox, recipients: connections } : {}),
      ...(options.signatures ? { signatures: options.signatures } : {}),
    },
    options,
  );
  connections.history = (query) => messaging.readHistory.execute(query).messages;
  const directory = wireDirectory(
    { registry, peers, clock, listUsers: accounts.listUsers, errors },
    { membership: options.membership, directory: options.directory },
  );
  const catalog = options.files
    ? wireCatalog(
        {
          registry,
          peers,
          clock,
          fileCatalog: new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true }),
          copies: options.catalogCopies ?? new InMemoryCatalogCopies(),
          errors,
        },
        { membership: options.membership },
      )
    : undefined;
  const membership = wireMembership(
    {
      registry,
      peers,
      clock,
      store: new InMemoryMembershipStore(),
      random,
      errors,
      telemetry,
      views: catalog ? allViews(directory.directory, catalog.meshCatalog) : directory.directory,
    },
    { membership: options.membership, leaveTimeoutMs: options.leaveTimeoutMs },
  );
  const { announce, remove, probe } = membership;
  const { receive, receiveMany } = messaging;
  const api: InboundPeerApi = {
    listNodes: (includeDead) => [
      ...registry.list().map((member) => {
        const version = directory.directory.versionOf(member.id);
        const files = catalog?.meshCatalog.versionOf(member.id);
        return {
          ...member,
          ...(version === undefined ? {} : { directory: version }),
          ...(files === undefined ? {} : { catalog: files }),
        };
      }),
      ...(includeDead ? registry.goneReports() : []),
    ],
    listUsers: () => directory.ownDirectory.snapshot(),
    ...(catalog
      ? {
          listCatalog: (since?: number) => ownCatalogAnswer(catalog.ownCatalog, since),
        }
      : {}),
    getNode: (nodeId) => {
      const node = registry.get(nodeId);
      if (!node) throw new UnknownNode(nodeId);
      return { url: node.url, incarnation: node.incarnation, state: node.state };
    },
    announce: (node) => void announce.execute(node),
    withdraw: (node) => remove.execute(node),
    receive: (message) => receive.execute(message),
    receiveBatch: async (messages, proof) =>
      (await receiveMany.execute(messages, proof)).map((outcome) =>
        outcome.ok
          ? { ok: true }
          : {
              ok: false,
              status: statusFor(outcome.error),
              code: outcome.error.code,
              message: outcome.error.message,
            },
      ),
    probe: (target) => probe.execute(target),
  };
  network.register(url, api);
  if (options.startCourier !== false) messaging.courier.start();
  return {
    ...membership,
    ...messaging,
    ...accounts,
    ...directory,
    id,
    url,
    registry,
    users,
    store,
    clock,
    api,
    connections,
    inbox,
    catalog,
  };
}

/**
 * A plain node on the in-memory network: the assignment's protocol only. It lists itself, keeps whatever it is
 * told, never probes or gossips, and has no `POST /probe` or `POST /msgs`. `extensionCalls` counts every call
 * that used a meshchat extension on it (`?include=dead`, `POST /probe`, `POST /msgs`, `GET /users`): a meshchat
 * node must never send one. `received` is every `PUT /msg` it was sent, as its users would see it.
 */
export function createPlainMemoryNode(
  network: InMemoryNetwork,
  id: string,
  url = memoryUrl(id),
): {
  id: string;
  url: string;
  nodes: Map<string, string>;
  received: InboundMessage[];
  extensionCalls: () => number;
} {
  const nodes = new Map<string, string>([[id, url]]);
  const received: InboundMessage[] = [];
  let extensionCalls = 0;
  network.register(url, {
    listNodes: (includeDead) => {
      if (includeDead) extensionCalls++;
      return [...nodes].map(([nodeId, nodeUrl]) => ({ id: nodeId, url: nodeUrl }));
    },
    getNode: (nodeId) => {
      const nodeUrl = nodes.get(nodeId);
      if (!nodeUrl) throw new UnknownNode(nodeId);
      return { url: nodeUrl };
    },
    announce: (node) => void nodes.set(node.id, node.url),
    withdraw: async (node) => {
      if (nodes.get(node.id) === node.url) nodes.delete(node.id);
    },
    // As the assignment's node: its own id (or none) goes to its users, a known id is relayed, else 404.
    receive: async (message) => {
      if (!message.to || message.to === id) {
        received.push(message);
        return 'OK';
      }
      const next = nodes.get(message.to);
      if (!next) throw new UnknownNode(message.to);
      await network.call(next, (api) => api.receive(message), url);
      return 'OK';
    },
    receiveBatch: () => {
      extensionCalls++;
      return Promise.reject(new HttpRefusal(404, 'not_found', 'There is no POST /msgs on this node.'));
    },
    probe: () => {
      extensionCalls++;
      return Promise.reject(new UnknownNode(id));
    },
    listUsers: () => {
      extensionCalls++;
      throw new HttpRefusal(404, 'not_found', 'There is no GET /users on this node.');
    },
  });
  return { id, url, nodes, received, extensionCalls: () => extensionCalls };
}
