import type { Logger } from './adapters/log/logger.js';
import type { AccountStore } from './application/ports/accounts/account-store.js';
import type { AuditTrail } from './application/ports/accounts/audit-trail.js';
import type { PasswordHasher } from './application/ports/accounts/password-hasher.js';
import type { Clock } from './application/ports/clock.js';
import type { CatalogCopies } from './application/ports/files/catalog-copies.js';
import type { ContentStore } from './application/ports/files/content-store.js';
import type { FileCatalog } from './application/ports/files/file-catalog.js';
import type { FileSource } from './application/ports/files/file-source.js';
import type { PartialDownloads } from './application/ports/files/partial-downloads.js';
import type { IdGenerator } from './application/ports/id-generator.js';
import type { MembershipStore } from './application/ports/membership-store.js';
import type { MessageStore } from './application/ports/message-store.js';
import type { PeerClient } from './application/ports/peer-client.js';
import type { PublicEndpoint } from './application/ports/public-endpoint.js';
import type { UserPush } from './application/ports/user-push.js';

/** Adapters a test may swap; everything else is built from the config. */
export interface NodeOverrides {
  readonly peers?: PeerClient;
  readonly endpoint?: PublicEndpoint;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  /** Extra push targets beside socket.io and /ws (a recorder in tests). */
  readonly push?: readonly UserPush[];
  readonly log?: Logger;
  /** Where the known-node list is kept; by default SQLite in `config.dataDir`, or nothing without one. */
  readonly store?: MembershipStore;
  /** Where messages are kept (outbox, history, seen ids); by default SQLite in `config.dataDir`, else memory. */
  readonly messages?: MessageStore;
  /** Randomness of the membership protocol and the outbox (seeded in tests). */
  readonly random?: () => number;
  /** Process metrics (CPU, memory, event loop) in `/metrics`; on by default. */
  readonly processMetrics?: boolean;
  /** Where accounts and sessions are kept; by default SQLite in `config.dataDir`, else memory. */
  readonly accounts?: AccountStore;
  /** How passwords are hashed; scrypt by default (a cheaper cost in tests). */
  readonly hasher?: PasswordHasher;
  /** An audit trail beside the database's and the log's (a recorder in tests). */
  readonly audit?: AuditTrail;
  /** Where file records are kept; by default SQLite in `config.dataDir`, else a database in memory. */
  readonly fileCatalog?: FileCatalog;
  /** Where the copies of other nodes' records are kept; by default SQLite beside `fileCatalog`. */
  readonly catalogCopies?: CatalogCopies;
  /** Where file bytes are kept; by default `<dataDir>/files`, else a temporary directory. */
  readonly fileContent?: ContentStore;
  /** How file bytes are fetched from other nodes; plain HTTP under the node's address policy by default. */
  readonly fileSource?: FileSource;
  /** Where fetched files are journaled; `<store>/partial/` when the store is a `DiskContentStore`. */
  readonly partialDownloads?: PartialDownloads;
}
