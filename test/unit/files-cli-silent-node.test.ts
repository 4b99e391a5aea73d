// A node that takes the connection and then says nothing (stopped with SIGSTOP, hung): the file commands give
// up with one sentence instead of waiting forever. Real servers on 127.0.0.1, with the waits shortened.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeCallFailed, nodeAnswer } from '../../src/cli/files/node-call.js';
import { upload } from '../../src/cli/files/upload.js';
import { verifiedDownload } from '../../src/cli/files/verified-download.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const CHUNK = 1024 * 1024;

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function listening(server: Server | NetServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Accepts connections, reads what comes, never writes a byte. */
async function silentServer(): Promise<string> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', () => {});
  });
  closers.push(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return listening(server);
}

/** A directory removed after the test. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-silent-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Answers `record`'s record route; every other request goes to `content`, which may keep its response open
 * (`hold`: released, destroyed, after the test).
 */
async function recordServer(
  record: { readonly id: string },
  content: (response: ServerResponse, hold: (release: () => void) => void) => void,
): Promise<string> {
  const held: (() => void)[] = [];
  const server = createHttpServer((request, response) => {
    if (request.url === `/files/${record.id}/record`) {
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify({ file: record }));
    } else content(response, (release) => held.push(release));
  });
  closers.push(() => {
    for (const release of held) release();
    server.close();
  });
  return listening(server);
}

const out = { write: () => true };

/** How `meshchat get` of `id` from `url` into `output` fails, with its silence limit at 1 s: the sentence. */
async function downloadFailure(url: string, id: string, output: string): Promise<string> {
  const failed = await verifiedDownload({
    node: new URL(url),
    id,
    output,
    progress: out,
    notes: out,
    idleMs: 1000,
  }).then(
    () => expect.unreachable('the download should have failed'),
    (e: unknown) => e,
  );
  expect(failed).toBeInstanceOf(NodeCallFailed);
  return (failed as Error).message;
}

/** The record a node would give `content`, in 1 MiB chunks. */
function recordOf(content: Buffer, name: string) {
  const chunks: string[] = [];
  for (let at = 0; at < content.length; at += CHUNK) chunks.push(sha(content.subarray(at, at + CHUNK)));
  const size = content.length;
  return {
    id: sha(content),
    name,
    owner: 'a@b',
    type: 'application/octet-stream',
    size,
    chunkSize: CHUNK,
    chunks,
  };
}

describe('a node that takes the connection and never answers', () => {
  it('a JSON call (files, get OWNER/NAME, the record) gives up after its deadline with one sentence', async () => {
    const url = await silentServer();
    const started = Date.now();
    const failed = await nodeAnswer(new URL('/files', url), {}, () => true, 1000).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(NodeCallFailed);
    expect((failed as Error).message).toBe(
      `${url} took the connection but did not answer GET /files within 1 s (is the node stopped or overloaded?); try again later`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 10_000);

  it('a download whose node stops sending mid-file gives up, keeping the verified chunks to resume', async () => {
    const content = randomBytes(CHUNK + 1000);
    const record = recordOf(content, 'half.bin');
    const { id } = record;
    const url = await recordServer(record, (response, hold) => {
      // The first chunk, then nothing more: the process froze.
      response.writeHead(200, { 'Content-Length': String(content.length) });
      response.write(content.subarray(0, CHUNK));
      hold(() => response.destroy());
    });
    const target = join(tempDir(), 'half.bin');
    expect(await downloadFailure(url, id, target)).toBe(
      `${url} sent nothing for 1 s in the middle of the file (is the node stopped or overloaded?); the 1.0 MiB ` +
        'verified so far are kept; run the same command to resume',
    );
    expect(statSync(`${target}.part`).size).toBe(CHUNK);
    expect(readFileSync(`${target}.part`).equals(content.subarray(0, CHUNK))).toBe(true);
  }, 10_000);

  it('a download whose node never sends its headers gives up the same way', async () => {
    const record = recordOf(randomBytes(10), 'x.bin');
    const { id } = record;
    const url = await recordServer(record, (response, hold) => hold(() => response.destroy()));
    expect(await downloadFailure(url, id, join(tempDir(), 'x.bin'))).toBe(
      `${url} sent nothing for 1 s after the download was asked for (is the node stopped or overloaded?); run the ` +
        'same command to resume',
    );
  }, 10_000);
});

describe('publish to a node that takes the connection and never answers', () => {
  it('gives up after its deadline with one sentence', async () => {
    const url = await silentServer();
    const file = join(tempDir(), 'up.bin');
    writeFileSync(file, randomBytes(4096));
    const failed = await upload(new URL('/files?name=up.bin', url), file, 4096, 'token', 1000).catch(
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(NodeCallFailed);
    expect((failed as Error).message).toBe(
      `${url} sent nothing and took nothing for 1 s (is the node stopped or overloaded?); try again later`,
    );
  }, 10_000);
});
