// The mesh directory between real nodes on 127.0.0.1 and random ports (built in this process with the
// container, so the test reaches each node's account store and presence as the authenticated front ends do),
// over the real HTTP API, with a plain assignment node in the mesh. Every wait polls with a deadline.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { directorySettings } from '../../src/application/directory/directory-settings.js';
import { MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import type { MeshNode } from '../../src/mesh-node.js';
import type { WiredNode } from '../../src/wiring/wire-node.js';
import { type PlainNode, startPlainNode } from '../interop/plain-node/spawn.js';
import { CI_MARGIN_MS, POLL_MS } from '../support/cli-nodes.js';
import { stopAll } from '../support/nodes.js';
import { addAccount, startWiredTestNode } from '../support/wired-nodes.js';

const LAN = MEMBERSHIP_PROFILES.lan;
/** A version reaches every node of a small mesh in a few gossip rounds, plus the pull. */
const CONVERGE_MS = 6 * LAN.gossipIntervalMs + CI_MARGIN_MS;

interface MeshAnswer {
  users: { user: string; online: boolean; lastSeen: string | null }[];
  answered: string[];
  missing: string[];
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return { status: response.status, body: (await response.json()) as T };
}

const meshOf = async (node: MeshNode) => (await getJson<MeshAnswer>(`${node.url}/users?scope=mesh`)).body;

describe('GET /users?scope=mesh between real nodes', () => {
  const nodes: MeshNode[] = [];
  const plain: PlainNode[] = [];
  afterEach(async () => {
    await stopAll(nodes);
    await Promise.all(plain.splice(0).map((p) => p.stop('SIGKILL')));
  });

  it('lists every user of every meshchat node, with the right online state, on any node', async () => {
    const a = await startWiredTestNode('dir-a');
    const b = await startWiredTestNode('dir-b', { join: [a.node.url] });
    const c = await startWiredTestNode('dir-c', { join: [b.node.url] });
    nodes.push(a.node, b.node, c.node);
    const p = await startPlainNode({ id: 'dir-plain', join: a.node.url });
    plain.push(p);
    const users: [{ wired: WiredNode }, string, boolean][] = [
      [a, 'alice', true],
      [a, 'amos', false],
      [b, 'bob', false],
      [c, 'carol', true],
      [c, 'cy', true],
    ];
    for (const [{ wired }, name, online] of users) {
      addAccount(wired.accounts, name);
      if (online) wired.presence.opened(name, `${name}-socket`, 'socket.io');
    }
    const expected = [
      { user: 'alice@dir-a', online: true, lastSeen: null },
      { user: 'amos@dir-a', online: false, lastSeen: null },
      { user: 'bob@dir-b', online: false, lastSeen: null },
      { user: 'carol@dir-c', online: true, lastSeen: null },
      { user: 'cy@dir-c', online: true, lastSeen: null },
    ];
    const byUser = (x: { user: string }, y: { user: string }) => x.user.localeCompare(y.user);
    await vi.waitFor(
      async () => {
        for (const node of nodes) {
          const answer = await meshOf(node);
          expect([...answer.users].sort(byUser)).toEqual(expected);
          expect([...answer.answered].sort()).toEqual(['dir-a', 'dir-b', 'dir-c']);
          expect(answer.missing).toEqual([]);
        }
      },
      // Eventual convergence, not its speed (the directory bench measures that): a CI machine running the whole
      // suite in parallel once took longer than one bound to pull every part.
      { timeout: 2 * CONVERGE_MS, interval: POLL_MS },
    );
    // The plain node is a member everywhere, yet neither answered nor missing.
    expect(a.node.registry.get('dir-plain')).toBeDefined();

    // carol's connection closes: every node shows her offline with the time she was last seen.
    c.wired.presence.closed('carol', 'carol-socket', 'socket.io');
    await vi.waitFor(
      async () => {
        for (const node of nodes) {
          const carol = (await meshOf(node)).users.find((u) => u.user === 'carol@dir-c');
          expect(carol?.online).toBe(false);
          expect(carol?.lastSeen).toMatch(/^\d{4}-\d\d-\d\dT/);
        }
      },
      { timeout: 2 * CONVERGE_MS, interval: POLL_MS },
    );

    // Bad input.
    const bad = await getJson<{ error: { code: string; message: string } }>(`${a.node.url}/users?scope=foo`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_scope');
  }, 90_000);

  it('a node that crashes is listed as missing within the staleness bound, never dropped', async () => {
    const a = await startWiredTestNode('dir-d');
    const b = await startWiredTestNode('dir-e', { join: [a.node.url] });
    nodes.push(a.node);
    addAccount(b.wired.accounts, 'erin');
    await vi.waitFor(async () => expect((await meshOf(a.node)).answered).toEqual(['dir-d', 'dir-e']), {
      timeout: CONVERGE_MS,
      interval: POLL_MS,
    });
    await b.node.stop({ leave: false });
    const staleMs = directorySettings(LAN).staleAfterMs;
    await vi.waitFor(
      async () =>
        expect(await meshOf(a.node)).toEqual({ users: [], answered: ['dir-d'], missing: ['dir-e'] }),
      { timeout: staleMs + CI_MARGIN_MS, interval: POLL_MS },
    );
  });
});
