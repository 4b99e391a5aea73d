// The two ends of a peer link on 127.0.0.1, around a small Hono app the test controls: bounds, timeouts, a
// dropped link, refusals and frames that break the format.
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import {
  Ed25519NodeSigner,
  Ed25519SignatureVerifier,
} from '../../src/adapters/crypto/ed25519-node-signer.js';
import { NodeHttpServer } from '../../src/adapters/http/node-http-server.js';
import { offerLinkAuth } from '../../src/adapters/peers/link-auth.js';
import { MAX_LINK_FRAME_BYTES } from '../../src/adapters/peers/link-frames.js';
import {
  LINK_SERVER_DEFAULTS,
  type LinkServerSettings,
  WsLinkServer,
} from '../../src/adapters/peers/ws-link-server.js';
import {
  LinkRefused,
  LinkUnreachable,
  PEER_LINK_DEFAULTS,
  WsPeerLink,
} from '../../src/adapters/peers/ws-peer-link.js';
import { PeerCallFailed } from '../../src/application/errors.js';
import { closedPort } from '../support/free-port.js';

const POLL = { timeout: 5_000, interval: 10 };
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Requests the app is running now, and a gate that holds `/slow` until the test opens it. */
function controlledApp() {
  const state = {
    running: 0,
    most: 0,
    seenHeader: '' as string | undefined,
    release: () => {},
    endlessRead: 0,
    endlessCancelled: false,
  };
  let gate = new Promise<void>((resolve) => {
    state.release = resolve;
  });
  const app = new Hono();
  app.use(
    bodyLimit({
      maxSize: 1024,
      onError: (c) => c.json({ error: { code: 'body_too_large', message: 'big' } }, 413),
    }),
  );
  app.get('/slow', async (c) => {
    state.running++;
    state.most = Math.max(state.most, state.running);
    await gate;
    state.running--;
    return c.json({ ok: true });
  });
  app.put('/echo', async (c) => {
    state.seenHeader = c.req.header('x-check');
    return c.json({
      got: await c.req.json(),
      from: (c.env as { incoming?: { socket?: { remoteAddress?: string } } }).incoming?.socket?.remoteAddress,
    });
  });
  app.get('/versioned', (c) =>
    c.json([], 200, { 'Meshchat-Directory-Version': '7', 'X-Other': 'not carried' }),
  );
  // An answer that never ends (a download far larger than a frame): how much of it the link server read.
  app.get('/endless', () => {
    const piece = new Uint8Array(64 * 1024).fill(0x61);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        state.endlessRead += piece.byteLength;
        controller.enqueue(piece);
      },
      cancel() {
        state.endlessCancelled = true;
      },
    });
    return new Response(body, { headers: { 'Content-Type': 'application/octet-stream' } });
  });
  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'no' } }, 404));
  return {
    app,
    state,
    reset: () => {
      gate = new Promise<void>((resolve) => {
        state.release = resolve;
      });
    },
  };
}

async function serve(app: Hono, settings: Partial<LinkServerSettings> = {}, links = true) {
  const http = new NodeHttpServer(app);
  const server = new WsLinkServer(app, { ...LINK_SERVER_DEFAULTS, ...settings });
  if (links) server.attach(http);
  const port = await http.listen(0, '127.0.0.1');
  closers.push(
    () => http.close(),
    () => server.close(),
  );
  return { base: `http://127.0.0.1:${port}`, server };
}

async function open(base: string, settings: Partial<typeof PEER_LINK_DEFAULTS> = {}) {
  const link = await WsPeerLink.open(base, { ...PEER_LINK_DEFAULTS, ...settings });
  closers.push(() => link.close());
  return link;
}

async function rejection(call: Promise<unknown>): Promise<PeerCallFailed> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PeerCallFailed);
  return error as PeerCallFailed;
}

