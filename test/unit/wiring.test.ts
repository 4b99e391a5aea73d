import Database from 'better-sqlite3';
import type { DependencyContainer } from 'tsyringe';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { silentLogger } from '../../src/adapters/log/logger.js';
import { MemoryAccountStore } from '../../src/adapters/storage/memory-account-store.js';
import { MemoryMessageStore } from '../../src/adapters/storage/memory-message-store.js';
import { DEFAULT_MESSAGE_STORE_SETTINGS } from '../../src/adapters/storage/message-store-settings.js';
import { SqliteFileCatalog } from '../../src/adapters/storage/sqlite-file-catalog.js';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import { UuidGenerator } from '../../src/adapters/system/uuid-generator.js';
import { LocalPublicEndpoint } from '../../src/adapters/tunnel/local-public-endpoint.js';
import { startIncarnation } from '../../src/application/membership/remember-nodes.js';
import type { Clock } from '../../src/application/ports/clock.js';
import type { IdGenerator } from '../../src/application/ports/id-generator.js';
import { buildContainer, register, resolve, TOKENS } from '../../src/container.js';
import { nodeSettings } from '../../src/wiring/node-settings.js';
import type { Token } from '../../src/wiring/token.js';
import { type WiredNode, wireNode } from '../../src/wiring/wire-node.js';
import { wireOperations } from '../../src/wiring/wire-operations.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakePasswordHasher } from '../fakes/fake-password-hasher.js';
import { InMemoryCatalogCopies } from '../fakes/in-memory-catalog-copies.js';
import { InMemoryContentStore } from '../fakes/in-memory-content-store.js';
import { InMemoryInbox } from '../fakes/in-memory-inbox.js';
import { InMemoryMembershipStore } from '../fakes/in-memory-membership-store.js';
import { createMemoryNode, InMemoryNetwork, memoryUrl } from '../fakes/in-memory-network.js';
import { RecordingAuditTrail } from '../fakes/recording-audit-trail.js';
import { RecordingPushNotifier, SequentialIds } from '../fakes/recording-push-notifier.js';
import { SequentialSessionTokens } from '../fakes/sequential-session-tokens.js';
import { TEST_WEB } from '../support/http-app.js';

const config = { id: 'a', port: 0, host: '127.0.0.1', join: [], tunnel: 'none' as const };

describe('the composition root', () => {
  it('types each token by what is registered under it, so swapped tokens fail to typecheck', () => {
    const c = buildContainer(config, { processMetrics: false });
    expectTypeOf(resolve(c, TOKENS.clock)).toEqualTypeOf<Clock>();
    expectTypeOf(resolve(c, TOKENS.node)).toEqualTypeOf<WiredNode>();
    // Never called: tsc checks the tests, and an `@ts-expect-error` over a line that typechecks fails it.
    const swapped = (other: DependencyContainer) => {
      // @ts-expect-error an id generator is no clock
      register(other, TOKENS.clock, new UuidGenerator());
      // @ts-expect-error the clock token resolves a clock, not an id generator
      const ids: IdGenerator = resolve(other, TOKENS.clock);
      // @ts-expect-error one token is not another
      const clock: Token<Clock> = TOKENS.ids;
      return [ids, clock];
    };
    expect(swapped).toBeTypeOf('function');
  });

  it('registers the adapters it chose and the node wired over them', () => {
    const clock = new FakeClock();
    const c = buildContainer(config, { clock, processMetrics: false });
    const node = resolve(c, TOKENS.node);
    expect(resolve(c, TOKENS.clock)).toBe(clock);
    expect(resolve(c, TOKENS.endpoint)).toBeInstanceOf(LocalPublicEndpoint);
    expect(resolve(c, TOKENS.messages)).toBe(node.messages);
    expect(node.registry.self).toMatchObject({ id: 'a', incarnation: clock.now() });
    expect(c.isRegistered(TOKENS.database)).toBe(false);
    expect(resolve(c, TOKENS.accounts)).toBeInstanceOf(MemoryAccountStore);
    expect(resolve(c, TOKENS.accounts)).toBe(node.accounts);
  });

  it('builds every node in its own container', () => {
    const one = resolve(buildContainer(config, { processMetrics: false }), TOKENS.node);
    const two = resolve(buildContainer({ ...config, id: 'b' }, { processMetrics: false }), TOKENS.node);
    expect(one.registry).not.toBe(two.registry);
    expect(two.registry.self.id).toBe('b');
    expect(resolve(buildContainer(config, { processMetrics: false }), TOKENS.clock)).toBeInstanceOf(
      SystemClock,
    );
  });

  it('refuses a config whose id is no node id, with the reason', () => {
    expect(() => buildContainer({ ...config, id: 'not a node id!' })).toThrow(/id/i);
  });
});

