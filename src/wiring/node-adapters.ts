import type { NetworkKey } from '../adapters/crypto/network-key.js';
import type { Logger } from '../adapters/log/logger.js';
import type { PeerLinkStats } from '../adapters/peers/linking-peer-client.js';
import type { WebAssets } from '../adapters/web/web-assets.js';
import type { AccountStore } from '../application/ports/accounts/account-store.js';
import type { AuditTrail } from '../application/ports/accounts/audit-trail.js';
import type { PasswordHasher } from '../application/ports/accounts/password-hasher.js';
import type { SessionTokens } from '../application/ports/accounts/session-tokens.js';
import type { Clock } from '../application/ports/clock.js';
import type { CatalogCopies } from '../application/ports/files/catalog-copies.js';
import type { ContentStore } from '../application/ports/files/content-store.js';
import type { FileCatalog } from '../application/ports/files/file-catalog.js';
import type { FileSource } from '../application/ports/files/file-source.js';
import type { HeldCopies } from '../application/ports/files/held-copies.js';
import type { PartialDownloads } from '../application/ports/files/partial-downloads.js';
import type { IdGenerator } from '../application/ports/id-generator.js';
import type { Inbox } from '../application/ports/inbox.js';
import type { MembershipStore } from '../application/ports/membership-store.js';
import type { MessageStore } from '../application/ports/message-store.js';
import type { NodeSigner } from '../application/ports/node-signer.js';
import type { PeerClient } from '../application/ports/peer-client.js';
import type { PublicEndpoint } from '../application/ports/public-endpoint.js';
import type { SignatureVerifier } from '../application/ports/signature-verifier.js';
import type { UserPush } from '../application/ports/user-push.js';

/** The outside world of one node: what `wireNode` builds on and never chooses. */
export interface NodeAdapters {
  readonly peers: PeerClient;
  readonly endpoint: PublicEndpoint;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Read once when wired (the last incarnation, the nodes to rejoin), saved while the node runs. */
  readonly membershipStore: MembershipStore;
  readonly messages: MessageStore;
  readonly log: Logger;
  /** Push targets beside the node's own socket.io and /ws front ends (a recorder in tests). */
  readonly push: readonly UserPush[];
  /** Uniform in [0, 1): gossip partners, retry jitter (seeded in tests). */
  readonly random?: () => number;
  /** The links this node's `peers` client opened, when it opens any: read by the metrics, closed on stop. */
  readonly peerLinks?: { readonly stats: PeerLinkStats; close(): Promise<void> };
  /** The web page's files. */
  readonly web: WebAssets;
  /** This node's users and their sessions; closed by the node after its front ends. */
  readonly accounts: AccountStore;
  readonly hasher: PasswordHasher;
  readonly tokens: SessionTokens;
  /** Where account operations are recorded (the database and the log, fanned out). */
  readonly audit: AuditTrail;
  /** The records of the files published here; closed by the node with the other stores. */
  readonly fileCatalog: FileCatalog;
  /** The copies of other nodes' file records (the mesh catalog); closed with the other stores. */
  readonly catalogCopies: CatalogCopies;
  /** The ids of the verified copies this node fetched (its catalog's `held`), kept across a restart; closed with the other stores. */
  readonly heldCopies?: HeldCopies;
  /** The bytes of those files, by content id; closed by the node after its front ends. */
  readonly fileContent: ContentStore;
  /** Fetches file bytes from other nodes over HTTP; without it (or `partialDownloads`) a node serves only its own. */
  readonly fileSource?: FileSource;
  /** Where files fetched from other nodes are journaled until complete. */
  readonly partialDownloads?: PartialDownloads;
  /** Direct messages waiting for this node's users while they are offline; closed with the other stores. */
  readonly inbox: Inbox;
  /** This node's key (signed node identity, SPEC section 7); a node without one signs nothing. */
  readonly signer?: NodeSigner;
  /** Checks other nodes' signatures; without it the node takes every record as unsigned (base rules). */
  readonly verifier?: SignatureVerifier;
  /**
   * The network key (`--network-key`): `peers` proves it on every call; the HTTP app and the link server answer
   * node-to-node calls only from nodes that prove it. Absent: an open network.
   */
  readonly networkKey?: NetworkKey;
}
