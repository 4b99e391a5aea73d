/**
 * Timing of the membership protocol. Two profiles: `lan` (fast detection, a few requests per second per node)
 * and `tunnel` (sized to ngrok's free quota of 20,000 requests a month per account; see docs/membership.md, request
 * budget). Every field can be overridden one by one.
 */
export interface MembershipSettings {
  /** How often each node probes the members it watches. */
  readonly probeIntervalMs: number;
  /** How long a direct probe may take; an indirect probe gets twice as long. */
  readonly probeTimeoutMs: number;
  /** How many meshchat nodes watch each member (ring successors); also the helpers asked for indirect probes. */
  readonly monitors: number;
  /** How long a suspect has to answer (it is probed again every interval) before it is declared dead. */
  readonly suspicionTimeoutMs: number;
  /** How often each node pulls `GET /nodes` from one random member (anti-entropy). */
  readonly gossipIntervalMs: number;
  /** How often each node probes one node it found dead, in case it is back (a healed partition). */
  readonly reconnectIntervalMs: number;
  /** How long a tombstone keeps stale gossip from resurrecting a node. */
  readonly tombstoneTtlMs: number;
  /** How often the known-node list is written to the data dir when it changed. */
  readonly saveIntervalMs: number;
}

export type MembershipProfile = 'lan' | 'tunnel';

/** The profile a node gets when none is chosen: `tunnel` behind ngrok (its request quota), else `lan`. */
export function defaultProfile(tunnel: 'none' | 'ngrok'): MembershipProfile {
  return tunnel === 'ngrok' ? 'tunnel' : 'lan';
}

export const MEMBERSHIP_PROFILES: Readonly<Record<MembershipProfile, MembershipSettings>> = {
  lan: {
    probeIntervalMs: 1_000,
    probeTimeoutMs: 500,
    monitors: 3,
    suspicionTimeoutMs: 3_000,
    gossipIntervalMs: 2_000,
    reconnectIntervalMs: 5_000,
    tombstoneTtlMs: 60 * 60_000,
    saveIntervalMs: 1_000,
  },
  tunnel: {
    probeIntervalMs: 10 * 60_000,
    probeTimeoutMs: 10_000,
    monitors: 1,
    suspicionTimeoutMs: 20 * 60_000,
    gossipIntervalMs: 30 * 60_000,
    reconnectIntervalMs: 60 * 60_000,
    tombstoneTtlMs: 24 * 60 * 60_000,
    saveIntervalMs: 10_000,
  },
};

/**
 * The longest a crashed member stays listed anywhere: until the next probe, the direct and indirect probes,
 * the suspicion timeout, then the one probe each receiver of the watcher's `DELETE` makes to check it. If that
 * call is lost, a node drops it within one more gossip interval, check and suspicion timeout.
 */
export function detectionBoundMs(s: MembershipSettings): number {
  return s.probeIntervalMs + 4 * s.probeTimeoutMs + s.suspicionTimeoutMs;
}
