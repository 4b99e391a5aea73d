import type { MembershipProfile, MembershipSettings } from './application/membership/settings.js';

/** Everything a node needs to start; `src/cli/node-command.ts` builds it from flags and environment. */
export interface NodeConfig {
  readonly id: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host: string;
  /** The URL to announce when no tunnel is open; default `http://127.0.0.1:<port>`. */
  readonly publicUrl?: string;
  /** Seeds: nodes of the network(s) to join. */
  readonly join: readonly string[];
  readonly tunnel: 'none' | 'ngrok';
  readonly ngrokAuthtoken?: string;
  readonly ngrokDomain?: string;
  /** Where the known-node list survives a restart (SQLite); without it nothing is written to disk. */
  readonly dataDir?: string;
  /** Membership timing: `lan` by default, `tunnel` (ngrok's free quota) when the tunnel is ngrok. */
  readonly profile?: MembershipProfile;
  /** Overrides of single membership settings on top of the profile (tests, benchmarks, tuning). */
  readonly membership?: Partial<MembershipSettings>;
  readonly maxBodyBytes?: number;
  readonly leaveTimeoutMs?: number;
  readonly peerTimeoutMs?: number;
}
