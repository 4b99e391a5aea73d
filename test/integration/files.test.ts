// Files against a real `meshchat node` process on 127.0.0.1: the CLI publishes (streamed, with its
// Content-Length), lists and searches, and downloads with a resume from a prepared `.part` (a Range request
// with If-Range, shown in the node's audit trail), verifying the SHA-256; a file over --max-file-size is
// refused by its Content-Length over a real socket, with the node's answer read.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LINK_FRAME_BYTES } from '../../src/adapters/peers/link-frames.js';
import { WsPeerLink } from '../../src/adapters/peers/ws-peer-link.js';
import { DATABASE_FILE } from '../../src/adapters/storage/open-database.js';
import { readAuditTrail } from '../../src/adapters/storage/sqlite-audit-trail.js';
import { upload } from '../../src/cli/files/upload.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { callNode, registerAndLogin } from '../support/accounts-http.js';
import { cliNodes } from '../support/cli-nodes.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { runCliToEnd } from '../support/processes.js';

const PASSWORD = 'correct horse battery';
const MiB = 1024 * 1024;
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const work: string[] = [];
afterEach(() => {
  for (const dir of work.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-files-it-'));
  work.push(dir);
  return dir;
}

/** Runs a CLI command to its end (with a deadline) and returns its exit code and output. */
const cli = runCliToEnd;

describe('files on a real node, through the CLI', () => {
  const nodes = cliNodes();

  async function startNode() {
    const { dataDir } = await nodes.durable();
    const node = await nodes.startNode('files-a', { dataDir, extra: ['--max-file-size', '4M'] });
    await registerAndLogin(node.url, 'alice', PASSWORD);
    return { ...node, dataDir };
  }

  const downloads = (dataDir: string) => {
    const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
    try {
      return readAuditTrail(db).filter((r) => r.op === 'download');
    } finally {
      db.close();
    }
  };

  it('publishes, searches and downloads, resuming a partial file from its last verified chunk', async () => {
    const node = await startNode();
    const dir = workDir();
    const content = randomBytes(2 * MiB + 4321);
    const source = join(dir, 'café ☕ "notes".bin');
    writeFileSync(source, content);

    const published = await cli(
      ['publish', source, '--description', 'holiday photos', '--node', node.url, '--login', 'alice'],
      { MESHCHAT_PASSWORD: PASSWORD },
    );
    expect(published, published.stderr).toMatchObject({ code: 0 });
    expect(published.stdout).toContain(`as ${sha(content)}`);

    const found = await cli(['files', '--node', node.url, '--search', 'holiday', '--json']);
    expect(found.code).toBe(0);
    const lines = found.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; name: string });
    expect(lines).toEqual([expect.objectContaining({ id: sha(content), name: 'café ☕ "notes".bin' })]);
    const table = await cli(['files', '--node', node.url, '--user', 'alice@files-a']);
    expect(table.stdout).toMatch(/^ID +SIZE +OWNER/);
    expect(table.stdout).toContain('café ☕ "notes".bin');

    // A previous run kept two verified chunks, then a torn tail that must not be trusted.
    const target = join(dir, 'copy.bin');
    writeFileSync(`${target}.part`, Buffer.concat([content.subarray(0, 2 * MiB), Buffer.from('torn tail')]));
    const got = await cli(['get', sha(content), '--node', node.url, '-o', target]);
    expect(got, got.stderr).toMatchObject({ code: 0 });
    expect(got.stderr).toContain('resuming');
    expect(got.stdout).toContain('100%');
    expect(got.stdout).toContain('SHA-256 verified');
    expect(sha(readFileSync(target))).toBe(sha(content));
    expect(existsSync(`${target}.part`)).toBe(false);
    expect(downloads(node.dataDir).map((r) => r.object)).toEqual([
      `file ${sha(content)} bytes ${2 * MiB}-${content.length - 1}`,
    ]);

    // A .part whose first chunk is wrong is not resumed: the download starts over, and still verifies.
    const again = join(dir, 'again.bin');
    writeFileSync(`${again}.part`, Buffer.alloc(MiB + 10, 1));
    const fresh = await cli(['get', sha(content), '--node', node.url, '-o', again]);
    expect(fresh, fresh.stderr).toMatchObject({ code: 0 });
    expect(sha(readFileSync(again))).toBe(sha(content));
    expect(downloads(node.dataDir).at(-1)?.object).toBe(`file ${sha(content)} bytes 0-${content.length - 1}`);

    // By owner and name, into a directory: saved under the file's name.
    const into = workDir();
    const byName = await cli(['get', 'alice@files-a/café ☕ "notes".bin', '--node', node.url, '-o', into]);
    expect(byName, byName.stderr).toMatchObject({ code: 0 });
    expect(sha(readFileSync(join(into, 'café ☕ "notes".bin')))).toBe(sha(content));
    const unknown = await cli(['get', 'alice@files-a/nothing.txt', '--node', node.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('has no file named "nothing.txt"');

    // An existing destination is never overwritten.
    const refused = await cli(['get', sha(content), '--node', node.url, '-o', again]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already exists');
  });

  it('refuses a file over --max-file-size: the CLI before uploading, the node by its Content-Length', async () => {
    const node = await startNode();
    const dir = workDir();
    const big = join(dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(5 * MiB, 3));
    const cliRefusal = await cli(['publish', big, '--node', node.url, '--login', 'alice'], {
      MESHCHAT_PASSWORD: PASSWORD,
    });
    expect(cliRefusal.code).toBe(1);
    expect(cliRefusal.stderr).toContain('at most 4.0 MiB');

    const { token } = await registerAndLogin(node.url, 'alice', PASSWORD, { register: false });
    const url = new URL('/files?name=big.bin', node.url);
    const answer = await upload(url, big, 5 * MiB, token);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: { code: 'file_too_large' } });
    expect(downloads(node.dataDir)).toEqual([]);
    const health = (await (await fetch(new URL('/healthz', node.url))).json()) as { files: unknown };
    expect(health.files).toEqual({ maxFileSize: 4 * MiB });
  });
});

describe('files on a node in this process', () => {
  const nodes: MeshNode[] = [];
  afterEach(() => stopAll(nodes));

  const openFiles = () => readdirSync('/proc/self/fd').length;

  it('closes every file it opens for a download, an empty file and a download cut short included', async () => {
    const node = await startTestNode('files-fd');
    nodes.push(node);
    const { token } = await registerAndLogin(node.url, 'alice', PASSWORD);
    const publish = async (name: string, body: Buffer) => {
      const response = await fetch(new URL(`/files?name=${name}`, node.url), {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body,
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as { file: { id: string } }).file.id;
    };
    const empty = await publish('empty', Buffer.alloc(0));
    const big = await publish('big', Buffer.alloc(4 * MiB, 9));
    const before = openFiles();
    for (let i = 0; i < 30; i++) {
      const whole = await fetch(new URL(`/files/${empty}`, node.url));
      expect(await whole.text()).toBe('');
      // Read one piece of a large file, then hang up.
      const cut = await fetch(new URL(`/files/${big}`, node.url));
      const reader = cut.body?.getReader();
      await reader?.read();
      await reader?.cancel();
    }
    const deadline = Date.now() + 5_000;
    while (openFiles() > before + 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(openFiles()).toBeLessThanOrEqual(before + 5);
  });

  it('a download sent straight to the socket keeps every header and byte, whole and as one range', async () => {
    const node = await startTestNode('files-headers');
    nodes.push(node);
    const { token } = await registerAndLogin(node.url, 'alice', PASSWORD);
    // Larger than one 1 MiB read, and not a multiple of it.
    const content = randomBytes(3 * MiB + 17);
    const published = await fetch(new URL('/files?name=report.bin', node.url), {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-test' },
      body: content,
    });
    expect(published.status).toBe(201);
    const { id } = ((await published.json()) as { file: { id: string } }).file;
    const common = {
      'content-type': 'application/x-test',
      etag: `"${id}"`,
      'accept-ranges': 'bytes',
      'content-security-policy': "sandbox; default-src 'none'",
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    };

    const whole = await fetch(new URL(`/files/${id}`, node.url));
    expect(whole.status).toBe(200);
    expect(Object.fromEntries(whole.headers)).toMatchObject({
      ...common,
      'content-length': String(content.length),
    });
    expect(whole.headers.get('content-disposition')).toContain('report.bin');
    expect(Buffer.from(await whole.arrayBuffer()).equals(content)).toBe(true);

    const start = MiB - 5;
    const end = 2 * MiB + 3;
    const part = await fetch(new URL(`/files/${id}`, node.url), {
      headers: { Range: `bytes=${start}-${end}` },
    });
    expect(part.status).toBe(206);
    expect(Object.fromEntries(part.headers)).toMatchObject({
      ...common,
      'content-length': String(end - start + 1),
      'content-range': `bytes ${start}-${end}/${content.length}`,
    });
    expect(Buffer.from(await part.arrayBuffer()).equals(content.subarray(start, end + 1))).toBe(true);
  });

  it('unregistering a user removes its files on disk; a content another user published stays', async () => {
    const node = await startTestNode('files-unreg');
    nodes.push(node);
    const alice = await registerAndLogin(node.url, 'alice', PASSWORD);
    const bob = await registerAndLogin(node.url, 'bob', PASSWORD);
    const publish = async (token: string, name: string, body: string) => {
      const response = await fetch(new URL(`/files?name=${name}`, node.url), {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body,
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as { file: { id: string } }).file.id;
    };
    const mine = await publish(alice.token, 'mine.txt', 'only alice');
    const shared = await publish(alice.token, 'shared.txt', 'both');
    await publish(bob.token, 'copy.txt', 'both');
    const gone = await callNode(node.url, 'DELETE', '/users/alice', {
      token: alice.token,
      body: { password: PASSWORD },
    });
    expect(gone.status).toBe(200);
    const listed = (await callNode(node.url, 'GET', '/files?owner=alice@files-unreg')).body as { files: [] };
    expect(listed.files).toEqual([]);
    expect((await fetch(new URL(`/files/${mine}`, node.url))).status).toBe(404);
    expect(await (await fetch(new URL(`/files/${shared}`, node.url))).text()).toBe('both');
  });

  it('a peer link reaches the file routes like HTTP; a download too large for a frame is refused, its file closed', async () => {
    const node = await startTestNode('files-link');
    nodes.push(node);
    const { token } = await registerAndLogin(node.url, 'alice', PASSWORD);
    const publish = async (name: string, body: Buffer) => {
      const response = await fetch(new URL(`/files?name=${name}`, node.url), {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body,
      });
      return ((await response.json()) as { file: { id: string } }).file.id;
    };
    const small = await publish('small.txt', Buffer.from('small and textual'));
    const big = await publish('big.bin', Buffer.alloc(MAX_LINK_FRAME_BYTES + MiB, 0x61));
    const link = await WsPeerLink.open(node.url);
    try {
      const listing = await link.call('GET', '/files', undefined, 5_000);
      expect(listing.status).toBe(200);
      expect((JSON.parse(listing.text) as { files: unknown[] }).files).toHaveLength(2);
      expect(await link.call('GET', `/files/${small}`, undefined, 5_000)).toMatchObject({
        status: 200,
        text: 'small and textual',
      });
      // The upload route (mounted before the JSON body limit) runs its own checks for a link's request too.
      const upload = await link.call('POST', '/files?name=x.txt', { not: 'a login' }, 5_000);
      expect(upload.status).toBe(401);
      expect(JSON.parse(upload.text)).toMatchObject({ error: { code: 'unauthenticated' } });
      const before = openFiles();
      for (let i = 0; i < 10; i++) {
        const tooLarge = await link.call('GET', `/files/${big}`, undefined, 5_000);
        expect(tooLarge.status).toBe(502);
        expect(JSON.parse(tooLarge.text)).toMatchObject({ error: { code: 'answer_too_large' } });
      }
      const deadline = Date.now() + 5_000;
      while (openFiles() > before + 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(openFiles()).toBeLessThanOrEqual(before + 3);
      expect(link.isOpen).toBe(true);
    } finally {
      link.close();
    }
  });

  it('a JSON route sends 100 Continue to a client that expects it, then answers', async () => {
    const node = await startTestNode('files-continue');
    nodes.push(node);
    const socket = connect(node.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => {
      received += d.toString();
    });
    try {
      const body = JSON.stringify({ name: 'carol', password: PASSWORD });
      socket.write(
        `POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
      );
      const deadline = Date.now() + 5_000;
      while (!received.includes('100 Continue') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(received).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
      socket.write(body);
      while (!received.includes('201 Created') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(received).toContain('"user":"carol@files-continue"');
    } finally {
      socket.destroy();
    }
  });
});
