import type { ConnectionSettings } from '../adapters/http/node-http-server.js';
import type { LoginThrottleSettings } from '../application/accounts/login-throttle.js';
import type { DirectorySettings } from '../application/directory/directory-settings.js';
import type { CatalogSettings } from '../application/files/catalog-settings.js';
import {
  defaultProfile,
  MEMBERSHIP_PROFILES,
  type MembershipSettings,
} from '../application/membership/settings.js';
import type { DeliverySettings } from '../application/messaging/delivery-settings.js';
import { assertNodeId } from '../domain/node-record.js';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from '../domain/rate-limits.js';
import { allowsPrivatePeers, type NodeConfig } from '../node-config.js';

/** The numbers and names `wireNode` builds with: the node config, without the choice of adapters. */
export interface NodeSettings {
  /** This node, at the URL it has until its public endpoint is open. */
  readonly self: { readonly id: string; readonly url: string };
  readonly membership: MembershipSettings;
  readonly delivery?: Partial<DeliverySettings>;
  /** Over what the membership profile implies (`directorySettings`). */
  readonly directory?: Partial<DirectorySettings>;
  /** Over what the membership profile implies (`catalogSettings`). */
  readonly catalog?: Partial<CatalogSettings>;
  readonly leaveTimeoutMs?: number;
  readonly maxBodyBytes?: number;
  /** Process metrics (CPU, memory, event loop) in `/metrics`; on by default. */
  readonly processMetrics?: boolean;
  /** Serve peer links at `/peer` and offer them in this node's record (SPEC section 8). */
  readonly peerLinks?: boolean;
  /** The user front ends' ping period (`FrontEndSettings.heartbeatMs`). */
  readonly heartbeatMs?: number;
  /** Failed-login limits over the defaults of `LoginThrottle`. */
  readonly loginThrottle?: Partial<LoginThrottleSettings>;
  /**
   * Whether peers at loopback, private, link-local and other non-public addresses may be called. Absent means
   * allowed (tests that wire a node by hand); `nodeSettings` decides it from the config.
   */
  readonly allowPrivatePeers?: boolean;
  /** Token buckets per client address, connection and account; none when absent (tests wiring by hand). */
  readonly rateLimits?: RateLimitSettings;
  /** Behind a tunnel, the client address is the tunnel's `X-Forwarded-For` entry (see `HttpRateLimits`). */
  readonly trustForwardedFor?: boolean;
  /** The most bytes one published file may have (`--max-file-size`). */
  readonly maxFileSize?: number;
  /** Bytes of copies fetched from other nodes kept at most (`--held-bytes`); twice `maxFileSize` by default. */
  readonly heldBytes?: number;
  /** Unread direct messages kept per user (`DeliverDirect`'s default otherwise). */
  readonly inboxLimit?: number;
  /** Messages of history per page (`ReadHistory`). */
  readonly historyPage?: number;
  /** Only logged-in users are served (`NodeConfig.privateNode`). */
  readonly privateNode?: boolean;
  /** Connection bounds over `CONNECTION_DEFAULTS` (`NodeConfig.connections`). */
  readonly connections?: Partial<ConnectionSettings>;
}

/** Throws `InvalidInput` for an id that is not a node id. */
export function nodeSettings(
  config: NodeConfig,
  options: { readonly processMetrics?: boolean } = {},
): NodeSettings {
  return {
    self: { id: assertNodeId(config.id), url: `http://127.0.0.1:${config.port}` },
    membership: {
      ...MEMBERSHIP_PROFILES[config.profile ?? defaultProfile(config.tunnel)],
      ...config.membership,
    },
    delivery: config.delivery,
    leaveTimeoutMs: config.leaveTimeoutMs,
    maxBodyBytes: config.maxBodyBytes,
    processMetrics: options.processMetrics,
    peerLinks: config.peerLinks !== false,
    heartbeatMs: config.heartbeatMs,
    loginThrottle: config.loginThrottle,
    allowPrivatePeers: allowsPrivatePeers(config),
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...config.rateLimits },
    trustForwardedFor: config.tunnel === 'ngrok',
    maxFileSize: config.maxFileSize,
    heldBytes: config.heldBytes,
    inboxLimit: config.inboxLimit,
    historyPage: config.historyPage,
    privateNode: config.privateNode === true,
    // Behind a tunnel every connection comes from the agent's address: a cap per address would cap them all.
    connections: { ...(config.tunnel === 'ngrok' ? { maxPerAddress: 0 } : {}), ...config.connections },
  };
}