describe('wireNode over fakes', () => {
  function wired(options: { saved?: { incarnation: number } } = {}) {
    const clock = new FakeClock();
    const net = new InMemoryNetwork();
    const membershipStore = new InMemoryMembershipStore();
    if (options.saved) membershipStore.save({ ...options.saved, nodes: [{ id: 'b', url: memoryUrl('b') }] });
    const recorder = new RecordingPushNotifier();
    const audit = new RecordingAuditTrail();
    const node = wireNode(
      {
        peers: net.client(memoryUrl('a')),
        endpoint: new LocalPublicEndpoint(memoryUrl('a')),
        clock,
        ids: new SequentialIds('a'),
        membershipStore,
        messages: new MemoryMessageStore(DEFAULT_MESSAGE_STORE_SETTINGS),
        log: silentLogger,
        push: [recorder],
        web: TEST_WEB,
        accounts: new MemoryAccountStore(),
        hasher: new FakePasswordHasher(),
        tokens: new SequentialSessionTokens(),
        audit,
        fileCatalog: new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true }),
        catalogCopies: new InMemoryCatalogCopies(),
        fileContent: new InMemoryContentStore(),
        inbox: new InMemoryInbox(),
      },
      { ...nodeSettings(config, { processMetrics: false }), self: { id: 'a', url: memoryUrl('a') } },
    );
    return { clock, net, node, recorder, audit };
  }

  it('starts above the stored incarnation and rejoins through the nodes it remembered', () => {
    const { clock, node } = wired({ saved: { incarnation: Date.UTC(2030, 0, 1) } });
    expect(node.registry.self.incarnation).toBe(Date.UTC(2030, 0, 1) + 1);
    expect(node.remembered).toEqual([{ id: 'b', url: memoryUrl('b') }]);
    expect(startIncarnation(undefined, clock.now())).toBe(clock.now());
  });

  it("wires one graph: a user message reaches the other node, the sender's users and the metrics", async () => {
    const { net, node, recorder, clock } = wired();
    const b = createMemoryNode(net, 'b', { clock });
    node.courier.start();
    node.registry.announce(b.registry.self);
    expect(await node.forward.execute({ to: 'b', msg: 'hello' })).toMatchObject({
      ok: true,
      status: 'delivered',
    });
    expect(b.users.texts()).toEqual(['hello']);
    expect(recorder.texts()).toEqual(['hello']);
    expect(await node.metrics.text()).toMatch(/^meshchat_messages_accepted_total\{source="user"\} 1$/m);
    await clock.advance(0);
    expect(recorder.statuses).toMatchObject([{ to: 'b', status: 'delivered' }]);
    node.courier.stop();
  });

  it("wires the accounts: a login's connection is pushed as presence to every front end and audited", async () => {
    const { node, recorder, audit, clock } = wired();
    expect(await node.register.execute({ name: 'Alice', password: 'correct horse' })).toMatchObject({
      user: 'alice@a',
    });
    const { token } = await node.login.execute({ name: 'alice', password: 'correct horse' });
    const session = node.authenticate.execute(token);
    node.presence.opened(session.name, 'c1', 'ws');
    await clock.advance(1_000);
    node.presence.closed(session.name, 'c1', 'ws');
    expect(recorder.presences).toEqual([
      { user: 'alice@a', online: true, lastSeen: null },
      { user: 'alice@a', online: false, lastSeen: new Date(clock.now()).toISOString() },
    ]);
    expect(audit.summary()).toEqual([
      'register:alice:ok',
      'login:alice:ok',
      'connect:alice:ok',
      'disconnect:alice:ok',
    ]);
    expect(node.listUsers.execute()).toEqual([recorder.presences[1]]);
  });
});

describe('wireOperations', () => {
  it('counts a reported internal error in the health check', () => {
    const clock = new FakeClock();
    const registry = createMemoryNode(new InMemoryNetwork(), 'a', { clock }).registry;
    const ops = wireOperations({
      registry,
      clock,
      log: silentLogger,
      outboxDepth: () => 0,
      users: () => ({ socketio: 0, ws: 0 }),
      processMetrics: false,
    });
    ops.phase.phase = 'running';
    expect(ops.health.execute().status).toBe('ok');
    ops.errors.report(new Error('a bug'));
    expect(ops.health.execute().reasons).toMatchObject([
      { code: 'internal_errors', message: expect.stringMatching(/^1 internal/) },
    ]);
  });
});
