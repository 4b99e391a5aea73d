// Restarts around a download from another node, with real nodes on 127.0.0.1 and random ports (the ones killed
// are `meshchat node` processes): a node that fetched a file still advertises and serves its verified copy after
// a restart; the fetching node, or the relay between it and the holder, `kill -9`ed mid-transfer and restarted on
// its data dir, resumes from its journal, and the holder re-sends at most one chunk. Every byte a holder sends
// passes a counting proxy the holder announces as its URL. Only loopback traffic; every wait polls with a deadline.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UndiciFileSource } from '../../src/adapters/files/undici-file-source.js';
import { FileFetchFailed } from '../../src/application/files/file-errors.js';
import { MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import type { FileSource } from '../../src/application/ports/files/file-source.js';
import { PeerUrlPolicy } from '../../src/domain/peer-url-policy.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { registerAndLogin } from '../support/accounts-http.js';
import { CI_MARGIN_MS, cliNodes, POLL_MS } from '../support/cli-nodes.js';
import { type FileProxy, startFileProxy } from '../support/file-proxy.js';
import { closedPort } from '../support/free-port.js';
import { stopAll } from '../support/nodes.js';
import { startWiredTestNode } from '../support/wired-nodes.js';

const LAN = MEMBERSHIP_PROFILES.lan;
const CONVERGE_MS = 6 * LAN.gossipIntervalMs + CI_MARGIN_MS;
const PASSWORD = 'correct horse battery';
const MiB = 1024 * 1024;
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The real HTTP source, with the given URLs refused as unreachable (a firewall between two nodes). */
function refusing(urls: string[]): FileSource {
  const real = new UndiciFileSource({ urls: PeerUrlPolicy.ANY });
  return {
    fetch(url, id, start, receive, options) {
      if (urls.includes(url)) return Promise.reject(new FileFetchFailed(`${url} is refused`, 'unreachable'));
      return real.fetch(url, id, start, receive, options);
    },
  };
}

async function publish(url: string, token: string, name: string, bytes: Buffer): Promise<string> {
  const answer = await fetch(`${url}/files?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: bytes,
    signal: AbortSignal.timeout(20_000),
  });
  expect(answer.status).toBe(201);
  return sha(bytes);
}

/** Waits until the node at `url` has the record of `id` in its mesh catalog (it can fetch or relay it). */
async function untilListed(url: string, id: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const answer = await fetch(`${url}/files/${id}/record`, { signal: AbortSignal.timeout(2_000) });
      expect(answer.status).toBe(200);
    },
    { timeout: 3 * CONVERGE_MS, interval: POLL_MS },
  );
}

async function download(url: string, id: string, headers: Record<string, string> = {}) {
  const answer = await fetch(`${url}/files/${id}`, { headers, signal: AbortSignal.timeout(30_000) });
  return { status: answer.status, bytes: Buffer.from(await answer.arrayBuffer()) };
}

/**
 * Starts reading `GET /files/:id` from `url`; `got` fills as the answer streams, `done` settles when it ends
 * (rejects when the answer is cut short).
 */
function startReading(url: string, id: string): { got: Buffer[]; done: Promise<void> } {
  const got: Buffer[] = [];
  const done = fetch(`${url}/files/${id}`, { signal: AbortSignal.timeout(60_000) }).then(async (response) => {
    expect(response.status).toBe(200);
    for await (const piece of response.body as AsyncIterable<Uint8Array>) got.push(Buffer.from(piece));
  });
  // Read by the test once it broke; never an unhandled rejection meanwhile.
  done.catch(() => {});
  return { got, done };
}

const length = (pieces: Buffer[]) => pieces.reduce((sum, piece) => sum + piece.length, 0);

/** Where the next node behind a counting proxy listens: the proxy is in front of that port, and the node announces it. */
async function proxiedPort(options: { holdAfter?: number } = {}) {
  const port = await closedPort();
  const proxy = await startFileProxy(`http://127.0.0.1:${port}`, options);
  return { port, proxy };
}

describe('a held copy across a restart', () => {
  const processes = cliNodes();
  const nodes: MeshNode[] = [];
  afterEach(async () => {
    await stopAll(nodes);
  });

  it('C fetched a file, restarts: still advertised as a holder, and serves it from its own copy', async () => {
    const a = await startWiredTestNode('hr-a');
    const { port, dataDir } = await processes.durable();
    const config = { port, dataDir };
    let c = await startWiredTestNode('hr-c', { join: [a.node.url], config });
    const d = await startWiredTestNode('hr-d', { join: [a.node.url] });
    nodes.push(a.node, c.node, d.node);
    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    const bytes = randomBytes(2 * MiB + 7);
    const id = await publish(a.node.url, token, 'kept.bin', bytes);
    await untilListed(c.node.url, id);
    // D must have pulled A's record before A goes: a node that never saw a file cannot fetch it from anyone.
    await untilListed(d.node.url, id);
    expect(sha((await download(c.node.url, id)).bytes)).toBe(id);
    // The budget admits the copy just after the transfer ends (in the background).
    await vi.waitFor(() => expect(c.wired.ownCatalog.held()).toEqual([id]), { interval: POLL_MS });

    // A crash-like stop (no leave) and a start on the same data dir and port.
    await c.node.stop({ leave: false });
    c = await startWiredTestNode('hr-c', { join: [a.node.url], config });
    nodes.push(c.node);
    // Listed again before the node listened: its first catalog answer names the copy.
    const answer = await fetch(`${c.node.url}/files/catalog`);
    expect(((await answer.json()) as { held?: string[] }).held).toEqual([id]);

    // D pulls C's part at its new version (a restart starts one), which still lists the copy.
    const restartedAt = c.wired.ownCatalog.version;
    await vi.waitFor(
      () => {
        const part = d.wired.catalogCopies.parts().find((p) => p.node === 'hr-c');
        expect(part?.version).toBeGreaterThanOrEqual(restartedAt);
        expect(d.wired.catalogCopies.holders(id)).toEqual(['hr-c']);
      },
      { timeout: 3 * CONVERGE_MS, interval: POLL_MS },
    );
    // With the publisher gone, C serves its own copy, and D (holders only) gets it from C as a holder.
    await a.node.stop({ leave: false });
    const own = await download(c.node.url, id, { range: 'bytes=1048576-' });
    expect(own.status).toBe(206);
    expect(own.bytes.equals(bytes.subarray(MiB))).toBe(true);
    const got = await download(d.node.url, id, { 'meshchat-relay': '1' });
    expect(got.status).toBe(200);
    expect(sha(got.bytes)).toBe(id);
  }, 90_000);
});

describe('kill -9 of the fetching node or of the relay mid-transfer', () => {
  const processes = cliNodes();
  const nodes: MeshNode[] = [];
  const proxies: FileProxy[] = [];
  afterEach(async () => {
    await stopAll(nodes);
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  it('the fetching node, restarted on its data dir, resumes from its journal: one chunk re-sent at most', async () => {
    // A announces its proxy as its URL, so every byte of the file C fetches passes it; it stalls after 5 MiB.
    const { port: aPort, proxy } = await proxiedPort({ holdAfter: 5 * MiB });
    proxies.push(proxy);
    const a = await startWiredTestNode('rk-a', {
      config: { port: aPort, publicUrl: proxy.url, peerLinks: false },
    });
    nodes.push(a.node);
    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    const bytes = randomBytes(12 * MiB + 321);
    const id = await publish(a.node.url, token, 'big.bin', bytes);

    const { port, dataDir } = await processes.durable();
    const cOptions = { port, dataDir, join: [proxy.url], extra: ['--no-peer-links'] };
    let c = await processes.startNode('rk-c', cOptions);
    await untilListed(c.url, id);
    const first = startReading(c.url, id);
    await proxy.held;
    // Every byte passed so far reached C: wait until C verified all the whole chunks among them and its journal
    // marks them (C passes a verified chunk on from memory before its disk write and journal mark are done, so
    // the client having the bytes is not enough), then kill it.
    const sentBeforeKill = proxy.fileBytes();
    const whole = Math.floor(sentBeforeKill / MiB) * MiB;
    await vi.waitFor(() => expect(length(first.got)).toBeGreaterThanOrEqual(whole), {
      timeout: CONVERGE_MS,
      interval: POLL_MS,
    });
    const journal = join(dataDir, 'files', 'partial', `${id}.journal`);
    await vi.waitFor(() => expect(journaledChunks(journal)).toBeGreaterThanOrEqual(whole / MiB), {
      timeout: CONVERGE_MS,
      interval: POLL_MS,
    });
    await processes.crash(c);
    await expect(first.done).rejects.toThrow();
    proxy.release();
    const kept = Buffer.concat(first.got);
    expect(kept.equals(bytes.subarray(0, kept.length))).toBe(true);

    c = await processes.startNode('rk-c', cOptions);
    let rest: Buffer | undefined;
    await vi.waitFor(
      async () => {
        const resumed = await download(c.url, id, { range: `bytes=${kept.length}-`, 'if-range': `"${id}"` });
        expect(resumed.status).toBe(206);
        rest = resumed.bytes;
      },
      { timeout: CONVERGE_MS * 2, interval: 250 },
    );
    expect(sha(Buffer.concat([kept, rest as Buffer]))).toBe(id);
    // Two requests reached A: the one cut by the kill and the one after the restart, which started at the last
    // chunk C verified and journaled, not at 0 and not at what the client had.
    const ranges = proxy.ranges();
    expect(ranges).toHaveLength(2);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
    expect(resumedAt % MiB).toBe(0);
    expect(resumedAt).toBeGreaterThanOrEqual(whole);
    // What A sent twice: the part of the one request in flight that was not a whole verified chunk.
    expect(proxy.fileBytes() - bytes.length).toBeLessThan(MiB);
    expect(proxy.fileBytes()).toBeGreaterThanOrEqual(bytes.length);
  }, 120_000);

  it('the relay: C fetches through B from A; B killed mid-transfer and restarted; C completes, verified', async () => {
    const { port: aPort, proxy: toA } = await proxiedPort({ holdAfter: 5 * MiB });
    proxies.push(toA);
    const a = await startWiredTestNode('rr-a', {
      config: { port: aPort, publicUrl: toA.url, peerLinks: false },
    });
    nodes.push(a.node);
    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    const bytes = randomBytes(12 * MiB + 321);
    const id = await publish(a.node.url, token, 'relayed.bin', bytes);

    // B is a process (to be killed) behind its own counting proxy, announced as its URL.
    const { dataDir } = await processes.durable();
    const { port: bPort, proxy: toB } = await proxiedPort();
    proxies.push(toB);
    const bOptions = {
      port: bPort,
      dataDir,
      join: [toA.url],
      extra: ['--no-peer-links', '--public-url', toB.url],
    };
    let b = await processes.startNode('rr-b', bOptions);
    // C cannot reach A: it gets the file through B.
    const c = await startWiredTestNode('rr-c', {
      join: [toB.url],
      config: { peerLinks: false },
      fileSource: refusing([toA.url]),
    });
    nodes.push(c.node);
    await untilListed(toB.url, id);
    await untilListed(c.node.url, id);

    const first = startReading(c.node.url, id);
    await toA.held;
    const whole = Math.floor(toA.fileBytes() / MiB) * MiB;
    // B verified those chunks and passed them on (through its proxy) to C, which verified them too.
    await vi.waitFor(() => expect(length(first.got)).toBeGreaterThanOrEqual(whole), {
      timeout: CONVERGE_MS,
      interval: POLL_MS,
    });
    await processes.crash(b);
    // C has nobody else to ask: the client's answer is cut short, never completed with unverified bytes.
    await expect(first.done).rejects.toThrow();
    toA.release();
    const kept = Buffer.concat(first.got);
    expect(kept.equals(bytes.subarray(0, kept.length))).toBe(true);

    b = await processes.startNode('rr-b', bOptions);
    let rest: Buffer | undefined;
    await vi.waitFor(
      async () => {
        const resumed = await download(c.node.url, id, {
          range: `bytes=${kept.length}-`,
          'if-range': `"${id}"`,
        });
        expect(resumed.status).toBe(206);
        rest = resumed.bytes;
      },
      { timeout: CONVERGE_MS * 2, interval: 250 },
    );
    expect(sha(Buffer.concat([kept, rest as Buffer]))).toBe(id);
    // The restarted relay resumed from its journal: A re-sent less than a chunk, and C asked B for the rest
    // from its own last verified chunk.
    expect(toA.ranges()).toHaveLength(2);
    const bResumedAt = Number(/^bytes=(\d+)-$/.exec(toA.ranges()[1] ?? '')?.[1]);
    expect(bResumedAt).toBeGreaterThanOrEqual(whole);
    expect(toA.fileBytes() - bytes.length).toBeLessThan(MiB);
    const cRanges = toB.ranges();
    const cResumedAt = Number(/^bytes=(\d+)-$/.exec(cRanges.at(-1) ?? '')?.[1]);
    expect(cResumedAt).toBeGreaterThanOrEqual(whole);
    expect(toB.fileBytes() - bytes.length).toBeLessThan(MiB);
    // Both hold verified copies now.
    await vi.waitFor(async () => expect(await c.wired.fileContent.has(id)).toBe(true));
    expect((await download(toB.url, id, { 'meshchat-relay': '1' })).bytes.length).toBe(bytes.length);
  }, 120_000);
});

/** Chunks a partial download's journal marks (a text header, then one byte 1 per chunk); 0 before it exists. */
function journaledChunks(path: string): number {
  try {
    return readFileSync(path).filter((byte) => byte === 1).length;
  } catch {
    return 0;
  }
}
