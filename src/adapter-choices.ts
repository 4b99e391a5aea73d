import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CryptoSessionTokens } from './adapters/crypto/crypto-session-tokens.js';
import { Ed25519NodeSigner, Ed25519SignatureVerifier } from './adapters/crypto/ed25519-node-signer.js';
import { NetworkKey } from './adapters/crypto/network-key.js';
import { ScryptPasswordHasher } from './adapters/crypto/scrypt-password-hasher.js';
import { DiskContentStore } from './adapters/files/disk-content-store.js';
import { JournaledPartialDownloads } from './adapters/files/journaled-partial-downloads.js';
import { UndiciFileSource } from './adapters/files/undici-file-source.js';
import { FanOutAuditTrail } from './adapters/log/fan-out-audit-trail.js';
import { type Logger, silentLogger } from './adapters/log/logger.js';
import { PinoAuditTrail } from './adapters/log/pino-audit-trail.js';
import { guardedDispatcher } from './adapters/peers/guarded-dispatcher.js';
import { LinkingPeerClient } from './adapters/peers/linking-peer-client.js';
import { OfetchPeerClient, type OfetchPeerClientSettings } from './adapters/peers/ofetch-peer-client.js';
import { MemoryAccountStore } from './adapters/storage/memory-account-store.js';
import { MemoryInbox } from './adapters/storage/memory-inbox.js';
import { MemoryMessageStore } from './adapters/storage/memory-message-store.js';
import { DEFAULT_MESSAGE_STORE_SETTINGS } from './adapters/storage/message-store-settings.js';
import { SqliteAccountStore } from './adapters/storage/sqlite-account-store.js';
import { SqliteAuditTrail } from './adapters/storage/sqlite-audit-trail.js';
import { SqliteCatalogCopies } from './adapters/storage/sqlite-catalog-copies.js';
import { SqliteFileCatalog } from './adapters/storage/sqlite-file-catalog.js';
import { SqliteHeldCopies } from './adapters/storage/sqlite-held-copies.js';
import { SqliteInbox } from './adapters/storage/sqlite-inbox.js';
import { SqliteMembershipStore } from './adapters/storage/sqlite-membership-store.js';
import { SqliteMessageStore } from './adapters/storage/sqlite-message-store.js';
import { SystemClock } from './adapters/system/system-clock.js';
import { UuidGenerator } from './adapters/system/uuid-generator.js';
import { LocalPublicEndpoint } from './adapters/tunnel/local-public-endpoint.js';
import { NgrokPublicEndpoint } from './adapters/tunnel/ngrok-public-endpoint.js';
import { loadWebAssets } from './adapters/web/web-assets.js';
import type { AccountStore } from './application/ports/accounts/account-store.js';
import type { AuditTrail } from './application/ports/accounts/audit-trail.js';
import type { CatalogCopies } from './application/ports/files/catalog-copies.js';
import type { ContentStore } from './application/ports/files/content-store.js';
import type { FileCatalog } from './application/ports/files/file-catalog.js';
import type { MembershipStore } from './application/ports/membership-store.js';
import type { MessageStore } from './application/ports/message-store.js';
import type { PublicEndpoint } from './application/ports/public-endpoint.js';
import { PeerUrlPolicy } from './domain/peer-url-policy.js';
import type { NodeConfig } from './node-config.js';
import type { NodeOverrides } from './node-overrides.js';
import type { NodeAdapters } from './wiring/node-adapters.js';
import type { NodeSettings } from './wiring/node-settings.js';

/**
 * Which adapter serves each port, from the config: SQLite with a data dir or memory without, ngrok or a local
 * endpoint, links or plain HTTP to peers; a test's overrides win. Read by the composition root only.
 */
