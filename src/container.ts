import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { CryptoSessionTokens } from './adapters/crypto/crypto-session-tokens.js';
import { Ed25519NodeSigner, Ed25519SignatureVerifier } from './adapters/crypto/ed25519-node-signer.js';
import { ScryptPasswordHasher } from './adapters/crypto/scrypt-password-hasher.js';
import { DiskContentStore } from './adapters/files/disk-content-store.js';
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
import { openDatabase } from './adapters/storage/open-database.js';
import { SqliteAccountStore } from './adapters/storage/sqlite-account-store.js';
import { SqliteAuditTrail } from './adapters/storage/sqlite-audit-trail.js';
import { SqliteFileCatalog } from './adapters/storage/sqlite-file-catalog.js';
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
import type { PasswordHasher } from './application/ports/accounts/password-hasher.js';
import type { SessionTokens } from './application/ports/accounts/session-tokens.js';
import type { Clock } from './application/ports/clock.js';
import type { ContentStore } from './application/ports/files/content-store.js';
import type { FileCatalog } from './application/ports/files/file-catalog.js';
import type { IdGenerator } from './application/ports/id-generator.js';
import type { Inbox } from './application/ports/inbox.js';
import type { MembershipStore } from './application/ports/membership-store.js';
import type { MessageStore } from './application/ports/message-store.js';
import type { PeerClient } from './application/ports/peer-client.js';
import type { PublicEndpoint } from './application/ports/public-endpoint.js';
import { PeerUrlPolicy } from './domain/peer-url-policy.js';
import { MeshNode } from './mesh-node.js';
import type { NodeConfig } from './node-config.js';
import type { NodeOverrides } from './node-overrides.js';
import type { NodeAdapters } from './wiring/node-adapters.js';
import { nodeSettings } from './wiring/node-settings.js';
import { type Token, token } from './wiring/token.js';
import { type WiredNode, wireNode } from './wiring/wire-node.js';

export type { NodeOverrides } from './node-overrides.js';

export const TOKENS = {
  /** Registered only with a data dir; closed by the node after the stores on it. */
  database: token<{ close(): unknown }>('Database'),
  log: token<Logger>('Logger'),
  clock: token<Clock>('Clock'),
  ids: token<IdGenerator>('IdGenerator'),
  peers: token<PeerClient>('PeerClient'),
  endpoint: token<PublicEndpoint>('PublicEndpoint'),
  membershipStore: token<MembershipStore>('MembershipStore'),
  messages: token<MessageStore>('MessageStore'),
  accounts: token<AccountStore>('AccountStore'),
  hasher: token<PasswordHasher>('PasswordHasher'),
  tokens: token<SessionTokens>('SessionTokens'),
  audit: token<AuditTrail>('AuditTrail'),
  fileCatalog: token<FileCatalog>('FileCatalog'),
  fileContent: token<ContentStore>('ContentStore'),
  inbox: token<Inbox>('Inbox'),
  node: token<WiredNode>('WiredNode'),
} as const;

export function register<T>(c: DependencyContainer, key: Token<T>, value: T): void {
  c.registerInstance(key, value);
}

export function resolve<T>(c: DependencyContainer, key: Token<T>): T {
  return c.resolve<T>(key);
}

