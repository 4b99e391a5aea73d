import { Connection, type ConnectionStatus } from './connection.js';
import {
  type ChatMessage,
  isRecord,
  type MeshFrame,
  type NodeInfo,
  type OutgoingFrame,
  parseAck,
  parseError,
  parseMesh,
  parseMessage,
  parseNode,
  parseNodeList,
  parseStatusFrame,
  seqOf,
  type WireError,
} from './frames.js';
import { change, Ledger, type SentEntry } from './ledger.js';
import { type NodeChange, nodeChanges } from './node-changes.js';

/** A message for the page to show; `sent` is set when it was sent from this node (it gets a tick). */
export interface Incoming {
  message: ChatMessage;
  sent?: SentEntry;
}

/** Everything the page learns from its node. Called synchronously, in the order the frames came. */
export interface ClientEvents {
  connection(status: ConnectionStatus): void;
  hello(self: NodeInfo): void;
  /** The node's list; `changes` is empty for the first list of each connection (it is the baseline). */
  nodes(list: readonly NodeInfo[], changes: readonly NodeChange[]): void;
  /** The node's map of the network; undefined on a new connection until its node sends one. */
  mesh(frame: MeshFrame | undefined): void;
  /** The history a connection starts with (what was missed, with `since`), de-duplicated. */
  history(batch: readonly Incoming[]): void;
  message(incoming: Incoming): void;
  /** Sent messages whose status changed. */
  sent(entries: readonly SentEntry[]): void;
  /** A message shown as received turned out to be the send `keep`: the received copy goes. */
  duplicate(id: string, keep: SentEntry): void;
  nodeError(error: WireError): void;
}

/** Ids of messages this browser sent, kept across page loads so history shows them as this page's. */
export interface SentMemory {
  has(id: string): boolean;
  add(id: string): void;
}

export interface ClientOptions {
  /** The /ws URL, with `?since=<cursor>` when given one. */
  url(since: number | undefined): string;
  memory: SentMemory;
  WebSocket?: typeof WebSocket;
  online?(): boolean;
}

/** Message ids remembered for de-duplication across history, pushes and reconnects. */
const MAX_SEEN_IDS = 5000;

/**
 * The page's protocol client: one connection to its node, the `since` cursor, the ledger of sent messages,
 * de-duplication and node-list diffs, told to the page through `ClientEvents`. No DOM.
 */
export class ProtocolClient {
  readonly #ledger = new Ledger();
  readonly #connection: Connection;
  readonly #seen = new Set<string>();
  #self: NodeInfo | undefined;
  #nodes: readonly NodeInfo[] = [];
  #synced = false;
  #cursor: number | undefined;
  #refCounter = 0;

  constructor(
    private readonly events: ClientEvents,
    private readonly options: ClientOptions,
  ) {
    this.#connection = new Connection(
      {
        status: (status) => events.connection(status),
        opened: () => {
          this.#synced = false;
          events.mesh(undefined);
        },
        frame: (frame) => this.#onFrame(frame),
        closed: () => {
          const changed = this.#ledger.connectionLost();
          if (changed.length > 0) events.sent(changed);
        },
      },
      {
        url: () => options.url(this.#cursor),
        ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
        ...(options.online ? { online: options.online } : {}),
      },
    );
  }

  /** The highest history cursor seen; a reconnect asks only for what came after it. */
  get cursor(): number | undefined {
    return this.#cursor;
  }

  get connection(): ConnectionStatus {
    return this.#connection.status;
  }

  start(): void {
    this.#connection.start();
  }

  stop(): void {
    this.#connection.stop();
  }

  reconnectNow(): void {
    this.#connection.reconnectNow();
  }

