import { Socket as NetSocket } from 'node:net';

/** The part of an engine.io server this reads: its `flush` event, `(connection, packets)`. */
interface FlushingEngine {
  on(event: 'flush', listener: (connection: unknown, packets: unknown) => void): unknown;
}

/**
 * One write system call per engine.io flush instead of one per packet. engine.io hands a WebSocket connection
 * every packet queued since its last write as one flush, and ws writes each of them as its own frame, with its
 * own cork and uncork: a batch of 100 messages pushed to one user was 100 `writev` calls, the largest single
 * cost of a receiving node in the fan-out profile (a third of its busy time). Corking the connection's TCP socket
 * for the rest of the current tick makes the kernel see the whole flush at once. Nothing is held past the tick
 * (the frames are already on their way to the socket), so no latency is added and the order is unchanged.
 *
 * engine.io does not expose a WebSocket connection's TCP socket; ws keeps it as `_socket`. Where that is not a
 * TCP socket (a polling transport, another WebSocket implementation) nothing is corked and nothing changes.
 */
export function coalesceEngineWrites(engine: FlushingEngine): void {
  engine.on('flush', (connection, packets) => {
    // A single packet is one write anyway; corking it would only hold a broadcast's first writes back until the
    // loop over every connection ends, and keep the receivers waiting that much longer.
    if (!Array.isArray(packets) || packets.length < 2) return;
    const socket = tcpSocketOf(connection);
    if (!socket || socket.destroyed) return;
    socket.cork();
    process.nextTick(() => socket.uncork());
  });
}

function tcpSocketOf(connection: unknown): NetSocket | undefined {
  const transport = (connection as { transport?: { name?: unknown; socket?: unknown } }).transport;
  if (transport?.name !== 'websocket') return undefined;
  const socket = (transport.socket as { _socket?: unknown } | undefined)?._socket;
  return socket instanceof NetSocket ? socket : undefined;
}
