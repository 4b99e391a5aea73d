import type Database from 'better-sqlite3';
import { container as rootContainer, type DependencyContainer, instanceCachingFactory } from 'tsyringe';
import { AnnounceNode } from './application/membership/announce-node.js';
import { CheckHealth, type PhaseBox, RecentErrors } from './application/operations/check-health.js';
import { Courier } from './application/messaging/courier.js';
import { DeliverLocally } from './application/messaging/deliver-locally.js';
import { ForwardMessage } from './application/messaging/forward-message.js';
import { JoinNetwork } from './application/membership/join-network.js';
import { Leave } from './application/membership/leave.js';
import { MembershipProtocol } from './application/membership/membership-protocol.js';
import { MeshMap } from './application/operations/mesh-map.js';
import { RememberNodes } from './application/membership/remember-nodes.js';
import { defaultProfile, MEMBERSHIP_PROFILES } from './application/membership/settings.js';
import type { MembershipStore, RememberedMembership } from './application/ports/membership-store.js';
import type { MessageStore } from './application/ports/message-store.js';
import { ProbeForPeer } from './application/membership/probe-for-peer.js';
import type { Clock } from './application/ports/clock.js';
import type { IdGenerator } from './application/ports/id-generator.js';
import type { PeerClient } from './application/ports/peer-client.js';
import type { PublicEndpoint } from './application/ports/public-endpoint.js';
import type { Telemetry } from './application/ports/telemetry.js';
import { fanOutTelemetry } from './application/operations/telemetry.js';
import type { UserPush } from './application/ports/user-push.js';
import { ReceiveMessage } from './application/messaging/receive-message.js';
import { ReceiveMessages } from './application/messaging/receive-messages.js';
import { RemoveNode } from './application/membership/remove-node.js';
import { createHttpApp } from './adapters/http/create-http-app.js';
import { NodeHttpServer } from './adapters/http/node-http-server.js';
import { AuditLog } from './adapters/log/audit-log.js';
import { type Logger, silentLogger } from './adapters/log/logger.js';
import { PromMetrics } from './adapters/metrics/prom-metrics.js';
import { OfetchPeerClient } from './adapters/peers/ofetch-peer-client.js';
import { FanOutUserPush } from './adapters/users/fan-out-user-push.js';
import { SocketIoUserPush } from './adapters/users/socket-io-user-push.js';
import { WsUserPush } from './adapters/users/ws-user-push.js';
import { SystemClock } from './adapters/system/system-clock.js';
import { UuidGenerator } from './adapters/system/uuid-generator.js';
import { MemoryMessageStore } from './adapters/storage/memory-message-store.js';
import { DEFAULT_MESSAGE_STORE_SETTINGS } from './adapters/storage/message-store-settings.js';
import { openDatabase } from './adapters/storage/open-database.js';
import { SqliteMembershipStore } from './adapters/storage/sqlite-membership-store.js';
import { SqliteMessageStore } from './adapters/storage/sqlite-message-store.js';
import { LocalPublicEndpoint } from './adapters/tunnel/local-public-endpoint.js';
import { NgrokPublicEndpoint } from './adapters/tunnel/ngrok-public-endpoint.js';
import { loadWebAssets } from './adapters/web/web-assets.js';
import { assertNodeId } from './domain/node-record.js';
import { PeerRegistry } from './domain/peer-registry.js';
import type { NodeConfig } from './node-config.js';
import { MeshNode } from './mesh-node.js';

/** Adapters a test may swap; everything else is built from the config. */
export interface NodeOverrides {
  readonly peers?: PeerClient;
  readonly endpoint?: PublicEndpoint;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  /** Extra push targets beside socket.io and /ws (a recorder in tests). */
  readonly push?: readonly UserPush[];
  readonly log?: Logger;
  /** Where the known-node list is kept; by default SQLite in `config.dataDir`, or nothing without one. */
  readonly store?: MembershipStore;
  /** Where messages are kept (outbox, history, seen ids); by default SQLite in `config.dataDir`, else memory. */
  readonly messages?: MessageStore;
  /** Randomness of the membership protocol (seeded in tests). */
  readonly random?: () => number;
  /** Process metrics (CPU, memory, event loop) in `/metrics`; on by default. */
  readonly processMetrics?: boolean;
}

