// Files in conversations and who fetched them, on real nodes on 127.0.0.1 (in this process, random ports):
// a message carrying `file: {id, name, size}` crosses nodes with the field intact (a direct message, a message
// to a node, and a relayed one), is kept in history, and a bad `file` is refused with `invalid_file_reference`
// on a socket and with 400 on `PUT /msg`. `GET /files/:id/downloads` shows the owner who fetched the file
// (a user, a node that named itself, anonymous), newest first, and refuses everyone else.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { MeshNode } from '../../src/mesh-node.js';
import { callNode, registerAndLogin } from '../support/accounts-http.js';
import { joinedMeshFixture } from '../support/joined-mesh.js';
import { connectWsUser } from '../support/users.js';

const PASSWORD = 'correct horse battery';
const soon = { timeout: 8_000, interval: 20 };

const { closers, mesh, socketUser } = joinedMeshFixture();

async function publish(url: string, token: string, name: string, bytes: Buffer) {
  const response = await fetch(`${url}/files?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: bytes,
  });
  expect(response.status).toBe(201);
  const { file } = (await response.json()) as { file: { id: string; name: string; size: number } };
  return { id: file.id, name: file.name, size: file.size };
}

async function fetchFile(url: string, id: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/files/${id}`, { headers });
  expect(response.status).toBeLessThan(300);
  return Buffer.from(await response.arrayBuffer());
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('a file posted into a conversation', () => {
  it('crosses nodes with its reference intact: direct, to a node, relayed, and in history', async () => {
    const [a, b, c] = (await mesh(['node-a', 'node-b', 'node-c'])) as [MeshNode, MeshNode, MeshNode];
    const alice = await registerAndLogin(a.url, 'alice', PASSWORD);
    const bob = await registerAndLogin(b.url, 'bob', PASSWORD);
    const file = await publish(a.url, alice.token, 'plan ☕.pdf', randomBytes(3000));

    const onA = await socketUser(a.url, alice.token);
    const onB = await socketUser(b.url, bob.token);
    const onC = await connectWsUser(c.url);
    closers.push(onC);

    const direct = await onA.socket
      .timeout(10_000)
      .emitWithAck('msg', { to: bob.user, msg: 'the plan', file: { ...file, extra: 'dropped' } });
    expect(direct).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(onB.messages.find((m) => m.msg === 'the plan')).toBeDefined(), soon);
    expect(onB.messages.find((m) => m.msg === 'the plan')).toMatchObject({ fromUser: alice.user, file });
    expect((onB.messages.find((m) => m.msg === 'the plan') as { file?: object }).file).toEqual(file);

    const toNode = await onA.socket
      .timeout(10_000)
      .emitWithAck('msg', { to: 'node-c', msg: 'for node c', file });
    expect(toNode).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(onC.messages.find((m) => m.msg === 'for node c')).toBeDefined(), soon);
    expect(onC.messages.find((m) => m.msg === 'for node c')).toMatchObject({ from: 'node-a', file });

    // Node b relays a message for node c that it got from a plain client: the reference goes along.
    const relayed = await callNode(b.url, 'PUT', '/msg', {
      body: { to: 'node-c', msg: 'relayed', from: 'node-a', file },
    });
    expect(relayed).toMatchObject({ status: 200, body: { status: 'relayed' } });
    await vi.waitFor(() => expect(onC.messages.find((m) => m.msg === 'relayed')).toBeDefined(), soon);
    expect(onC.messages.find((m) => m.msg === 'relayed')).toMatchObject({ file });

    // A new connection of bob's gets the direct message from history with its file.
    const later = await socketUser(b.url, bob.token);
    await vi.waitFor(
      () => expect(later.histories.flat().find((m) => m.msg === 'the plan')).toMatchObject({ file }),
      soon,
    );
  });

  it('refuses a bad file reference with invalid_file_reference, on a socket and on PUT /msg', async () => {
    const [a] = (await mesh(['node-a'])) as [MeshNode];
    const alice = await registerAndLogin(a.url, 'alice', PASSWORD);
    const onA = await socketUser(a.url, alice.token);
    const good = { id: 'a'.repeat(64), name: 'x.txt', size: 1 };
    const bad: [string, unknown, RegExp][] = [
      ['an id that is not a file id', { ...good, id: 'A'.repeat(64) }, /file\.id/],
      ['a name with a slash', { ...good, name: '../etc/passwd' }, /file\.name/],
      ['an empty name', { ...good, name: '' }, /file\.name/],
      ['a name over 255 bytes', { ...good, name: 'é'.repeat(128) }, /file\.name/],
      ['a negative size', { ...good, size: -1 }, /file\.size/],
      ['a fractional size', { ...good, size: 1.5 }, /file\.size/],
      ['a size past safe integers', { ...good, size: 2 ** 53 }, /file\.size/],
      ['a string', 'x.txt', /must be \{id, name, size\}/],
      ['an array', [good], /must be \{id, name, size\}/],
    ];
    for (const [why, file, words] of bad) {
      const ack = await onA.socket.timeout(10_000).emitWithAck('msg', { to: 'node-a', msg: 'x', file });
      expect(ack, why).toMatchObject({ ok: false, error: { code: 'invalid_file_reference' } });
      expect(ack.error.message, why).toMatch(words);
      const put = await callNode(a.url, 'PUT', '/msg', { body: { to: 'node-a', msg: 'x', file } });
      expect(put.status, why).toBe(400);
      expect(put.body, why).toMatchObject({ error: { code: 'invalid_file_reference' } });
      expect((put.body as { error: { message: string } }).error.message, why).toMatch(words);
    }
    // Nothing refused reached anyone; a good one does.
    expect(onA.messages.filter((m) => m.msg === 'x')).toEqual([]);
    const ok = await onA.socket.timeout(10_000).emitWithAck('msg', { to: 'node-a', msg: 'y', file: good });
    expect(ok).toMatchObject({ ok: true });
  });
});

