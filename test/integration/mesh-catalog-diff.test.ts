// The mesh catalog's difference pulls and durable copies between real nodes on 127.0.0.1 and random ports: a
// change on A reaches C as a difference (one record sent, not A's whole catalog), and C restarted on its data
// dir keeps its copy: its `scope=mesh` search finds A's files with no pull of A's catalog. Every wait polls with
// a deadline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OfetchPeerClient } from '../../src/adapters/peers/ofetch-peer-client.js';
import { MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import type { CallOptions, CatalogAnswer } from '../../src/application/ports/peer-client.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { CountingPeerClient } from '../fakes/counting-peer-client.js';
import { registerAndLogin } from '../support/accounts-http.js';
import { CI_MARGIN_MS, POLL_MS } from '../support/cli-nodes.js';
import { stopAll } from '../support/nodes.js';
import { startWiredTestNode } from '../support/wired-nodes.js';

const LAN = MEMBERSHIP_PROFILES.lan;
const CONVERGE_MS = 6 * LAN.gossipIntervalMs + CI_MARGIN_MS;
const PASSWORD = 'correct horse battery';

/** A peer client that records what each `GET /files/catalog` it made asked and got. */
class CatalogSpy extends CountingPeerClient {
  readonly pulls: { url: string; since?: number; diff: boolean; files: number; removed: number }[] = [];

  constructor() {
    super(new OfetchPeerClient({}));
  }

  override async listCatalog(
    url: string,
    options: CallOptions & { readonly since?: number } = {},
  ): Promise<CatalogAnswer> {
    const answer = await super.listCatalog(url, options);
    this.pulls.push({
      url,
      ...(options.since === undefined ? {} : { since: options.since }),
      diff: answer.since !== undefined,
      files: answer.files.length,
      removed: answer.removed?.length ?? 0,
    });
    return answer;
  }
}

interface Listing {
  files: { name: string; owner: string }[];
  answered: string[];
  missing: string[];
  stale?: string[];
}

async function search(node: MeshNode, q: string): Promise<Listing> {
  const response = await fetch(`${node.url}/files?scope=mesh&q=${encodeURIComponent(q)}`, {
    signal: AbortSignal.timeout(2_000),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Listing;
}

async function publish(node: MeshNode, token: string, name: string, description: string): Promise<void> {
  const query = new URLSearchParams({ name, description });
  const response = await fetch(`${node.url}/files?${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
    body: `${name} bytes`,
    signal: AbortSignal.timeout(5_000),
  });
  expect(response.status).toBe(201);
}

describe('mesh catalog differences and durable copies between real nodes', () => {
  const nodes: MeshNode[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await stopAll(nodes.splice(0));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('C pulls a change on A as a difference, and C restarted keeps its copy and searches without a pull', async () => {
    const a = await startWiredTestNode('diff-a');
    const b = await startWiredTestNode('diff-b', { join: [a.node.url] });
    const dataDir = mkdtempSync(join(tmpdir(), 'meshchat-catalog-c-'));
    dirs.push(dataDir);
    const spy = new CatalogSpy();
    const c = await startWiredTestNode('diff-c', { join: [b.node.url], peers: spy, config: { dataDir } });
    nodes.push(a.node, b.node, c.node);

    const { token } = await registerAndLogin(a.node.url, 'alice', PASSWORD);
    for (let i = 0; i < 5; i++) await publish(a.node, token, `holiday-${i}.txt`, 'beach photos');
    await vi.waitFor(
      async () => {
        const found = await search(c.node, 'beach');
        expect(found.files).toHaveLength(5);
        expect(found.answered).toContain('diff-a');
      },
      { timeout: CONVERGE_MS, interval: POLL_MS },
    );
    const fromA = () => spy.pulls.filter((p) => p.url === a.node.url);
    const before = fromA().length;

    // One more file on A: C asks for what changed since its copy, and gets that one record only.
    await publish(a.node, token, 'sunset.txt', 'one more beach photo');
    await vi.waitFor(
      async () => expect((await search(c.node, 'sunset')).files.map((f) => f.name)).toEqual(['sunset.txt']),
      { timeout: CONVERGE_MS, interval: POLL_MS },
    );
    const after = fromA().slice(before);
    expect(after.length).toBeGreaterThanOrEqual(1);
    for (const pull of after) expect(pull).toMatchObject({ diff: true, removed: 0 });
    expect(after.every((pull) => pull.since !== undefined)).toBe(true);
    expect(after.reduce((sum, pull) => sum + pull.files, 0)).toBe(1);

    // C stops (leaving the mesh) and starts again on the same data dir, with a fresh spy.
    await c.node.stop();
    nodes.splice(nodes.indexOf(c.node), 1);
    const spyAgain = new CatalogSpy();
    const again = await startWiredTestNode('diff-c', {
      join: [b.node.url],
      peers: spyAgain,
      config: { dataDir },
    });
    nodes.push(again.node);
    await vi.waitFor(
      async () => {
        const found = await search(again.node, 'beach');
        expect(found.files).toHaveLength(6);
        expect(found.answered).toContain('diff-a');
      },
      { timeout: CONVERGE_MS, interval: POLL_MS },
    );
    expect(spyAgain.pulls.filter((p) => p.url === a.node.url)).toEqual([]);
  });
});