/** Remembers nothing: a node without a data dir. */
const forgetfulStore: MembershipStore = { load: () => undefined, save: () => {}, close: () => {} };

export const TOKENS = {
  log: Symbol('Logger'),
  registry: Symbol('PeerRegistry'),
  peers: Symbol('PeerClient'),
  endpoint: Symbol('PublicEndpoint'),
  clock: Symbol('Clock'),
  ids: Symbol('IdGenerator'),
  local: Symbol('DeliverLocally'),
  socketIo: Symbol('SocketIoUserPush'),
  ws: Symbol('WsUserPush'),
  push: Symbol('UserPush'),
  forward: Symbol('ForwardMessage'),
  receive: Symbol('ReceiveMessage'),
  join: Symbol('JoinNetwork'),
  leave: Symbol('Leave'),
  http: Symbol('NodeHttpServer'),
  store: Symbol('MembershipStore'),
  remembered: Symbol('RememberedMembership'),
  membership: Symbol('MembershipProtocol'),
  remember: Symbol('RememberNodes'),
  database: Symbol('Database'),
  messages: Symbol('MessageStore'),
  courier: Symbol('Courier'),
  receiveMany: Symbol('ReceiveMessages'),
  phase: Symbol('NodePhase'),
  errors: Symbol('RecentErrors'),
  metrics: Symbol('PromMetrics'),
  meshMap: Symbol('MeshMap'),
  telemetry: Symbol('Telemetry'),
  health: Symbol('CheckHealth'),
} as const;

