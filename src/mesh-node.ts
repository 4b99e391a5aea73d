import type { PhaseBox } from './application/operations/check-health.js';
import type { Courier } from './application/messaging/courier.js';
import type { ForwardMessage } from './application/messaging/forward-message.js';
import type { JoinNetwork, JoinResult } from './application/membership/join-network.js';
import type { Leave, LeaveResult } from './application/membership/leave.js';
import type { MembershipProtocol } from './application/membership/membership-protocol.js';
import type { MeshMap } from './application/operations/mesh-map.js';
import type { RememberNodes } from './application/membership/remember-nodes.js';
import type { MessageStore } from './application/ports/message-store.js';
import type { PublicEndpoint } from './application/ports/public-endpoint.js';
import type { UserPush } from './application/ports/user-push.js';
import type { NodeHttpServer } from './adapters/http/node-http-server.js';
import type { Logger } from './adapters/log/logger.js';
import type { SocketIoUserPush } from './adapters/users/socket-io-user-push.js';
import type { WsUserPush } from './adapters/users/ws-user-push.js';
import type { NodeReport, PeerRegistry } from './domain/peer-registry.js';
import type { NodeConfig } from './node-config.js';

/** Users are sent the network map at most this often. */
export const MESH_PUSH_INTERVAL_MS = 1_000;

/** What a node is made of; the composition root builds them. */
export interface NodeParts {
  readonly config: NodeConfig;
  readonly log: Logger;
  readonly registry: PeerRegistry;
  readonly http: NodeHttpServer;
  readonly socketIo: SocketIoUserPush;
  readonly ws: WsUserPush;
  readonly push: UserPush;
  readonly endpoint: PublicEndpoint;
  readonly join: JoinNetwork;
  readonly leave: Leave;
  readonly forward: ForwardMessage;
  readonly membership: MembershipProtocol;
  readonly remember: RememberNodes;
  readonly courier: Courier;
  readonly messages: MessageStore;
  readonly meshMap: MeshMap;
  /** Where the node is in its life, as the health check reports it. */
  readonly phase: PhaseBox;
  /** Closes the node's database, if it has one, after every store on it is closed. */
  readonly closeDatabase: () => void;
  /** The nodes known before a restart: rejoin candidates besides the seeds. */
  readonly remembered: readonly NodeReport[];
}

/**
 * A running node's handle. `start` listens, opens the public endpoint, announces the URL and joins the seeds;
 * `stop` leaves the network (bounded by the leave timeout) and releases everything in reverse order.
 */
export class MeshNode {
  #started = false;
  #stopping: Promise<LeaveResult | undefined> | undefined;
  #released: Promise<void> | undefined;
  #port = 0;
  #meshTimer: NodeJS.Timeout | undefined;
  #meshPushedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly parts: NodeParts) {}

  get config(): NodeConfig {
    return this.parts.config;
  }

  get id(): string {
    return this.parts.config.id;
  }

  /** The announced URL (meaningful once started). */
  get url(): string {
    return this.registry.self.url;
  }

  get port(): number {
    return this.#port;
  }

  get registry(): PeerRegistry {
    return this.parts.registry;
  }

  /** Users connected right now, over every front end. */
  get connectedUsers(): number {
    return this.parts.socketIo.connectedUsers + this.parts.ws.connectedUsers;
  }

  /** Resolves with the join outcome when seeds were given. Rejects (after releasing what it opened) on failure. */
  async start(): Promise<JoinResult | undefined> {
    if (this.#started) throw new Error(`Node ${this.id} is already started.`);
    this.#started = true;
    const { http, registry, socketIo, ws, push, endpoint, join, log, forward, membership, remember, remembered, courier, meshMap } =
      this.parts;
    socketIo.attach(http, forward);
    ws.attach(http, forward);
    let scheduled = false;
    registry.onChange(() => {
      if (scheduled) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        push.pushNodes(registry.list());
      });
      this.#meshChanged();
    });
    meshMap.onChange(() => this.#meshChanged());
    try {
      this.#port = await http.listen(this.config.port, this.config.host);
      registry.setSelfUrl(await endpoint.open(this.#port));
      const seeds = this.config.join.length > 0 || remembered.length > 0;
      const joined = seeds ? await join.execute(this.config.join, remembered.map((n) => n.url)) : undefined;
      membership.start(remembered);
      remember.start();
      courier.start();
      this.parts.phase.phase = 'running';
      log.info({ node: registry.self, joined }, 'node started');
      return joined;
    } catch (error) {
      await this.#release();
      throw error;
    }
  }

  /** Leaves the network (unless `leave: false`, which simulates a crash) and releases everything. Idempotent. */
  stop(options: { leave?: boolean } = {}): Promise<LeaveResult | undefined> {
    this.#stopping ??= (async () => {
      this.parts.phase.phase = 'stopping';
      await this.parts.membership.stop();
      const left =
        this.#started && options.leave !== false ? await this.parts.leave.execute() : undefined;
      await this.#release();
      this.parts.log.info({ left }, 'node stopped');
      return left;
    })();
    return this.#stopping;
  }

  /**
   * The map changed: users get it at most once per `MESH_PUSH_INTERVAL_MS` (a burst of membership changes is
   * one frame, sent at the end of the interval with the map as it is then).
   */
  #meshChanged(): void {
    if (this.#meshTimer || this.#released) return;
    const wait = Math.max(0, this.#meshPushedAt + MESH_PUSH_INTERVAL_MS - Date.now());
    this.#meshTimer = setTimeout(() => {
      this.#meshTimer = undefined;
      this.#meshPushedAt = Date.now();
      // Nobody to tell: whoever connects later gets the map as it is then.
      if (this.connectedUsers > 0) this.parts.push.pushMesh(this.parts.meshMap.snapshot());
    }, wait);
    this.#meshTimer.unref();
  }

  /** Runs once, whether a failed start or `stop` gets there first. */
  #release(): Promise<void> {
    this.#released ??= (async () => {
      // The reverse of start: the public endpoint, then the front ends, then the server under them.
      const { socketIo, ws, http, endpoint, membership, remember, courier, messages, closeDatabase } = this.parts;
      clearTimeout(this.#meshTimer);
      courier.stop();
      await membership.stop();
      await endpoint.close();
      await socketIo.close();
      await ws.close();
      await http.close();
      // Nothing can reach the stores any more: flush them and close the database under them.
      remember.stop();
      await messages.close();
      closeDatabase();
    })();
    return this.#released;
  }
}
