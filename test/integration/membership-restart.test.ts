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

  it("two restarted nodes that know each other's keys but not each other meet through a node listing both", async () => {
    const [a, b, c] = await Promise.all([nodes.durable(), nodes.durable(), nodes.durable()]);
    const hub = await nodes.startNode('meet-a', { port: a.port, dataDir: a.dataDir });
    const left = await nodes.startNode('meet-b', { port: b.port, dataDir: b.dataDir, join: [hub.url] });
    const right = await nodes.startNode('meet-c', { port: c.port, dataDir: c.dataDir, join: [hub.url] });
    await waitForLists([hub, left, right], ['meet-a', 'meet-b', 'meet-c']);
    // B and C stop and come back remembering nobody but A, whose list names them both; their key bindings stay.
    await stopGracefully(left);
    await stopGracefully(right);
    emptyMemory(b.dataDir);
    emptyMemory(c.dataDir);
    const left2 = await nodes.startNode('meet-b', { port: b.port, dataDir: b.dataDir, join: [hub.url] });
    const right2 = await nodes.startNode('meet-c', { port: c.port, dataDir: c.dataDir, join: [hub.url] });
    // A passes their records on unsigned, which cannot introduce a keyed node; each asks the other itself.
    await waitForLists([hub, left2, right2], ['meet-a', 'meet-b', 'meet-c']);
  });
});

/** Waits (with a deadline of a few gossip rounds) until every node lists exactly `all`. */
async function waitForLists(running: RunningNode[], all: string[]): Promise<void> {
  const deadline = Date.now() + 8_000 + 2 * CI_MARGIN_MS;
  while (Date.now() < deadline) {
    const lists = await Promise.all(running.map((n) => ids(n.url)));
    if (lists.every((l) => l.join() === all.join())) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  for (const node of running) expect(await ids(node.url), node.id).toEqual(all);
}