describe('GET /files/:id/downloads', () => {
  it('shows the owner who fetched the file, newest first; others 403, unknown 404, no login 401', async () => {
    const [a] = (await mesh(['node-a'])) as [MeshNode];
    const alice = await registerAndLogin(a.url, 'alice', PASSWORD);
    const bob = await registerAndLogin(a.url, 'bob', PASSWORD);
    const bytes = randomBytes(5000);
    const file = await publish(a.url, alice.token, 'report.bin', bytes);
    const path = `/files/${file.id}/downloads`;

    expect(await callNode(a.url, 'GET', path, { token: alice.token })).toMatchObject({
      status: 200,
      body: { downloads: [] },
    });
    expect(sha(await fetchFile(a.url, file.id, { Authorization: `Bearer ${bob.token}` }))).toBe(file.id);
    await fetchFile(a.url, file.id);
    await fetchFile(a.url, file.id, { 'Meshchat-Node': 'node-z', Range: 'bytes=100-' });
    await fetchFile(a.url, file.id, { 'Meshchat-Node': '../not an id' });
    // HEAD and the record are not fetches.
    await fetch(`${a.url}/files/${file.id}`, { method: 'HEAD' });
    await callNode(a.url, 'GET', `/files/${file.id}/record`);

    const seen = await callNode(a.url, 'GET', path, { token: alice.token });
    expect(seen.status).toBe(200);
    const { downloads } = seen.body as { downloads: Record<string, string>[] };
    expect(downloads.map(({ at: _at, ...rest }) => rest)).toEqual([
      { bytes: '0-4999' },
      { node: 'node-z', bytes: '100-4999' },
      { bytes: '0-4999' },
      { user: 'bob@node-a', bytes: '0-4999' },
    ]);
    for (const d of downloads) expect(Number.isNaN(Date.parse(d.at as string))).toBe(false);

    expect(await callNode(a.url, 'GET', path, { token: bob.token })).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    });
    expect(await callNode(a.url, 'GET', path)).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthenticated' } },
    });
    expect(
      await callNode(a.url, 'GET', `/files/${'0'.repeat(64)}/downloads`, { token: alice.token }),
    ).toMatchObject({ status: 404, body: { error: { code: 'unknown_file' } } });
    expect(await callNode(a.url, 'GET', '/files/nothex/downloads', { token: alice.token })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_file_id' } },
    });

    // Deleting the file forgets who fetched it: published again, its list starts empty.
    expect((await callNode(a.url, 'DELETE', `/files/${file.id}`, { token: alice.token })).status).toBe(200);
    await publish(a.url, alice.token, 'report.bin', bytes);
    expect(await callNode(a.url, 'GET', path, { token: alice.token })).toMatchObject({
      body: { downloads: [] },
    });
  });
});