export function chooseAdapters(
  config: NodeConfig,
  overrides: NodeOverrides,
  settings: NodeSettings,
  db: Database.Database | undefined,
): NodeAdapters {
  const log = overrides.log ?? silentLogger;
  const clock = overrides.clock ?? new SystemClock();
  // One key for both directions: it proves this node's calls and checks (and remembers) the proofs it is sent.
  const networkKey = config.networkKey
    ? new NetworkKey(config.networkKey, { now: () => clock.now() })
    : undefined;
  const peerSettings = {
    ...peerClientSettings(config, settings.allowPrivatePeers),
    ...(networkKey ? { networkKey } : {}),
  };
  // Links are opened only by a node that serves them too (`--no-peer-links` turns off both), and dialled under
  // the same address policy as HTTP calls: the URL checked, the resolved address checked and connected to.
  const urls = new PeerUrlPolicy(settings.allowPrivatePeers ?? true);
  // The key lives beside the node's database, so a restart is the same node. A node without a data dir signs
  // nothing: a key it could not keep across a restart would bind its id on its peers and lock it out when it
  // came back; it still verifies the keyed nodes it hears of.
  const signer = config.dataDir ? Ed25519NodeSigner.stored(config.dataDir) : undefined;
  // A keyed node offers to authenticate each link it opens as itself, so its messages go unsigned on it.
  const identity = signer ? { identity: { id: settings.self.id, signer } } : {};
  const linking =
    overrides.peers || config.peerLinks === false
      ? undefined
      : new LinkingPeerClient({ ...peerSettings, urls, ...identity });
  const content = overrides.fileContent ?? fileContent(config.dataDir);
  const partialDownloads =
    overrides.partialDownloads ??
    (content instanceof DiskContentStore ? new JournaledPartialDownloads(content) : undefined);
  return {
    log,
    clock,
    ids: overrides.ids ?? new UuidGenerator(),
    peers: overrides.peers ?? linking ?? new OfetchPeerClient(peerSettings),
    ...(linking ? { peerLinks: linking } : {}),
    endpoint: overrides.endpoint ?? publicEndpoint(config),
    membershipStore: overrides.store ?? membershipStore(db),
    messages: overrides.messages ?? messageStore(config, db),
    accounts: overrides.accounts ?? accountStore(db),
    hasher: overrides.hasher ?? new ScryptPasswordHasher(),
    tokens: new CryptoSessionTokens(),
    audit: auditTrail(log, db, overrides.audit),
    fileCatalog: overrides.fileCatalog ?? fileCatalog(db),
    catalogCopies: overrides.catalogCopies ?? catalogCopies(db),
    heldCopies: db
      ? new SqliteHeldCopies(db, { ownsDb: false })
      : new SqliteHeldCopies(new Database(':memory:'), { ownsDb: true }),
    fileContent: content,
    // File bytes never ride a peer link (one JSON frame of 4 MiB): plain HTTP under the same address policy.
    fileSource:
      overrides.fileSource ??
      new UndiciFileSource({
        urls,
        ...(peerSettings.dispatcher ? { dispatcher: peerSettings.dispatcher } : {}),
      }),
    ...(partialDownloads ? { partialDownloads } : {}),
    inbox: db ? new SqliteInbox(db, { ownsDb: false }) : new MemoryInbox(),
    ...(signer ? { signer } : {}),
    verifier: new Ed25519SignatureVerifier(),
    ...(networkKey ? { networkKey } : {}),
    push: overrides.push ?? [],
    random: overrides.random,
    web: loadWebAssets(),
  };
}

/** Without private peers allowed, every connection is checked after resolution, at connect time. */
function peerClientSettings(config: NodeConfig, allowPrivate: boolean | undefined): OfetchPeerClientSettings {
  const dispatcher = allowPrivate === false ? guardedDispatcher() : undefined;
  return { timeoutMs: config.peerTimeoutMs, ...(dispatcher ? { dispatcher } : {}) };
}

function publicEndpoint(config: NodeConfig): PublicEndpoint {
  return config.tunnel === 'ngrok'
    ? new NgrokPublicEndpoint({ authtoken: config.ngrokAuthtoken, domain: config.ngrokDomain })
    : new LocalPublicEndpoint(config.publicUrl, config.host);
}

/** Without a data dir nothing is remembered across a restart. */
function membershipStore(db: Database.Database | undefined): MembershipStore {
  return db
    ? new SqliteMembershipStore(db, { ownsDb: false })
    : { load: () => undefined, save: () => {}, close: () => {} };
}

function messageStore(config: NodeConfig, db: Database.Database | undefined): MessageStore {
  const kept = {
    ...DEFAULT_MESSAGE_STORE_SETTINGS,
    ...(config.historySize === undefined ? {} : { historySize: config.historySize }),
  };
  return db ? new SqliteMessageStore(db, kept, { ownsDb: false }) : new MemoryMessageStore(kept);
}

function accountStore(db: Database.Database | undefined): AccountStore {
  return db ? new SqliteAccountStore(db, { ownsDb: false }) : new MemoryAccountStore();
}

/** The copies of other nodes' records: in the node's database, so they survive a restart; else in memory. */
function catalogCopies(db: Database.Database | undefined): CatalogCopies {
  return db
    ? new SqliteCatalogCopies(db, { ownsDb: false })
    : new SqliteCatalogCopies(new Database(':memory:'), { ownsDb: true });
}

/** Without a data dir the records live in a database in memory, so search works the same. */
function fileCatalog(db: Database.Database | undefined): FileCatalog {
  return db
    ? new SqliteFileCatalog(db, { ownsDb: false })
    : new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true });
}

/** Without a data dir the bytes go to a temporary directory, removed when the node stops. */
function fileContent(dataDir: string | undefined): ContentStore {
  return dataDir
    ? new DiskContentStore(join(dataDir, 'files'))
    : new DiskContentStore(join(tmpdir(), `meshchat-files-${randomUUID()}`), { removeOnClose: true });
}

/** Every account operation goes to the log, to the database when there is one, and to a test's recorder. */
function auditTrail(
  log: Logger,
  db: Database.Database | undefined,
  extra: AuditTrail | undefined,
): AuditTrail {
  const onError = (error: unknown) => log.error({ err: error }, 'audit record not written');
  const database = db ? [new SqliteAuditTrail(db, { onError })] : [];
  return new FanOutAuditTrail([...database, new PinoAuditTrail(log), ...(extra ? [extra] : [])], onError);
}
