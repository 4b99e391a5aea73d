// `meshchat get` stopped with Ctrl-C (SIGINT to the real CLI process) while its download is under way: it says
// in one line what it kept and how to go on, exits 130, and keeps exactly the verified chunks in PATH.part; the
// same command run again resumes from there and saves the file. The node is a small HTTP server on 127.0.0.1
// that serves a file's record and its first chunk, then holds the answer open, so the stop always lands mid-file.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, runCliToEnd } from '../support/processes.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const CHUNK = 1024;
const content = Buffer.from(Array.from({ length: 3 * CHUNK + 100 }, (_, i) => (i * 7) % 251));
const chunks: string[] = [];
for (let at = 0; at < content.length; at += CHUNK) chunks.push(sha(content.subarray(at, at + CHUNK)));
const id = sha(content);
/** A file whose record the server never sends. */
const SILENT = 'ab'.repeat(32);
const record = {
  id,
  name: 'held.bin',
  owner: 'alice@a',
  type: 'application/octet-stream',
  size: content.length,
  chunkSize: CHUNK,
  chunks,
};

let server: Server;
let url: string;
let dir: string;
/** Whether the server sends the whole rest of the file, or holds after the first chunk. */
let holding = true;
const held: ServerResponse[] = [];
/** Record requests for SILENT, left unanswered. */
const silent: ServerResponse[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshchat-get-stop-'));
  server = createServer((req, res) => {
    if (req.url === `/files/${SILENT}/record`) {
      silent.push(res); // a node that never answers
      return;
    }
    if (req.url === `/files/${id}/record`) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ file: record }));
      return;
    }
    if (req.url !== `/files/${id}`) {
      res.writeHead(404).end();
      return;
    }
    const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    const headers = { 'content-type': 'application/octet-stream', etag: `"${id}"` };
    if (from > 0) {
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${from}-${content.length - 1}/${content.length}`,
      });
    } else res.writeHead(200, { ...headers, 'content-length': String(content.length) });
    if (holding) {
      res.write(content.subarray(from, from + CHUNK));
      held.push(res);
    } else res.end(content.subarray(from));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of [...held, ...silent]) res.destroy();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('meshchat get, stopped with Ctrl-C', () => {
  it('says what it kept, exits 130, and resumes from there when run again', async () => {
    const output = join(dir, 'held.bin');
    const part = `${output}.part`;
    const get = runCli(['get', id, '--node', url, '-o', output]);
    await vi.waitFor(() => expect(existsSync(part) && statSync(part).size).toBe(CHUNK), { timeout: 10_000 });
    get.child.kill('SIGINT');
    expect(await get.exited).toBe(130);
    expect(get.stderr()).toContain(
      `meshchat get: stopped; the 1.0 KiB verified so far are kept in ${part}; run the same command to resume`,
    );
    expect(statSync(part).size).toBe(CHUNK);
    expect(existsSync(output)).toBe(false);

    holding = false;
    const again = await runCliToEnd(['get', id, '--node', url, '-o', output]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('resuming');
    expect(sha(readFileSync(output))).toBe(id);
    expect(existsSync(part)).toBe(false);
  });

  it('stops at once while it still waits for the record, and SIGTERM exits 143', async () => {
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const output = join(dir, `silent-${signal}.bin`);
      const get = runCli(['get', SILENT, '--node', url, '-o', output]);
      await vi.waitFor(() => expect(silent.length).toBe(1), { timeout: 10_000 });
      get.child.kill(signal);
      expect(await get.exited).toBe(code);
      expect(get.stderr()).toContain('meshchat get: stopped before the download began; nothing was written');
      expect(existsSync(`${output}.part`)).toBe(false);
      for (const res of silent.splice(0)) res.destroy();
    }
  });
});