  /** Sends a message; the entry returned is updated (and reported through `sent`) as the node answers. */
  send(to: string, msg: string, user?: string): SentEntry {
    const ref = this.#newRef();
    const entry: SentEntry & { ref: string } = {
      ref,
      to,
      msg,
      base: 'sending',
      perNode: new Map(),
      byThisPage: true,
      version: 0,
    };
    const frame: OutgoingFrame = { type: 'msg', to, msg, ref };
    if (user !== undefined) {
      entry.user = user;
      frame.user = user;
    }
    if (this.#connection.send(frame)) this.#ledger.sending(entry);
    else change(entry, 'failed', 'not connected');
    return entry;
  }

  #seeSeq(raw: unknown): void {
    const seq = seqOf(raw);
    if (seq !== undefined && (this.#cursor === undefined || seq > this.#cursor)) this.#cursor = seq;
  }

  #see(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > MAX_SEEN_IDS) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }

  #onFrame(frame: Record<string, unknown>): void {
    const { events } = this;
    switch (frame.type) {
      case 'hello': {
        const self = parseNode(frame.node);
        if (!self) return;
        this.#self = self;
        this.#connection.healthy();
        events.hello(self);
        return;
      }
      case 'nodes': {
        if (!Array.isArray(frame.nodes)) return;
        const list = parseNodeList(frame.nodes);
        const changes = this.#synced ? nodeChanges(this.#nodes, list, this.#self?.id) : [];
        this.#nodes = list;
        this.#synced = true;
        events.nodes(list, changes);
        return;
      }
      case 'history':
        if (Array.isArray(frame.messages)) this.#onHistory(frame.messages);
        return;
      case 'msg': {
        this.#seeSeq(frame.seq);
        const m = parseMessage(frame);
        const incoming = m && this.#incoming(m, true);
        if (incoming) events.message(incoming);
        return;
      }
      case 'ack': {
        const ack = parseAck(frame);
        const entry = ack && this.#ledger.ack(ack);
        if (!entry) return;
        if (ack.ok && ack.id) {
          this.options.memory.add(ack.id);
          if (this.#seen.has(ack.id)) events.duplicate(ack.id, entry);
          this.#see(ack.id);
        }
        events.sent([entry]);
        return;
      }
      case 'status': {
        this.#seeSeq(frame.seq);
        const update = parseStatusFrame(frame);
        const entry = update && this.#ledger.status(update);
        if (entry) events.sent([entry]);
        return;
      }
      case 'mesh': {
        const mesh = parseMesh(frame);
        if (mesh) events.mesh(mesh);
        return;
      }
      case 'error':
        events.nodeError(parseError(frame.error));
        return;
      default:
        return;
    }
  }

  #onHistory(raws: unknown[]): void {
    const batch: Incoming[] = [];
    const changed: SentEntry[] = [];
    for (const raw of raws) {
      if (!isRecord(raw)) continue;
      this.#seeSeq(raw.seq);
      const m = parseMessage(raw);
      if (!m) continue;
      const known = m.id === undefined ? undefined : this.#ledger.get(m.id);
      if (known) {
        // Already shown as sent: the history brings its latest status (a change while away).
        if (m.status && m.status !== known.base) {
          change(known, m.status);
          changed.push(known);
        }
        continue;
      }
      if (m.id && m.status && m.from === this.#self?.id && !this.#seen.has(m.id)) {
        const adopted = this.#ledger.adoptUnconfirmed({ ...m, id: m.id }, m.status);
        if (adopted) {
          this.options.memory.add(m.id);
          this.#see(m.id);
          changed.push(adopted);
          continue;
        }
      }
      const incoming = this.#incoming(m, false);
      if (incoming) batch.push(incoming);
    }
    if (changed.length > 0) this.events.sent(changed);
    this.events.history(batch);
  }

  /**
   * A message to show, once per id. It is sent from this node (with a ledger entry) when this browser sent it
   * in an earlier page load, or when the node says so with a `status`: another user of this node sent it.
   */
  #incoming(m: ChatMessage, live: boolean): Incoming | undefined {
    const id = m.id;
    if (id !== undefined) {
      if (this.#seen.has(id) || this.#ledger.get(id)) return undefined;
      if (live && m.from === this.#self?.id) {
        const echo = this.#ledger.adoptEcho({ ...m, id });
        if (echo) {
          this.options.memory.add(id);
          return undefined;
        }
      }
      this.#see(id);
    }
    const remembered = id !== undefined && this.options.memory.has(id);
    const fromThisNode = m.status !== undefined && m.from === this.#self?.id;
    if (!remembered && !fromThisNode) return { message: m };
    const sent: SentEntry = {
      to: m.to,
      msg: m.msg,
      base: m.status ?? 'sent',
      perNode: new Map(),
      byThisPage: remembered,
      version: 0,
    };
    if (m.user !== undefined) sent.user = m.user;
    if (id !== undefined) this.#ledger.register(sent, id);
    return { message: m, sent };
  }

  #newRef(): string {
    // crypto.randomUUID only exists in secure contexts; a node reached over plain http on a LAN is not one.
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    let hex = '';
    for (const b of bytes) hex += b.toString(16).padStart(2, '0');
    this.#refCounter += 1;
    return `web-${Date.now().toString(36)}-${this.#refCounter}-${hex}`;
  }
}
