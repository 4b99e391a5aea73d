import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChunkHasher } from '../../src/adapters/files/chunk-hasher.js';
import { DiskContentStore, type StagingFile } from '../../src/adapters/files/disk-content-store.js';
import { PinoAuditTrail } from '../../src/adapters/log/pino-audit-trail.js';
import { ftsQuery, SqliteFileCatalog } from '../../src/adapters/storage/sqlite-file-catalog.js';
import {
  FileTooLarge,
  StorageFailed,
  StorageFull,
  UploadIncomplete,
} from '../../src/application/files/file-errors.js';
import { FILE_CHUNK_SIZE, type FileRecord, MAX_DOWNLOADS_PER_FILE } from '../../src/domain/file-record.js';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Bytes that differ from chunk to chunk, so a chunk hash taken at the wrong offset cannot match by luck. */
function bytes(size: number, seed = 1): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 7 + (i >> 10)) & 0xff;
  return b;
}

/** `data` as a stream of pieces of `piece` bytes, recording how many were pulled. */
function source(data: Buffer, piece = 64 * 1024) {
  const seen = { pulled: 0 };
  const iterable: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      for (let at = 0; at < data.length; at += piece) {
        seen.pulled += 1;
        yield data.subarray(at, at + piece);
      }
    },
  };
  return Object.assign(iterable, { seen });
}

async function readAll(iterable: AsyncIterable<Uint8Array> | undefined): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of iterable ?? []) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

describe('ChunkHasher', () => {
  const cases: [string, number, number][] = [
    ['0 bytes: no chunk', 0, 0],
    ['1 byte: one chunk', 1, 1],
    ['exactly one chunk', FILE_CHUNK_SIZE, 1],
    ['one chunk and one byte: two chunks', FILE_CHUNK_SIZE + 1, 2],
  ];
  for (const [title, size, count] of cases) {
    it(title, () => {
      const data = bytes(size);
      const hasher = new ChunkHasher();
      hasher.update(data);
      const digest = hasher.digest();
      expect(digest.id).toBe(sha(data));
      expect(digest.size).toBe(size);
      expect(digest.chunkSize).toBe(FILE_CHUNK_SIZE);
      const expected = Array.from({ length: count }, (_, i) =>
        sha(data.subarray(i * FILE_CHUNK_SIZE, (i + 1) * FILE_CHUNK_SIZE)),
      );
      expect(digest.chunks).toEqual(expected);
    });
  }

  it('gives the same digest whatever the pieces it is fed in', () => {
    const data = bytes(10 * 7 + 3);
    const whole = new ChunkHasher(10);
    whole.update(data);
    const split = new ChunkHasher(10);
    for (const size of [1, 9, 10, 11, 3, 20, 19]) split.update(data.subarray(split.size, split.size + size));
    expect(split.size).toBe(data.length);
    const expected = whole.digest();
    expect(split.digest()).toEqual(expected);
    expect(expected.chunks).toHaveLength(8);
    expect(expected.chunks[7]).toBe(sha(data.subarray(70)));
  });
});

