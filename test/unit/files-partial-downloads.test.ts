// The journaled partial download (what a node writes while it fetches a file from another node): each chunk is
// checked as bytes stream in, in pieces of any size; a "crash" (the object dropped without closing) and a new
// open resume from the journal without checking a verified chunk again; verified chunks are read from memory while
// their writes are queued, and a full queue holds the source back; a bad chunk, a false record and a full
// disk leave nothing under the content's address.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiskContentStore } from '../../src/adapters/files/disk-content-store.js';
import { HELD_CHUNKS } from '../../src/adapters/files/journaled-download.js';
import {
  JournaledPartialDownloads,
  type JournaledPartialDownloadsOptions,
} from '../../src/adapters/files/journaled-partial-downloads.js';
import { ChunkMismatch, StorageFull } from '../../src/application/files/file-errors.js';
import type { FileRecord } from '../../src/domain/file-record.js';
import { fileRecordOf, sha256Hex } from '../support/file-records.js';

const CHUNK = 1024;
const sha = sha256Hex;

const recordOf = (bytes: Buffer): FileRecord =>
  fileRecordOf(bytes, { name: 'f.bin', owner: 'alice@a', chunkSize: CHUNK });

/** Splits bytes into pieces of the given sizes, repeating the pattern (a stream cut anywhere). */
function pieces(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(options: JournaledPartialDownloadsOptions = {}) {
  const root = mkdtempSync(join(tmpdir(), 'meshchat-partial-'));
  dirs.push(root);
  const store = new DiskContentStore(root);
  let digests = 0;
  const partials = new JournaledPartialDownloads(store, {
    chunkDigest: (parts) => {
      digests++;
      const hash = createHash('sha256');
      for (const part of parts) hash.update(part);
      return hash.digest('hex');
    },
    ...options,
  });
  return { root, store, partials, digests: () => digests };
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

describe('JournaledPartialDownloads', () => {
  it('checks each chunk as pieces of any size stream in, then puts the whole under its id', async () => {
    const { store, partials } = setup();
    const bytes = randomBytes(5 * CHUNK + 7);
    const record = recordOf(bytes);
    const download = await partials.open(record);
    const seen: number[] = [];
    for (const piece of pieces(bytes, [1, 700, 3000, 13])) {
      await download.append(piece);
      seen.push(download.verified);
    }
    // Verified only moves to chunk ends (or the end of the last, short chunk), never backwards.
    expect(seen.every((v) => v % CHUNK === 0 || v === bytes.length)).toBe(true);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(seen.at(-1)).toBe(bytes.length);
    expect(await readAll(download.read(1000, 2100))).toEqual(bytes.subarray(1000, 2101));
    await download.finish();
    expect(readFileSync(store.pathOf(record.id))).toEqual(bytes);
    expect(readdirSync(partials.dir)).toEqual([]);
    // Readers still get their bytes once the file moved into the store.
    expect(await readAll(download.read(0, bytes.length - 1))).toEqual(bytes);
  });

  it('a bad chunk is refused, verified stays, and the right bytes after it are taken', async () => {
    const { store, partials } = setup();
    const bytes = randomBytes(3 * CHUNK);
    const record = recordOf(bytes);
    const download = await partials.open(record);
    await download.append(bytes.subarray(0, CHUNK + 10));
    const bad = Buffer.from(bytes.subarray(CHUNK + 10, 2 * CHUNK));
    bad[5] = (bad[5] ?? 0) ^ 0xff;
    await expect(download.append(bad)).rejects.toEqual(new ChunkMismatch(1));
    expect(download.verified).toBe(CHUNK);
    expect(await readAll(download.read(0, CHUNK - 1))).toEqual(bytes.subarray(0, CHUNK));
    await download.append(bytes.subarray(CHUNK));
    await download.finish();
    expect(readFileSync(store.pathOf(record.id))).toEqual(bytes);
  });

  it('after a crash, a new open resumes from the journal and checks no verified chunk again', async () => {
    const first = setup();
    const bytes = randomBytes(4 * CHUNK + 1);
    const record = recordOf(bytes);
    const crashed = await first.partials.open(record);
    await crashed.append(bytes.subarray(0, 2 * CHUNK + 500));
    expect(crashed.verified).toBe(2 * CHUNK);
    expect(first.digests()).toBe(2);
    // Verified chunks reach the disk and the journal shortly after `append` (a queue): once they did, the
    // process dies here: nothing is closed or flushed by the download itself.
    await crashed.written();
    const again = new JournaledPartialDownloads(first.store, {
      chunkDigest: (parts) => {
        count++;
        const hash = createHash('sha256');
        for (const part of parts) hash.update(part);
        return hash.digest('hex');
      },
    });
    let count = 0;
    const resumed = await again.open(record);
    expect(resumed.verified).toBe(2 * CHUNK);
    await resumed.append(bytes.subarray(2 * CHUNK));
    expect(count).toBe(3);
    await resumed.finish();
    expect(sha(readFileSync(first.store.pathOf(record.id)))).toBe(record.id);
  });

  it('verified chunks are readable from memory while their writes wait; append waits once too many are held', async () => {
    // The partial file's writes wait for the test to let them through; the journal is a real file.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { store, partials } = setup({
      openFile: async (path) => {
        const real = await open(path, existsSync(path) ? 'r+' : 'w+');
        if (!path.endsWith('.part')) return real;
        return {
          write: async (...args) => {
            await gate;
            return real.write(...args);
          },
          writev: async (buffers, position) => {
            await gate;
            return real.writev(buffers, position);
          },
          sync: () => real.sync(),
          close: () => real.close(),
        };
      },
    });
    const bytes = randomBytes((HELD_CHUNKS + 3) * CHUNK);
    const record = recordOf(bytes);
    const download = await partials.open(record);
    await download.append(bytes.subarray(0, 3 * CHUNK));
    expect(download.verified).toBe(3 * CHUNK);
    // Nothing is on disk or journaled yet, and the verified bytes are there for readers.
    expect(await readAll(download.read(0, 3 * CHUNK - 1))).toEqual(bytes.subarray(0, 3 * CHUNK));
    const journal = join(partials.dir, `${record.id}.journal`);
    expect(readFileSync(journal).includes(1)).toBe(false);
    // The rest is more than can be held while nothing is written: append waits for the disk.
    let appended = false;
    const rest = Promise.resolve(download.append(bytes.subarray(3 * CHUNK))).then(() => {
      appended = true;
    });
    await vi.waitFor(() => expect(download.verified).toBe((HELD_CHUNKS + 1) * CHUNK));
    expect(appended).toBe(false);
    release();
    await rest;
    await download.written();
    expect([...readFileSync(journal).subarray(-(HELD_CHUNKS + 3))]).toEqual(
      new Array(HELD_CHUNKS + 3).fill(1),
    );
    await download.finish();
    expect(readFileSync(store.pathOf(record.id))).toEqual(bytes);
  });

  it('a journal of another size or chunk size is not trusted: the download starts over', async () => {
    const { partials } = setup();
    const bytes = randomBytes(2 * CHUNK);
    const record = recordOf(bytes);
    const one = await partials.open(record);
    await one.append(bytes.subarray(0, CHUNK));
    const journal = join(partials.dir, `${record.id}.journal`);
    const text = readFileSync(journal, 'latin1');
    expect(text.startsWith(`meshchat-partial 1 ${2 * CHUNK} ${CHUNK}\n`)).toBe(true);
    const other = await partials.open({ ...record, size: 2 * CHUNK - 1 });
    expect(other.verified).toBe(0);
  });

  it('bytes that match every chunk but not the id leave nothing behind', async () => {
    const { store, partials } = setup();
    const bytes = randomBytes(CHUNK + 3);
    const record = { ...recordOf(bytes), id: 'ab'.repeat(32) };
    const download = await partials.open(record);
    await download.append(bytes);
    await expect(download.finish()).rejects.toEqual(new ChunkMismatch(-1));
    expect(existsSync(store.pathOf(record.id))).toBe(false);
    expect(readdirSync(partials.dir)).toEqual([]);
  });

  it('too little room is refused before a byte is written, and a disk that fills leaves no file', async () => {
    const small = setup({ freeBytes: async () => 10 });
    const record = recordOf(randomBytes(CHUNK));
    await expect(small.partials.open(record)).rejects.toBeInstanceOf(StorageFull);
    expect(readdirSync(small.partials.dir)).toEqual([]);

    const full = setup({
      // The partial file's writes fail as on a full disk; the journal is a real file.
      openFile: async (path) =>
        path.endsWith('.part')
          ? {
              write: async () => {
                throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
              },
              writev: async () => {
                throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
              },
              sync: async () => {},
              close: async () => {},
            }
          : open(path, 'w+'),
    });
    const bytes = randomBytes(2 * CHUNK);
    const download = await full.partials.open(recordOf(bytes));
    // The write is queued: the failure comes with the next `append`, or with `written()` after the last one.
    await expect(
      Promise.resolve(download.append(bytes)).then(() => download.written()),
    ).rejects.toBeInstanceOf(StorageFull);
    expect(readdirSync(full.partials.dir)).toEqual([]);
    expect(existsSync(full.store.pathOf(sha(bytes)))).toBe(false);
  });

  it('sweep removes partial downloads left alone too long, except running ones', async () => {
    const { partials } = setup();
    const a = recordOf(randomBytes(CHUNK));
    const b = recordOf(randomBytes(CHUNK));
    await partials.open(a);
    await partials.open(b);
    expect(await partials.sweep(60_000, new Set())).toBe(0);
    expect(await partials.sweep(-1, new Set([a.id]))).toBe(2);
    expect(readdirSync(partials.dir).sort()).toEqual([`${a.id}.journal`, `${a.id}.part`].sort());
  });
});
