import { MAX_DIRECTORY_USERS_PER_NODE } from '../../domain/directory.js';
import type { MembershipSettings } from '../membership/settings.js';

/** How the mesh directory keeps its copies of other nodes' user lists. */
export interface DirectorySettings {
  /**
   * A copy not confirmed for this long is listed as `missing`. At rest every pulled node list names each
   * member, so a copy is confirmed about once per gossip interval; five of them allow four lost pulls in a row.
   */
  readonly staleAfterMs: number;
  /** Deadline of one `GET /users` pull. */
  readonly pullTimeoutMs: number;
  /** Pulls in flight at once; the rest wait for a later gossip round. */
  readonly maxPullsInFlight: number;
  /** Users kept of one node (its list is cut beyond). */
  readonly maxUsersPerNode: number;
  /** Users kept of all other nodes together: bounds the memory every peer together can make this node use. */
  readonly maxUsers: number;
}

export const MAX_DIRECTORY_USERS = 50_000;

/** The directory's timing follows the membership profile it rides on. */
export function directorySettings(membership: MembershipSettings): DirectorySettings {
  return {
    staleAfterMs: 5 * membership.gossipIntervalMs,
    pullTimeoutMs: 2 * membership.probeTimeoutMs,
    maxPullsInFlight: 4,
    maxUsersPerNode: MAX_DIRECTORY_USERS_PER_NODE,
    maxUsers: MAX_DIRECTORY_USERS,
  };
}
