// While a download is open, V8 may grow the heap more between full collections (`heap-growth.ts`: a node
// passing a file on otherwise ran a full collection every 8 MiB or so it received). The holds are counted
// across downloads, every way a download ends releases its hold, and a process started with its own
// `--heap-growing-percent` keeps it.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskContentStore } from '../../src/adapters/files/disk-content-store.js';
import { HeapGrowthHolds, TRANSFER_HEAP_GROWING_PERCENT } from '../../src/adapters/files/heap-growth.js';
import { JournaledPartialDownloads } from '../../src/adapters/files/journaled-partial-downloads.js';
import { fileRecordOf } from '../support/file-records.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('HeapGrowthHolds', () => {
  it('sets the flag for the first hold and resets it after the last release, once per release', () => {
    const calls: string[] = [];
    const holds = new HeapGrowthHolds((flags) => calls.push(flags), []);
    const first = holds.hold();
    const second = holds.hold();
    expect(calls).toEqual([`--heap-growing-percent=${TRANSFER_HEAP_GROWING_PERCENT}`]);
    first();
    first();
    expect(holds.holds).toBe(1);
    expect(calls).toHaveLength(1);
    second();
    expect(holds.holds).toBe(0);
    expect(calls).toEqual([
      `--heap-growing-percent=${TRANSFER_HEAP_GROWING_PERCENT}`,
      '--heap-growing-percent=0',
    ]);
    holds.hold();
    expect(calls).toHaveLength(3);
  });

  it("leaves a process's own --heap-growing-percent alone", () => {
    for (const arg of ['--heap-growing-percent=300', '--heap_growing_percent=300']) {
      const calls: string[] = [];
      const holds = new HeapGrowthHolds((flags) => calls.push(flags), ['--max-old-space-size=512', arg]);
      holds.hold()();
      expect(calls).toEqual([]);
    }
  });
});

describe('JournaledPartialDownloads: the heap growth hold', () => {
  it('is held while a download is open and released when it finishes, is discarded or is released', async () => {
    const root = mkdtempSync(join(tmpdir(), 'meshchat-heap-growth-'));
    dirs.push(root);
    const store = new DiskContentStore(root);
    const calls: string[] = [];
    const holds = new HeapGrowthHolds((flags) => calls.push(flags), []);
    const partials = new JournaledPartialDownloads(store, { holdHeapGrowth: () => holds.hold() });
    const chunk = 16 * 1024;
    const files = [0, 1, 2].map(() => randomBytes(3 * chunk));
    const bytesOf = (n: number) => files[n] as Buffer;
    const [finished, discarded, released] = await Promise.all(
      files.map((bytes, n) => partials.open(fileRecordOf(bytes, { name: `f${n}.bin`, chunkSize: chunk }))),
    );
    expect(holds.holds).toBe(3);
    expect(calls).toHaveLength(1);

    await finished?.append(bytesOf(0));
    await finished?.finish();
    await finished?.release();
    expect(holds.holds).toBe(2);
    await discarded?.append(bytesOf(1).subarray(0, chunk));
    await discarded?.discard();
    expect(holds.holds).toBe(1);
    await released?.append(bytesOf(2).subarray(0, chunk));
    await released?.release();
    expect(holds.holds).toBe(0);
    expect(calls).toEqual([
      `--heap-growing-percent=${TRANSFER_HEAP_GROWING_PERCENT}`,
      '--heap-growing-percent=0',
    ]);
  });
});
