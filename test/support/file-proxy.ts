import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileProxyOptions {
  /** Flip the lowest bit of the byte at this offset of the file, in every answer that carries it. */
  readonly flipAt?: number;
  /** Stop passing body bytes on once this many were passed in all, once (the answer stalls; `held` resolves). */
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
  /** Resolves once `holdAfter` bytes were passed. */
  readonly held: Promise<void>;
  /** Passes bytes on again (after a hold). */
  release(): void;
  close(): Promise<void>;
}

export async function startFileProxy(target: string, options: FileProxyOptions = {}): Promise<FileProxy> {
  let served = 0;
  let fileRequests = 0;
  let holding = false;
  let heldOnce = false;
  let markHeld: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    markHeld = resolve;
  });
  const stalled: Array<() => void> = [];
  const server: Server = createServer((incoming, outgoing) => {
    if (incoming.url?.startsWith('/files/')) fileRequests++;
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
            outgoing.write(bytes);
            if (options.holdAfter !== undefined && served >= options.holdAfter && !heldOnce) {
              holding = true;
              heldOnce = true;
              markHeld();
            }
          };
          if (holding) {
            answer.pause();
            stalled.push(() => {
              pass();
              answer.resume();
            });
          } else pass();
        });
        answer.on('end', () => outgoing.end());
        answer.on('error', () => outgoing.destroy());
        // A holder killed mid-answer (even while this answer is stalled): the client must see the break.
        answer.socket.on('close', () => {
          if (!answer.complete) outgoing.destroy();
        });
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