describe('DiskContentStore', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'meshchat-files-test-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const uploadsLeft = () => readdirSync(join(root, 'uploads'));
  const contentsHeld = () =>
    readdirSync(root)
      .filter((d) => d !== 'uploads')
      .flatMap((d) => readdirSync(join(root, d)));

  it('stages, hashes and commits a content under <aa>/<id>, whole', async () => {
    const store = new DiskContentStore(root);
    const data = bytes(FILE_CHUNK_SIZE + 1);
    const staged = await store.stage(source(data), { maxBytes: 10 * FILE_CHUNK_SIZE });
    expect(staged.id).toBe(sha(data));
    expect(staged.chunks).toHaveLength(2);
    expect(await store.has(staged.id)).toBe(false);
    await staged.commit();
    await staged.discard();
    expect(readFileSync(join(root, staged.id.slice(0, 2), staged.id)).equals(data)).toBe(true);
    expect((await readAll(await store.open(staged.id))).equals(data)).toBe(true);
    expect(await readAll(await store.open(staged.id, { start: 5, end: 9 }))).toEqual(data.subarray(5, 10));
    expect(uploadsLeft()).toEqual([]);
  });

  it('stores the same content once', async () => {
    const store = new DiskContentStore(root);
    const data = bytes(1000);
    for (let i = 0; i < 2; i++) await (await store.stage(source(data, 100), { maxBytes: 5000 })).commit();
    expect(contentsHeld()).toEqual([sha(data)]);
    expect(uploadsLeft()).toEqual([]);
  });

  it('lists the contents it holds, and nothing else in its directory', async () => {
    const store = new DiskContentStore(join(root, 'not yet made'));
    expect(await store.list()).toEqual([]);
    const disk = new DiskContentStore(root);
    const [one, two] = [bytes(10, 1), bytes(20, 2)];
    for (const data of [one, two]) await (await disk.stage(source(data), { maxBytes: 100 })).commit();
    // What is not a content: a partial download's directory, a stray file, a file under the wrong prefix.
    mkdirSync(join(root, 'partial'), { recursive: true });
    writeFileSync(join(root, 'partial', sha(bytes(5, 3))), 'x');
    writeFileSync(join(root, sha(one).slice(0, 2), 'notes.txt'), 'x');
    const elsewhere = sha(bytes(7, 4));
    mkdirSync(join(root, elsewhere.startsWith('00') ? 'ff' : '00'), { recursive: true });
    writeFileSync(join(root, elsewhere.startsWith('00') ? 'ff' : '00', elsewhere), 'x');
    expect((await disk.list()).sort()).toEqual([sha(one), sha(two)].sort());
  });

  it('keeps an empty content, and a discarded stage leaves nothing', async () => {
    const store = new DiskContentStore(root);
    const empty = await store.stage(source(Buffer.alloc(0)), { maxBytes: 10 });
    expect(empty.chunks).toEqual([]);
    await empty.commit();
    expect(await readAll(await store.open(empty.id))).toEqual(Buffer.alloc(0));
    const dropped = await store.stage(source(bytes(10)), { maxBytes: 10 });
    await dropped.discard();
    await dropped.commit();
    expect(contentsHeld()).toEqual([empty.id]);
    expect(uploadsLeft()).toEqual([]);
  });

  it('refuses a content that grows past the limit as soon as it does, keeping nothing', async () => {
    const store = new DiskContentStore(root);
    const data = source(bytes(10_000), 1000);
    await expect(store.stage(data, { maxBytes: 2500 })).rejects.toBeInstanceOf(FileTooLarge);
    expect(data.seen.pulled).toBe(3);
    expect(uploadsLeft()).toEqual([]);
    expect(contentsHeld()).toEqual([]);
  });

  /** Real staging files whose writes fail with `code` once `after` bytes were written, like a full disk. */
  function failingFiles(code: string, after: number) {
    return async (path: string): Promise<StagingFile> => {
      const handle = await open(path, 'wx');
      let written = 0;
      return {
        write: async (piece) => {
          if (written + piece.length > after)
            throw Object.assign(new Error(`${code}: write failed`), { code });
          written += piece.length;
          return handle.write(piece);
        },
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    };
  }

  it('a full disk fails the upload with StorageFull and leaves no partial file', async () => {
    const store = new DiskContentStore(root, { createFile: failingFiles('ENOSPC', 3000) });
    await expect(store.stage(source(bytes(10_000), 1000), { maxBytes: 1e6 })).rejects.toBeInstanceOf(
      StorageFull,
    );
    expect(uploadsLeft()).toEqual([]);
    expect(contentsHeld()).toEqual([]);
  });

  it('another write error is StorageFailed, naming it, and leaves nothing', async () => {
    const store = new DiskContentStore(root, { createFile: failingFiles('EIO', 0) });
    const failure = store.stage(source(bytes(100)), { maxBytes: 1e6 });
    await expect(failure).rejects.toBeInstanceOf(StorageFailed);
    await expect(failure).rejects.toThrow(/EIO/);
    expect(uploadsLeft()).toEqual([]);
  });

  it('a source that breaks off is UploadIncomplete and leaves nothing', async () => {
    const store = new DiskContentStore(root);
    const broken: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        yield bytes(100);
        throw new Error('socket hang up');
      },
    };
    await expect(store.stage(broken, { maxBytes: 1e6 })).rejects.toBeInstanceOf(UploadIncomplete);
    expect(uploadsLeft()).toEqual([]);
  });

  it('answers undefined for a content it does not hold, removes idempotently, and never takes a path', async () => {
    const store = new DiskContentStore(root);
    const staged = await store.stage(source(bytes(10)), { maxBytes: 100 });
    await staged.commit();
    expect(await store.open('0'.repeat(64))).toBeUndefined();
    await store.remove(staged.id);
    await store.remove(staged.id);
    expect(await store.has(staged.id)).toBe(false);
    expect(() => store.pathOf('../../etc/passwd')).toThrow(/Not a content id/);
  });

  it('empties what a crash left in uploads/, and a temporary store removes itself on close', async () => {
    const first = new DiskContentStore(root);
    const held = await first.stage(source(bytes(10)), { maxBytes: 100 });
    expect(uploadsLeft()).toHaveLength(1);
    const second = new DiskContentStore(root, { removeOnClose: true });
    await (await second.stage(source(bytes(20)), { maxBytes: 100 })).commit();
    expect(uploadsLeft()).toEqual([]);
    await held.discard();
    await second.close();
    expect(() => readdirSync(root)).toThrow();
  });
});

