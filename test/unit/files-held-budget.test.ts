// What a node keeps of the files it fetched (`HeldCopyBudget`): at most `--held-bytes` and `MAX_HELD_COPIES`
// copies, the least recently used evicted first with their bytes; never bytes a reader is reading; nothing kept
// of a file larger than the budget or whose record went while it was fetched; a copy whose record was deleted
// goes with its bytes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskContentStore } from '../../src/adapters/files/disk-content-store.js';
import { JournaledPartialDownloads } from '../../src/adapters/files/journaled-partial-downloads.js';
import { SqliteFileCatalog } from '../../src/adapters/storage/sqlite-file-catalog.js';
import { ContentLocks } from '../../src/application/files/content-locks.js';
import { HeldCopyBudget, type HeldCopyBudgetSettings } from '../../src/application/files/held-copy-budget.js';
import type { FileLocator } from '../../src/application/files/mesh-catalog.js';
import { RemoteFiles } from '../../src/application/files/remote-files.js';
import { RestoreHeldCopies } from '../../src/application/files/restore-held-copies.js';
import { VersionedFileCatalog } from '../../src/application/files/versioned-catalog.js';
import { MAX_HELD_COPIES } from '../../src/domain/catalog.js';
import type { FileRecord } from '../../src/domain/file-record.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { InMemoryContentStore } from '../fakes/in-memory-content-store.js';
import { InMemoryHeldCopies } from '../fakes/in-memory-held-copies.js';
import { pushPieces } from '../fakes/pushed-pieces.js';
import { RecordingAuditTrail } from '../fakes/recording-audit-trail.js';
import { fileRecordOf, sha256Hex } from '../support/file-records.js';

const sha = sha256Hex;

const recordOf = (bytes: Buffer, owner = 'alice@a'): FileRecord => fileRecordOf(bytes, { owner });

/** A node's own catalog, its content store, the records the mesh catalog knows, and the budget over them. */
function node(settings: Partial<HeldCopyBudgetSettings>, heldCopies = new InMemoryHeldCopies()) {
  const own = new VersionedFileCatalog(
    new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true }),
    new FakeClock(),
    10,
    { heldCopies },
  );
  const content = new InMemoryContentStore();
  const records = new Map<string, FileRecord>();
  const locator: FileLocator = {
    locate: (id) => {
      const record = records.get(id);
      return record ? { record, holders: ['a'] } : undefined;
    },
    hasCatalog: () => true,
  };
  const errors: unknown[] = [];
  const budget = new HeldCopyBudget(
    { own, content, locks: new ContentLocks(), locator, errors: { report: (e) => errors.push(e) } },
    settings,
  );
  /** A file published on node a, fetched whole into this node's store (as `RemoteFiles` leaves it). */
  const fetched = (text: string): string => {
    const bytes = Buffer.from(text);
    records.set(sha(bytes), recordOf(bytes));
    content.stored.set(sha(bytes), bytes);
    return sha(bytes);
  };
  return { own, content, records, locator, budget, fetched, errors, heldCopies };
}

