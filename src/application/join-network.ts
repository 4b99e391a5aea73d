import { MeshError } from '../domain/errors.js';
import { normalizeNodeUrl } from '../domain/node-record.js';
import type { PeerRegistry } from '../domain/peer-registry.js';
import { JoinFailed } from './errors.js';
import type { PeerClient } from './ports/peer-client.js';

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
 * Joins the network(s) the seeds belong to: learns every node each seed lists, then announces this node to
 * every node it knows. Partial failure is an outcome; it throws `JoinFailed` only when no seed answered.
 */
export class JoinNetwork {
  constructor(private readonly deps: { registry: PeerRegistry; peers: PeerClient }) {}

  async execute(seedUrls: readonly string[]): Promise<JoinResult> {
    const { registry, peers } = this.deps;
    const seeds = [...new Set(seedUrls.map((url) => normalizeNodeUrl(url)))].filter(
      (url) => url !== registry.self.url,
    );
    const failedSeeds: { url: string; reason: string }[] = [];
    const answered: string[] = [];
    await Promise.all(
      seeds.map(async (url) => {
        try {
          for (const node of await peers.listNodes(url)) {
            if (node.id !== registry.self.id) registry.upsert(node);
          }
          answered.push(url);
        } catch (error) {
          failedSeeds.push({ url, reason: error instanceof Error ? error.message : String(error) });
        }
      }),
    );
    if (seeds.length > 0 && answered.length === 0) {
      const reasons = failedSeeds.map((f) => `${f.url}: ${f.reason}`).join('; ');
      throw new JoinFailed(`No seed node answered, so this node joined no network (${reasons}).`);
    }

    const joined: string[] = [];
    const unreachable: string[] = [];
    await Promise.all(
      registry.peers().map(async (node) => {
        try {
          await peers.announce(node.url, registry.self);
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
