import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { createHttpApp } from '../../src/adapters/http/create-http-app.js';
import type { PhaseBox, RecentErrors } from '../../src/application/operations/check-health.js';
import { MESSAGE_MAX_BYTES } from '../../src/domain/message.js';
import { type InMemoryNetwork, type MemoryNode, memoryUrl } from '../fakes/in-memory-network.js';
import { memoryHttpApp } from '../support/http-app.js';

type App = ReturnType<typeof createHttpApp>;

const json = (method: string, body: unknown, type = 'application/json') => ({
  method,
  headers: { 'Content-Type': type },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/json');
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message).toMatch(/^[A-Z"].{10,}[.)]$/);
  return body.error.message;
}

describe('HTTP API (app.request)', () => {
  let net: InMemoryNetwork;
  let a: MemoryNode;
  let b: MemoryNode;
  let app: App;
  let errors: RecentErrors;
  let phase: PhaseBox;
  /** a's own file catalog version, as its `GET /nodes` entry carries it (files extension). */
  let catalog: number;

  beforeEach(async () => {
    let files: Awaited<ReturnType<typeof memoryHttpApp>>['files'];
    ({ net, a, b, app, errors, phase, files } = await memoryHttpApp());
    catalog = files.files.catalog?.own.version ?? -1;
  });

  describe('GET /nodes and GET /nodes/:id', () => {
    it('lists every known node, itself included', async () => {
      const response = await app.request('/nodes');
      expect(response.status).toBe(200);
      // `directory` (accounts extension): a's own list version; a has not yet heard b's.
      const directory = a.ownDirectory.snapshot().version;
      expect(await response.json()).toEqual([
        { id: 'a', url: a.url, incarnation: 1, state: 'alive', directory, catalog },
        { id: 'b', url: b.url, incarnation: 1, state: 'alive' },
      ]);
    });

    it('adds the tombstones with ?include=dead (a meshchat extension), never without it', async () => {
      a.registry.remove({ id: 'b', url: b.url });
      const self = {
        id: 'a',
        url: a.url,
        incarnation: 1,
        state: 'alive',
        directory: a.ownDirectory.snapshot().version,
        catalog,
      };
      expect(await (await app.request('/nodes')).json()).toEqual([self]);
      expect(await (await app.request('/nodes?include=dead')).json()).toEqual([
        self,
        { id: 'b', url: b.url, incarnation: 1, state: 'left' },
      ]);
    });

    it('answers the url of a known node, 404 for an unknown one, 400 for a bad id', async () => {
      expect(await (await app.request('/nodes/b')).json()).toEqual({
        url: b.url,
        incarnation: 1,
        state: 'alive',
      });
      await expectError(await app.request('/nodes/zz'), 404, 'unknown_node');
      await expectError(await app.request('/nodes/-bad'), 400, 'invalid_node_id');
    });
  });

  describe('PUT /nodes/:id', () => {
    it('adds a node, then moves it to a new url only with a newer incarnation', async () => {
      expect(
        (await app.request('/nodes/c', json('PUT', { url: 'http://c.example:9/', incarnation: 3 }))).status,
      ).toBe(200);
      expect(a.registry.get('c')).toEqual({
        id: 'c',
        url: 'http://c.example:9',
        incarnation: 3,
        state: 'alive',
      });
      const message = await expectError(
        await app.request('/nodes/c', json('PUT', { url: 'http://c2.example', incarnation: 3 })),
        409,
        'stale_record',
      );
      expect(message).toContain('http://c.example:9');
      await expectError(
        await app.request('/nodes/c', json('PUT', { url: 'http://c2.example' })),
        409,
        'stale_record',
      );
      const moved = await app.request('/nodes/c', json('PUT', { url: 'http://c2.example', incarnation: 4 }));
      expect(await moved.json()).toMatchObject({
        ok: true,
        result: 'updated',
        node: { url: 'http://c2.example', incarnation: 4 },
      });
    });

    it('lets a plain node (no incarnation) move once its old address stopped answering', async () => {
      await app.request('/nodes/p', json('PUT', { url: 'http://p.example' }));
      await expectError(
        await app.request('/nodes/p', json('PUT', { url: 'http://p2.example' })),
        409,
        'stale_record',
      );
      a.registry.suspect('p');
      const moved = await app.request('/nodes/p', json('PUT', { url: 'http://p2.example' }));
      expect(await moved.json()).toMatchObject({
        result: 'updated',
        node: { url: 'http://p2.example', state: 'alive' },
      });
    });

    it('brings back a node that left when it announces itself again', async () => {
      await app.request('/nodes/b', json('DELETE', { url: b.url }));
      expect(a.registry.get('b')).toBeUndefined();
      const back = await app.request('/nodes/b', json('PUT', { url: b.url, incarnation: 1 }));
      expect(await back.json()).toMatchObject({ result: 'added', node: { id: 'b', state: 'alive' } });
      expect(a.registry.tombstone('b')).toBeUndefined();
    });

    it.each([
      ['a bad id', '/nodes/bad%20id', { url: 'http://x' }, 400, 'invalid_node_id'],
      ['a bad url', '/nodes/c', { url: 'ftp://x' }, 400, 'invalid_node_url'],
      ['a url with credentials', '/nodes/c', { url: 'http://u:p@x' }, 400, 'invalid_node_url'],
      ['a url of the wrong type', '/nodes/c', { url: 42 }, 400, 'invalid_body'],
      ['no url', '/nodes/c', {}, 400, 'invalid_body'],
      ['an array', '/nodes/c', [], 400, 'invalid_body'],
      ['a negative incarnation', '/nodes/c', { url: 'http://x', incarnation: -1 }, 400, 'invalid_body'],
      [
        'an incarnation that is not an integer',
        '/nodes/c',
        { url: 'http://x', incarnation: '7' },
        400,
        'invalid_body',
      ],
      ["another id at this node's own url", '/nodes/c', { url: 'http://a.mesh.test' }, 409, 'url_in_use'],
      ["this node's own id at another url", '/nodes/a', { url: 'http://evil' }, 409, 'id_in_use'],
    ])('refuses %s', async (_what, path, body, status, code) => {
      await expectError(await app.request(path, json('PUT', body)), status, code);
      expect(a.registry.list().map((n) => n.id)).toEqual(['a', 'b']);
    });

    it('refuses malformed JSON with 400 and a body that is not JSON with 415', async () => {
      await expectError(await app.request('/nodes/c', json('PUT', '{"url":')), 400, 'malformed_json');
      await expectError(
        await app.request('/nodes/c', json('PUT', 'url=x', 'text/plain')),
        415,
        'unsupported_media_type',
      );
    });
  });

  describe('DELETE /nodes/:id', () => {
    it('removes a node only when id and url match', async () => {
      const message = await expectError(
        await app.request('/nodes/b', json('DELETE', { url: 'http://impostor' })),
        409,
        'url_mismatch',
      );
      expect(message).toContain(b.url);
      expect(a.registry.get('b')).toBeDefined();
      expect((await app.request('/nodes/b', json('DELETE', { url: b.url }))).status).toBe(200);
      expect(a.registry.get('b')).toBeUndefined();
    });

    it('answers 404 for an unknown node and 409 for itself', async () => {
      await expectError(
        await app.request('/nodes/zz', json('DELETE', { url: 'http://zz' })),
        404,
        'unknown_node',
      );
      await expectError(
        await app.request('/nodes/a', json('DELETE', { url: a.url })),
        409,
        'cannot_remove_self',
      );
    });

    it('keeps a node that another node says is dead while it still answers a probe (409 node_alive)', async () => {
      await expectError(
        await app.request('/nodes/b', json('DELETE', { url: b.url, reason: 'dead' })),
        409,
        'node_alive',
      );
      expect(a.registry.get('b')?.state).toBe('alive');
      net.setDown(b.url, true);
      expect((await app.request('/nodes/b', json('DELETE', { url: b.url, reason: 'dead' }))).status).toBe(
        200,
      );
      expect(a.registry.tombstone('b')?.reason).toBe('dead');
      await expectError(
        await app.request('/nodes/b', json('DELETE', { url: b.url, reason: 'gone' })),
        400,
        'invalid_body',
      );
    });

    it('refutes a DELETE of itself (someone declared it dead) with a newer incarnation told to every member', async () => {
      const before = a.registry.self.incarnation;
      await expectError(
        await app.request('/nodes/a', json('DELETE', { url: a.url })),
        409,
        'cannot_remove_self',
      );
      expect(a.registry.self.incarnation).toBeGreaterThan(before);
      await vi.waitFor(() => expect(b.registry.get('a')?.incarnation).toBe(a.registry.self.incarnation));
    });
  });

  describe('POST /probe (indirect probe)', () => {
    it('probes a member it lists and says whether it answered', async () => {
      const answer = await app.request('/probe', json('POST', { id: 'b', url: b.url }));
      expect(await answer.json()).toEqual({ id: 'b', url: b.url, alive: true, incarnation: 1 });
      net.setDown(b.url, true);
      const down = await app.request('/probe', json('POST', { id: 'b', url: b.url }));
      expect(await down.json()).toEqual({ id: 'b', url: b.url, alive: false });
    });

    it('refuses to probe what it does not list (so it cannot be sent to arbitrary addresses)', async () => {
      const calls = net.calls;
      await expectError(
        await app.request('/probe', json('POST', { id: 'zz', url: 'http://zz' })),
        404,
        'unknown_node',
      );
      await expectError(
        await app.request('/probe', json('POST', { id: 'b', url: 'http://elsewhere' })),
        404,
        'unknown_node',
      );
      await expectError(await app.request('/probe', json('POST', { id: 'b' })), 400, 'invalid_body');
      await expectError(
        await app.request('/probe', json('POST', { id: 'b', url: 'nope' })),
        400,
        'invalid_node_url',
      );
      expect(net.calls).toBe(calls);
    });
  });

  describe('PUT /msg', () => {
    it('delivers a message addressed to this node to its users, once per id', async () => {
      const message = { id: 'x1', from: 'b', to: 'a', msg: 'hi', ts: '2026-01-01T00:00:00.000Z', extra: 1 };
      const first = await app.request('/msg', json('PUT', message));
      expect(await first.json()).toEqual({ ok: true, status: 'delivered', id: 'x1' });
      const again = await app.request('/msg', json('PUT', message));
      expect(await again.json()).toMatchObject({ status: 'duplicate' });
      expect(a.users.texts()).toEqual(['hi']);
    });

    it('accepts the echo client (msg only) and relays for other nodes', async () => {
      expect((await app.request('/msg', json('PUT', { msg: 'eco' }))).status).toBe(200);
      expect(a.users.texts()).toEqual(['eco']);
      const relayed = await app.request('/msg', json('PUT', { from: 'p', to: 'b', msg: 'via a' }));
      expect(await relayed.json()).toMatchObject({ ok: true, status: 'relayed' });
      expect(b.users.texts()).toEqual(['via a']);
    });

    it.each([
      ['no msg', { to: 'a' }, 400, 'invalid_body'],
      ['a number for msg', { to: 'a', msg: 5 }, 400, 'invalid_body'],
      ['a bad destination id', { to: 'a b', msg: 'x' }, 400, 'invalid_node_id'],
      ['an unknown destination', { to: 'zz', msg: 'x' }, 404, 'unknown_node'],
      ['a message relayed twice already', { to: 'b', msg: 'x', hops: 2 }, 400, 'hop_limit'],
      ['a user name over 64 characters', { to: 'a', msg: 'x', user: 'u'.repeat(65) }, 400, 'invalid_body'],
      ['text over 64 KiB', { to: 'a', msg: 'x'.repeat(MESSAGE_MAX_BYTES + 1) }, 413, 'message_too_large'],
      ['a bad from on a message to relay', { from: 'no spaces!', to: 'b', msg: 'x' }, 400, 'invalid_node_id'],
      ['a ts that is not ISO-8601', { to: 'a', msg: 'x', ts: 'yesterday' }, 400, 'invalid_timestamp'],
      ['hops that are not a count', { to: 'b', msg: 'x', hops: -1 }, 400, 'invalid_body'],
    ])('refuses %s', async (_what, body, status, code) => {
      await expectError(await app.request('/msg', json('PUT', body)), status, code);
      expect(a.users.messages).toEqual([]);
      expect(b.users.messages).toEqual([]);
    });

    it.each([
      ['PUT', '/msg'],
      ['DELETE', '/nodes/b'],
    ])('%s %s refuses malformed JSON with 400 and a body that is not JSON with 415', async (method, path) => {
      await expectError(await app.request(path, json(method, '{"msg":')), 400, 'malformed_json');
      await expectError(
        await app.request(path, json(method, 'msg=x', 'text/plain')),
        415,
        'unsupported_media_type',
      );
      await expectError(await app.request(path, { method }), 415, 'unsupported_media_type');
      expect(a.registry.get('b')).toBeDefined();
    });

    it('refuses a streamed body (no Content-Length) once it passes the limit', async () => {
      const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 16) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const request = new Request('http://node/msg', {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit);
      await expectError(await app.request(request), 413, 'body_too_large');
    });

    it('refuses a body over the limit with 413 before parsing it', async () => {
      const huge = `{"msg":"${'x'.repeat(600 * 1024)}"`; // not even valid JSON: it must not be parsed
      await expectError(await app.request('/msg', json('PUT', huge)), 413, 'body_too_large');
    });

    it('queues a relay whose target is down, and delivers it once the target is back', async () => {
      net.setDown(b.url, true);
      const response = await app.request('/msg', json('PUT', { to: 'b', msg: 'later' }));
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ ok: true, status: 'queued' });
      net.setDown(b.url, false);
      b.registry.refute();
      a.registry.accept(b.registry.self);
      await vi.waitFor(() => expect(b.users.texts()).toEqual(['later']), { timeout: 5_000 });
    });

    it("answers a relay the target refuses for good with the target's status and code", async () => {
      const response = await app.request('/msg', json('PUT', { to: 'b', msg: 'x', ts: 'yesterday' }));
      await expectError(response, 400, 'invalid_timestamp');
      const relayed = await app.request('/msg', json('PUT', { to: 'b', msg: 'x', hops: 1, id: 'r-1' }));
      expect(relayed.status).toBe(200);
      b.registry.announce({ id: 'ghost', url: a.url });
      a.registry.announce({ id: 'ghost', url: b.url });
      const message = await expectError(
        await app.request('/msg', json('PUT', { to: 'ghost', msg: 'loop' })),
        400,
        'hop_limit',
      );
      expect(message).toContain('Node "ghost" refused the message');
    });
  });

  describe('POST /msgs (batch)', () => {
    it('takes each message on its own, in order, with one result per message', async () => {
      const batch = {
        messages: [
          { id: 'x-1', from: 'b', to: 'a', msg: 'one' },
          { id: 'x-2', from: 'b', to: 'a', msg: 7 },
          { id: 'x-1', from: 'b', to: 'a', msg: 'one again' },
          { id: 'x-3', from: 'b', to: 'nobody', msg: 'lost' },
          { id: 'x-4', from: 'b', to: 'a', msg: 'two' },
        ],
      };
      const response = await app.request('/msgs', json('POST', batch));
      expect(response.status).toBe(200);
      const { results } = (await response.json()) as { results: Record<string, unknown>[] };
      expect(results).toMatchObject([
        { ok: true, status: 'delivered', id: 'x-1' },
        { ok: false, httpStatus: 400, error: { code: 'invalid_body' } },
        { ok: true, status: 'duplicate', id: 'x-1' },
        { ok: false, httpStatus: 404, error: { code: 'unknown_node' } },
        { ok: true, status: 'delivered', id: 'x-4' },
      ]);
      expect(a.users.texts()).toEqual(['one', 'two']);
    });

    it('refuses a body that is not a list of 1 to 256 messages', async () => {
      await expectError(await app.request('/msgs', json('POST', { messages: [] })), 400, 'invalid_body');
      await expectError(await app.request('/msgs', json('POST', [{ msg: 'x' }])), 400, 'invalid_body');
      const many = { messages: Array.from({ length: 257 }, (_, i) => ({ msg: `m${i}` })) };
      await expectError(await app.request('/msgs', json('POST', many)), 400, 'invalid_body');
    });
  });

  describe('operations: GET /healthz, /metrics, /mesh', () => {
    it('/healthz is 200 "ok" with the counts when every peer answers, never cached', async () => {
      const response = await app.request('/healthz');
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toMatchObject({
        status: 'ok',
        reasons: [],
        node: { id: 'a', url: a.url },
        phase: 'running',
        peers: { alive: 1, suspect: 0, dead: 0, left: 0 },
        outbox: 0,
        users: 3,
      });
    });

    it('/healthz is 200 "degraded", with a sentence per reason, when no peer answers and errors happened', async () => {
      a.registry.suspect('b');
      errors.note(a.clock.now());
      const response = await app.request('/healthz');
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        status: string;
        reasons: { code: string; message: string }[];
      };
      expect(body.status).toBe('degraded');
      expect(body.reasons.map((r) => r.code)).toEqual(['isolated', 'internal_errors']);
      for (const reason of body.reasons) expect(reason.message).toMatch(/^[A-Z0-9].{10,}\.$/);
    });

    it('/healthz is 503 while the node joins or leaves: it is not ready for users', async () => {
      for (const now of ['starting', 'stopping'] as const) {
        phase.phase = now;
        const response = await app.request('/healthz');
        expect(response.status).toBe(503);
        expect(await response.json()).toMatchObject({
          status: 'degraded',
          phase: now,
          reasons: [{ code: now }],
        });
      }
    });

    it('/metrics is Prometheus text whose counters move with the messages', async () => {
      const scrape = async () => {
        const response = await app.request('/metrics');
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toContain('text/plain');
        return response.text();
      };
      const before = await scrape();
      expect(before).toContain('meshchat_messages_accepted_total{source="peer"} 0');
      expect(before).toContain('meshchat_peers{state="alive"} 1');
      expect(before).toContain('meshchat_connected_users{frontend="socketio"} 2');
      await app.request('/msg', json('PUT', { id: 'm-1', from: 'b', to: 'a', msg: 'hi' }));
      // A relay to a node found dead is queued (its lane waits as after a failure).
      a.registry.buryUnknown({ id: 'c', url: memoryUrl('c') }, a.clock.now());
      await app.request('/msg', json('PUT', { id: 'm-2', from: 'b', to: 'c', msg: 'later' }));
      const after = await scrape();
      expect(after).toContain('meshchat_messages_accepted_total{source="peer"} 1');
      expect(after).toContain('meshchat_messages_accepted_total{source="relay"} 1');
      expect(after).toContain('meshchat_messages_delivered_total{where="local"} 1');
      expect(after).toContain('meshchat_messages_queued_total 1');
      expect(after).toContain('meshchat_outbox_depth 1');
      expect(after).toContain('meshchat_peers{state="dead"} 1');
    });

    it('/mesh lists the nodes with their state and which node knows which', async () => {
      expect(await (await app.request('/mesh')).json()).toEqual({
        nodes: [
          { id: 'a', url: a.url, state: 'alive' },
          { id: 'b', url: b.url, state: 'alive' },
        ],
        links: [{ from: 'a', to: 'b' }],
      });
    });
  });

  it('answers unknown routes with 404 and wrong methods with 405, in JSON', async () => {
    const missing = await app.request('/nope');
    expect(missing.headers.get('x-content-type-options')).toBe('nosniff');
    await expectError(missing, 404, 'not_found');
    expect((await app.request('/nodes')).headers.get('x-content-type-options')).toBe('nosniff');
    const response = await app.request('/msg', { method: 'POST' });
    await expectError(response, 405, 'method_not_allowed');
    expect(response.headers.get('allow')).toContain('PUT');
  });

  it('serves the chat page with a strict Content-Security-Policy', async () => {
    const response = await app.request('/');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<p>chat</p>');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await app.request('/app.js')).headers.get('content-type')).toContain('javascript');
  });
});
