import { Socket as NetSocket } from 'node:net';

/** The part of an engine.io server this reads: its `flush` event, `(connection, packets)`. */
interface FlushingEngine {
  on(event: 'flush', listener: (connection: unknown, packets: unknown) => void): unknown;
}

/**
 * Fewer write system calls and less garbage per packet engine.io sends over a WebSocket:
 *
 * - One write per engine.io flush instead of one per packet. engine.io hands a WebSocket connection every packet
 *   queued since its last write as one flush, and ws writes each of them as its own frame, with its own cork and
 *   uncork: a batch of 100 messages pushed to one user was 100 `writev` calls, the largest single cost of a
 *   receiving node in the fan-out profile (a third of its busy time). Corking the connection's TCP socket for the
 *   rest of the current tick makes the kernel see the whole flush at once. Nothing is held past the tick (the
 *   frames are already on their way to the socket), so no latency is added and the order is unchanged.
 * - A broadcast's frame in one buffer. socket.io encodes a broadcast once, WebSocket frame included, and every
 *   connection writes that frame; ws keeps it as two buffers (header and payload), which each connection writes
 *   corked, as a `writev` with its own list of chunks and write requests. Joined once, the first time a
 *   connection flushes it (the options object is the broadcast's, shared by all its packets), every connection
 *   writes one buffer: for 10,000 users that is a third less garbage per push (engine.io and Node's stream
 *   bookkeeping), so the heap grows less before the next collection. The bytes on the wire are the same.
 *
 * engine.io does not expose a WebSocket connection's TCP socket; ws keeps it as `_socket`. Where that is not a
 * TCP socket (a polling transport, another WebSocket implementation) nothing is corked and nothing changes.
 */
export function coalesceEngineWrites(engine: FlushingEngine): void {
  engine.on('flush', (connection, packets) => {
    if (!Array.isArray(packets)) return;
    for (let i = 0; i < packets.length; i++) joinPreEncodedFrame(packets[i]);
    // A single packet is one write anyway; corking it would only hold a broadcast's first writes back until the
    // loop over every connection ends, and keep the receivers waiting that much longer.
    if (packets.length < 2) return;
    const socket = tcpSocketOf(connection);
    if (!socket || socket.destroyed) return;
    socket.cork();
    process.nextTick(() => socket.uncork());
  });
}

/** A packet's WebSocket frame encoded in advance (`wsPreEncodedFrame`), as buffers to write in turn. */
interface PreEncodedPacket {
  options?: { wsPreEncodedFrame?: unknown };
}

function joinPreEncodedFrame(packet: unknown): void {
  const options = (packet as PreEncodedPacket | undefined)?.options;
  const frame = options?.wsPreEncodedFrame;
  if (!options || !Array.isArray(frame) || frame.length < 2) return;
  if (!frame.every((part) => part instanceof Uint8Array)) return;
  options.wsPreEncodedFrame = [Buffer.concat(frame)];
}

function tcpSocketOf(connection: unknown): NetSocket | undefined {
  const transport = (connection as { transport?: { name?: unknown; socket?: unknown } }).transport;
  if (transport?.name !== 'websocket') return undefined;
  const socket = (transport.socket as { _socket?: unknown } | undefined)?._socket;
  return socket instanceof NetSocket ? socket : undefined;
}
