/** How long a cut-off connection has to take its last frames and the close before its socket is destroyed. */
export const CUT_OFF_GRACE_MS = 2_000;

/** A `ws` WebSocket as far as this needs it; `_socket` (its TCP socket) is not in ws's public types. */
interface CuttableWebSocket {
  readonly _socket?: { pause(): void } | null;
  terminate(): void;
}

/**
 * Stops reading what a flooding client still sends on a WebSocket being closed: ws goes on parsing every frame
 * that arrives until the client answers the close, and a flooder that does not read keeps the node parsing.
 * What was already written (the last error, the close) still goes out; the socket is destroyed after
 * `graceMs` whatever happens.
 */
export function stopReading(ws: unknown, graceMs = CUT_OFF_GRACE_MS): void {
  const socket = ws as CuttableWebSocket | undefined;
  if (typeof socket?.terminate !== 'function') return;
  socket._socket?.pause();
  setTimeout(() => socket.terminate(), graceMs).unref();
}