function record(overrides: Partial<FileRecord> = {}): FileRecord {
  return {
    id: sha(Buffer.from(overrides.name ?? 'x')),
    name: 'x',
    description: '',
    size: 1,
    type: 'text/plain',
    owner: 'alice@a',
    publishedAt: '2026-01-01T00:00:00.000Z',
    chunkSize: FILE_CHUNK_SIZE,
    chunks: [sha(Buffer.from('chunk'))],
    ...overrides,
  };
}

describe('SqliteFileCatalog', () => {
  let catalog: SqliteFileCatalog;
  beforeEach(() => {
    catalog = new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true });
  });
  afterEach(() => catalog.close());

  it('keeps records with their chunks; one name and one content per owner', () => {
    const one = record({ name: 'one.txt', chunks: [sha(Buffer.from('a')), sha(Buffer.from('b'))] });
    expect(catalog.add(one)).toBe('added');
    expect(catalog.byId(one.id)).toEqual([one]);
    expect(catalog.byName('alice@a', 'one.txt')).toEqual(one);
    expect(catalog.add({ ...one, id: sha(Buffer.from('other')) })).toBe('name_taken');
    expect(catalog.add({ ...one, name: 'two.txt' })).toBe('content_taken');
    expect(catalog.add({ ...one, owner: 'bob@a' })).toBe('added');
    expect(catalog.byId(one.id).map((r) => r.owner)).toEqual(['alice@a', 'bob@a']);
  });

  it('says how many records still hold a content when one goes', () => {
    const one = record({ name: 'one.txt' });
    catalog.add(one);
    catalog.add({ ...one, owner: 'bob@a' });
    expect(catalog.remove(one.id, 'carol@a')).toEqual({ remaining: 2 });
    expect(catalog.remove(one.id, 'alice@a')).toEqual({ removed: one, remaining: 1 });
    expect(catalog.remove(one.id, 'bob@a').remaining).toBe(0);
    expect(catalog.byId(one.id)).toEqual([]);
    expect(catalog.list({ words: ['one'], limit: 10 })).toEqual([]);
  });

  it('lists newest first, by owner, and searches names before descriptions, by prefix, without accents', () => {
    catalog.add(record({ name: 'holiday photos.zip', description: 'beach' }));
    catalog.add(record({ name: 'notes.txt', description: 'holiday plans', owner: 'bob@a' }));
    catalog.add(record({ name: 'Café menu.pdf', description: '' }));
    expect(catalog.list({ limit: 10 }).map((r) => r.name)).toEqual([
      'Café menu.pdf',
      'notes.txt',
      'holiday photos.zip',
    ]);
    expect(catalog.list({ owner: 'bob@a', limit: 10 }).map((r) => r.name)).toEqual(['notes.txt']);
    expect(catalog.list({ words: ['holiday'], limit: 10 }).map((r) => r.name)).toEqual([
      'holiday photos.zip',
      'notes.txt',
    ]);
    expect(catalog.list({ words: ['holi', 'pla'], limit: 10 }).map((r) => r.name)).toEqual(['notes.txt']);
    expect(catalog.list({ words: ['cafe'], limit: 10 }).map((r) => r.name)).toEqual(['Café menu.pdf']);
    expect(catalog.list({ words: ['holiday'], owner: 'alice@a', limit: 1 })).toHaveLength(1);
  });

  it('keeps the latest downloads of a content held here, newest first, and forgets them with it', () => {
    const one = record({ name: 'one.txt' });
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
    // A content no record holds keeps nothing.
    catalog.recordDownload(one.id, { at: at(0), bytes: '0-0' });
    catalog.add(one);
    catalog.add({ ...one, owner: 'bob@a' });
    expect(catalog.downloads(one.id, 10)).toEqual([]);
    for (let i = 1; i <= MAX_DOWNLOADS_PER_FILE + 5; i++)
      catalog.recordDownload(one.id, { at: at(i), user: `u${i}@a`, bytes: '0-0' });
    catalog.recordDownload(one.id, { at: at(200), node: 'node-z', bytes: '' });
    const kept = catalog.downloads(one.id, 1000);
    expect(kept).toHaveLength(MAX_DOWNLOADS_PER_FILE);
    expect(kept[0]).toEqual({ at: at(200), node: 'node-z', bytes: '' });
    expect(kept[1]).toEqual({
      at: at(MAX_DOWNLOADS_PER_FILE + 5),
      user: `u${MAX_DOWNLOADS_PER_FILE + 5}@a`,
      bytes: '0-0',
    });
    expect(kept.at(-1)?.user).toBe('u7@a');
    expect(catalog.downloads(one.id, 3)).toHaveLength(3);
    // One owner's delete leaves the list to the other; the last record takes it along.
    catalog.remove(one.id, 'alice@a');
    expect(catalog.downloads(one.id, 1000)).toHaveLength(MAX_DOWNLOADS_PER_FILE);
    catalog.remove(one.id, 'bob@a');
    catalog.add(one);
    expect(catalog.downloads(one.id, 1000)).toEqual([]);
  });

  it('never reads a word as FTS5 syntax', () => {
    catalog.add(record({ name: 'near and or not' }));
    for (const word of ['"', '*', 'NEAR(', 'a" OR "b', ')', 'AND', '^', 'name:x', "'", '-']) {
      expect(() => catalog.list({ words: [word], limit: 5 }), word).not.toThrow();
    }
    expect(ftsQuery(['a"b', 'c'])).toBe('"a""b"* "c"*');
    expect(catalog.list({ words: ['near', 'and'], limit: 5 })).toHaveLength(1);
  });

  it('keeps records across a reopen of the database file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshchat-catalog-test-'));
    try {
      const file = join(dir, 'db');
      const first = new SqliteFileCatalog(new Database(file), { ownsDb: true });
      first.add(record({ name: 'kept.bin' }));
      first.close();
      const again = new SqliteFileCatalog(new Database(file), { ownsDb: true });
      expect(again.list({ words: ['kept'], limit: 5 }).map((r) => r.name)).toEqual(['kept.bin']);
      again.close();
      expect(() => again.list({ limit: 1 })).toThrow(/stopping/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PinoAuditTrail for files', () => {
  it("marks an operation on a file as event 'file'", () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const entry = {
      at: '2026-01-01T00:00:00.000Z',
      node: 'a',
      user: '-',
      op: 'download',
      object: `file ${'a'.repeat(64)} bytes 0-9`,
      outcome: 'ok',
    } as const;
    new PinoAuditTrail(pino({ level: 'info' }, stream)).record(entry);
    expect(lines).toEqual([expect.objectContaining({ audit: true, event: 'file', ...entry })]);
  });
});
