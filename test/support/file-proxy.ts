import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileProxyOptions {
  /** Flip the lowest bit of the byte at this offset of the file, in every answer that carries it. */
  readonly flipAt?: number;
  /**
   * Stop passing file bytes on once this many bytes of `GET /files/<id>` answers were passed in all, once (the
   * answer stalls; `held` resolves). Other answers (gossip, catalog pulls through a proxy a node announces as its
   * URL) never stall.
   */
  readonly holdAfter?: number;
}

/**
 * A tiny HTTP proxy on 127.0.0.1 in front of one node: passes every request on and its answer back, counting
 * the body bytes it passed (what the node behind it served) and requests; it can corrupt one byte of a file or
 * stall an answer, as a faulty holder or a dying one would.
 */
export interface FileProxy {
  readonly url: string;
  /** Body bytes passed to clients so far. */
  served(): number;
  /** `GET /files/...` requests seen. */
  fileRequests(): number;
  /** Body bytes of `GET /files/<id>` answers (a file's bytes, not catalogs or records) passed so far. */
  fileBytes(): number;
  /** The `Range` header of each `GET /files/<id>` request, in order (`''` for none). */
  ranges(): string[];
  /** Resolves once `holdAfter` bytes were passed. */
  readonly held: Promise<void>;
  /** Passes bytes on again (after a hold). */
  release(): void;
  close(): Promise<void>;
}

export async function startFileProxy(target: string, options: FileProxyOptions = {}): Promise<FileProxy> {
  let served = 0;
  let fileRequests = 0;
  let fileBytes = 0;
  const ranges: string[] = [];
  let holding = false;
  let heldOnce = false;
  let markHeld: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    markHeld = resolve;
  });
  const stalled: Array<() => void> = [];
  const server: Server = createServer((incoming, outgoing) => {
    if (incoming.url?.startsWith('/files/')) fileRequests++;
    const isFile = /^\/files\/[0-9a-f]{64}(\?.*)?$/.test(incoming.url ?? '') && incoming.method === 'GET';
    if (isFile) ranges.push(String(incoming.headers.range ?? ''));
    const upstream = request(
      `${target}${incoming.url ?? '/'}`,
      { method: incoming.method, headers: { ...incoming.headers, host: new URL(target).host } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        const range = /^bytes (\d+)-/.exec(String(answer.headers['content-range'] ?? ''));
        let offset = range ? Number(range[1]) : 0;
        answer.on('data', (piece: Buffer) => {
          const bytes = Buffer.from(piece);
          const flip = options.flipAt;
          if (flip !== undefined && flip >= offset && flip < offset + bytes.length) {
            bytes[flip - offset] = (bytes[flip - offset] ?? 0) ^ 1;
          }
          offset += bytes.length;
          const pass = () => {
            if (outgoing.destroyed) return;
            served += bytes.length;
            if (isFile) fileBytes += bytes.length;
            outgoing.write(bytes);
            if (isFile && options.holdAfter !== undefined && fileBytes >= options.holdAfter && !heldOnce) {
              holding = true;
              heldOnce = true;
              markHeld();
            }
          };
          if (holding && isFile) {
            answer.pause();
            stalled.push(() => {
              pass();
              answer.resume();
            });
          } else pass();
        });
        // A holder killed mid-answer (even while this answer is stalled): the client must see the break. The
        // socket may be kept alive for the next request, so the listener goes with this answer.
        const broken = () => {
          if (!answer.complete) outgoing.destroy();
        };
        const socket = answer.socket;
        socket.on('close', broken);
        answer.on('end', () => {
          socket.off('close', broken);
          outgoing.end();
        });
        answer.on('error', () => outgoing.destroy());
      },
    );
    upstream.on('error', () => outgoing.destroy());
    outgoing.on('close', () => upstream.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served: () => served,
    fileRequests: () => fileRequests,
    fileBytes: () => fileBytes,
    ranges: () => [...ranges],
    held,
    release() {
      holding = false;
      for (const resume of stalled.splice(0)) resume();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