describe('the held-copy budget', () => {
  it('evicts the least recently used copies, bytes included, to stay within the byte budget', async () => {
    const { own, content, budget, fetched, errors } = node({ maxBytes: 10 });
    const [a, b, c] = [fetched('aaaa'), fetched('bbbb'), fetched('cccc')];
    budget.markHeld(a);
    budget.markHeld(b);
    await budget.settled();
    expect(own.held()).toEqual([b, a]);
    budget.served(a); // a is served again: b is now the least recently used
    budget.markHeld(c);
    await budget.settled();
    expect(own.held()).toEqual([c, a]);
    expect(await content.has(b)).toBe(false);
    expect(await content.has(a)).toBe(true);
    expect(budget.usedBytes).toBe(8);
    expect(errors).toEqual([]);
  });

  it('past MAX_HELD_COPIES the oldest copy is evicted with its bytes, not just left unadvertised', async () => {
    const { own, content, budget, fetched } = node({ maxBytes: 1 << 30 });
    const ids = Array.from({ length: MAX_HELD_COPIES + 1 }, (_, i) => fetched(`file ${i}`));
    for (const id of ids) budget.markHeld(id);
    await budget.settled();
    expect(own.held()).toHaveLength(MAX_HELD_COPIES);
    expect(own.isHeld(ids[0] as string)).toBe(false);
    expect(await content.has(ids[0] as string)).toBe(false);
    expect(content.stored.size).toBe(MAX_HELD_COPIES);
  });

  it('never removes bytes being read: a copy being read is skipped, a deleted one goes when its reader ends', async () => {
    const { own, content, records, budget, fetched } = node({ maxBytes: 8 });
    const [a, b, c] = [fetched('aaaa'), fetched('bbbb'), fetched('cccc')];
    budget.markHeld(a);
    budget.markHeld(b);
    await budget.settled();
    const reading = budget.pin(a);
    budget.markHeld(c);
    await budget.settled();
    // a is the least recently used, but being read: b goes instead.
    expect(own.held()).toEqual([c, a]);
    expect(await content.has(b)).toBe(false);

    // The publisher deletes a while it is read: no longer advertised at once, bytes kept for the reader.
    records.delete(a);
    budget.recordsGone([a]);
    await budget.settled();
    expect(own.held()).toEqual([c]);
    expect(await content.has(a)).toBe(true);
    reading();
    reading(); // idempotent
    await budget.settled();
    expect(await content.has(a)).toBe(false);
    expect(await content.has(c)).toBe(true);
  });

  it('a file larger than the whole budget is passed on, not kept: its bytes go once its readers are done', async () => {
    const { own, content, budget, fetched } = node({ maxBytes: 3 });
    const big = fetched('four');
    const reading = budget.pin(big);
    budget.markHeld(big);
    await budget.settled();
    expect(own.held()).toEqual([]);
    expect(await content.has(big)).toBe(true);
    reading();
    await budget.settled();
    expect(await content.has(big)).toBe(false);

    // A node stopping while such a file is still read: its bytes go at the stop, not left unadvertised.
    const late = fetched('five!');
    budget.pin(late);
    budget.markHeld(late);
    await budget.stop();
    expect(await content.has(late)).toBe(false);

    const { own: none, content: nothing, budget: zero, fetched: fetchedToo } = node({ maxBytes: 0 });
    const small = fetchedToo('x');
    zero.markHeld(small);
    await zero.settled();
    expect(none.held()).toEqual([]);
    expect(await nothing.has(small)).toBe(false);
  });

  it('a record deleted between the end of the fetch and keeping the copy: nothing advertised, bytes removed', async () => {
    const { own, content, records, budget, fetched } = node({ maxBytes: 100 });
    const id = fetched('deleted meanwhile');
    records.delete(id);
    budget.markHeld(id);
    await budget.settled();
    expect(own.held()).toEqual([]);
    expect(own.version).toBeDefined();
    expect(await content.has(id)).toBe(false);
  });

  it('an evicted copy whose content a record of this node holds keeps its bytes', async () => {
    const { own, content, budget, fetched } = node({ maxBytes: 4 });
    const [a, b] = [fetched('aaaa'), fetched('bbbb')];
    budget.markHeld(a);
    await budget.settled();
    own.add(recordOf(Buffer.from('aaaa'), 'carol@here'));
    budget.markHeld(b);
    await budget.settled();
    expect(own.held()).toEqual([b]);
    expect(await content.has(a)).toBe(true);
    // Deleting that record now removes the bytes: nothing else holds them.
    expect(own.remove(a, 'carol@here').remaining).toBe(0);
  });

  it('a restart with a lower budget evicts at start, least recently used first', async () => {
    const heldCopies = new InMemoryHeldCopies();
    const first = node({ maxBytes: 100 }, heldCopies);
    const ids = [first.fetched('aaaa'), first.fetched('bbbb'), first.fetched('cccc')];
    for (const id of ids) first.budget.markHeld(id);
    await first.budget.settled();
    first.budget.served(ids[0] as string);
    expect(heldCopies.list()).toEqual([ids[1], ids[2], ids[0]]);

    const again = node({ maxBytes: 8 }, heldCopies);
    for (const text of ['aaaa', 'bbbb', 'cccc']) again.fetched(text);
    await new RestoreHeldCopies({
      own: again.own,
      content: again.content,
      locator: again.locator,
      budget: again.budget,
    }).execute();
    expect(again.own.held()).toEqual([ids[0], ids[2]]);
    expect(await again.content.has(ids[1] as string)).toBe(false);
    expect(heldCopies.list()).toEqual([ids[2], ids[0]]);
  });
});

describe('RemoteFiles with the budget', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('a record deleted while the file is fetched: the finished copy is neither advertised nor kept', async () => {
    const root = mkdtempSync(join(tmpdir(), 'meshchat-held-'));
    dirs.push(root);
    const content = new DiskContentStore(root);
    const own = new VersionedFileCatalog(
      new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true }),
      new FakeClock(),
    );
    const bytes = randomBytes(3000);
    const record = {
      ...recordOf(bytes),
      chunkSize: 1024,
      chunks: [0, 1024, 2048].map((at) => sha(bytes.subarray(at, at + 1024))),
    };
    const records = new Map([[record.id, record]]);
    const locator: FileLocator = {
      locate: (id) => {
        const found = records.get(id);
        return found ? { record: found, holders: ['h1'] } : undefined;
      },
      hasCatalog: () => true,
    };
    const budget = new HeldCopyBudget(
      { own, content, locks: new ContentLocks(), locator },
      { maxBytes: 1 << 20 },
    );
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const registry = new PeerRegistry({ id: 'me', url: 'http://me' });
    registry.announce({ id: 'h1', url: 'http://h1' });
    const remote = new RemoteFiles({
      node: 'me',
      registry,
      locator,
      content,
      partials: new JournaledPartialDownloads(content),
      clock: new FakeClock(),
      audit: new RecordingAuditTrail(),
      held: budget,
      source: {
        async fetch(_url, _id, _start, receive) {
          const body = (async function* () {
            yield bytes.subarray(0, 2048);
            await gate; // the publisher deletes the file here: its tombstone reaches this node's catalog
            yield bytes.subarray(2048);
          })();
          await pushPieces(body, receive);
        },
      },
    });
    const body = await remote.open(record, undefined, false);
    records.delete(record.id);
    budget.recordsGone([record.id]);
    release();
    const parts: Uint8Array[] = [];
    for await (const part of body) parts.push(part);
    expect(sha(Buffer.concat(parts))).toBe(record.id);
    await budget.settled();
    expect(own.held()).toEqual([]);
    expect(await content.has(record.id)).toBe(false);
    await content.close();
  });
});
