import type { Socket } from 'socket.io';

/** Unsent bytes (held by engine.io or by the WebSocket under it) past which a socket.io user is cut off. */
export const MAX_UNSENT_BYTES = 8 * 1024 * 1024;
/** Packets engine.io holds back (its transport still busy) past which the user is cut off. */
export const MAX_QUEUED_PACKETS = 4_096;

/** The parts of engine.io's connection this bound reads; not in socket.io's public types. */
interface EngineConnection {
  readonly writeBuffer: readonly unknown[];
  readonly transport: { readonly socket?: { readonly bufferedAmount?: number; terminate?(): void } };
  on(event: 'packetCreate', listener: (this: EngineConnection, packet: { data?: unknown }) => void): void;
  on(event: 'flush', listener: (this: EngineConnection) => void): void;
  close(discard: boolean): void;
}

/**
 * A connection's state for the bound, kept on the connection itself: bytes engine.io holds back while its
 * transport is busy (UTF-16 units for text: close enough for a bound; a flush hands them to the WebSocket,
 * whose own count takes over), and whether it has been cut.
 */
const QUEUED = Symbol('meshchat.queuedBytes');
const LIMITS = Symbol('meshchat.sendLimits');

interface BoundConnection extends EngineConnection {
  [QUEUED]: number;
  [LIMITS]: { bytes: number; packets: number } | undefined;
}

const DEFAULT_LIMITS = { bytes: MAX_UNSENT_BYTES, packets: MAX_QUEUED_PACKETS };

/**
 * Cuts `socket` off when it stops reading: a user that is too slow to keep up is disconnected rather than
 * buffered without bound. Checked as each packet is queued, so the cost is one comparison per packet. The two
 * listeners are shared by every connection (engine.io calls them with the connection as `this`), so an idle
 * user costs two entries in its listener lists and a number.
 */
export function boundSendBuffer(
  socket: Socket,
  limits: { bytes: number; packets: number } = DEFAULT_LIMITS,
): void {
  const conn = socket.conn as unknown as BoundConnection;
  conn[QUEUED] = 0;
  conn[LIMITS] = limits;
  conn.on('flush', onFlush);
  conn.on('packetCreate', onPacketCreate);
}

function onFlush(this: EngineConnection): void {
  (this as BoundConnection)[QUEUED] = 0;
}

function onPacketCreate(this: EngineConnection, packet: { data?: unknown }): void {
  const conn = this as BoundConnection;
  const limits = conn[LIMITS];
  if (!limits) return;
  const { data } = packet;
  conn[QUEUED] += typeof data === 'string' ? data.length : data instanceof Uint8Array ? data.byteLength : 0;
  const unsent = conn[QUEUED] + (conn.transport.socket?.bufferedAmount ?? 0);
  if (unsent <= limits.bytes && conn.writeBuffer.length <= limits.packets) return;
  conn[LIMITS] = undefined;
  // Discarded, not flushed: a plain close waits for the very buffer that is not draining. The WebSocket is
  // cut too, or its closing handshake would hold the socket and its buffer until ws gives up on it.
  conn.close(true);
  conn.transport.socket?.terminate?.();
}