describe('peer link', () => {
  it('runs each request through the app, with its headers, body limit, errors and the link peer address', async () => {
    const { app, state } = controlledApp();
    const { base } = await serve(app);
    const link = await open(base);
    expect(await link.call('PUT', '/echo', { msg: 'hi' }, 2_000)).toEqual({
      status: 200,
      text: JSON.stringify({ got: { msg: 'hi' }, from: '127.0.0.1' }),
    });
    expect((await link.call('PUT', '/echo', { msg: 'x'.repeat(2_000) }, 2_000)).status).toBe(413);
    expect((await link.call('GET', '/nowhere', undefined, 2_000)).status).toBe(404);
    expect(state.seenHeader).toBeUndefined();
  });

  it("carries an answer's Meshchat-* headers (a user list's version), and none of HTTP's own", async () => {
    const { app } = controlledApp();
    const { base } = await serve(app);
    const link = await open(base);
    expect(await link.call('GET', '/versioned', undefined, 2_000)).toEqual({
      status: 200,
      text: '[]',
      headers: { 'meshchat-directory-version': '7' },
    });
  });

  it('answers 502 answer_too_large for an answer past one frame, reading no more of it than a frame', async () => {
    const { app, state } = controlledApp();
    const { base } = await serve(app);
    const link = await open(base);
    const reply = await link.call('GET', '/endless', undefined, 5_000);
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.text)).toMatchObject({ error: { code: 'answer_too_large' } });
    expect(state.endlessRead).toBeLessThanOrEqual(MAX_LINK_FRAME_BYTES + 4 * 64 * 1024);
    await vi.waitFor(() => expect(state.endlessCancelled).toBe(true), POLL);
    expect((await link.call('PUT', '/echo', { msg: 'still open' }, 2_000)).status).toBe(200);
  });

  it('keeps at most maxInFlight calls on the wire; the others wait and then all complete', async () => {
    const { app, state } = controlledApp();
    const { base } = await serve(app);
    const link = await open(base, { maxInFlight: 2 });
    const calls = Array.from({ length: 5 }, () => link.call('GET', '/slow', undefined, 5_000));
    await vi.waitFor(() => expect(state.running).toBe(2), POLL);
    expect(link.load).toEqual({ inFlight: 2, waiting: 3 });
    state.release();
    for (const reply of await Promise.all(calls)) expect(reply.status).toBe(200);
    expect(state.most).toBe(2);
  });

  it('refuses a call past the waiting bound with peer_busy, and times out a call with peer_timeout', async () => {
    const { app, state } = controlledApp();
    const { base } = await serve(app);
    const link = await open(base, { maxInFlight: 1, maxWaiting: 1 });
    const first = link.call('GET', '/slow', undefined, 5_000);
    const second = link.call('GET', '/slow', undefined, 50);
    expect((await rejection(link.call('GET', '/slow', undefined, 5_000))).code).toBe('peer_busy');
    expect((await rejection(second)).code).toBe('peer_timeout');
    expect(link.load).toEqual({ inFlight: 1, waiting: 0 });
    state.release();
    expect((await first).status).toBe(200);
  });

  it('a link closed when idle answers every call in flight and waiting first, then closes', async () => {
    const { app, state } = controlledApp();
    const { base } = await serve(app);
    const link = await open(base, { maxInFlight: 1 });
    const closed = new Promise<void>((resolve) => link.onClose(resolve));
    const calls = [link.call('GET', '/slow', undefined, 5_000), link.call('GET', '/slow', undefined, 5_000)];
    await vi.waitFor(() => expect(state.running).toBe(1), POLL);
    link.closeWhenIdle();
    expect(link.isOpen).toBe(true);
    state.release();
    for (const reply of await Promise.all(calls)) expect(reply.status).toBe(200);
    await closed;
    expect(link.isOpen).toBe(false);
  });

  it('tags every frame of a link its acceptor authenticated, and the acceptor runs them as that node', async () => {
    const signer = Ed25519NodeSigner.generate();
    const seen: (string | undefined)[] = [];
    const app = new Hono();
    app.put('/who', (c) => {
      seen.push((c.env as { incoming?: { provenNode?: string } }).incoming?.provenNode);
      return c.json({ ok: true });
    });
    const http = new NodeHttpServer(app);
    const keyOf = (id: string) => (id === 'a' ? signer.publicKey : undefined);
    const server = new WsLinkServer(app, LINK_SERVER_DEFAULTS, undefined, undefined, {
      self: 'b',
      keyOf,
      verifier: new Ed25519SignatureVerifier(),
    });
    server.attach(http);
    const port = await http.listen(0, '127.0.0.1');
    closers.push(
      () => http.close(),
      () => server.close(),
    );
    const base = `http://127.0.0.1:${port}`;
    const dial = (id: string) => {
      const offer = offerLinkAuth(id, signer);
      return WsPeerLink.open(base, PEER_LINK_DEFAULTS, {
        headers: offer.headers,
        authenticated: offer.accept,
      });
    };
    const proven = await dial('a');
    closers.push(() => proven.close());
    expect(proven.provesSender).toBe(true);
    // Several frames at once: each tagged with its place in the order they leave.
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => proven.call('PUT', '/who', { n: 1 }, 5_000)),
    );
    for (const reply of replies) expect(reply.status).toBe(200);
    // An id whose key the acceptor has not bound: an ordinary link, its requests nobody's in particular.
    const unproven = await dial('b');
    closers.push(() => unproven.close());
    expect(unproven.provesSender).toBe(false);
    expect((await unproven.call('PUT', '/who', { n: 2 }, 5_000)).status).toBe(200);
    expect(seen).toEqual(['a', 'a', 'a', 'a', 'a', undefined]);
  });

  it('the accepting side reads no more than its in-flight bound from one link', async () => {
    const { app, state } = controlledApp();
    const { base } = await serve(app, { maxInFlight: 3 });
    const link = await open(base, { maxInFlight: 50 });
    const calls = Array.from({ length: 10 }, () => link.call('GET', '/slow', undefined, 5_000));
    await vi.waitFor(() => expect(state.running).toBe(3), POLL);
    state.release();
    await Promise.all(calls);
    expect(state.most).toBe(3);
  });

  it('a link that drops fails every call on it with peer_unreachable, and refuses new ones', async () => {
    const { app, state } = controlledApp();
    const { base, server } = await serve(app);
    const link = await open(base);
    const closed = new Promise<void>((resolve) => link.onClose(resolve));
    const calls = [link.call('GET', '/slow', undefined, 5_000), link.call('GET', '/slow', undefined, 5_000)];
    await vi.waitFor(() => expect(state.running).toBe(2), POLL);
    const failed = Promise.all(calls.map(rejection));
    await server.close();
    const failures = await failed;
    expect(failures.map((f) => f.code)).toEqual(['peer_unreachable', 'peer_unreachable']);
    await closed;
    expect(link.isOpen).toBe(false);
    expect((await rejection(link.call('GET', '/slow', undefined, 1_000))).code).toBe('peer_unreachable');
    state.release();
  });

  it('opening fails as refused on a server without links, and as unreachable where nothing listens', async () => {
    const { app } = controlledApp();
    const { base } = await serve(app, {}, false);
    await expect(WsPeerLink.open(base)).rejects.toBeInstanceOf(LinkRefused);
    await expect(WsPeerLink.open(`http://127.0.0.1:${await closedPort()}`)).rejects.toBeInstanceOf(
      LinkUnreachable,
    );
  });

  it('the accepting side takes at most maxLinks links at once; one more upgrade is refused', async () => {
    const { app } = controlledApp();
    const { base } = await serve(app, { maxLinks: 2 });
    await open(base);
    const second = await open(base);
    await expect(WsPeerLink.open(base)).rejects.toEqual(new LinkRefused(503));
    second.close();
    await vi.waitFor(async () => expect((await open(base)).isOpen).toBe(true), POLL);
  });

  it('the accepting side closes a link that sends something other than a request frame', async () => {
    const { app } = controlledApp();
    const { base, server } = await serve(app);
    for (const frame of [
      'not json',
      JSON.stringify({ id: 1, method: 'CONNECT', path: '/' }),
      JSON.stringify({ id: 1, method: 'GET', path: '/slow', headers: { 'bad name': 'v' } }),
      Buffer.from([1, 2]),
    ]) {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/peer`);
      await new Promise((resolve) => ws.once('open', resolve));
      const closed = new Promise<number>((resolve) => ws.once('close', resolve));
      ws.send(frame);
      expect(await closed).toBe(1008);
    }
    await vi.waitFor(() => expect(server.accepted).toBe(0), POLL);
    // And the node still answers links after all that.
    expect((await (await open(base)).call('GET', '/nowhere', undefined, 2_000)).status).toBe(404);
  });

  it('the opening side drops a link whose peer stops answering pings, and one that sends a bad answer', async () => {
    const { WebSocketServer } = await import('ws');
    const mute = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false });
    closers.push(() => new Promise((resolve) => mute.close(resolve)));
    await new Promise((resolve) => mute.once('listening', resolve));
    const base = `http://127.0.0.1:${(mute.address() as AddressInfo).port}`;
    const silent = await open(base, { heartbeatMs: 20 });
    await new Promise<void>((resolve) => silent.onClose(resolve));
    expect(silent.isOpen).toBe(false);

    mute.on('connection', (ws) => ws.on('message', () => ws.send('{"id":"x"}')));
    const liar = await open(base, { heartbeatMs: 60_000 });
    expect((await rejection(liar.call('GET', '/nodes', undefined, 5_000))).code).toBe('peer_unreachable');
  });
});
