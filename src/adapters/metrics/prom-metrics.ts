import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { MessageSource, Telemetry } from '../../application/ports/telemetry.js';
import type { DeliveryStatus } from '../../domain/delivery.js';
import type { PeerRegistry } from '../../domain/peer-registry.js';

export interface MetricsSources {
  /** Who this node knows (members and tombstones), read at each scrape. */
  readonly registry: Pick<PeerRegistry, 'countByState'>;
  readonly outboxDepth: () => number;
  /** Users connected right now, per front end. */
  readonly users: () => Readonly<Record<'socketio' | 'ws', number>>;
  /** Process metrics (CPU, memory, event loop lag) as prom-client collects them; on by default. */
  readonly processMetrics?: boolean;
  /** The peer links this node opened and the calls it made by transport, read at each scrape. */
  readonly peerLinks?: () =>
    | {
        readonly open: number;
        readonly authenticated: number;
        readonly calls: Readonly<Record<'link' | 'http', number>>;
      }
    | undefined;
  /** Network key proofs refused, by why (`NetworkKey.refusals`), read at each scrape; absent without a key. */
  readonly networkKeyRefusals?: () => Readonly<Record<string, number>>;
}

/**
 * The node's Prometheus metrics (`GET /metrics`), one prom-client registry per node, so several nodes in one
 * process keep their own numbers. Counters move with the telemetry events; gauges are read at each scrape.
 */
export class PromMetrics implements Omit<Telemetry, 'viewReceived'> {
  readonly registry = new Registry();
  /**
   * The per-message counters are plain numbers, published at each scrape: a labelled prom-client `inc` hashes
   * its labels on every call, which a message's hot path need not pay.
   */
  readonly #accepted: Record<MessageSource, number> = { user: 0, peer: 0, relay: 0 };
  readonly #delivered: Record<'local' | 'remote', number> = { local: 0, remote: 0 };
  readonly #queued: Counter;
  readonly #expired: Counter;
  readonly #failed: Counter;
  readonly #probes: Counter<'result'>;
  readonly #probeRtt: Histogram;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    const accepted = this.#accepted;
    new Counter({
      name: 'meshchat_messages_accepted_total',
      help: 'Messages this node took: from its users, from peers for its users (new ids only), or to relay (per call).',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const [source, value] of Object.entries(accepted)) this.inc({ source }, value);
      },
    });
    const delivered = this.#delivered;
    new Counter({
      name: 'meshchat_messages_delivered_total',
      help: "Messages delivered: handed to this node's users (local), or outbox copies a destination took (remote).",
      labelNames: ['where'],
      registers,
      collect() {
        this.reset();
        for (const [where, value] of Object.entries(delivered)) this.inc({ where }, value);
      },
    });
    this.#queued = new Counter({
      name: 'meshchat_messages_queued_total',
      help: 'Outbox copies not delivered at their first attempt, kept for retries.',
      registers,
    });
    this.#expired = new Counter({
      name: 'meshchat_messages_expired_total',
      help: 'Outbox copies given up because their time to live ran out before the destination took them.',
      registers,
    });
    this.#failed = new Counter({
      name: 'meshchat_messages_failed_total',
      help: 'Outbox copies given up because the destination refused them for good (a 4xx answer).',
      registers,
    });
    // Every label exists from the start (the counts above start at 0), so a dashboard sees 0 rather than no series.
    this.#probes = new Counter({
      name: 'meshchat_probes_total',
      help: 'Direct probes of other nodes, by result.',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['answered', 'silent']) this.#probes.inc({ result }, 0);
    this.#probeRtt = new Histogram({
      name: 'meshchat_probe_rtt_seconds',
      help: 'Round-trip time of direct probes that were answered.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    const { registry } = sources;
    new Gauge({
      name: 'meshchat_peers',
      help: 'Other nodes this node knows, by state (dead and left are remembered for a while).',
      labelNames: ['state'],
      registers,
      collect() {
        for (const [state, value] of Object.entries(registry.countByState())) this.set({ state }, value);
      },
    });
    new Gauge({
      name: 'meshchat_connected_users',
      help: 'Users connected to this node now, by front end.',
      labelNames: ['frontend'],
      registers,
      collect() {
        for (const [frontend, value] of Object.entries(sources.users())) this.set({ frontend }, value);
      },
    });
    new Gauge({
      name: 'meshchat_outbox_depth',
      help: 'Message copies waiting in the outbox for their destination.',
      registers,
      collect() {
        this.set(sources.outboxDepth());
      },
    });
    const { peerLinks } = sources;
    if (peerLinks) {
      new Gauge({
        name: 'meshchat_peer_links_open',
        help: 'Peer links this node opened to other meshchat nodes that are open now.',
        registers,
        collect() {
          this.set(peerLinks()?.open ?? 0);
        },
      });
      new Gauge({
        name: 'meshchat_peer_links_authenticated',
        help: 'Of the open peer links this node opened, those its peers authenticated as this node.',
        registers,
        collect() {
          this.set(peerLinks()?.authenticated ?? 0);
        },
      });
      new Counter({
        name: 'meshchat_peer_calls_total',
        help: 'Calls this node made to other nodes, by what carried them: a peer link or plain HTTP.',
        labelNames: ['transport'],
        registers,
        collect() {
          const calls = peerLinks()?.calls ?? { link: 0, http: 0 };
          this.reset();
          for (const [transport, value] of Object.entries(calls)) this.inc({ transport }, value);
        },
      });
    }
    const { networkKeyRefusals } = sources;
    if (networkKeyRefusals) {
      new Counter({
        name: 'meshchat_network_key_refusals_total',
        help: 'Node-to-node calls and link upgrades refused for want of a valid network key proof, by why.',
        labelNames: ['reason'],
        registers,
        collect() {
          this.reset();
          for (const [reason, value] of Object.entries(networkKeyRefusals())) this.inc({ reason }, value);
        },
      });
    }
    if (sources.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text for a scrape. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  messageAccepted(_message: unknown, source: MessageSource): void {
    this.#accepted[source]++;
  }

  deliveredLocally(): void {
    this.#delivered.local++;
  }

  copyQueued(): void {
    this.#queued.inc();
  }

  copySettled(_node: string, status: Exclude<DeliveryStatus, 'queued'>): void {
    if (status === 'delivered') this.#delivered.remote++;
    else if (status === 'expired') this.#expired.inc();
    else this.#failed.inc();
  }

  probed(_node: string, alive: boolean, rttMs: number): void {
    this.#probes.inc({ result: alive ? 'answered' : 'silent' });
    if (alive) this.#probeRtt.observe(rttMs / 1000);
  }
}
