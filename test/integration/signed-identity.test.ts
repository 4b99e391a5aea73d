import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MeshNode } from '../../src/mesh-node.js';
import { startTestNode, stopAll } from '../support/nodes.js';

const nodes: MeshNode[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await stopAll(nodes);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const DEADLINE = { timeout: 10_000, interval: 50 };
type Entry = { id: string; url: string; verified?: boolean };
const entryOf = async (on: MeshNode, id: string) =>
  ((await (await fetch(`${on.url}/nodes`)).json()) as Entry[]).find((n) => n.id === id);
const call = (url: string, method: string, body: unknown) =>
  fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('signed node identity between real nodes on 127.0.0.1', () => {
  it("refuses a stranger's move and removal of b, and takes b's own leave and restart at a new url", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'meshchat-signed-'));
    dirs.push(dataDir);
    const a = await startTestNode('a');
    nodes.push(a);
    const b = await startTestNode('b', { join: [a.url], config: { dataDir } });
    nodes.push(b);
    await vi.waitFor(
      async () => expect(await entryOf(a, 'b')).toMatchObject({ url: b.url, verified: true }),
      DEADLINE,
    );

    const incarnation = b.registry.self.incarnation;
    const hijack = await call(`${a.url}/nodes/b`, 'PUT', {
      url: 'http://127.0.0.1:9',
      incarnation: incarnation + 1,
    });
    expect(hijack.status).toBe(401);
    const removal = await call(`${a.url}/nodes/b`, 'DELETE', { url: b.url });
    expect(removal.status).toBe(401);
    expect(await entryOf(a, 'b')).toMatchObject({ url: b.url, verified: true });

    // b's own leave is signed, so a takes it.
    await b.stop();
    nodes.splice(nodes.indexOf(b), 1);
    await vi.waitFor(async () => expect(await entryOf(a, 'b')).toBeUndefined(), DEADLINE);

    // Restarted from its data dir: the same key, a newer incarnation, another port.
    const again = await startTestNode('b', { join: [a.url], config: { dataDir } });
    nodes.push(again);
    expect(again.url).not.toBe(b.url);
    await vi.waitFor(
      async () => expect(await entryOf(a, 'b')).toMatchObject({ url: again.url, verified: true }),
      DEADLINE,
    );
  });
});