/** The composition root: one child container per node, so several nodes can live in one process. */
export function buildContainer(config: NodeConfig, overrides: NodeOverrides = {}): DependencyContainer {
  const c = rootContainer.createChildContainer();
  const one = <T>(token: symbol, make: (c: DependencyContainer) => T) =>
    c.register(token, { useFactory: instanceCachingFactory(make) });
  const get = <T>(token: symbol) => c.resolve<T>(token);
  const onInternalError = (error: unknown) => {
    get<RecentErrors>(TOKENS.errors).note(get<Clock>(TOKENS.clock).now());
    get<Logger>(TOKENS.log).error({ err: error }, 'internal error');
  };

  c.registerInstance(TOKENS.log, overrides.log ?? silentLogger);
  c.registerInstance(TOKENS.phase, { phase: 'starting' } satisfies PhaseBox);
  c.registerInstance(TOKENS.errors, new RecentErrors());
  // One SQLite connection per node (boxed: no data dir means none), shared by the stores; closed last.
  one(TOKENS.database, () => ({ db: config.dataDir ? openDatabase(config.dataDir) : undefined }));
  const db = () => get<{ db?: Database.Database }>(TOKENS.database).db;
  one(TOKENS.store, () => {
    const open = db();
    return overrides.store ?? (open ? new SqliteMembershipStore(open, { ownsDb: false }) : forgetfulStore);
  });
  one(TOKENS.messages, () => {
    const settings = { ...DEFAULT_MESSAGE_STORE_SETTINGS, ...(config.historySize !== undefined ? { historySize: config.historySize } : {}) };
    const open = db();
    return overrides.messages ?? (open ? new SqliteMessageStore(open, settings, { ownsDb: false }) : new MemoryMessageStore(settings));
  });
  // Read once at start (boxed: the caching factory would call again for an empty store's undefined): the
  // registry takes the incarnation from it, the join the nodes to rejoin through.
  one(TOKENS.remembered, () => ({ membership: get<MembershipStore>(TOKENS.store).load() }));
  const remembered = () => get<{ membership?: RememberedMembership }>(TOKENS.remembered).membership;
  one(TOKENS.registry, () => {
    // A new incarnation is above the last one stored and, across a lost data dir, above any earlier start.
    const incarnation = Math.max(get<Clock>(TOKENS.clock).now(), (remembered()?.incarnation ?? 0) + 1);
    return new PeerRegistry({ id: assertNodeId(config.id), url: `http://127.0.0.1:${config.port}` }, incarnation);
  });
  one(TOKENS.peers, () => overrides.peers ?? new OfetchPeerClient({ timeoutMs: config.peerTimeoutMs }));
  one(TOKENS.clock, () => overrides.clock ?? new SystemClock());
  one(TOKENS.ids, () => overrides.ids ?? new UuidGenerator());
  one(TOKENS.endpoint, () =>
    overrides.endpoint ??
    (config.tunnel === 'ngrok'
      ? new NgrokPublicEndpoint({ authtoken: config.ngrokAuthtoken, domain: config.ngrokDomain })
      : new LocalPublicEndpoint(config.publicUrl)),
  );
  registerOperations(c, overrides, onInternalError);
  const telemetry = () => get<Telemetry>(TOKENS.telemetry);
  const frontEndDeps = () => ({
    registry: get<PeerRegistry>(TOKENS.registry),
    history: (since?: number) => get<MessageStore>(TOKENS.messages).history(since),
    mesh: () => get<MeshMap>(TOKENS.meshMap).snapshot(),
    onInternalError,
  });
  one(TOKENS.socketIo, () => new SocketIoUserPush(frontEndDeps()));
  one(TOKENS.ws, () => new WsUserPush(frontEndDeps()));
  one(TOKENS.push, () => new FanOutUserPush([get(TOKENS.socketIo), get(TOKENS.ws), ...(overrides.push ?? [])]));
  one(TOKENS.local, () =>
    new DeliverLocally({ push: get(TOKENS.push), store: get(TOKENS.messages), clock: get(TOKENS.clock), telemetry: telemetry() }),
  );
  const membership = () => ({ registry: get<PeerRegistry>(TOKENS.registry), peers: get<PeerClient>(TOKENS.peers) });
  one(TOKENS.courier, () =>
    new Courier(
      {
        ...membership(),
        store: get(TOKENS.messages),
        clock: get(TOKENS.clock),
        random: overrides.random,
        onSent: (entry, origin) => get<UserPush>(TOKENS.push).pushMessage(entry, origin),
        // After the current turn: a copy delivered at the first attempt settles before the sender's ack is
        // written (the ack waits for the same outcome), and the ack must reach the sender first.
        onStatus: (update) => setImmediate(() => get<UserPush>(TOKENS.push).pushStatus(update)),
        onError: onInternalError,
        telemetry: telemetry(),
      },
      config.delivery,
    ),
  );
  const messaging = () => ({
    registry: get<PeerRegistry>(TOKENS.registry),
    courier: get<Courier>(TOKENS.courier),
    local: get<DeliverLocally>(TOKENS.local),
    clock: get<Clock>(TOKENS.clock),
    ids: get<IdGenerator>(TOKENS.ids),
    telemetry: telemetry(),
  });
  one(TOKENS.forward, () => new ForwardMessage(messaging()));
  one(TOKENS.receive, () => new ReceiveMessage(messaging()));
  one(TOKENS.receiveMany, () => new ReceiveMessages({ receive: get(TOKENS.receive) }));
  one(TOKENS.join, () => new JoinNetwork(membership()));
  const settings = {
    ...MEMBERSHIP_PROFILES[config.profile ?? defaultProfile(config.tunnel)],
    ...config.membership,
  };
  one(TOKENS.membership, () =>
    new MembershipProtocol(
      { ...membership(), clock: get(TOKENS.clock), random: overrides.random, onError: onInternalError, telemetry: telemetry() },
      settings,
    ),
  );
  one(TOKENS.remember, () =>
    new RememberNodes(
      { registry: get(TOKENS.registry), store: get(TOKENS.store), clock: get(TOKENS.clock), onError: onInternalError },
      settings,
    ),
  );
  one(TOKENS.leave, () => new Leave({ ...membership(), clock: get(TOKENS.clock) }, { timeoutMs: config.leaveTimeoutMs }));
  one(TOKENS.http, () => {
    const registry = get<PeerRegistry>(TOKENS.registry);
    const protocol = get<MembershipProtocol>(TOKENS.membership);
    const app = createHttpApp({
      registry,
      announce: new AnnounceNode({ registry, clock: get(TOKENS.clock), onRefusedMove: (claim) => void protocol.claim(claim) }),
      remove: new RemoveNode({
        registry,
        clock: get(TOKENS.clock),
        refute: () => protocol.refute(),
        isAlive: (node) => protocol.answers(node),
      }),
      probe: new ProbeForPeer({ registry, probe: (target) => protocol.probeFor(target) }),
      receive: get(TOKENS.receive),
      receiveMany: get(TOKENS.receiveMany),
      web: loadWebAssets(),
      ops: {
        health: get(TOKENS.health),
        metrics: get<PromMetrics>(TOKENS.metrics),
        mesh: () => get<MeshMap>(TOKENS.meshMap).snapshot(),
      },
      maxBodyBytes: config.maxBodyBytes,
      onInternalError,
    });
    return new NodeHttpServer(app);
  });
  return c;
}

