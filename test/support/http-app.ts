import Database from 'better-sqlite3';
import { silentLogger } from '../../src/adapters/log/logger.js';
import { MemoryAccountStore } from '../../src/adapters/storage/memory-account-store.js';
import { SqliteFileCatalog } from '../../src/adapters/storage/sqlite-file-catalog.js';
import type { WebAssets } from '../../src/adapters/web/web-assets.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { wireAccounts } from '../../src/wiring/wire-accounts.js';
import { wireCatalog } from '../../src/wiring/wire-catalog.js';
import { wireFileStore, wireFiles } from '../../src/wiring/wire-files.js';
import { wireHttpApp } from '../../src/wiring/wire-http-app.js';
import { wireOperations } from '../../src/wiring/wire-operations.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakePasswordHasher } from '../fakes/fake-password-hasher.js';
import { InMemoryCatalogCopies } from '../fakes/in-memory-catalog-copies.js';
import { InMemoryContentStore } from '../fakes/in-memory-content-store.js';
import { createMemoryNode, InMemoryNetwork, type MemoryNode, memoryUrl } from '../fakes/in-memory-network.js';
import { RecordingAuditTrail } from '../fakes/recording-audit-trail.js';
import { SequentialSessionTokens } from '../fakes/sequential-session-tokens.js';

export const TEST_WEB: WebAssets = { html: '<p>chat</p>', css: 'p{}', script: 'void 0' };

/** Users the test app says are connected: 2 on socket.io, 1 on /ws. */
export const TEST_USERS = { socketio: 2, ws: 1 };

/**
 * Memory node `a` behind the real Hono app (with its operations: health, prom-client metrics, mesh map, and
 * its accounts on fakes: tokens `token-1`, `token-2`, ..., audit recorded, `a.users` standing for the front
 * ends; its files in a catalog in memory over an `InMemoryContentStore` of `fileCapacity` bytes, files at most
 * `maxFileSize`), and memory node `b` joined to it. `build(web)` makes another app over the same node, e.g. with other
 * assets.
 */
export async function memoryHttpApp(options: { maxFileSize?: number; fileCapacity?: number } = {}) {
  const net = new InMemoryNetwork();
  const clock = new FakeClock();
  const registry = new PeerRegistry({ id: 'a', url: memoryUrl('a') }, 1);
  const ops = wireOperations({
    registry,
    clock,
    log: silentLogger,
    outboxDepth: () => a.courier.depth,
    users: () => TEST_USERS,
    processMetrics: false,
    ...(options.maxFileSize === undefined ? {} : { maxFileSize: options.maxFileSize }),
  });
  ops.phase.phase = 'running';
  const a: MemoryNode = createMemoryNode(net, 'a', { registry, clock, telemetry: ops.telemetry });
  const b = createMemoryNode(net, 'b');
  await b.join.execute([a.url]);
  const audit = new RecordingAuditTrail();
  const content = new InMemoryContentStore({
    ...(options.fileCapacity === undefined ? {} : { capacity: options.fileCapacity }),
  });
  // As wireNode: the file use cases go through the versioned catalog the mesh catalog serves.
  const mesh = wireCatalog(
    {
      registry,
      peers: net.client('a'),
      clock,
      fileCatalog: new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true }),
      copies: new InMemoryCatalogCopies(),
    },
    {},
  );
  const fileParts = { node: 'a', clock, audit, catalog: mesh.ownCatalog, content };
  // As wireNode: unregistering a user removes its files through the store the file use cases share.
  const fileStore = wireFileStore(fileParts);
  const accounts = wireAccounts({
    node: 'a',
    clock,
    store: new MemoryAccountStore(),
    hasher: new FakePasswordHasher(),
    tokens: new SequentialSessionTokens(),
    audit,
    files: fileStore.userFiles,
  });
  const files = wireFiles(
    { ...fileParts, authenticate: accounts.authenticate, store: fileStore, mesh },
    { ...(options.maxFileSize === undefined ? {} : { maxFileSize: options.maxFileSize }) },
  );
  /** `extra` adds settings of `wireHttpApp`, such as rate limits on the fake clock. */
  /** `parts` swaps use cases of node `a` (signed identity, for example). */
  const build = (
    web: WebAssets = TEST_WEB,
    extra: Partial<Parameters<typeof wireHttpApp>[1]> = {},
    parts: Partial<Parameters<typeof wireHttpApp>[0]> = {},
  ) =>
    wireHttpApp(
      { ...a, ...ops, ...accounts, ...files, push: a.users, ...parts },
      { web, maxBodyBytes: 512 * 1024, ...extra },
    );
  const { metrics, recentErrors: errors, phase } = ops;
  return { net, a, b, metrics, errors, phase, accounts, files, content, audit, clock, build, app: build() };
}
