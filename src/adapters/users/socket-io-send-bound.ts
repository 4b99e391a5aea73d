import type { Socket } from 'socket.io';

/** Unsent bytes (held by engine.io or by the WebSocket under it) past which a socket.io user is cut off. */
export const MAX_UNSENT_BYTES = 8 * 1024 * 1024;
/** Packets engine.io holds back (its transport still busy) past which the user is cut off. */
export const MAX_QUEUED_PACKETS = 4_096;

/** The parts of engine.io's connection this bound reads; not in socket.io's public types. */
interface EngineConnection {
  readonly writeBuffer: readonly unknown[];
  readonly transport: { readonly socket?: { readonly bufferedAmount?: number; terminate?(): void } };
  on(event: 'packetCreate', listener: (packet: { data?: unknown }) => void): void;
  on(event: 'flush', listener: () => void): void;
  close(discard: boolean): void;
}

/**
 * Cuts `socket` off when it stops reading: a user that is too slow to keep up is disconnected rather than
 * buffered without bound. Checked as each packet is queued, so the cost is one comparison per packet.
 */
export function boundSendBuffer(
  socket: Socket,
  limits: { bytes: number; packets: number } = { bytes: MAX_UNSENT_BYTES, packets: MAX_QUEUED_PACKETS },
): void {
  const conn = socket.conn as unknown as EngineConnection;
  let cut = false;
  // Bytes engine.io holds back while its transport is busy (UTF-16 units for text: close enough for a bound);
  // a flush hands them to the WebSocket, whose own count takes over.
  let queued = 0;
  conn.on('flush', () => {
    queued = 0;
  });
  conn.on('packetCreate', (packet) => {
    if (cut) return;
    const { data } = packet;
    queued += typeof data === 'string' ? data.length : data instanceof Uint8Array ? data.byteLength : 0;
    const unsent = queued + (conn.transport.socket?.bufferedAmount ?? 0);
    if (unsent <= limits.bytes && conn.writeBuffer.length <= limits.packets) return;
    cut = true;
    // Discarded, not flushed: a plain close waits for the very buffer that is not draining. The WebSocket is
    // cut too, or its closing handshake would hold the socket and its buffer until ws gives up on it.
    conn.close(true);
    conn.transport.socket?.terminate?.();
  });
}