/**
 * What operators and the use cases' telemetry need: prom-client metrics, the mesh map, the audit log (fanned
 * out as one `Telemetry`), and the health check.
 */
function registerOperations(c: DependencyContainer, overrides: NodeOverrides, onInternalError: (error: unknown) => void): void {
  const one = <T>(token: symbol, make: () => T) => c.register(token, { useFactory: instanceCachingFactory(make) });
  const get = <T>(token: symbol) => c.resolve<T>(token);
  const users = () => ({
    socketio: get<SocketIoUserPush>(TOKENS.socketIo).connectedUsers,
    ws: get<WsUserPush>(TOKENS.ws).connectedUsers,
  });
  one(TOKENS.metrics, () =>
    new PromMetrics({
      registry: get(TOKENS.registry),
      outboxDepth: () => get<Courier>(TOKENS.courier).depth,
      users,
      processMetrics: overrides.processMetrics,
    }),
  );
  one(TOKENS.meshMap, () => new MeshMap(get(TOKENS.registry)));
  one(TOKENS.telemetry, () =>
    fanOutTelemetry([
      get<PromMetrics>(TOKENS.metrics),
      new AuditLog(get(TOKENS.log), get(TOKENS.registry)),
      get<MeshMap>(TOKENS.meshMap),
    ], onInternalError),
  );
  one(TOKENS.health, () =>
    new CheckHealth({
      registry: get(TOKENS.registry),
      clock: get(TOKENS.clock),
      phase: () => get<PhaseBox>(TOKENS.phase).phase,
      outboxDepth: () => get<Courier>(TOKENS.courier).depth,
      users: () => Object.values(users()).reduce((a, b) => a + b, 0),
      errors: get(TOKENS.errors),
      bornAt: get<Clock>(TOKENS.clock).now(),
    }),
  );
}

/** Builds a node from its config; nothing listens until `start()`. */
export function createNode(config: NodeConfig, overrides: NodeOverrides = {}): MeshNode {
  const c = buildContainer(config, overrides);
  const get = <T>(token: symbol) => c.resolve<T>(token);
  return new MeshNode({
    config,
    log: get(TOKENS.log),
    registry: get(TOKENS.registry),
    http: get(TOKENS.http),
    socketIo: get(TOKENS.socketIo),
    ws: get(TOKENS.ws),
    push: get(TOKENS.push),
    endpoint: get(TOKENS.endpoint),
    join: get(TOKENS.join),
    leave: get(TOKENS.leave),
    forward: get(TOKENS.forward),
    membership: get(TOKENS.membership),
    remember: get(TOKENS.remember),
    courier: get(TOKENS.courier),
    messages: get(TOKENS.messages),
    meshMap: get(TOKENS.meshMap),
    phase: get(TOKENS.phase),
    closeDatabase: () => get<{ db?: Database.Database }>(TOKENS.database).db?.close(),
    remembered: get<{ membership?: RememberedMembership }>(TOKENS.remembered).membership?.nodes ?? [],
  });
}
