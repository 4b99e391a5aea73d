// Downloading a file from a node that does not hold it, between real nodes on 127.0.0.1 and random ports:
// the node fetches it from a holder over plain HTTP (one request while nothing fails), checks every chunk,
// and passes on only verified bytes; a node C that cannot reach the holder A gets it through B; a holder
// that flips a byte is caught and the file comes from another one. Only loopback traffic; every wait polls
// with a deadline.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiskContentStore } from '../../src/adapters/files/disk-content-store.js';
import { JournaledPartialDownloads } from '../../src/adapters/files/journaled-partial-downloads.js';
import { UndiciFileSource } from '../../src/adapters/files/undici-file-source.js';
import { FileFetchFailed } from '../../src/application/files/file-errors.js';
import { MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import type { FileSource } from '../../src/application/ports/files/file-source.js';
import { PeerUrlPolicy } from '../../src/domain/peer-url-policy.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { RecordingAuditTrail } from '../fakes/recording-audit-trail.js';
import { registerAndLogin } from '../support/accounts-http.js';
import { CI_MARGIN_MS, cliNodes, POLL_MS } from '../support/cli-nodes.js';
import { type FileProxy, startFileProxy } from '../support/file-proxy.js';
import { stopAll } from '../support/nodes.js';
import { startWiredTestNode } from '../support/wired-nodes.js';

const LAN = MEMBERSHIP_PROFILES.lan;
const CONVERGE_MS = 6 * LAN.gossipIntervalMs + CI_MARGIN_MS;
const PASSWORD = 'correct horse battery';
const MiB = 1024 * 1024;
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * This node's way to other nodes' file bytes: the real HTTP source, with some URLs sent elsewhere (a proxy)
 * and some refused as unreachable, as a firewall between two nodes would.
 */
function routedSource(routes: Map<string, string | 'refuse'>): FileSource {
  const real = new UndiciFileSource({ urls: PeerUrlPolicy.ANY });
  return {
    fetch(url, id, start, receive, options) {
      const route = routes.get(url);
      if (route === 'refuse') return Promise.reject(new FileFetchFailed(`${url} is refused`, 'unreachable'));
      return real.fetch(route ?? url, id, start, receive, options);
    },
  };
}

async function publish(node: MeshNode, token: string, name: string, bytes: Buffer): Promise<string> {
  const answer = await fetch(`${node.url}/files?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: bytes,
    signal: AbortSignal.timeout(10_000),
  });
  expect(answer.status).toBe(201);
  const { file } = (await answer.json()) as { file: { id: string } };
  expect(file.id).toBe(sha(bytes));
  return file.id;
}

/**
 * Waits until `node`'s mesh catalog lists `id` (it can then fetch it). A node that joined late may take a few
 * gossip rounds to hear of every part, hence the longer deadline.
 */
async function untilListed(node: MeshNode, id: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const answer = await fetch(`${node.url}/files/${id}/record`, { signal: AbortSignal.timeout(2_000) });
      expect(answer.status).toBe(200);
    },
    { timeout: 3 * CONVERGE_MS, interval: POLL_MS },
  );
}

async function download(node: MeshNode, id: string, headers: Record<string, string> = {}) {
  const answer = await fetch(`${node.url}/files/${id}`, { headers, signal: AbortSignal.timeout(20_000) });
  return { status: answer.status, headers: answer.headers, bytes: Buffer.from(await answer.arrayBuffer()) };
}

describe('GET /files/:id on a node that does not hold the file', () => {
  const nodes: MeshNode[] = [];
  const proxies: FileProxy[] = [];
  afterEach(async () => {
    await stopAll(nodes);
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  it('fetches 0-byte, 1-byte, one-chunk and chunk-plus-one files from the holder, verified, and keeps a copy', async () => {
    const a = await startWiredTestNode('dl-a');
    const counting = await startFileProxy(a.node.url);
    proxies.push(counting);
    const audit = new RecordingAuditTrail();
    const b = await startWiredTestNode('dl-b', {
      join: [a.node.url],
      audit,
      fileSource: routedSource(new Map([[a.node.url, counting.url]])),
    });
    nodes.push(a.node, b.node);
    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    const contents = [Buffer.alloc(0), randomBytes(1), randomBytes(MiB), randomBytes(MiB + 1)];
    const ids: string[] = [];
    for (const [i, bytes] of contents.entries()) ids.push(await publish(a.node, token, `f${i}.bin`, bytes));
    for (const id of ids) await untilListed(b.node, id);

    for (const [i, bytes] of contents.entries()) {
      const got = await download(b.node, ids[i] as string);
      expect(got.status).toBe(200);
      expect(got.headers.get('etag')).toBe(`"${ids[i]}"`);
      expect(sha(got.bytes)).toBe(ids[i]);
      expect(got.bytes.length).toBe(bytes.length);
    }
    // One request per file with bytes (the empty one needs none), nothing sent twice.
    expect(counting.fileRequests()).toBe(3);
    expect(counting.served()).toBe(2 * MiB + 2);
    // B keeps verified copies: asked again, it answers from its own store and a range from the copy.
    const again = await download(b.node, ids[3] as string, { range: 'bytes=1048575-' });
    expect(again.status).toBe(206);
    expect(again.bytes).toEqual((contents[3] as Buffer).subarray(MiB - 1));
    expect(counting.fileRequests()).toBe(3);
    for (const id of ids) await vi.waitFor(async () => expect(await b.wired.fileContent.has(id)).toBe(true));
    const remote = audit.records.filter((r) => r.op === 'download' && r.object.includes(' from '));
    expect(remote.map((r) => `${r.object.slice(70)}:${r.outcome}`)).toEqual([
      'from nobody:ok',
      ...Array(3).fill('from dl-a:ok'),
    ]);
  });

  it('works on a keyed network (--network-key): the catalog pull carries a proof, the file fetch needs none', async () => {
    const config = { networkKey: 'a shared secret of the mesh' };
    const a = await startWiredTestNode('key-a', { config });
    const b = await startWiredTestNode('key-b', { join: [a.node.url], config });
    nodes.push(a.node, b.node);
    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    const bytes = randomBytes(MiB + 3);
    const id = await publish(a.node, token, 'keyed.bin', bytes);
    await untilListed(b.node, id);
    const got = await download(b.node, id);
    expect(got.status).toBe(200);
    expect(sha(got.bytes)).toBe(id);
    // The catalog route is a peer route: without a proof it is refused.
    expect((await fetch(`${a.node.url}/files/catalog`)).status).toBe(401);
  });

  it('C gets a file published on A through B when C cannot reach A; an unknown id is 404', async () => {
    const a = await startWiredTestNode('rel-a');
    const b = await startWiredTestNode('rel-b', { join: [a.node.url] });
    const c = await startWiredTestNode('rel-c', {
      join: [b.node.url],
      fileSource: routedSource(new Map([[a.node.url, 'refuse']])),
    });
    nodes.push(a.node, b.node, c.node);
    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    const bytes = randomBytes(3 * MiB + 17);
    const id = await publish(a.node, token, 'report.pdf', bytes);
    await vi.waitFor(
      async () => {
        const found = await fetch(`${c.node.url}/files?scope=mesh&q=report`);
        const { files } = (await found.json()) as { files: { id: string }[] };
        expect(files.map((f) => f.id)).toEqual([id]);
      },
      { timeout: CONVERGE_MS, interval: POLL_MS },
    );
    // B can relay only a file its own catalog lists (else it answers 404, as for any unknown id).
    await untilListed(b.node, id);
    const got = await download(c.node, id);
    expect(got.status, got.bytes.toString().slice(0, 300)).toBe(200);
    expect(sha(got.bytes)).toBe(id);
    // B fetched it to relay it, so B and C both hold verified copies now.
    for (const node of [b, c])
      await vi.waitFor(async () => expect(await node.wired.fileContent.has(id)).toBe(true));

    const unknown = await download(c.node, 'ab'.repeat(32));
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.bytes.toString()).error.code).toBe('unknown_file');
  });

  it('with no holder reachable the client gets 502 file_unavailable, never a silent truncation', async () => {
    const a = await startWiredTestNode('no-a');
    const c = await startWiredTestNode('no-c', {
      join: [a.node.url],
      fileSource: routedSource(new Map([[a.node.url, 'refuse']])),
    });
    nodes.push(a.node, c.node);
    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    const id = await publish(a.node, token, 'x.bin', randomBytes(1000));
    await untilListed(c.node, id);
    const got = await download(c.node, id);
    expect(got.status).toBe(502);
    const body = JSON.parse(got.bytes.toString()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('file_unavailable');
    expect(body.error.message).toMatch(/no-a/);
  });

  it('a holder that flips a byte is caught, the file comes from another holder, and twice sets it aside', async () => {
    const a = await startWiredTestNode('flip-a');
    const b = await startWiredTestNode('flip-b', { join: [a.node.url] });
    nodes.push(a.node, b.node);
    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    const first = randomBytes(2 * MiB + 5);
    const second = randomBytes(MiB + 9);
    const ids = [
      await publish(a.node, token, 'one.bin', first),
      await publish(a.node, token, 'two.bin', second),
    ];
    // B holds verified copies of both.
    for (const id of ids) {
      await untilListed(b.node, id);
      expect(sha((await download(b.node, id)).bytes)).toBe(id);
    }
    // C reaches A only through a proxy that flips a byte of the second chunk.
    const flipping = await startFileProxy(a.node.url, { flipAt: MiB + 3 });
    proxies.push(flipping);
    const c = await startWiredTestNode('flip-c', {
      join: [a.node.url],
      fileSource: routedSource(new Map([[a.node.url, flipping.url]])),
    });
    nodes.push(c.node);
    for (const id of ids) await untilListed(c.node, id);
    await vi.waitFor(() => expect(c.wired.registry.peers().map((m) => m.id)).toContain('flip-b'), {
      timeout: CONVERGE_MS,
      interval: POLL_MS,
    });
    for (const [i, id] of ids.entries()) {
      const got = await download(c.node, id);
      expect(got.status).toBe(200);
      expect(got.bytes).toEqual(i === 0 ? first : second);
    }
    const remote = c.wired.files.remoteFiles;
    expect(remote?.setAside()).toEqual(['flip-a']);
    // Set aside: a third download does not ask A at all.
    const asked = flipping.fileRequests();
    const third = randomBytes(10);
    const thirdId = await publish(a.node, token, 'three.bin', third);
    await untilListed(c.node, thirdId);
    await untilListed(b.node, thirdId);
    expect((await download(c.node, thirdId)).bytes).toEqual(third);
    expect(flipping.fileRequests()).toBe(asked);
  }, 90_000);
});

describe('a remote download when things break', () => {
  const processes = cliNodes();
  const nodes: MeshNode[] = [];
  const proxies: FileProxy[] = [];
  afterEach(async () => {
    await stopAll(nodes);
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  it('SIGKILL of the holder mid-transfer: after its restart the download resumes, same SHA-256, one chunk re-sent at most', async () => {
    const { port, dataDir } = await processes.durable();
    let a = await processes.startNode('kill-a', { port, dataDir });
    const { token } = await registerAndLogin(a.url, 'alice', PASSWORD);
    const bytes = randomBytes(12 * MiB + 321);
    const answer = await fetch(`${a.url}/files?name=big.bin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: bytes,
      signal: AbortSignal.timeout(20_000),
    });
    expect(answer.status).toBe(201);
    const id = sha(bytes);
    // Every byte A serves to C passes this proxy, which stalls once after 5 MiB so the test can kill A.
    const proxy = await startFileProxy(a.url, { holdAfter: 5 * MiB });
    proxies.push(proxy);
    const c = await startWiredTestNode('kill-c', {
      join: [a.url],
      fileSource: routedSource(new Map([[a.url, proxy.url]])),
    });
    nodes.push(c.node);
    await untilListed(c.node, id);

    // The client reads what C passes on until the answer breaks.
    const got: Buffer[] = [];
    const first = fetch(`${c.node.url}/files/${id}`, { signal: AbortSignal.timeout(30_000) }).then(
      async (response) => {
        expect(response.status).toBe(200);
        for await (const piece of response.body as AsyncIterable<Uint8Array>) got.push(Buffer.from(piece));
      },
    );
    await proxy.held;
    // C checks what the proxy passed before the hold chunk by chunk and passes each verified chunk on: once the
    // client has every whole chunk of it, C holds them, and the kill comes after.
    const whole = Math.floor(proxy.fileBytes() / MiB) * MiB;
    await vi.waitFor(() => expect(Buffer.concat(got).length).toBeGreaterThanOrEqual(whole), {
      timeout: CONVERGE_MS,
      interval: POLL_MS,
    });
    await processes.crash(a);
    // The stalled answer goes on, so its break (the holder is gone) reaches C at once.
    proxy.release();
    // The answer is cut short: the client sees an incomplete transfer, not a short file that looks whole.
    await expect(first).rejects.toThrow();
    const kept = Buffer.concat(got);
    expect(kept.length).toBeLessThan(bytes.length);
    expect(kept.equals(bytes.subarray(0, kept.length))).toBe(true);
    a = await processes.startNode('kill-a', { port, dataDir });
    let rest: Buffer | undefined;
    await vi.waitFor(
      async () => {
        const resumed = await download(c.node, id, { range: `bytes=${kept.length}-`, 'if-range': `"${id}"` });
        expect(resumed.status).toBe(206);
        rest = resumed.bytes;
      },
      { timeout: CONVERGE_MS * 2, interval: 250 },
    );
    expect(sha(Buffer.concat([kept, rest as Buffer]))).toBe(id);
    // The first request asked from 0; every later one (the one that finished, and any tried while A was
    // restarting) from a chunk boundary at or past the chunks C had verified: what C asks for again is at most
    // the chunk cut mid-way, never the verified part. (What A had written past that into loopback socket buffers
    // when it died, which C never read, is the kernel's, and bounded only by its buffer sizes: not asserted.)
    const starts = proxy.ranges().map((range) => Number(/^bytes=(\d+)-$/.exec(range)?.[1] ?? 0));
    expect(starts[0]).toBe(0);
    expect(starts.length).toBeGreaterThanOrEqual(2);
    for (const start of starts.slice(1)) {
      expect(start % MiB).toBe(0);
      expect(start).toBeGreaterThanOrEqual(whole);
    }
    expect(proxy.served()).toBeGreaterThanOrEqual(bytes.length);
  }, 90_000);

  it('a node that fetched a file advertises it as held: with the publisher down, D gets it from C, holders only', async () => {
    const a = await startWiredTestNode('held-a');
    const c = await startWiredTestNode('held-c', { join: [a.node.url] });
    const d = await startWiredTestNode('held-d', { join: [a.node.url] });
    nodes.push(a.node, c.node, d.node);
    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    const bytes = randomBytes(2 * MiB + 5);
    const id = await publish(a.node, token, 'held.bin', bytes);
    await untilListed(c.node, id);
    await untilListed(d.node, id);
    const fetched = await download(c.node, id);
    expect(fetched.status).toBe(200);
    expect(sha(fetched.bytes)).toBe(id);
    // C now lists the file in its catalog, in the whole form and in a difference.
    const answer = await fetch(`${c.node.url}/files/catalog`);
    const version = answer.headers.get('meshchat-catalog-version');
    expect(((await answer.json()) as { held?: string[] }).held).toEqual([id]);
    const diff = await fetch(`${c.node.url}/files/catalog?since=${version}`);
    expect(await diff.json()).toMatchObject({ files: [], removed: [], since: Number(version), held: [id] });
    // A's list of who fetched names C (the Meshchat-Node header of C's fetch).
    const downloads = await fetch(`${a.node.url}/files/${id}/downloads`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { downloads: list } = (await downloads.json()) as { downloads: { node?: string }[] };
    expect(list.map((entry) => entry.node)).toContain(c.node.id);
    // D pulls C's catalog, version moved by the held copy; then A goes down without a word.
    await vi.waitFor(
      async () => {
        expect(d.wired.catalogCopies.holders(id)).toEqual([c.node.id]);
      },
      { timeout: 3 * CONVERGE_MS, interval: POLL_MS },
    );
    await a.node.stop({ leave: false });
    // Holders only (`Meshchat-Relay: 1`): D may not use C as a relay, so only C's advertised copy serves.
    const got = await download(d.node, id, { 'meshchat-relay': '1' });
    expect(got.status).toBe(200);
    expect(sha(got.bytes)).toBe(id);
  });

  it('a full disk on the fetching node is 507 insufficient_storage and leaves no file', async () => {
    const a = await startWiredTestNode('full-a');
    const root = mkdtempSync(join(tmpdir(), 'meshchat-full-'));
    const store = new DiskContentStore(root, { removeOnClose: true });
    const partials = new JournaledPartialDownloads(store, { freeBytes: async () => 1024 });
    const c = await startWiredTestNode('full-c', {
      join: [a.node.url],
      fileContent: store,
      partialDownloads: partials,
    });
    nodes.push(a.node, c.node);
    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    const id = await publish(a.node, token, 'big.bin', randomBytes(2 * MiB));
    await untilListed(c.node, id);
    const got = await download(c.node, id);
    expect(got.status).toBe(507);
    expect(JSON.parse(got.bytes.toString()).error.code).toBe('insufficient_storage');
    expect(existsSync(store.pathOf(id))).toBe(false);
    expect(existsSync(partials.dir) ? readdirSync(partials.dir) : []).toEqual([]);
  });
});
