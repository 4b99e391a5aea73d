import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/storage/open-database.js';
import { SqliteMembershipStore } from '../../src/adapters/storage/sqlite-membership-store.js';
import { RememberNodes } from '../../src/application/membership/remember-nodes.js';
import { Conflict } from '../../src/domain/errors.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { watchedMembers } from '../../src/domain/watch-ring.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { InMemoryMembershipStore } from '../fakes/in-memory-membership-store.js';
import { createMemoryNode, InMemoryNetwork } from '../fakes/in-memory-network.js';

const self = { id: 'me', url: 'http://me' };
const watch = (r: PeerRegistry, monitors: number, maxPlain?: number) =>
  watchedMembers(r.list(), r.self.id, monitors, maxPlain);
const fresh = () => {
  const r = new PeerRegistry(self, 10);
  r.announce({ id: 'b', url: 'http://b', incarnation: 5 });
  r.announce({ id: 'p', url: 'http://p' });
  return r;
};

describe('PeerRegistry: versions, states and tombstones', () => {
  it('a stale report never overrides a newer record; a newer one at the same url is taken as it is', () => {
    const r = fresh();
    expect(r.assess({ id: 'b', url: 'http://b', incarnation: 4 })).toEqual({ action: 'ignore' });
    expect(r.assess({ id: 'b', url: 'http://b', incarnation: 5 })).toEqual({ action: 'ignore' });
    expect(r.assess({ id: 'b', url: 'http://b', incarnation: 6 })).toEqual({ action: 'accept' });
    r.accept({ id: 'b', url: 'http://b', incarnation: 6 });
    expect(r.get('b')?.incarnation).toBe(6);
    expect(() => r.announce({ id: 'b', url: 'http://b', incarnation: 5 })).toThrow(Conflict);
  });

  it('checks before trusting: an unknown node, a URL move or a "down" rumour about a live member must be verified', () => {
    const r = fresh();
    expect(r.assess({ id: 'new', url: 'http://new' })).toEqual({ action: 'verify', why: 'unknown' });
    expect(r.assess({ id: 'b', url: 'http://b2', incarnation: 6 })).toEqual({
      action: 'verify',
      why: 'moved',
    });
    expect(r.assess({ id: 'b', url: 'http://b2', incarnation: 5 })).toEqual({ action: 'ignore' });
    expect(r.assess({ id: 'b', url: 'http://b', incarnation: 5, state: 'dead' })).toEqual({
      action: 'verify',
      why: 'down_hint',
    });
    expect(r.assess({ id: 'new', url: 'http://new', state: 'suspect' })).toEqual({ action: 'ignore' });
    // Nobody else can be at this node's own address.
    expect(r.assess({ id: 'other', url: 'http://me' })).toEqual({ action: 'ignore' });
  });

  it('refutes a report that it is itself down, with an incarnation above anything seen', () => {
    const r = fresh();
    expect(r.assess({ id: 'me', url: 'http://me', incarnation: 10, state: 'suspect' })).toEqual({
      action: 'refute',
      seen: 10,
    });
    expect(r.assess({ id: 'me', url: 'http://me', incarnation: 9, state: 'dead' })).toEqual({
      action: 'ignore',
    });
    expect(r.assess({ id: 'me', url: 'http://me', incarnation: 10 })).toEqual({ action: 'ignore' });
    expect(r.refute(12)).toBe(13);
    expect(r.self.incarnation).toBe(13);
  });

  it('tombstones keep stale gossip from resurrecting a node; a newer version, or a node found dead reported alive, is checked', () => {
    const r = fresh();
    r.suspect('b');
    r.declareDead('b', 1_000);
    r.remove({ id: 'p', url: 'http://p' }, 1_000);
    expect(r.list().map((m) => m.id)).toEqual(['me']);
    expect(r.tombstones().map((t) => `${t.id}:${t.reason}`)).toEqual(['b:dead', 'p:left']);
    expect(r.assess({ id: 'b', url: 'http://b', incarnation: 4 })).toEqual({ action: 'ignore' });
    expect(r.assess({ id: 'b', url: 'http://b', incarnation: 5 })).toEqual({
      action: 'verify',
      why: 'revived',
    });
    expect(r.assess({ id: 'p', url: 'http://p' })).toEqual({ action: 'ignore' });
    expect(r.assess({ id: 'b', url: 'http://b', incarnation: 5, state: 'dead' })).toEqual({
      action: 'ignore',
    });
    // A node that left comes back by announcing itself (or with a newer incarnation).
    expect(r.announce({ id: 'p', url: 'http://p' })).toBe('added');
    expect(r.tombstone('p')).toBeUndefined();
    r.pruneTombstones(1_001);
    expect(r.tombstones()).toEqual([]);
    expect(r.assess({ id: 'b', url: 'http://b', incarnation: 1 })).toEqual({
      action: 'verify',
      why: 'unknown',
    });
  });

  it('a tombstone with a newer incarnation refuses an older PUT, and a node that left is not revived by an old probe answer', () => {
    const r = fresh();
    r.remove({ id: 'b', url: 'http://b' }, 0);
    expect(() => r.announce({ id: 'b', url: 'http://b-old', incarnation: 4 })).toThrow('incarnation 5');
    expect(r.confirm({ id: 'b', url: 'http://b', incarnation: 5 })).toBe('unchanged');
    expect(r.confirm({ id: 'b', url: 'http://b', incarnation: 6 })).toBe('added');
  });

  it('a newer incarnation is the node refuting: it clears a suspicion; only the node itself gives a plain record a version', () => {
    const r = fresh();
    r.suspect('b');
    r.accept({ id: 'b', url: 'http://b', incarnation: 6 });
    expect(r.get('b')).toMatchObject({ incarnation: 6, state: 'alive' });
    expect(r.assess({ id: 'p', url: 'http://p', incarnation: 3 })).toEqual({
      action: 'verify',
      why: 'moved',
    });
    r.accept({ id: 'p', url: 'http://p', incarnation: 3 });
    expect(r.get('p')?.incarnation).toBeUndefined();
    // Reports that it is suspect are another node's doubt: no check, no change.
    expect(r.assess({ id: 'b', url: 'http://b', incarnation: 6, state: 'suspect' })).toEqual({
      action: 'ignore',
    });
  });

  it('a report that this node lives elsewhere, at an incarnation not below its own, is refuted', () => {
    const r = fresh();
    expect(r.assess({ id: 'me', url: 'http://forged', incarnation: 10 })).toEqual({
      action: 'refute',
      seen: 10,
    });
    expect(r.assess({ id: 'me', url: 'http://forged', incarnation: 9 })).toEqual({ action: 'ignore' });
  });

  it('a rumour that failed its check is buried, so it is not checked again every round', () => {
    const r = fresh();
    r.buryUnknown({ id: 'ghost', url: 'http://ghost', incarnation: 3 }, 50);
    expect(r.tombstone('ghost')).toMatchObject({ reason: 'dead', incarnation: 3, since: 50 });
    expect(r.assess({ id: 'ghost', url: 'http://ghost', incarnation: 2 })).toEqual({ action: 'ignore' });
  });

  it('watches its ring successors up to the n-th meshchat one, plain nodes on top, skipping suspects', () => {
    const r = new PeerRegistry({ id: 'c', url: 'http://c' }, 1);
    for (const id of ['a', 'b', 'd', 'e', 'f', 'g']) r.announce({ id, url: `http://${id}`, incarnation: 1 });
    r.announce({ id: 'dd', url: 'http://dd' });
    expect(watch(r, 2).map((m) => m.id)).toEqual(['d', 'dd', 'e']);
    r.suspect('e');
    expect(watch(r, 2).map((m) => m.id)).toEqual(['d', 'dd', 'f']);
    expect(watch(r, 3).map((m) => m.id)).toEqual(['d', 'dd', 'f', 'g']);
    // The ring wraps around, and never includes the node itself.
    expect(watch(r, 10).map((m) => m.id)).toEqual(['d', 'dd', 'f', 'g', 'a', 'b']);
    // A run of plain records (anyone can PUT them) is watched only up to the cap.
    for (let i = 0; i < 20; i++) r.announce({ id: `d${String(i).padStart(2, '0')}x`, url: `http://x${i}` });
    const watched = watch(r, 2, 4);
    expect(watched.filter((m) => m.incarnation === undefined)).toHaveLength(4);
    expect(watched.filter((m) => m.incarnation !== undefined).map((m) => m.id)).toEqual(['d', 'f']);
  });

  it('a probe that finds a node alive lists it, lifts a tombstone, and clears a suspicion', () => {
    const r = fresh();
    r.suspect('b');
    expect(r.confirm({ id: 'b', url: 'http://b', incarnation: 5 })).toBe('updated');
    expect(r.get('b')?.state).toBe('alive');
    r.declareDead('b', 0);
    expect(r.confirm({ id: 'b', url: 'http://b', incarnation: 5 })).toBe('added');
    expect(r.tombstone('b')).toBeUndefined();
    // An older answer cannot move a member.
    expect(r.confirm({ id: 'b', url: 'http://b-old', incarnation: 4 })).toBe('unchanged');
    expect(r.get('b')?.url).toBe('http://b');
  });
});

