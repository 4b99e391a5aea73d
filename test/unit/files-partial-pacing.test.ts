// Readers pace the source of a journaled partial download: a written chunk a reader has yet to send stays in
// memory and `append` waits for that reader (so it never falls behind to read the partial file back), but a
// stalled reader holds the source only `readerWaitMs`, and two readers at once do not pace it at all.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiskContentStore } from '../../src/adapters/files/disk-content-store.js';
import { HELD_CHUNKS } from '../../src/adapters/files/journaled-download.js';
import { JournaledPartialDownloads } from '../../src/adapters/files/journaled-partial-downloads.js';
import { fileRecordOf } from '../support/file-records.js';

const CHUNK = 1024;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function opened(readerWaitMs: number, chunks = HELD_CHUNKS + 4) {
  const root = mkdtempSync(join(tmpdir(), 'meshchat-pacing-'));
  dirs.push(root);
  const store = new DiskContentStore(root);
  const partials = new JournaledPartialDownloads(store, { readerWaitMs });
  const bytes = randomBytes(chunks * CHUNK);
  const record = fileRecordOf(bytes, { name: 'f.bin', owner: 'alice@a', chunkSize: CHUNK });
  const download = await partials.open(record);
  return { store, record, bytes, download };
}

/** Appends `bytes`; `done()` tells whether the append finished. */
function appending(download: { append(piece: Uint8Array): Promise<void> | undefined }, bytes: Buffer) {
  let finished = false;
  const promise = Promise.resolve(download.append(bytes)).then(() => {
    finished = true;
  });
  return { promise, done: () => finished };
}

describe('JournaledDownload: readers pace the source', () => {
  it('a reader that has not taken its chunk holds the source back; taking it lets the source on', async () => {
    const { store, record, bytes, download } = await opened(60_000);
    await download.append(bytes.subarray(0, CHUNK));
    const reader = download.read(0, CHUNK - 1)[Symbol.asyncIterator]();
    const first = await reader.next();
    expect(Buffer.from(first.value as Uint8Array)).toEqual(bytes.subarray(0, CHUNK));
    // The reader still sends chunk 0 (it has not asked for more): chunk 0 stays, so the source stops once the
    // chunks held pass the bound, even with every one of them written.
    const rest = appending(download, bytes.subarray(CHUNK));
    await vi.waitFor(() => expect(download.verified).toBe((HELD_CHUNKS + 1) * CHUNK));
    await download.written();
    expect(rest.done()).toBe(false);
    expect(download.verified).toBe((HELD_CHUNKS + 1) * CHUNK);
    // The reader moves on (and ends): the source goes on to the end.
    expect((await reader.next()).done).toBe(true);
    await rest.promise;
    expect(download.verified).toBe(bytes.length);
    await download.finish();
    expect(readFileSync(store.pathOf(record.id))).toEqual(bytes);
  });

  it('a reader that stalls holds the source only readerWaitMs, then reads what it missed from the disk', async () => {
    const { bytes, download } = await opened(50);
    await download.append(bytes.subarray(0, 2 * CHUNK));
    const reader = download.read(0, 2 * CHUNK - 1)[Symbol.asyncIterator]();
    await reader.next();
    // Nothing else happens while the reader stalls: the wait ends and the source runs to the end.
    await appending(download, bytes.subarray(2 * CHUNK)).promise;
    expect(download.verified).toBe(bytes.length);
    await download.written();
    // Chunk 1 left memory meanwhile: the reader gets it from the partial file, whole and right.
    const next = await reader.next();
    expect(Buffer.from(next.value as Uint8Array)).toEqual(bytes.subarray(CHUNK, 2 * CHUNK));
    expect((await reader.next()).done).toBe(true);
    await download.release();
  });

  it('two readers at once do not pace the source: neither can hold back a transfer both share', async () => {
    const { store, record, bytes, download } = await opened(60_000);
    await download.append(bytes.subarray(0, CHUNK));
    const one = download.read(0, CHUNK - 1)[Symbol.asyncIterator]();
    const two = download.read(0, CHUNK - 1)[Symbol.asyncIterator]();
    await one.next();
    await two.next();
    await appending(download, bytes.subarray(CHUNK)).promise;
    expect(download.verified).toBe(bytes.length);
    await one.return?.();
    await two.return?.();
    await download.finish();
    expect(readFileSync(store.pathOf(record.id))).toEqual(bytes);
  });
});
