import type { Socket } from 'socket.io';

/**
 * What socket.io reads of a connection's request after its first socket is made: enough to build the handshake
 * of another socket on the same connection (its headers, URL, query and whether it is encrypted).
 */
interface HandshakeSource {
  readonly headers: object;
  readonly url: string | undefined;
  readonly _query: object;
  readonly connection: { readonly encrypted: boolean };
}

/**
 * Lets the HTTP request a socket.io connection was opened with be collected once its socket has connected.
 * engine.io keeps that request for the connection's lifetime (`conn.request`, which `socket.request` reads): an
 * `IncomingMessage` with its stream state, listeners, raw header list and, for a WebSocket, a reference to the
 * socket, about 1 KB per idle user that nothing reads again. It is replaced by the parts socket.io would read
 * to build another socket's handshake on the same connection (the objects the first handshake already holds),
 * so that nothing a client sees changes. Where the request is not there (already released) nothing is done.
 */
export function releaseUpgradeRequest(socket: Socket): void {
  const conn = socket.conn as unknown as { request?: unknown };
  const request = conn.request as
    | { headers?: object; url?: string; _query?: object; socket?: { encrypted?: boolean } }
    | undefined;
  if (!request?.headers || !request.socket) return;
  const source: HandshakeSource = {
    headers: request.headers,
    url: request.url,
    _query: request._query ?? {},
    connection: { encrypted: request.socket.encrypted === true },
  };
  conn.request = source;
}
