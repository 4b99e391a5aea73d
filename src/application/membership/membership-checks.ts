import type { NodeRecord } from '../../domain/node-record.js';
import type { ProbeVerdict } from '../ports/peer-client.js';

/**
 * What the node API's membership use cases ask of the running membership protocol (`MembershipProtocol`
 * implements it). Each method is bounded by the protocol's probe timeout and never rejects: a failed probe is
 * an answer, not an error.
 */
export interface MembershipChecks {
  /**
   * A `PUT` tried to move a live node to `claim.url` without a newer incarnation: moves it if its old address
   * is silent and the new one answers as that node. Fire and forget; at most one check per node at a time.
   */
  claim(claim: NodeRecord): Promise<void>;
  /** Someone reported this node down or elsewhere: announce a newer incarnation than `seen` (coalesced). */
  refute(seen?: number): void;
  /** Whether `node` answers one direct probe now; inconclusive (this node lagging) counts as alive. */
  answers(node: NodeRecord): Promise<boolean>;
  /** `POST /probe`: one direct probe on another node's behalf; inconclusive counts as not answering. */
  probeFor(target: NodeRecord): Promise<ProbeVerdict>;
}
