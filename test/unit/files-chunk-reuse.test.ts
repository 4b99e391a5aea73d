// A fetching node reuses the buffer of a chunk that left memory, but only once every piece of it handed to a
// reader was released by its sender (`piece-release`): a piece no sender released keeps its bytes for good.
// And `sendNodeBody` releases each piece it writes from the socket write's callback.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiskContentStore } from '../../src/adapters/files/disk-content-store.js';
import { HELD_CHUNKS } from '../../src/adapters/files/journaled-download.js';
import { JournaledPartialDownloads } from '../../src/adapters/files/journaled-partial-downloads.js';
import { releaseWhenSent, takeRelease } from '../../src/adapters/files/piece-release.js';
import { sendNodeBody } from '../../src/adapters/http/send-node-body.js';
import { fileRecordOf } from '../support/file-records.js';

// Above Node's pool for small buffers, so every chunk has an ArrayBuffer of its own.
const CHUNK = 16 * 1024;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('JournaledDownload: chunk buffers reused only once sent', () => {
  it('reuses released chunks, never one with a piece still out, and every byte stays right', async () => {
    const root = mkdtempSync(join(tmpdir(), 'meshchat-reuse-'));
    dirs.push(root);
    const store = new DiskContentStore(root);
    const chunks = HELD_CHUNKS * 3;
    const bytes = randomBytes(chunks * CHUNK);
    const record = fileRecordOf(bytes, { name: 'f.bin', owner: 'alice@a', chunkSize: CHUNK });
    const download = await new JournaledPartialDownloads(store).open(record);
    const buffers: ArrayBufferLike[] = [];
    let kept: Uint8Array | undefined;
    for (let index = 0; index < chunks; index++) {
      const expected = bytes.subarray(index * CHUNK, (index + 1) * CHUNK);
      await download.append(expected);
      await download.written();
      const pieces: Uint8Array[] = [];
      for await (const piece of download.read(index * CHUNK, (index + 1) * CHUNK - 1)) pieces.push(piece);
      expect(pieces).toHaveLength(1);
      const piece = pieces[0] as Uint8Array;
      expect(Buffer.from(piece)).toEqual(expected);
      buffers.push(piece.buffer);
      // Chunk 0's piece is never released (as if its bytes were still on their way out); every other one is.
      const release = takeRelease(piece);
      expect(release).toBeTypeOf('function');
      if (index === 0) kept = piece;
      else release?.();
    }
    // Later chunks came in buffers of earlier ones, never in chunk 0's.
    expect(new Set(buffers).size).toBeLessThan(chunks);
    expect(buffers.slice(1)).not.toContain(buffers[0]);
    // The piece still out kept its bytes while everything else flowed through.
    expect(Buffer.from(kept as Uint8Array)).toEqual(bytes.subarray(0, CHUNK));
    await download.finish();
    expect(readFileSync(store.pathOf(record.id))).toEqual(bytes);
  });
});

describe('sendNodeBody', () => {
  it('releases each piece it writes once the socket is done with it', async () => {
    const released: number[] = [];
    const pieces = [randomBytes(64 * 1024), randomBytes(256 * 1024), randomBytes(10)];
    async function* body() {
      for (const [i, piece] of pieces.entries()) {
        releaseWhenSent(piece, () => released.push(i));
        yield piece;
      }
    }
    const server = createServer((_req, res) => {
      const c = { env: { outgoing: res } } as unknown as Context;
      sendNodeBody(c, 200, { 'content-type': 'application/octet-stream' }, body());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await fetch(`http://127.0.0.1:${port}/`);
      expect(Buffer.from(await answer.arrayBuffer())).toEqual(Buffer.concat(pieces));
      await vi.waitFor(() => expect(released.sort()).toEqual([0, 1, 2]));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
