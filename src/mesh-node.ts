import type { Server } from 'node:http';
import type { JoinResult } from './application/membership/join-network.js';
import type { LeaveResult } from './application/membership/leave.js';
import type { PeerRegistry } from './domain/peer-registry.js';
import type { NodeConfig } from './node-config.js';
import type { WiredNode } from './wiring/wire-node.js';

/**
 * A running node's handle. `start` listens, opens the public endpoint, announces the URL and joins the seeds;
 * `stop` leaves the network (bounded by the leave timeout) and releases everything in reverse order.
 */
export class MeshNode {
  #started = false;
  #stopping: Promise<LeaveResult | undefined> | undefined;
  #released: Promise<void> | undefined;
  #port = 0;

  /** `database`, when the stores share one, is closed last, after every store on it. */
  constructor(
    readonly config: NodeConfig,
    private readonly wired: WiredNode,
    private readonly database?: { close(): unknown },
  ) {}

  get id(): string {
    return this.config.id;
  }

  /** The announced URL (meaningful once started). */
  get url(): string {
    return this.registry.self.url;
  }

  get port(): number {
    return this.#port;
  }

  /** The node's one HTTP server (the API, the front ends' and the peer links' upgrades). */
  get server(): Server {
    return this.wired.http.server;
  }

  get registry(): PeerRegistry {
    return this.wired.registry;
  }

  /** Users connected right now, over every front end. */
  get connectedUsers(): number {
    return this.wired.socketIo.connectedUsers + this.wired.ws.connectedUsers;
  }

  /** Resolves with the join outcome when seeds were given. Rejects (after releasing what it opened) on failure. */
  async start(): Promise<JoinResult | undefined> {
    if (this.#started) throw new Error(`Node ${this.id} is already started.`);
    this.#started = true;
    const {
      http,
      registry,
      socketIo,
      ws,
      endpoint,
      join,
      log,
      forward,
      membership,
      remember,
      remembered,
      courier,
    } = this.wired;
    socketIo.attach(http, forward);
    ws.attach(http, forward);
    this.wired.linkServer?.attach(http);
    this.wired.networkPush.start();
    try {
      // Before anyone can pull this node's catalog: the verified copies it held before a restart.
      const held = await this.wired.files.restoreHeld?.execute();
      if (held && held.restored.length + held.dropped.length + held.swept.length > 0)
        log.info(
          { restored: held.restored.length, dropped: held.dropped, swept: held.swept },
          'held copies checked',
        );
      this.#port = await http.listen(this.config.port, this.config.host);
      registry.setSelfUrl(await endpoint.open(this.#port));
      const seeds = this.config.join.length > 0 || remembered.length > 0;
      const joined = seeds
        ? await join.execute(
            this.config.join,
            remembered.map((n) => n.url),
          )
        : undefined;
      membership.start(remembered);
      remember.start();
      courier.start();
      this.wired.phase.phase = 'running';
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
      this.wired.phase.phase = 'stopping';
      await this.wired.membership.stop();
      const left = this.#started && options.leave !== false ? await this.wired.leave.execute() : undefined;
      await this.#release();
      this.wired.log.info({ left }, 'node stopped');
      return left;
    })();
    return this.#stopping;
  }

  /** Runs once, whether a failed start or `stop` gets there first. */
  #release(): Promise<void> {
    this.#released ??= (async () => {
      // The reverse of start: the public endpoint, then the front ends, then the server under them.
      const {
        socketIo,
        ws,
        http,
        endpoint,
        membership,
        remember,
        courier,
        messages,
        networkPush,
        directory,
        meshCatalog,
        accounts,
        inbox,
        fileCatalog,
        catalogCopies,
        fileContent,
      } = this.wired;
      networkPush.stop();
      directory.stop();
      meshCatalog.stop();
      courier.stop();
      await membership.stop();
      await endpoint.close();
      await socketIo.close();
      await ws.close();
      await this.wired.peerLinks?.close();
      await this.wired.linkServer?.close();
      await http.close();
      // Nothing can reach the stores any more: flush them and close the database under them.
      remember.stop();
      await messages.close();
      accounts.close();
      await this.wired.files.remoteFiles?.stop();
      // Whatever the ended transfers and downloads left to the held-copy budget, done before the stores close.
      await this.wired.files.heldBudget?.stop();
      fileCatalog.close();
      catalogCopies.close();
      this.wired.heldCopies?.close();
      await fileContent.close();
      inbox.close();
      await this.database?.close();
    })();
    return this.#released;
  }
}
