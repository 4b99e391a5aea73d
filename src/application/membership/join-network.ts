import { MeshError } from '../../domain/errors.js';
import { normalizeNodeUrl } from '../../domain/node-record.js';
import type { NodeReport, PeerRegistry } from '../../domain/peer-registry.js';
import { PeerUrlPolicy } from '../../domain/peer-url-policy.js';
import { JoinFailed, PeerCallFailed } from '../errors.js';
import type { PeerClient } from '../ports/peer-client.js';
import type { NodeKeys } from './node-keys.js';

export interface JoinResult {
  /** Seeds that answered `GET /nodes`. */
  readonly seeds: string[];
  /** Seeds that did not, with the reason. */
  readonly failedSeeds: { readonly url: string; readonly reason: string }[];
  /** Ids of the nodes that accepted this node's `PUT /nodes/:id`. */
  readonly joined: string[];
  /** Ids of known nodes that did not. */
  readonly unreachable: string[];
}

/**
 * Joins the network(s) the seeds belong to: learns every node each seed lists, then announces this node (with
 * its incarnation) to every node it knows. `remembered` are the URLs a restarted node knew before; they are
 * asked like seeds, so the node rejoins through any of them. Partial failure is an outcome; it throws
 * `JoinFailed` only when seeds were given and neither they nor any remembered node answered.
 */
export class JoinNetwork {
  constructor(
    private readonly deps: {
      registry: PeerRegistry;
      peers: PeerClient;
      /** Listed nodes at URLs this node does not call are not learned; every URL by default. */
      urls?: PeerUrlPolicy;
      /** Signs this node's announcements and checks keyed records in the seeds' lists; unsigned when absent. */
      keys?: NodeKeys;
    },
  ) {}

  async execute(seedUrls: readonly string[], remembered: readonly string[] = []): Promise<JoinResult> {
    const { registry, peers } = this.deps;
    const others = (urls: readonly string[]) =>
      urls.map((url) => normalizeNodeUrl(url)).filter((url) => url !== registry.self.url);
    const configured = others(seedUrls);
    const seeds = [...new Set([...configured, ...others(remembered)])];
    const failedSeeds: { url: string; reason: string }[] = [];
    const answered: string[] = [];
    let refused = 0;
    let failed = 0;
    await Promise.all(
      seeds.map(async (url) => {
        try {
          const urls = this.deps.urls ?? PeerUrlPolicy.ANY;
          for (const report of await peers.listNodes(url))
            if (urls.allows(report.url) && (this.deps.keys?.admits(report, registry.get(report.id)) ?? true))
              learn(registry, report);
          answered.push(url);
        } catch (error) {
          // A seed that answered with a refusal (another network key, say) did answer; one that answered with a
          // server error, or with something the protocol does not allow, failed: it refused nothing.
          const seedFault = seedFailure(error);
          if (seedFault === 'refused') refused++;
          else if (seedFault === 'failed') failed++;
          failedSeeds.push({ url, reason: error instanceof Error ? error.message : String(error) });
        }
      }),
    );
    if (configured.length > 0 && answered.length === 0) {
      const reasons = failedSeeds.map((f) => `${f.url}: ${f.reason}`).join('; ');
      throw new JoinFailed(
        `${joinFailureLead(failedSeeds.length, refused, failed)}, so this node joined no network (${reasons}).`,
        failed > 0,
      );
    }

    const joined: string[] = [];
    const unreachable: string[] = [];
    await Promise.all(
      registry.peers().map(async (node) => {
        try {
          const { id, url, incarnation } = registry.self;
          const record = { id, url, incarnation };
          await peers.announce(node.url, this.deps.keys?.sign('announce', record) ?? record);
          joined.push(node.id);
        } catch (error) {
          if (!(error instanceof MeshError)) throw error;
          unreachable.push(node.id);
        }
      }),
    );
    return { seeds: answered, failedSeeds, joined: joined.sort(), unreachable: unreachable.sort() };
  }
}

/** How a seed's `GET /nodes` went wrong: a refusal (4xx), a failure of the seed, or no answer at all. */
function seedFailure(error: unknown): 'refused' | 'failed' | 'unanswered' {
  if (!(error instanceof PeerCallFailed)) return 'unanswered';
  // 408 and 429 (too slow, too busy just now) say nothing against this node: the seed may take it later.
  const { status } = error;
  if (status !== undefined)
    return status >= 400 && status < 500 && status !== 408 && status !== 429 ? 'refused' : 'failed';
  return error.code === 'peer_bad_answer' ? 'failed' : 'unanswered';
}

/** The first words of `JoinFailed`: a seed that failed is not said to have refused, nor to be silent. */
function joinFailureLead(seeds: number, refused: number, failed: number): string {
  if (failed === 0) return refused > 0 ? 'No seed node took this node in' : 'No seed node answered';
  const who =
    failed === seeds
      ? seeds === 1
        ? 'The seed node'
        : 'Every seed node'
      : failed === 1
        ? 'A seed node'
        : `${failed} seed nodes`;
  return `${who} failed (an error of the seed, not a refusal)`;
}

/** A seed's list is taken as the base protocol takes it, except what is stale, down, or about this node. */
function learn(registry: PeerRegistry, report: NodeReport): void {
  const verdict = registry.assess(report);
  if (verdict.action === 'accept') registry.accept(report);
  else if (verdict.action === 'verify' && verdict.why !== 'down_hint') {
    try {
      registry.confirm(report);
    } catch (error) {
      if (!(error instanceof MeshError)) throw error;
    }
  }
}
