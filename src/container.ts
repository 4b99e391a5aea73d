// tsyringe needs the Reflect metadata polyfill loaded before it; the container is its only user, so it loads it.
import 'reflect-metadata';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { chooseAdapters } from './adapter-choices.js';
import { openNodeDatabase } from './adapters/storage/open-database.js';
import { MeshNode } from './mesh-node.js';
import type { NodeConfig } from './node-config.js';
import type { NodeOverrides } from './node-overrides.js';
import type { NodeAdapters } from './wiring/node-adapters.js';
import { nodeSettings } from './wiring/node-settings.js';
import { type Token, token } from './wiring/token.js';
import { type WiredNode, wireNode } from './wiring/wire-node.js';

export type { NodeOverrides } from './node-overrides.js';

type AdapterTokens = { readonly [K in keyof NodeAdapters]-?: Token<NonNullable<NodeAdapters[K]>> };

/** One typed token per port, named as in `NodeAdapters`: a key missing or of another type fails to typecheck. */
const ADAPTER_TOKENS: AdapterTokens = {
  peers: token('peers'),
  endpoint: token('endpoint'),
  clock: token('clock'),
  ids: token('ids'),
  membershipStore: token('membershipStore'),
  messages: token('messages'),
  log: token('log'),
  push: token('push'),
  random: token('random'),
  peerLinks: token('peerLinks'),
  web: token('web'),
  accounts: token('accounts'),
  hasher: token('hasher'),
  tokens: token('tokens'),
  audit: token('audit'),
  fileCatalog: token('fileCatalog'),
  catalogCopies: token('catalogCopies'),
  heldCopies: token('heldCopies'),
  fileContent: token('fileContent'),
  fileSource: token('fileSource'),
  partialDownloads: token('partialDownloads'),
  inbox: token('inbox'),
  signer: token('signer'),
  verifier: token('verifier'),
  networkKey: token('networkKey'),
};

export const TOKENS = {
  ...ADAPTER_TOKENS,
  /** Registered only with a data dir; closed by the node after the stores on it. */
  database: token<{ close(): unknown }>('Database'),
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
  const settings = nodeSettings(config, { processMetrics: overrides.processMetrics });
  // One SQLite connection per node, shared by the stores and closed after them.
  const database = config.dataDir ? openNodeDatabase(config.dataDir) : undefined;
  if (database) register(c, TOKENS.database, database);
  const db = database?.db;
  const adapters = chooseAdapters(config, overrides, settings, db);
  // Each value goes under its port's token; `AdapterTokens` ties every token to its port's type.
  for (const [name, value] of Object.entries(adapters) as [keyof NodeAdapters, unknown][]) {
    if (value !== undefined) c.registerInstance(ADAPTER_TOKENS[name], value);
  }
  register(c, TOKENS.node, wireNode(adapters, settings));
  return c;
}

/** Builds a node from its config; nothing listens until `start()`. */
export function createNode(config: NodeConfig, overrides: NodeOverrides = {}): MeshNode {
  const c = buildContainer(config, overrides);
  const database = c.isRegistered(TOKENS.database) ? resolve(c, TOKENS.database) : undefined;
  return new MeshNode(config, resolve(c, TOKENS.node), database);
}
