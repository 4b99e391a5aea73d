import { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { coalesceEngineWrites } from '../../src/adapters/users/coalesce-engine-writes.js';
import { releaseUpgradeRequest } from '../../src/adapters/users/release-upgrade-request.js';
import { boundSendBuffer } from '../../src/adapters/users/socket-io-send-bound.js';

/** An engine.io connection as the send bound sees it: its events, write buffer, transport and close. */
class FakeConnection extends EventEmitter {
  writeBuffer: unknown[] = [];
  closed: boolean[] = [];
  terminated = 0;
  transport = { socket: { bufferedAmount: 0, terminate: () => this.terminated++ } };
  close(discard: boolean) {
    this.closed.push(discard);
  }
  /** What engine.io does for one packet: tells `packetCreate`, queues it, and flushes when it can. */
  send(data: string, flush: boolean) {
    const packet = { type: 'message', data };
    this.emit('packetCreate', packet);
    this.writeBuffer.push(packet);
    if (flush) {
      this.emit('flush', this.writeBuffer);
      this.writeBuffer = [];
    }
  }
}

const socketOf = (conn: unknown) => ({ conn }) as unknown as Socket;

describe('the send bound, one pair of handlers for every connection', () => {
  it('cuts a connection once what it holds unsent passes the bound, each connection counted on its own', () => {
    const [slow, fast] = [new FakeConnection(), new FakeConnection()];
    const limits = { bytes: 100, packets: 10 };
    boundSendBuffer(socketOf(slow), limits);
    boundSendBuffer(socketOf(fast), limits);
    // `fast` flushes every packet: what it held is handed on, and its count starts again.
    for (let i = 0; i < 20; i++) fast.send('x'.repeat(60), true);
    expect(fast.closed).toEqual([]);
    // `slow` cannot flush: 60 bytes held, then 120, past the bound of 100.
    slow.send('x'.repeat(60), false);
    expect(slow.closed).toEqual([]);
    slow.send('x'.repeat(60), false);
    expect(slow.closed).toEqual([true]);
    expect(slow.terminated).toBe(1);
    // Cut once: what engine.io still queues before the close lands is not cut again.
    slow.send('x', false);
    expect(slow.closed).toEqual([true]);
    expect(fast.closed).toEqual([]);
  });

  it("counts the WebSocket's own unsent bytes and engine.io's packet count", () => {
    const [buffered, queued] = [new FakeConnection(), new FakeConnection()];
    boundSendBuffer(socketOf(buffered), { bytes: 100, packets: 10 });
    boundSendBuffer(socketOf(queued), { bytes: 1_000_000, packets: 3 });
    buffered.transport.socket.bufferedAmount = 95;
    buffered.send('x'.repeat(10), true);
    expect(buffered.closed).toEqual([true]);
    for (let i = 0; i < 4; i++) queued.send('x', false);
    expect(queued.closed).toEqual([]);
    queued.send('x', false);
    expect(queued.closed).toEqual([true]);
  });
});

describe("a broadcast's pre-encoded frame", () => {
  it('is joined into one buffer the first time a connection flushes it, with the same bytes', () => {
    const engine = new EventEmitter();
    coalesceEngineWrites(engine);
    const header = Buffer.from([0x81, 0x05]);
    const payload = Buffer.from('hello');
    // socket.io hands every connection of a broadcast the same options object.
    const options = { wsPreEncodedFrame: [header, payload] as unknown };
    const connection = { transport: { name: 'polling' } };
    engine.emit('flush', connection, [{ type: 'message', data: '42["msg"]', options }]);
    const joined = options.wsPreEncodedFrame as Buffer[];
    expect(joined).toHaveLength(1);
    expect(Buffer.compare(joined[0] as Buffer, Buffer.concat([header, payload]))).toBe(0);
    // The next connection's flush finds it joined and leaves it as it is.
    engine.emit('flush', connection, [{ type: 'message', data: '42["msg"]', options }]);
    expect(options.wsPreEncodedFrame).toBe(joined);
  });

  it('leaves packets without one, or with something else there, alone', () => {
    const engine = new EventEmitter();
    coalesceEngineWrites(engine);
    const plain = { compress: true };
    const odd = { wsPreEncodedFrame: ['not', 'buffers'] };
    const single = { wsPreEncodedFrame: [Buffer.from('x')] };
    const before = single.wsPreEncodedFrame;
    engine.emit('flush', {}, [
      { type: 'message', data: 'a', options: plain },
      { type: 'message', data: 'b', options: odd },
      { type: 'message', data: 'c', options: single },
      { type: 'ping' },
    ]);
    expect(plain).toEqual({ compress: true });
    expect(odd.wsPreEncodedFrame).toEqual(['not', 'buffers']);
    expect(single.wsPreEncodedFrame).toBe(before);
  });
});

describe('releasing the upgrade request', () => {
  it('keeps only what socket.io reads to build another handshake, the same objects', () => {
    const headers = { host: 'h', 'x-forwarded-for': '203.0.113.7' };
    const query = { EIO: '4', transport: 'websocket', since: '42' };
    const request = { headers, url: '/socket.io/?since=42', _query: query, socket: { remoteAddress: '::1' } };
    const conn = { request: request as unknown };
    releaseUpgradeRequest(socketOf(conn));
    expect(conn.request).not.toBe(request);
    expect(conn.request).toEqual({
      headers,
      url: '/socket.io/?since=42',
      _query: query,
      connection: { encrypted: false },
    });
    expect((conn.request as { headers: unknown }).headers).toBe(headers);
    expect((conn.request as { _query: unknown })._query).toBe(query);
    // Released already (another socket on the same connection): nothing changes.
    const released = conn.request;
    releaseUpgradeRequest(socketOf(conn));
    expect(conn.request).toBe(released);
  });

  it('says encrypted for a TLS socket, as socket.io would have read it', () => {
    const conn = { request: { headers: {}, url: '/', _query: {}, socket: { encrypted: true } } as unknown };
    releaseUpgradeRequest(socketOf(conn));
    expect(conn.request).toMatchObject({ connection: { encrypted: true } });
  });
});
