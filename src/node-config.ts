import type { ConnectionSettings } from './adapters/http/node-http-server.js';
import type { LoginThrottleSettings } from './application/accounts/login-throttle.js';
import type { MembershipProfile, MembershipSettings } from './application/membership/settings.js';
import type { DeliverySettings } from './application/messaging/delivery-settings.js';
import { listensPrivately } from './domain/peer-address.js';
import type { RateLimitSettings } from './domain/rate-limits.js';

/** Everything a node needs to start; `src/cli/node-flags.ts` builds it from flags and environment. */
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
  /**
   * Where the known-node list, the outbox, history and seen message ids survive a restart (SQLite); without
   * it they are kept in memory only.
   */
  readonly dataDir?: string;
  /** Membership timing: `lan` by default, `tunnel` (ngrok's free quota) when the tunnel is ngrok. */
  readonly profile?: MembershipProfile;
  /** Overrides of single membership settings on top of the profile (tests, benchmarks, tuning). */
  readonly membership?: Partial<MembershipSettings>;
  /** Outbox timing (time to live, retries); defaults in `application/messaging/delivery-settings.ts`. */
  readonly delivery?: Partial<DeliverySettings>;
  /** How many recent messages history keeps for users who connect (default 1000). */
  readonly historySize?: number;
  /** Messages of history a user is sent on connect and per page asked for (default 100, at most 500). */
  readonly historyPage?: number;
  readonly maxBodyBytes?: number;
  readonly leaveTimeoutMs?: number;
  readonly peerTimeoutMs?: number;
  /** Serve peer links at `/peer` and open them to meshchat peers that offer one (SPEC section 8); on by default. */
  readonly peerLinks?: boolean;
  /**
   * How often user connections (socket.io, `/ws`) are pinged; one that does not answer within about as long
   * again is closed, and its user, when logged in, goes offline. Defaults in `FrontEndSettings`.
   */
  readonly heartbeatMs?: number;
  /** Failed-login limits (per name, per client address, window) over the defaults of `LoginThrottle`. */
  readonly loginThrottle?: Partial<LoginThrottleSettings>;
  /**
   * Whether this node calls peers at loopback, private, link-local, metadata and other non-public addresses
   * (`--allow-private-peers`). Default: `privatePeersByDefault`.
   */
  readonly allowPrivatePeers?: boolean;
  /** Rate limits over `DEFAULT_RATE_LIMITS` (a rate of 0 turns one off); advertised at `GET /limits`. */
  readonly rateLimits?: Partial<RateLimitSettings>;
  /** The most bytes one published file may have (default 4 GiB); advertised on `GET /healthz`. */
  readonly maxFileSize?: number;
  /**
   * Bytes of verified copies fetched from other nodes kept at most, least recently used evicted first; 0 keeps
   * none (files are only passed on). Default: twice `maxFileSize` (8 GiB).
   */
  readonly heldBytes?: number;
  /** Unread direct messages kept per user; 1,000 by default (tests lower it). */
  readonly inboxLimit?: number;
  /**
   * Only logged-in users may connect, read history or send (`--private`); anonymous use, the default,
   * is refused `auth_required`. Node-to-node routes are unchanged.
   */
  readonly privateNode?: boolean;
  /**
   * The shared secret of a private network (`--network-key`, at least 16 characters): this node proves it on
   * every call to another node, and answers node-to-node calls and peer links only from nodes that prove it.
   */
  readonly networkKey?: string;
  /**
   * Connection bounds over `CONNECTION_DEFAULTS`: connections per client address (`--max-connections`; off
   * behind `--tunnel ngrok`, where every client comes from the tunnel agent's address), header, request and
   * keep-alive timeouts.
   */
  readonly connections?: Partial<ConnectionSettings>;
}

/**
 * `allowPrivatePeers` when the config says, else the default: private peers are allowed exactly when the URL
 * the node announces is on loopback or a private network (`listensPrivately`): its `publicUrl` when it has one,
 * else its listening address. Never behind `--tunnel ngrok`: such a node listens on 127.0.0.1 but anyone on the
 * internet reaches it, and it announces a public URL.
 */
export function allowsPrivatePeers(
  config: Pick<NodeConfig, 'allowPrivatePeers' | 'host' | 'publicUrl' | 'tunnel'>,
): boolean {
  return config.allowPrivatePeers ?? privatePeersByDefault(config);
}

/** The default of `allowPrivatePeers` (see `allowsPrivatePeers`). */
export function privatePeersByDefault(config: Pick<NodeConfig, 'host' | 'publicUrl' | 'tunnel'>): boolean {
  if (config.tunnel === 'ngrok') return false;
  if (config.publicUrl === undefined) return listensPrivately(config.host);
  try {
    return listensPrivately(new URL(config.publicUrl).hostname);
  } catch {
    return false;
  }
}
