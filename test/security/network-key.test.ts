// A private network (`--network-key`, SPEC section 7): real nodes on 127.0.0.1. Members that share the key join,
// link and deliver; a node with another key or none cannot join, and every node-to-node route of the route table
// and the `/peer` upgrade refuse it with `401 network_key_required`, while the routes users call stay open.
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NETWORK_PROOF_HEADER, NetworkKey } from '../../src/adapters/crypto/network-key.js';
import { ALL_ROUTES } from '../../src/adapters/http/routes/all-routes.js';
import { LinkUnproven, PEER_LINK_DEFAULTS, WsPeerLink } from '../../src/adapters/peers/ws-peer-link.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { waitFor } from '../interop/plain-node/wait-for.js';
import { callNode, registerAndLogin } from '../support/accounts-http.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { linksOpen, metric } from '../support/peer-links.js';
import { type CliProcess, runCli, tempDataDir } from '../support/processes.js';
import { connectSocketIoUser, type SocketIoTestUser } from '../support/users.js';

const KEY = 'a shared secret of the test network';
const OTHER_KEY = 'another network altogether, long enough';

const nodes: MeshNode[] = [];
const users: SocketIoTestUser[] = [];
afterEach(async () => {
  for (const user of users.splice(0)) user.close();
  await stopAll(nodes);
});

async function node(
  id: string,
  options: { key?: string; join?: string[]; peerLinks?: boolean } = {},
): Promise<MeshNode> {
  const started = await startTestNode(id, {
    ...(options.join ? { join: options.join } : {}),
    config: {
      ...(options.key ? { networkKey: options.key } : {}),
      ...(options.peerLinks === false ? { peerLinks: false } : {}),
    },
  });
  nodes.push(started);
  return started;
}

async function user(url: string): Promise<SocketIoTestUser> {
  const connected = await connectSocketIoUser(url);
  users.push(connected);
  return connected;
}

/** A proof of `key` for one call, as a node makes it. */
function proof(key: string, method: string, target: string): string {
  return new NetworkKey(key, { now: Date.now }).prove(method, target);
}

/** Every node-to-node route of the table as a request: its path filled in, a body it would otherwise take. */
function peerRequests(selfId: string): { method: string; path: string; body?: unknown }[] {
  const bodies: Record<string, unknown> = {
    'PUT /nodes/{id}': { url: 'http://127.0.0.1:9/' },
    'DELETE /nodes/{id}': { url: 'http://127.0.0.1:9/' },
    'POST /probe': { id: 'zed', url: 'http://127.0.0.1:9/' },
    'PUT /msg': { from: 'eve', to: selfId, msg: 'spoofed' },
    'POST /msgs': {
      messages: [{ id: 'm-1', from: 'eve', to: selfId, msg: 'spoofed', ts: new Date().toISOString() }],
    },
  };
  const peer = ALL_ROUTES.filter((route) => route.peer);
  return peer.map((route) => {
    const method = route.method.toUpperCase();
    const path = route.path.replace('{id}', route.path.startsWith('/nodes/') ? selfId : 'x');
    const body = bodies[`${method} ${route.path}`];
    return body === undefined ? { method, path } : { method, path, body };
  });
}

