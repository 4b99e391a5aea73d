import { MAX_CATALOG_RECORDS, MAX_CATALOG_RECORDS_PER_NODE } from '../../domain/catalog.js';
import type { MembershipSettings } from '../membership/settings.js';

/** How the mesh catalog keeps its copies of other nodes' file records (as the directory keeps user lists). */
export interface CatalogSettings {
  /** A copy not confirmed for this long is listed as `missing`: five gossip intervals, as the directory. */
  readonly staleAfterMs: number;
  /** Deadline of one `GET /files/catalog` pull. */
  readonly pullTimeoutMs: number;
  /** Pulls in flight at once; the rest wait for a later gossip round. */
  readonly maxPullsInFlight: number;
  /** Records kept of one node (its catalog is cut beyond). */
  readonly maxRecordsPerNode: number;
  /** Records kept of all other nodes together. */
  readonly maxRecords: number;
  /** A copy of a node that is not a member (and did not leave) is forgotten after this long unconfirmed. */
  readonly forgetAfterMs: number;
}

/** A day: a restarted node keeps its copies until its membership is rebuilt, and a vanished node's go. */
export const CATALOG_FORGET_AFTER_MS = 24 * 60 * 60_000;

export function catalogSettings(membership: MembershipSettings): CatalogSettings {
  return {
    staleAfterMs: 5 * membership.gossipIntervalMs,
    pullTimeoutMs: 2 * membership.probeTimeoutMs,
    maxPullsInFlight: 4,
    maxRecordsPerNode: MAX_CATALOG_RECORDS_PER_NODE,
    maxRecords: MAX_CATALOG_RECORDS,
    forgetAfterMs: CATALOG_FORGET_AFTER_MS,
  };
}