describe('remembering the known nodes', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('SqliteMembershipStore keeps the list and the incarnation across a reopen, replacing it whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshchat-store-'));
    dirs.push(dir);
    const first = new SqliteMembershipStore(openDatabase(dir));
    expect(first.load()).toBeUndefined();
    first.save({
      incarnation: 7,
      nodes: [
        { id: 'a', url: 'http://a', incarnation: 3 },
        { id: 'p', url: 'http://p' },
      ],
    });
    first.save({
      incarnation: 8,
      nodes: [
        { id: 'b', url: 'http://b', incarnation: 1 },
        { id: 'p', url: 'http://p' },
      ],
    });
    first.close();
    const again = new SqliteMembershipStore(openDatabase(dir));
    expect(again.load()).toEqual({
      incarnation: 8,
      nodes: [
        { id: 'b', url: 'http://b', incarnation: 1 },
        { id: 'p', url: 'http://p' },
      ],
    });
    again.close();
  });

  it('a data dir that cannot be created is a one-line error naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshchat-store-'));
    dirs.push(dir);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    expect(() => openDatabase(join(file, 'data'))).toThrow(
      `Cannot open the data dir ${join(file, 'data')}: `,
    );
  });

  it('RememberNodes writes at most once per interval, only after a change, and once more on stop', async () => {
    const clock = new FakeClock();
    const store = new InMemoryMembershipStore();
    const registry = new PeerRegistry(self, 4);
    const remember = new RememberNodes({ registry, store, clock }, { saveIntervalMs: 1_000 });
    remember.start();
    expect(store.saves).toBe(1);
    await clock.advance(1_000);
    expect(store.saves).toBe(1);
    registry.announce({ id: 'b', url: 'http://b', incarnation: 2 });
    registry.announce({ id: 'c', url: 'http://c' });
    expect(store.saves).toBe(1);
    await clock.advance(1_000);
    expect(store.saves).toBe(2);
    expect(store.load()).toEqual({
      incarnation: 4,
      nodes: [
        { id: 'b', url: 'http://b', incarnation: 2 },
        { id: 'c', url: 'http://c' },
      ],
    });
    registry.refute();
    remember.stop();
    expect(store.load()?.incarnation).toBe(5);
  });
});

describe('Prober', () => {
  it('a probe that timed out counts as a failure, unless this node itself lagged far past the timeout', async () => {
    const clock = new FakeClock();
    const net = new InMemoryNetwork({ clock });
    const prober = createMemoryNode(net, 'asker', { clock }).membership.prober;
    const target = createMemoryNode(net, 'target', { clock });
    net.setHanging(target.url, true);

    const onTime = prober.direct(target);
    await clock.advance(500);
    expect(await onTime).toEqual({ alive: false });

    // The timer fired, but only after this node's clock had moved on twice as far: its own loop was stuck.
    const late = prober.direct(target);
    await clock.advance(1_000);
    expect(await late).toEqual({ alive: false, inconclusive: true });

    net.setHanging(target.url, false);
    const answered = prober.direct(target);
    await clock.advance(0);
    expect(await answered).toEqual({ alive: true, incarnation: 1 });
  });
});
