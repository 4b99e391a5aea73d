import { HttpRateLimits } from '../adapters/http/http-rate-limits.js';
import { NodeHttpServer } from '../adapters/http/node-http-server.js';
import type { Logger } from '../adapters/log/logger.js';
import { LINK_SERVER_DEFAULTS, WsLinkServer } from '../adapters/peers/ws-link-server.js';
import { FanOutUserPush } from '../adapters/users/fan-out-user-push.js';
import { SendLimits } from '../adapters/users/send-limits.js';
import { SocketIoUserPush } from '../adapters/users/socket-io-user-push.js';
import { WsUserPush } from '../adapters/users/ws-user-push.js';
import { NodeKeys } from '../application/membership/node-keys.js';
import { startIncarnation } from '../application/membership/remember-nodes.js';
import { allViews } from '../application/membership/view-listener.js';
import { MessageSignatures } from '../application/messaging/message-signatures.js';
import type { HistoryQuery, OlderQuery } from '../application/messaging/read-history.js';
import { NetworkPush } from '../application/operations/network-push.js';
import type { Inbox } from '../application/ports/inbox.js';
import type { MessageStore } from '../application/ports/message-store.js';
import type { PublicEndpoint } from '../application/ports/public-endpoint.js';
import type { UserPush } from '../application/ports/user-push.js';
import { type NodeReport, PeerRegistry } from '../domain/peer-registry.js';
import { PeerUrlPolicy } from '../domain/peer-url-policy.js';
import type { NodeAdapters } from './node-adapters.js';
import type { NodeSettings } from './node-settings.js';
import { type AccountsWiring, wireAccounts } from './wire-accounts.js';
import { type CatalogWiring, wireCatalog } from './wire-catalog.js';
import { type DirectoryWiring, wireDirectory } from './wire-directory.js';
import { type FilesWiring, wireFileStore, wireFiles } from './wire-files.js';
import { wireHttpApp } from './wire-http-app.js';
import { type MembershipWiring, wireMembership } from './wire-membership.js';
import { type MessagingWiring, wireMessaging } from './wire-messaging.js';
import { type OperationsWiring, wireOperations } from './wire-operations.js';

/** One node's whole graph, built and not started: `MeshNode` starts and stops it. */
export interface WiredNode
  extends MembershipWiring,
    MessagingWiring,
    OperationsWiring,
    AccountsWiring,
    DirectoryWiring,
    FilesWiring,
    CatalogWiring {
  readonly registry: PeerRegistry;
  /** The nodes known before a restart: rejoin candidates besides the seeds. */
  readonly remembered: readonly NodeReport[];
  readonly socketIo: SocketIoUserPush;
  readonly ws: WsUserPush;
  /** Every front end and extra push target as one. */
  readonly push: UserPush;
  readonly networkPush: NetworkPush;
  readonly http: NodeHttpServer;
  /** Accepts peer links at `/peer` on `http`, when this node serves them. */
  readonly linkServer?: WsLinkServer;
  /** The links this node opened, closed when it stops. */
  readonly peerLinks?: NodeAdapters['peerLinks'];
  readonly endpoint: PublicEndpoint;
  readonly messages: MessageStore;
  readonly inbox: Inbox;
  readonly log: Logger;
}

/**
 * Builds a node from its adapters with plain constructors; nothing listens, sends or reads a clock loop until
 * `MeshNode.start`. Reads the membership store once, for the incarnation and the nodes to rejoin.
 */