/** The composition root: one child container per node (so several live in one process), adapters by config. */
export function buildContainer(config: NodeConfig, overrides: NodeOverrides = {}): DependencyContainer {
  const c = rootContainer.createChildContainer();
  const put = <T>(key: Token<T>, value: T) => register(c, key, value);
  const get = <T>(key: Token<T>) => resolve(c, key);
  const settings = nodeSettings(config, { processMetrics: overrides.processMetrics });
  // One SQLite connection per node, shared by the stores and closed after them.
  const db = config.dataDir ? openDatabase(config.dataDir) : undefined;
  if (db) put(TOKENS.database, db);
  put(TOKENS.log, overrides.log ?? silentLogger);
  put(TOKENS.clock, overrides.clock ?? new SystemClock());
  put(TOKENS.ids, overrides.ids ?? new UuidGenerator());
  const peerSettings = peerClientSettings(config, settings.allowPrivatePeers);
  // Links are opened only by a node that serves them too (`--no-peer-links` turns off both), and dialled under
  // the same address policy as HTTP calls: the URL checked, the resolved address checked and connected to.
  const urls = new PeerUrlPolicy(settings.allowPrivatePeers ?? true);
  const linking =
    overrides.peers || config.peerLinks === false
      ? undefined
      : new LinkingPeerClient({ ...peerSettings, urls });
  put(TOKENS.peers, overrides.peers ?? linking ?? new OfetchPeerClient(peerSettings));
  put(TOKENS.endpoint, overrides.endpoint ?? publicEndpoint(config));
  put(TOKENS.membershipStore, overrides.store ?? membershipStore(db));
  put(TOKENS.messages, overrides.messages ?? messageStore(config, db));
  put(TOKENS.accounts, overrides.accounts ?? accountStore(db));
  put(TOKENS.hasher, overrides.hasher ?? new ScryptPasswordHasher());
  put(TOKENS.tokens, new CryptoSessionTokens());
  put(TOKENS.audit, auditTrail(get(TOKENS.log), db, overrides.audit));
  put(TOKENS.fileCatalog, overrides.fileCatalog ?? fileCatalog(db));
  put(TOKENS.fileContent, overrides.fileContent ?? fileContent(config.dataDir));
  put(TOKENS.inbox, db ? new SqliteInbox(db, { ownsDb: false }) : new MemoryInbox());
  const adapters: NodeAdapters = {
    peers: get(TOKENS.peers),
    endpoint: get(TOKENS.endpoint),
    clock: get(TOKENS.clock),
    ids: get(TOKENS.ids),
    membershipStore: get(TOKENS.membershipStore),
    messages: get(TOKENS.messages),
    log: get(TOKENS.log),
    push: overrides.push ?? [],
    random: overrides.random,
    web: loadWebAssets(),
    accounts: get(TOKENS.accounts),
    hasher: get(TOKENS.hasher),
    tokens: get(TOKENS.tokens),
    audit: get(TOKENS.audit),
    fileCatalog: get(TOKENS.fileCatalog),
    fileContent: get(TOKENS.fileContent),
    ...(linking ? { peerLinks: linking } : {}),
    inbox: get(TOKENS.inbox),
    // The key lives beside the node's database, so a restart is the same node; an in-memory node gets a new one.
    signer: config.dataDir ? Ed25519NodeSigner.stored(config.dataDir) : Ed25519NodeSigner.generate(),
    verifier: new Ed25519SignatureVerifier(),
  };
  put(TOKENS.node, wireNode(adapters, settings));
  return c;
}

/** Builds a node from its config; nothing listens until `start()`. */
export function createNode(config: NodeConfig, overrides: NodeOverrides = {}): MeshNode {
  const c = buildContainer(config, overrides);
  const database = c.isRegistered(TOKENS.database) ? resolve(c, TOKENS.database) : undefined;
  return new MeshNode(config, resolve(c, TOKENS.node), database);
}

/** Without private peers allowed, every connection is checked after resolution, at connect time. */
function peerClientSettings(config: NodeConfig, allowPrivate: boolean | undefined): OfetchPeerClientSettings {
  const dispatcher = allowPrivate === false ? guardedDispatcher() : undefined;
  return { timeoutMs: config.peerTimeoutMs, ...(dispatcher ? { dispatcher } : {}) };
}

function publicEndpoint(config: NodeConfig): PublicEndpoint {
  return config.tunnel === 'ngrok'
    ? new NgrokPublicEndpoint({ authtoken: config.ngrokAuthtoken, domain: config.ngrokDomain })
    : new LocalPublicEndpoint(config.publicUrl);
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
