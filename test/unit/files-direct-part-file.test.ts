// The partial file written with O_DIRECT (`DirectPartFile`): chunks at aligned offsets reach the file intact, a
// last chunk that ends mid-block is padded and cut back by `truncate`, unaligned offsets and a file system that
// refuses direct writes go through an ordinary handle with the same result; and a download that was killed
// after its padded last chunk was written and journaled finishes, once resumed, with exactly its bytes.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DIRECT_ALIGN,
  DirectPartFile,
  openDirectPart,
  openForWriting,
} from '../../src/adapters/files/direct-part-file.js';
import { DiskContentStore } from '../../src/adapters/files/disk-content-store.js';
import { JournaledPartialDownloads } from '../../src/adapters/files/journaled-partial-downloads.js';
import type { FileRecord } from '../../src/domain/file-record.js';
import { fileRecordOf, sha256Hex } from '../support/file-records.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-direct-'));
  dirs.push(dir);
  return dir;
}

/** A 4 MiB staging buffer like the one `openDirectPart` makes (the test's does not need to be aligned). */
const staging = () => Buffer.alloc(4 * 1024 * 1024);

describe('DirectPartFile', () => {
  it('writes aligned chunks and a padded last one; truncate leaves exactly the bytes', async () => {
    const path = join(tempDir(), 'f.part');
    const file = await openDirectPart(path);
    const chunk = 64 * 1024;
    const bytes = randomBytes(5 * chunk + 1234);
    // Several chunks in one call (more than the staging buffer holds when large), then the short last one.
    await file.writev([bytes.subarray(0, 2 * chunk), bytes.subarray(2 * chunk, 4 * chunk)], 0);
    await file.writev([bytes.subarray(4 * chunk)], 4 * chunk);
    await file.truncate?.(bytes.length);
    await file.sync();
    await file.close();
    expect(readFileSync(path)).toEqual(bytes);
  });

  it('a batch larger than the staging buffer is written in pieces', async () => {
    const path = join(tempDir(), 'f.part');
    const file = await openDirectPart(path);
    const bytes = randomBytes(9 * 1024 * 1024 + 10);
    await file.writev([bytes], 0);
    await file.truncate?.(bytes.length);
    await file.close();
    expect(sha256Hex(readFileSync(path))).toBe(sha256Hex(bytes));
  });

  it('an unaligned offset goes through an ordinary handle, and the views agree', async () => {
    const path = join(tempDir(), 'f.part');
    let opened = 0;
    const direct = await open(path, 'w+');
    const file = new DirectPartFile(path, direct, staging(), async (p) => {
      opened++;
      return openForWriting(p);
    });
    const bytes = randomBytes(3 * DIRECT_ALIGN);
    await file.writev([bytes.subarray(0, DIRECT_ALIGN)], 0);
    expect(opened).toBe(0);
    await file.writev([bytes.subarray(DIRECT_ALIGN, DIRECT_ALIGN + 100)], DIRECT_ALIGN);
    await file.write(bytes, DIRECT_ALIGN + 100, 2 * DIRECT_ALIGN - 100, DIRECT_ALIGN + 100);
    expect(opened).toBe(1);
    expect(file.direct).toBe(true);
    await file.truncate(bytes.length);
    await file.close();
    expect(readFileSync(path)).toEqual(bytes);
  });

  it('a direct write the file system refuses is done the usual way, and so is every later one', async () => {
    const path = join(tempDir(), 'f.part');
    const real = await open(path, 'w+');
    const refusing = {
      write: async () => {
        throw Object.assign(new Error('invalid argument'), { code: 'EINVAL' });
      },
      truncate: (length: number) => real.truncate(length),
      datasync: () => real.datasync(),
      close: () => real.close(),
    } as unknown as FileHandle;
    const file = new DirectPartFile(path, refusing, staging());
    const bytes = randomBytes(2 * DIRECT_ALIGN + 7);
    await file.writev([bytes.subarray(0, DIRECT_ALIGN)], 0);
    expect(file.direct).toBe(false);
    await file.writev([bytes.subarray(DIRECT_ALIGN)], DIRECT_ALIGN);
    await file.sync();
    await file.close();
    expect(readFileSync(path)).toEqual(bytes);
  });

  it('another write error is the caller’s (a full disk is reported, not hidden)', async () => {
    const path = join(tempDir(), 'f.part');
    const full = {
      write: async () => {
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
      close: async () => {},
    } as unknown as FileHandle;
    const file = new DirectPartFile(path, full, staging());
    await expect(file.writev([randomBytes(DIRECT_ALIGN)], 0)).rejects.toMatchObject({ code: 'ENOSPC' });
    // The queue is not stuck on the failure.
    await expect(file.writev([randomBytes(DIRECT_ALIGN)], 0)).rejects.toMatchObject({ code: 'ENOSPC' });
    await file.close();
  });
});

describe('JournaledPartialDownloads with direct writes', () => {
  const CHUNK = 2 * DIRECT_ALIGN;
  const recordOf = (bytes: Buffer): FileRecord =>
    fileRecordOf(bytes, { name: 'f.bin', owner: 'alice@a', chunkSize: CHUNK });

  it('a download killed after its padded last chunk was journaled resumes to exactly its bytes', async () => {
    const root = tempDir();
    const store = new DiskContentStore(root);
    const bytes = randomBytes(3 * CHUNK + 100);
    const record = recordOf(bytes);
    const first = await new JournaledPartialDownloads(store).open(record);
    await first.append(bytes);
    expect(first.verified).toBe(bytes.length);
    // Written and journaled, not finished: the process dies here. The last block was padded past the end.
    await first.written();
    const part = join(root, 'partial', `${record.id}.part`);
    expect(statSync(part).size).toBeGreaterThanOrEqual(bytes.length);
    const resumed = await new JournaledPartialDownloads(store).open(record);
    expect(resumed.verified).toBe(bytes.length);
    await resumed.finish();
    expect(readFileSync(store.pathOf(record.id))).toEqual(bytes);
    expect(existsSync(part)).toBe(false);
  });

  it('a partial file longer than the record (old padding) is cut to the size when the download finishes', async () => {
    const root = tempDir();
    const store = new DiskContentStore(root);
    const bytes = randomBytes(2 * CHUNK + 1);
    const record = recordOf(bytes);
    const download = await new JournaledPartialDownloads(store).open(record);
    await download.append(bytes.subarray(0, CHUNK));
    await download.written();
    // Stale bytes past the end, as a killed process that padded a block (or wrote more) leaves them.
    const part = join(root, 'partial', `${record.id}.part`);
    writeFileSync(part, Buffer.concat([bytes.subarray(0, CHUNK), Buffer.alloc(3 * CHUNK, 0xff)]));
    await download.append(bytes.subarray(CHUNK));
    await download.finish();
    expect(readFileSync(store.pathOf(record.id))).toEqual(bytes);
  });
});
