// A network whose nodes were all stopped (each told the others it leaves) and started again must come back as
// one network, without --join: a restarted node also asks the nodes it remembers as having left, since they
// may be back. Before, those were forgotten, so a node that came back first, remembering nobody, and one that
// remembered it only as "left" each ran alone for good. Real `meshchat node` processes on 127.0.0.1.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/adapters/storage/open-database.js';
import { CI_MARGIN_MS, cliNodes, POLL_MS, type RunningNode } from '../support/cli-nodes.js';

async function ids(url: string): Promise<string[]> {
  try {
    const nodes = (await (await fetch(`${url}/nodes`)).json()) as { id: string }[];
    return nodes.map((n) => n.id).sort();
  } catch {
    return [];
  }
}

/** Forgets every node a stopped node's data dir remembers, keeping its key and incarnation. */
function emptyMemory(dataDir: string): void {
  const db = new Database(join(dataDir, DATABASE_FILE));
  db.prepare('DELETE FROM known_nodes').run();
  db.close();
}

async function stopGracefully(node: RunningNode): Promise<void> {
  node.proc.child.kill('SIGTERM');
  expect(await node.proc.exited).toBe(0);
}

describe('restarting a whole network', () => {
  const nodes = cliNodes();

  it('a node restarted without --join rejoins through a node it remembers as having left', async () => {
    const a = await nodes.durable();
    const b = await nodes.durable();
    const first = await nodes.startNode('restart-a', { port: a.port, dataDir: a.dataDir });
    const second = await nodes.startNode('restart-b', {
      port: b.port,
      dataDir: b.dataDir,
      join: [first.url],
    });
    // B leaves first (A keeps it as "left"), then A stops, remembering only that B left.
    await stopGracefully(second);
    await stopGracefully(first);

    // B comes back first, with its own data dir (its key) but remembering nobody: what a node that heard every
    // other node leave while the whole network stopped at once kept before this fix.
    emptyMemory(b.dataDir);
    const back = await nodes.startNode('restart-b', { port: b.port, dataDir: b.dataDir });
    // A comes back without --join: the only node it remembers is B, which had left.
    const again = await nodes.startNode('restart-a', { port: a.port, dataDir: a.dataDir });
    await again.proc.waitForOutput(new RegExp(`joined through ${back.url.replace(/[.:/]/g, '\\$&')}`));

    const both = ['restart-a', 'restart-b'];
    const deadline = Date.now() + 5_000 + CI_MARGIN_MS;
    while (Date.now() < deadline) {
      const [fromA, fromB] = await Promise.all([ids(again.url), ids(back.url)]);
      if (fromA.join() === both.join() && fromB.join() === both.join()) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    expect(await ids(again.url)).toEqual(both);
    expect(await ids(back.url)).toEqual(both);
  });

  it('a node whose remembered nodes all stay silent says so, then finds one that had left once it is back', async () => {
    const a = await nodes.durable();
    const b = await nodes.durable();
    const first = await nodes.startNode('alone-a', { port: a.port, dataDir: a.dataDir });
    const second = await nodes.startNode('alone-b', { port: b.port, dataDir: b.dataDir, join: [first.url] });
    await stopGracefully(first);
    await stopGracefully(second);
    // B remembers A, which left; A is down when B comes back.
    const again = await nodes.startNode('alone-b', { port: b.port, dataDir: b.dataDir });
    const line = await again.proc.waitForOutput(/\n(.*answered.*)\n/);
    expect(line[1]).not.toMatch(/joined through :/);
    expect(line[1]).toContain(first.url);
    expect(await ids(again.url)).toEqual(['alone-b']);
    // A comes back remembering nobody: B's reconnect loop (every 5 s on lan) finds it.
    emptyMemory(a.dataDir);
    const back = await nodes.startNode('alone-a', { port: a.port, dataDir: a.dataDir });
    const both = ['alone-a', 'alone-b'];
    const deadline = Date.now() + 5_000 + 2 * CI_MARGIN_MS;
    while (Date.now() < deadline) {
      const [fromA, fromB] = await Promise.all([ids(back.url), ids(again.url)]);
      if (fromA.join() === both.join() && fromB.join() === both.join()) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    expect(await ids(again.url)).toEqual(both);
    expect(await ids(back.url)).toEqual(both);
  });
});