export function wireNode(adapters: NodeAdapters, settings: NodeSettings): WiredNode {
  const { peers, endpoint, clock, ids, membershipStore, messages, log, random, web } = adapters;
  const { hasher, tokens, audit, inbox } = adapters;
  const saved = membershipStore.load();
  const registry = new PeerRegistry(settings.self, startIncarnation(saved, clock.now()));
  // The metrics and the health check read the courier and the front ends built below, only when asked.
  const operations = wireOperations({
    registry,
    clock,
    log,
    outboxDepth: () => messaging.courier.depth,
    users: () => ({ socketio: socketIo.connectedUsers, ws: ws.connectedUsers }),
    processMetrics: settings.processMetrics,
    peerLinks: adapters.peerLinks ? () => adapters.peerLinks?.stats : undefined,
    maxFileSize: settings.maxFileSize,
    ...(adapters.networkKey ? { networkKeyRefusals: () => adapters.networkKey?.refusals ?? {} } : {}),
  });
  const { errors, telemetry, meshMap } = operations;
  // The accounts remove a user's files through the file store; the file use cases log users in with the accounts.
  // Every file use case goes through the versioned catalog, so each publish and delete moves the version the
  // mesh catalog gossips; the mesh catalog keeps the copies of the other nodes' records.
  const catalog = wireCatalog(
    {
      registry,
      peers,
      clock,
      fileCatalog: adapters.fileCatalog,
      copies: adapters.catalogCopies,
      ...(adapters.heldCopies ? { held: adapters.heldCopies } : {}),
      errors,
    },
    settings,
  );
  const fileParts = {
    node: settings.self.id,
    clock,
    audit,
    catalog: catalog.ownCatalog,
    content: adapters.fileContent,
  };
  const fileStore = wireFileStore(fileParts);
  const accounts = wireAccounts(
    {
      node: settings.self.id,
      clock,
      store: adapters.accounts,
      hasher,
      tokens,
      audit,
      inbox,
      files: fileStore.userFiles,
    },
    { throttle: settings.loginThrottle },
  );
  const files = wireFiles(
    {
      ...fileParts,
      authenticate: accounts.authenticate,
      errors,
      store: fileStore,
      mesh: catalog,
      remote: { registry, source: adapters.fileSource, partials: adapters.partialDownloads },
    },
    {
      maxFileSize: settings.maxFileSize,
      ...(settings.heldBytes === undefined ? {} : { heldBytes: settings.heldBytes }),
    },
  );
  const keys = adapters.verifier
    ? new NodeKeys({
        self: settings.self.id,
        signer: adapters.signer,
        verifier: adapters.verifier,
        clock,
        audit,
      })
    : undefined;
  if (keys && saved?.keys) keys.restore(saved.keys);
  // Messages are signed and checked with the same keys and bindings as node records.
  const signatures =
    keys && adapters.verifier
      ? new MessageSignatures({
          self: settings.self.id,
          signer: adapters.signer,
          verifier: adapters.verifier,
          keyOf: (id) => keys.keyOf(id),
          clock,
          audit,
        })
      : undefined;
  // One set of HTTP budgets per client address, for the routes and the `/peer`, socket.io and `/ws` upgrades
  // alike (and socket.io's polling requests); a link's requests
  // run through the app, so they are charged there like the HTTP requests they stand for.
  const httpLimits = settings.rateLimits
    ? new HttpRateLimits(settings.rateLimits, {
        now: () => clock.now(),
        trustForwardedFor: settings.trustForwardedFor,
      })
    : undefined;
  const frontEnd = {
    registry,
    history: (query: HistoryQuery) => messaging.readHistory.execute(query),
    olderHistory: (query: OlderQuery) => messaging.readHistory.older(query),
    mesh: () => meshMap.snapshot(),
    errors,
    accounts,
    ...(settings.rateLimits
      ? {
          limits: new SendLimits(settings.rateLimits, () => clock.now(), settings.trustForwardedFor === true),
        }
      : {}),
    ...(httpLimits ? { addresses: httpLimits } : {}),
    privateNode: settings.privateNode === true,
    ...(keys ? { verifiedNode: (id: string) => keys.isKeyed(id) } : {}),
  };
  const frontEndSettings = { heartbeatMs: settings.heartbeatMs };
  const socketIo = new SocketIoUserPush(frontEnd, frontEndSettings);
  const ws = new WsUserPush(frontEnd, frontEndSettings);
  const push = new FanOutUserPush([socketIo, ws, ...adapters.push]);
  accounts.presence.onChange((change) => push.pushPresence(change));
  const messaging = wireMessaging(
    {
      registry,
      peers,
      clock,
      ids,
      store: messages,
      push,
      random,
      errors,
      telemetry,
      inbox,
      signatures,
      recipients: {
        exists: (name) => adapters.accounts.getAccount(name) !== undefined,
        isOnline: (name) => accounts.presence.isOnline(name),
      },
    },
    settings,
  );
  // The directory lists the accounts wiring's users and presence; it learns other nodes' versions by gossip.
  const directory = wireDirectory(
    { registry, peers, clock, listUsers: accounts.listUsers, errors },
    settings,
  );
  const membership = wireMembership(
    {
      registry,
      peers,
      clock,
      store: membershipStore,
      random,
      errors,
      telemetry,
      urls: new PeerUrlPolicy(settings.allowPrivatePeers ?? true),
      views: allViews(directory.directory, catalog.meshCatalog),
      keys,
    },
    settings,
  );
  const app = wireHttpApp(
    { registry, ...membership, ...messaging, ...operations, ...accounts, ...directory, ...files, push },
    {
      web,
      maxBodyBytes: settings.maxBodyBytes,
      peerLinks: settings.peerLinks,
      rateLimits: settings.rateLimits,
      privateNode: settings.privateNode === true,
      ...(httpLimits ? { limiter: httpLimits } : {}),
      ...(adapters.networkKey ? { networkKey: adapters.networkKey } : {}),
      admission: {
        maxWaiting: messaging.courier.settings.admitMaxWaiting,
        maxWaitMs: messaging.courier.settings.admitMaxWaitMs,
      },
    },
  );
  return {
    ...operations,
    ...messaging,
    ...membership,
    ...accounts,
    ...directory,
    ...files,
    ...catalog,
    registry,
    remembered: saved?.nodes ?? [],
    socketIo,
    ws,
    push,
    networkPush: new NetworkPush({ registry, mesh: meshMap, push, clock }),
    http: new NodeHttpServer(app, settings.connections, httpLimits),
    ...(settings.peerLinks
      ? {
          linkServer: new WsLinkServer(
            app,
            LINK_SERVER_DEFAULTS,
            httpLimits,
            adapters.networkKey,
            // An opener proves its node key as its node records and messages do: with the keys bound here.
            keys && adapters.verifier
              ? { self: settings.self.id, keyOf: (id) => keys.keyOf(id), verifier: adapters.verifier }
              : undefined,
          ),
        }
      : {}),
    ...(adapters.peerLinks ? { peerLinks: adapters.peerLinks } : {}),
    endpoint,
    messages,
    inbox,
    log,
  };
}
