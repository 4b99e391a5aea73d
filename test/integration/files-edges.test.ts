// The edge cases of publishing and downloading on a real node on 127.0.0.1 (a random port), over HTTP: sizes
// around the chunk size, unicode names, names that try to be paths, and a disk that fills mid-upload (a content
// store whose staging files fail with ENOSPC past a few MiB, as a tiny tmpfs would): a clear error, no partial
// file, and the files already there still served.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskContentStore, type StagingFile } from '../../src/adapters/files/disk-content-store.js';
import type { FileRecord } from '../../src/domain/file-record.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { registerAndLogin } from '../support/accounts-http.js';
import { stopAll } from '../support/nodes.js';
import { startWiredTestNode } from '../support/wired-nodes.js';

const PASSWORD = 'correct horse battery';
const MiB = 1024 * 1024;
interface ErrorBody {
  readonly code: string;
  readonly message: string;
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Staging files on a disk of `capacity` bytes in all: a write past it fails like a full file system. */
function tinyDisk(capacity: number): (path: string) => Promise<StagingFile> {
  let used = 0;
  return async (path) => {
    const file = await open(path, 'wx');
    return {
      async write(bytes) {
        if (used + bytes.length > capacity)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        used += bytes.length;
        return file.write(bytes);
      },
      sync: () => file.sync(),
      close: () => file.close(),
    };
  };
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('publishing and downloading on a real node: edge cases', () => {
  const nodes: MeshNode[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await stopAll(nodes);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function start(capacity = Number.MAX_SAFE_INTEGER) {
    const root = join(mkdtempSync(join(tmpdir(), 'meshchat-edges-')), 'files');
    dirs.push(dirname(root));
    const store = new DiskContentStore(root, { createFile: tinyDisk(capacity) });
    const { node } = await startWiredTestNode('edges', { fileContent: store });
    nodes.push(node);
    const { token } = await registerAndLogin(node.url, 'alice', PASSWORD);
    const publish = async (name: string, body: Buffer) => {
      const answer = await fetch(`${node.url}/files?name=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body,
        signal: AbortSignal.timeout(20_000),
      });
      // One of the two, by the status; both typed here so an assertion reads either.
      return { status: answer.status, body: (await answer.json()) as { file: FileRecord; error: ErrorBody } };
    };
    const download = async (id: string, headers: Record<string, string> = {}) => {
      const answer = await fetch(`${node.url}/files/${id}`, { headers, signal: AbortSignal.timeout(20_000) });
      return {
        status: answer.status,
        headers: answer.headers,
        bytes: Buffer.from(await answer.arrayBuffer()),
      };
    };
    return { node, root, publish, download };
  }

  it('0-byte, 1-byte, exactly-one-chunk and chunk-plus-one files: chunks 0, 1, 1, 2, served whole and by range', async () => {
    const { publish, download } = await start();
    const contents = [Buffer.alloc(0), randomBytes(1), randomBytes(MiB), randomBytes(MiB + 1)];
    const expectedChunks = [0, 1, 1, 2];
    for (const [i, bytes] of contents.entries()) {
      const { status, body } = await publish(`size-${i}.bin`, bytes);
      expect(status).toBe(201);
      expect(body.file).toMatchObject({ id: sha(bytes), size: bytes.length, chunkSize: MiB });
      expect(body.file.chunks).toHaveLength(expectedChunks[i] as number);
      const got = await download(sha(bytes));
      expect(got.status).toBe(200);
      expect(got.headers.get('content-length')).toBe(String(bytes.length));
      expect(sha(got.bytes)).toBe(sha(bytes));
    }
    // The byte past the first chunk alone, and the last byte of the one-chunk file.
    const plusOne = contents[3] as Buffer;
    const tail = await download(sha(plusOne), { range: `bytes=${MiB}-` });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes ${MiB}-${MiB}/${MiB + 1}`);
    expect(tail.bytes).toEqual(plusOne.subarray(MiB));
    const last = await download(sha(contents[2] as Buffer), { range: 'bytes=-1' });
    expect(last.bytes).toEqual((contents[2] as Buffer).subarray(MiB - 1));
    // Nothing to send for the empty file's range: 416, with its size.
    expect((await download(sha(contents[0] as Buffer), { range: 'bytes=0-' })).status).toBe(416);
  });

  it('unicode names are kept in NFC, found without accents, and sent encoded in Content-Disposition', async () => {
    const { node, publish, download } = await start();
    const bytes = randomBytes(100);
    // "e" + combining acute: stored as the single "é" (NFC).
    const { status, body } = await publish('cafe\u0301 ☕ 日本語 «notes».txt', bytes);
    expect(status).toBe(201);
    expect(body.file.name).toBe('café ☕ 日本語 «notes».txt');
    const found = await fetch(`${node.url}/files?q=cafe`);
    expect(((await found.json()) as { files: { id: string }[] }).files.map((f) => f.id)).toEqual([
      sha(bytes),
    ]);
    const got = await download(sha(bytes));
    expect(got.headers.get('content-disposition')).toContain(
      `filename*=UTF-8''${encodeURIComponent('café ☕ 日本語 «notes».txt').replaceAll("'", '%27')}`,
    );
    expect(sha(got.bytes)).toBe(sha(bytes));
  });

  it('a name with ../ (or any separator, or . and ..) is 400 invalid_file_name, and nothing is written', async () => {
    const { root, publish } = await start();
    for (const name of [
      '../escape.txt',
      '../../etc/passwd',
      'a/../b',
      '..\\escape.txt',
      '..',
      '.',
      'dir/x',
    ]) {
      const { status, body } = await publish(name, Buffer.from('not a path'));
      expect(status, name).toBe(400);
      expect(body.error.code).toBe('invalid_file_name');
      expect(body.error.message).toContain('A file name cannot contain "/" or "\\", nor be "." or "..".');
    }
    expect(filesUnder(root)).toEqual([]);
    expect(readdirSync(dirname(root)).filter((n) => n !== 'files')).toEqual([]);
    // Dots that are not a path segment are a plain name.
    const { status, body } = await publish('..hidden...txt', Buffer.from('fine'));
    expect(status).toBe(201);
    expect(body.file.name).toBe('..hidden...txt');
  });

  it('a name or description whose percent-escapes are not UTF-8 is refused, not kept as its escapes', async () => {
    const { node, root } = await start();
    const { token } = await registerAndLogin(node.url, 'bob', PASSWORD);
    const raw = async (query: string) => {
      const answer = await fetch(`${node.url}/files?${query}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: Buffer.from(query),
      });
      return { status: answer.status, body: (await answer.json()) as { file: FileRecord; error: ErrorBody } };
    };
    for (const [query, code] of [
      ['name=%FF.txt', 'invalid_file_name'],
      ['name=caf%C3.txt', 'invalid_file_name'],
      ['name=ok.txt&description=%E2%82', 'invalid_description'],
    ] as const) {
      const { status, body } = await raw(query);
      expect(status, query).toBe(400);
      expect(body.error.code, query).toBe(code);
      expect(body.error.message, query).toMatch(/UTF-8/);
    }
    expect(filesUnder(root)).toEqual([]);
    // A well-formed escape, and a lone "%" that starts no escape, are the characters they stand for.
    const fine = await raw('name=100%25%20sure.txt&description=50%+off');
    expect(fine.status).toBe(201);
    expect(fine.body.file).toMatchObject({ name: '100% sure.txt', description: '50% off' });
  });

  it('a disk that fills mid-upload: 507 insufficient_storage with a sentence, no partial file, no record', async () => {
    const { root, publish, download } = await start(3 * MiB);
    const small = randomBytes(MiB);
    expect((await publish('small.bin', small)).status).toBe(201);
    const big = randomBytes(4 * MiB);
    const { status, body } = await publish('big.bin', big);
    expect(status).toBe(507);
    expect(body.error.code).toBe('insufficient_storage');
    expect(body.error.message).toMatch(/ran out of disk space.*nothing was kept/);
    // Only the small file's bytes: nothing staged left in uploads/, nothing under the big file's address.
    expect(filesUnder(root)).toEqual([join(sha(small).slice(0, 2), sha(small))]);
    expect((await download(sha(big))).status).toBe(404);
    expect(sha((await download(sha(small))).bytes)).toBe(sha(small));
  });
});
