import { AnnounceNode } from '../../src/application/announce-node.js';
import { DeliverLocally } from '../../src/application/deliver-locally.js';
import { PeerCallFailed } from '../../src/application/errors.js';
import { ForwardMessage } from '../../src/application/forward-message.js';
import { JoinNetwork } from '../../src/application/join-network.js';
import { Leave } from '../../src/application/leave.js';
import type { PeerClient } from '../../src/application/ports/peer-client.js';
import { ReceiveMessage } from '../../src/application/receive-message.js';
import { RemoveNode } from '../../src/application/remove-node.js';
import { statusFor } from '../../src/adapters/http/error-table.js';
import { MeshError } from '../../src/domain/errors.js';
import type { ChatMessage, InboundMessage } from '../../src/domain/message.js';
import { type NodeRecord, nodeRecord } from '../../src/domain/node-record.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { RecentIds } from '../../src/domain/recent-ids.js';
import { FakeClock } from './fake-clock.js';
import { RecordingPushNotifier, SequentialIds } from './recording-push-notifier.js';

/** The server side of a node as other nodes see it: what the HTTP API would call. */
export interface InboundPeerApi {
  listNodes(): NodeRecord[];
  announce(node: { id: string; url: string }): void;
  withdraw(node: { id: string; url: string }): void;
  receive(message: InboundMessage): Promise<unknown>;
}

/**
 * Nodes wired to each other with no sockets: each node's `PeerClient` calls straight into the other nodes'
 * use cases. Everything crosses as JSON (as on the wire), and errors come back as the status the HTTP API
 * would give, so the fake tells the same story as the real adapter (the contract suite checks that).
 */
export class InMemoryNetwork {
  readonly #nodes = new Map<string, InboundPeerApi>();
  readonly #down = new Set<string>();
  readonly #hanging = new Set<string>();
  calls = 0;

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

  client(): PeerClient {
    return new InMemoryPeerClient(this);
  }

  async call<T>(url: string, use: (api: InboundPeerApi) => T | Promise<T>): Promise<T> {
    this.calls++;
    await Promise.resolve();
    if (this.#hanging.has(url)) return new Promise<T>(() => {});
    const api = this.#nodes.get(url);
    if (!api || this.#down.has(url)) {
      throw new PeerCallFailed('peer_unreachable', `Could not reach ${url}: ECONNREFUSED (in-memory network).`);
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
}

export class InMemoryPeerClient implements PeerClient {
  constructor(private readonly network: InMemoryNetwork) {}

  async listNodes(url: string): Promise<NodeRecord[]> {
    const list = await this.network.call(url, (api) => api.listNodes());
    return list.flatMap((entry) => {
      try {
        return [nodeRecord(entry.id, entry.url)];
      } catch {
        return [];
      }
    });
  }

  async announce(url: string, node: NodeRecord): Promise<void> {
    const wire = { id: node.id, url: node.url };
    await this.network.call(url, (api) => api.announce(wire));
  }

  async withdraw(url: string, node: NodeRecord): Promise<void> {
    const wire = { id: node.id, url: node.url };
    await this.network.call(url, (api) => api.withdraw(wire));
  }

  async sendMessage(url: string, message: ChatMessage | InboundMessage): Promise<void> {
    const wire = JSON.parse(JSON.stringify(message)) as InboundMessage;
    await this.network.call(url, (api) => api.receive(wire));
  }
}

/** One node on the in-memory network: its state, use cases and a recorder standing for its users. */
export interface MemoryNode {
  readonly id: string;
  readonly url: string;
  readonly registry: PeerRegistry;
  readonly users: RecordingPushNotifier;
  readonly forward: ForwardMessage;
  readonly receive: ReceiveMessage;
  readonly join: JoinNetwork;
  readonly leave: Leave;
  readonly api: InboundPeerApi;
}

export function memoryUrl(id: string): string {
  return `http://${id.toLowerCase()}.mesh.test`;
}

export function createMemoryNode(
  network: InMemoryNetwork,
  id: string,
  options: { clock?: FakeClock; leaveTimeoutMs?: number } = {},
): MemoryNode {
  const url = memoryUrl(id);
  const registry = new PeerRegistry({ id, url });
  const users = new RecordingPushNotifier();
  const clock = options.clock ?? new FakeClock();
  const deps = {
    registry,
    peers: network.client(),
    clock,
    ids: new SequentialIds(id),
    local: new DeliverLocally({ push: users, seen: new RecentIds() }),
  };
  const announce = new AnnounceNode({ registry });
  const remove = new RemoveNode({ registry });
  const receive = new ReceiveMessage(deps);
  const api: InboundPeerApi = {
    listNodes: () => registry.list(),
    announce: (node) => void announce.execute(node),
    withdraw: (node) => remove.execute(node),
    receive: (message) => receive.execute(message),
  };
  network.register(url, api);
  return {
    id,
    url,
    registry,
    users,
    forward: new ForwardMessage(deps),
    receive,
    join: new JoinNetwork(deps),
    leave: new Leave(deps, { timeoutMs: options.leaveTimeoutMs ?? 3_000 }),
    api,
  };
}
