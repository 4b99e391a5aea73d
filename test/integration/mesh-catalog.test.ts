// The mesh catalog between real nodes on 127.0.0.1 and random ports: a file published on A over HTTP by a
// logged-in user is found by a search on C with `scope=mesh` (and by the CLI's `files` and `get OWNER/NAME`
// against C), and its delete reaches C too. A plain assignment node in the mesh is neither asked nor listed.
// Every wait polls with a deadline.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { type PlainNode, startPlainNode } from '../interop/plain-node/spawn.js';
import { registerAndLogin } from '../support/accounts-http.js';
import { CI_MARGIN_MS, POLL_MS } from '../support/cli-nodes.js';
import { stopAll } from '../support/nodes.js';
import { runCliToEnd } from '../support/processes.js';
import { startWiredTestNode } from '../support/wired-nodes.js';

const LAN = MEMBERSHIP_PROFILES.lan;
const CONVERGE_MS = 6 * LAN.gossipIntervalMs + CI_MARGIN_MS;
const PASSWORD = 'correct horse battery';

interface Listing {
  files: { id: string; name: string; owner: string; description: string }[];
  answered: string[];
  missing: string[];
}

/** Runs a CLI command to its end (with a deadline) and returns its exit code and output. */
const cli = runCliToEnd;

async function search(node: MeshNode, q: string): Promise<Listing> {
  const response = await fetch(`${node.url}/files?scope=mesh&q=${encodeURIComponent(q)}`, {
    signal: AbortSignal.timeout(2_000),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Listing;
}

describe('GET /files?scope=mesh between real nodes', () => {
  const nodes: MeshNode[] = [];
  const plain: PlainNode[] = [];
  afterEach(async () => {
    await stopAll(nodes);
    await Promise.all(plain.splice(0).map((p) => p.stop('SIGKILL')));
  });

  it('a file published on A is found from C by words, and its delete reaches C', async () => {
    const a = await startWiredTestNode('cat-a');
    const b = await startWiredTestNode('cat-b', { join: [a.node.url] });
    const c = await startWiredTestNode('cat-c', { join: [b.node.url] });
    nodes.push(a.node, b.node, c.node);
    plain.push(await startPlainNode({ id: 'cat-plain', join: a.node.url }));

    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    const published = await fetch(`${a.node.url}/files?name=holiday.txt&description=beach%20photos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: 'sun and sand',
      signal: AbortSignal.timeout(5_000),
    });
    expect(published.status).toBe(201);
    const { file } = (await published.json()) as { file: { id: string } };

    await vi.waitFor(
      async () => {
        const found = await search(c.node, 'beach phot');
        expect(found.files.map((f) => `${f.owner}/${f.name}`)).toEqual(['alice@cat-a/holiday.txt']);
        expect(found.answered.sort()).toEqual(['cat-a', 'cat-b', 'cat-c']);
        expect(found.missing).toEqual([]);
      },
      { timeout: CONVERGE_MS, interval: POLL_MS },
    );
    // Every word must match, each as a prefix of a word of the name or description.
    expect((await search(c.node, 'sand beach')).files).toEqual([]);
    expect((await search(c.node, 'holiday')).files).toHaveLength(1);

    // The CLI against C: `files` lists the mesh (the node's own records only with --local), and `get` finds
    // OWNER/NAME in the mesh catalog and downloads it through C.
    const listed = await cli(['files', '--node', c.node.url, '--search', 'beach', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).id),
    ).toEqual([file.id]);
    const local = await cli(['files', '--node', c.node.url, '--user', 'alice@cat-a', '--local']);
    expect(local.stdout.trim()).toBe('no files');
    const into = mkdtempSync(join(tmpdir(), 'meshchat-cat-get-'));
    try {
      const got = await cli(['get', 'alice@cat-a/holiday.txt', '--node', c.node.url, '-o', into]);
      expect(got.code, got.stderr).toBe(0);
      expect(readFileSync(join(into, 'holiday.txt'), 'utf8')).toBe('sun and sand');
    } finally {
      rmSync(into, { recursive: true, force: true });
    }

    const removed = await fetch(`${a.node.url}/files/${file.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(2_000),
    });
    expect(removed.status).toBeLessThan(300);
    await vi.waitFor(async () => expect((await search(c.node, 'holiday')).files).toEqual([]), {
      timeout: CONVERGE_MS,
      interval: POLL_MS,
    });
  });

  it('a node that joins later lists the files of another node newest first, as that node does', async () => {
    const a = await startWiredTestNode('order-a');
    nodes.push(a.node);
    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    for (const name of ['first.txt', 'second.txt', 'third.txt']) {
      const published = await fetch(`${a.node.url}/files?name=${name}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
        body: `the bytes of ${name}`,
        signal: AbortSignal.timeout(5_000),
      });
      expect(published.status).toBe(201);
    }
    const newestFirst = ['third.txt', 'second.txt', 'first.txt'];
    const own = (await (await fetch(`${a.node.url}/files`)).json()) as Listing;
    expect(own.files.map((f) => f.name)).toEqual(newestFirst);

    // B pulls A's whole catalog at once when it joins: its listing keeps A's order.
    const b = await startWiredTestNode('order-b', { join: [a.node.url] });
    nodes.push(b.node);
    await vi.waitFor(
      async () => {
        const response = await fetch(`${b.node.url}/files?scope=mesh`, {
          signal: AbortSignal.timeout(2_000),
        });
        const listing = (await response.json()) as Listing;
        expect(listing.answered).toContain('order-a');
        expect(listing.files.map((f) => f.name)).toEqual(newestFirst);
      },
      { timeout: CONVERGE_MS, interval: POLL_MS },
    );
    const listed = await cli(['files', '--node', b.node.url, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).name),
    ).toEqual(newestFirst);
  });
});
