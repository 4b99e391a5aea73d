import { MeshError } from '../../domain/errors.js';
import { isPlausibleIncarnation, type Member, type NodeReport } from '../../domain/peer-registry.js';
import { PeerUrlPolicy } from '../../domain/peer-url-policy.js';
import { sample, within } from './deadline.js';
import type { FailureDetector } from './failure-detector.js';
import type { NodeKeys } from './node-keys.js';
import type { Prober, ProberDeps } from './prober.js';
import type { MembershipSettings } from './settings.js';
import type { ViewListener } from './view-listener.js';

/** At most this many rumours are being checked at once; the rest wait for a later round. */
export const MAX_CHECKS_IN_FLIGHT = 16;

export interface AntiEntropyDeps extends ProberDeps {
  readonly prober: Prober;
  readonly detector: FailureDetector;
  /** This node was reported down: it must announce a newer incarnation. */
  readonly refute: (seen: number) => void;
  /** Tells a newly confirmed node about this node, so knowledge is symmetric. */
  readonly introduce: (url: string) => void;
  /** Reports at URLs this node does not call are dropped unread; every URL by default. */
  readonly urls?: PeerUrlPolicy;
  /** Reads what else rides on each pulled list (the mesh directory's versions); nobody by default. */
  readonly views?: ViewListener;
  /** Keyed nodes' records in gossip must carry their own signature to change anything. */
  readonly keys?: NodeKeys;
}

/**
 * Anti-entropy: each round pulls `GET /nodes` from one random live member (with its tombstones when it is a
 * meshchat node) and merges it. Nothing learned this way is trusted before it is checked: an unknown node is
 * probed before it is listed (and then told about this node), and a report that a member is down only makes
 * the failure detector probe it now.
 */
export class AntiEntropy {
  readonly #checking = new Set<string>();
  #stopped = false;

  constructor(
    private readonly deps: AntiEntropyDeps,
    private readonly settings: Pick<MembershipSettings, 'probeTimeoutMs'>,
  ) {}

  async round(): Promise<void> {
    const { registry, peers, clock, random } = this.deps;
    const [source] = sample(
      registry.peers().filter((m) => m.state === 'alive'),
      1,
      random,
    );
    if (!source) return;
    const timeoutMs = 2 * this.settings.probeTimeoutMs;
    const includeDead = source.incarnation !== undefined;
    const reports = await within(clock, timeoutMs, peers.listNodes(source.url, { includeDead, timeoutMs }));
    if (!reports || this.#stopped) return;
    this.deps.telemetry?.viewReceived(source.id, reports);
    this.merge(reports);
    this.deps.views?.viewMerged(source, reports);
  }

  /** After this, nothing learned from a round still in flight changes the registry or calls anyone. */
  stop(): void {
    this.#stopped = true;
  }

  /** Merges a list another node sent. Reports with a forged-looking incarnation are dropped; one refutation at most. */
  merge(reports: readonly NodeReport[]): void {
    const { registry, detector, refute, clock } = this.deps;
    let refuteAbove: number | undefined;
    const urls = this.deps.urls ?? PeerUrlPolicy.ANY;
    // A list that reports every member down must not make this node probe them all at once.
    let downHints = MAX_CHECKS_IN_FLIGHT;
    for (const report of reports) {
      if (!isPlausibleIncarnation(report.incarnation, clock.now()) || !urls.allows(report.url)) continue;
      // A keyed node's record changes only by its own signature: gossip cannot move or age it.
      if (this.deps.keys && !this.deps.keys.admits(report, registry.get(report.id))) {
        // One this node does not list (it left, or restarts forgot it) cannot be introduced by a third party's
        // unsigned copy either: ask the node itself, at that URL, for its own signed record.
        if (!registry.get(report.id) && (report.state === 'alive' || report.state === 'suspect'))
          void this.#askSigned(report);
        continue;
      }
      const verdict = registry.assess(report);
      if (verdict.action === 'accept') registry.accept(report);
      else if (verdict.action === 'refute') refuteAbove = Math.max(refuteAbove ?? 0, verdict.seen);
      else if (verdict.action === 'verify') {
        const member = registry.get(report.id);
        if (verdict.why === 'down_hint') {
          if (member && downHints-- > 0) void detector.check(member);
        } else void this.#verify(report, verdict.why === 'moved' ? member : undefined);
      }
    }
    if (refuteAbove !== undefined) refute(refuteAbove);
  }

  /**
   * Asks the node at the URL a report gives for a keyed node this node does not list for its own record
   * (`GET /nodes/<its id>`, which a keyed node signs when it is about itself), and takes it only when it is
   * signed by the key bound to that id and names that very URL; then tells it about this node, as for any node
   * newly confirmed. One record, not the node's whole list: a forged report costs one small request and changes
   * nothing.
   */
  async #askSigned(report: NodeReport): Promise<void> {
    const { registry, peers, clock, introduce, keys } = this.deps;
    if (!keys || this.#checking.has(report.id) || this.#checking.size >= MAX_CHECKS_IN_FLIGHT) return;
    this.#checking.add(report.id);
    try {
      const timeoutMs = 2 * this.settings.probeTimeoutMs;
      const answer = await within(clock, timeoutMs, peers.getNode(report.url, report.id, { timeoutMs }));
      if (this.#stopped || !answer || answer.sig === undefined || answer.url !== report.url) return;
      const { url, incarnation, key, sig, signedAt } = answer;
      const own = { id: report.id, url, ...(incarnation === undefined ? {} : { incarnation }) };
      if (registry.get(report.id) || !keys.admits({ ...own, key, sig, signedAt })) return;
      if (registry.confirm(own) === 'added') introduce(url);
    } catch (error) {
      // The list is full (too_many_nodes): a later round asks again. An unreachable node is `undefined` above.
      if (!(error instanceof MeshError)) throw error;
    } finally {
      this.#checking.delete(report.id);
    }
  }

  /**
   * Probes the node where the report says it is. For a move (`previous` is the known record at another URL),
   * the old address must also be silent, so a forged move cannot take a live node's record.
   */
  async #verify(report: NodeReport, previous?: Member): Promise<void> {
    const { registry, prober, clock, introduce } = this.deps;
    if (this.#checking.has(report.id) || this.#checking.size >= MAX_CHECKS_IN_FLIGHT) return;
    this.#checking.add(report.id);
    try {
      if (previous && previous.url !== report.url) {
        const answer = await prober.moved(previous, report);
        if (this.#stopped || !answer) return;
        const incarnation = answer.incarnation ?? report.incarnation;
        registry.confirm({ id: report.id, url: report.url, incarnation }, { oldAddressSilent: true });
        return;
      }
      const result = await prober.direct(report);
      if (this.#stopped) return;
      if (!result.alive) {
        registry.buryUnknown(report, clock.now());
        return;
      }
      const incarnation = result.incarnation ?? report.incarnation;
      if (registry.confirm({ id: report.id, url: report.url, incarnation }) === 'added')
        introduce(report.url);
    } catch (error) {
      // The list is full (too_many_nodes): the rumour waits until there is room.
      if (!(error instanceof MeshError)) throw error;
    } finally {
      this.#checking.delete(report.id);
    }
  }
}