/** The status and body of a `/peer` upgrade refused (or `101` when taken). */
function upgrade(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; proof?: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: hostname,
      port,
      path: '/peer',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.alloc(16, 7).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (response, socket) => {
      socket.destroy();
      const proof = response.headers[NETWORK_PROOF_HEADER.toLowerCase()];
      resolve({
        status: response.statusCode ?? 0,
        body: '',
        ...(typeof proof === 'string' ? { proof } : {}),
      });
    });
    req.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a private network (--network-key)', () => {
  for (const peerLinks of [true, false]) {
    it(`lets members that share the key join and deliver end to end (${peerLinks ? 'links' : '--no-peer-links'})`, async () => {
      const a = await node('nk-a', { key: KEY, peerLinks });
      const b = await node('nk-b', { key: KEY, peerLinks, join: [a.url] });
      await waitFor(() => a.registry.get('nk-b') !== undefined && b.registry.get('nk-a') !== undefined);
      const reader = await user(a.url);
      const writer = await user(b.url);
      expect(await writer.send('nk-a', 'hello, member')).toMatchObject({ ok: true });
      await waitFor(() => reader.messages.some((m) => m.msg === 'hello, member' && m.from === 'nk-b'));
      if (peerLinks) {
        // The link between them was opened with a proof, and carries their calls.
        await linksOpen(b.url, 1);
        expect(await metric(b.url, 'meshchat_peer_links_open')).toBe(1);
      }
      // The mesh directory (GET /users) and the mesh catalog (GET /files/catalog) are pulled with proofs too.
      const { token } = await registerAndLogin(a.url, 'ann', 'long enough pw');
      const published = await fetch(`${a.url}/files?name=notes.txt&description=members%20only`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
        body: 'kept within the network',
      });
      expect(published.status).toBe(201);
      await waitFor(async () => {
        const users = (await callNode(b.url, 'GET', '/users?scope=mesh')).body as {
          users: { user: string }[];
        };
        const files = (await callNode(b.url, 'GET', '/files?q=members&scope=mesh')).body as {
          files: { owner: string }[];
        };
        return (
          users.users.some((u) => u.user === 'ann@nk-a') && files.files.some((f) => f.owner === 'ann@nk-a')
        );
      }, 15_000);
    });
  }

  it('refuses a node with another key, or none, at startup with a clear error, and does not add it', async () => {
    const a = await node('nk-a', { key: KEY });
    await expect(node('nk-other', { key: OTHER_KEY, join: [a.url] })).rejects.toThrow(
      /401.*network key \(--network-key\).*does not verify/,
    );
    await expect(node('nk-plain', { join: [a.url] })).rejects.toThrow(
      /401.*network key \(--network-key\).*carries no proof/,
    );
    expect(a.registry.get('nk-other')).toBeUndefined();
    expect(a.registry.get('nk-plain')).toBeUndefined();
    expect(a.registry.peers()).toEqual([]);
  });

  it('does not join through a node that cannot prove the key, nor tell it anything', async () => {
    const open = await node('nk-open');
    await expect(node('nk-k', { key: KEY, join: [open.url] })).rejects.toThrow(
      /without proving the network key: it is not a member/,
    );
    expect(open.registry.get('nk-k')).toBeUndefined();
    const otherNetwork = await node('nk-other', { key: OTHER_KEY });
    await expect(node('nk-k2', { key: KEY, join: [otherNetwork.url] })).rejects.toThrow(/401/);
    expect(otherNetwork.registry.get('nk-k2')).toBeUndefined();
  });

  it('closes a link whose 101 does not prove the key back, before any call goes on it', async () => {
    const open = await node('nk-open');
    const key = new NetworkKey(KEY, { now: Date.now });
    const asked = key.prove('GET', '/peer');
    await expect(
      WsPeerLink.open(open.url, PEER_LINK_DEFAULTS, {
        headers: { [NETWORK_PROOF_HEADER]: asked },
        proven: (headers) =>
          key.checkAnswer(
            headers[NETWORK_PROOF_HEADER.toLowerCase()] as string | undefined,
            asked,
            101,
            new Uint8Array(0),
          ),
      }),
    ).rejects.toBeInstanceOf(LinkUnproven);
  });

  it('refuses every node-to-node route of the table without a proof, or with another key', async () => {
    const a = await node('nk-a', { key: KEY });
    const requests = peerRequests('nk-a');
    // The table's node-to-node routes: a route added later is covered without touching this test.
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['GET /nodes', 'PUT /nodes/nk-a', 'PUT /msg', 'POST /msgs', 'POST /probe']),
    );
    for (const { method, path, body } of requests) {
      const proofs: Record<string, string>[] = [
        {},
        { [NETWORK_PROOF_HEADER]: proof(OTHER_KEY, method, path) },
      ];
      for (const header of proofs) {
        const response = await fetch(`${a.url}${path}`, {
          method,
          headers: { ...header, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect({ call: `${method} ${path}`, status: response.status, body: await response.json() }).toEqual({
          call: `${method} ${path}`,
          status: 401,
          body: {
            error: { code: 'network_key_required', message: expect.stringContaining('--network-key') },
          },
        });
      }
    }
    // A proof of the right key for another call opens nothing either.
    const stolen = proof(KEY, 'GET', '/nodes');
    const moved = await fetch(`${a.url}/nodes/eve`, {
      method: 'PUT',
      headers: { [NETWORK_PROOF_HEADER]: stolen, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/' }),
    });
    expect(moved.status).toBe(401);
    expect(a.registry.get('eve')).toBeUndefined();
    // With a proof of the key, the same call is a member's.
    const asked = proof(KEY, 'GET', '/nodes');
    const listed = await fetch(`${a.url}/nodes`, { headers: { [NETWORK_PROOF_HEADER]: asked } });
    expect(listed.status).toBe(200);
    // And its answer proves the key back, over its status and body.
    const text = Buffer.from(await listed.arrayBuffer());
    const member = new NetworkKey(KEY, { now: Date.now });
    expect(member.checkAnswer(listed.headers.get(NETWORK_PROOF_HEADER), asked, 200, text)).toBe(true);
  });

  it('refuses the /peer upgrade without a proof, with another key, or with a replayed one', async () => {
    const a = await node('nk-a', { key: KEY });
    const none = await upgrade(a.url, {});
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ error: { code: 'network_key_required' } });
    expect((await upgrade(a.url, { [NETWORK_PROOF_HEADER]: proof(OTHER_KEY, 'GET', '/peer') })).status).toBe(
      401,
    );
    const good = proof(KEY, 'GET', '/peer');
    // Each refusal is counted by why, for the operator.
    expect(await metric(a.url, 'meshchat_network_key_refusals_total{reason="missing"}')).toBe(1);
    expect(await metric(a.url, 'meshchat_network_key_refusals_total{reason="wrong_key"}')).toBe(1);
    const taken = await upgrade(a.url, { [NETWORK_PROOF_HEADER]: good });
    expect(taken.status).toBe(101);
    // The 101 proves the key back, for this very upgrade.
    const member = new NetworkKey(KEY, { now: Date.now });
    expect(member.checkAnswer(taken.proof, good, 101, new Uint8Array(0))).toBe(true);
    expect((await upgrade(a.url, { [NETWORK_PROOF_HEADER]: good })).status).toBe(401);
    expect(await metric(a.url, 'meshchat_network_key_refusals_total{reason="replayed"}')).toBe(1);
  });

  it("refuses a stranger's PUT /msg and never shows it to the node's users", async () => {
    const a = await node('nk-a', { key: KEY });
    const b = await node('nk-b', { key: KEY, join: [a.url] });
    const reader = await user(a.url);
    const spoof = await callNode(a.url, 'PUT', '/msg', {
      body: { from: 'nk-b', to: 'nk-a', msg: 'spoofed by a stranger' },
    });
    expect(spoof.status).toBe(401);
    expect(spoof.body).toMatchObject({ error: { code: 'network_key_required' } });
    // A member's message sent after it arrives; the stranger's never does.
    const writer = await user(b.url);
    expect(await writer.send('nk-a', 'after the spoof')).toMatchObject({ ok: true });
    await waitFor(() => reader.messages.some((m) => m.msg === 'after the spoof'));
    expect(reader.messages.map((m) => m.msg)).not.toContain('spoofed by a stranger');
  });

  it('keeps the routes users call open to callers without the key', async () => {
    const a = await node('nk-a', { key: KEY });
    expect((await callNode(a.url, 'GET', '/healthz')).status).toBe(200);
    expect(
      (await callNode(a.url, 'POST', '/users', { body: { name: 'ann', password: 'long enough pw' } })).status,
    ).toBe(201);
    const session = await callNode(a.url, 'POST', '/sessions', {
      body: { name: 'ann', password: 'long enough pw' },
    });
    expect(session.status).toBe(201);
    expect((await callNode(a.url, 'GET', '/users')).status).toBe(200);
    expect((await callNode(a.url, 'GET', '/files?q=x')).status).toBe(200);
    expect((await fetch(`${a.url}/`)).status).toBe(200);
    // Both user front ends: a socket.io user gets its history, a /ws user its hello.
    const reader = await user(a.url);
    await waitFor(() => reader.histories.length === 1);
    const ws = new WebSocket(`${a.url.replace(/^http/, 'ws')}/ws`);
    const frames: string[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString()).type as string));
    await waitFor(() => frames.includes('hello'));
    ws.close();
  });

  describe('meshchat node, as a process', () => {
    const processes: CliProcess[] = [];
    const dirs: string[] = [];
    afterEach(() => {
      for (const p of processes.splice(0)) p.child.kill('SIGKILL');
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    });

    it('exits 1 with one line, once, when its key file holds another key; the member does not add it', async () => {
      const a = await node('nk-a', { key: KEY });
      const dir = tempDataDir();
      dirs.push(dir);
      const file = join(dir, 'key');
      writeFileSync(file, `${OTHER_KEY}\n`);
      chmodSync(file, 0o600);
      const child = runCli(['node', '--id', 'nk-proc', '--port', '0', '--in-memory', '--join', a.url], {
        MESHCHAT_DATA_DIR: '',
        MESHCHAT_NETWORK_KEY_FILE: file,
      });
      processes.push(child);
      expect(await child.exited).toBe(1);
      const lines = child.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^meshchat node: .*401: This node belongs to a private network/);
      expect(child.stderr()).not.toContain(OTHER_KEY);
      expect(a.registry.get('nk-proc')).toBeUndefined();
    });

    it('refuses a short key with exit 2, without printing it', async () => {
      const child = runCli(['node', '--port', '0', '--network-key', 'hunter2']);
      processes.push(child);
      expect(await child.exited).toBe(2);
      expect(child.stderr().trim()).toBe(
        'meshchat node: --network-key must be at least 16 characters (it has 7): a short key can be guessed from one captured call',
      );
    });
  });
});
