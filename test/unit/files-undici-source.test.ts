// The HTTP file source against a local server: pieces pushed to the receiver in order, the connection paused
// while the receiver makes it wait (the server's writes back up) and resumed after; an error answer read only
// to 4 KiB (a server that never ends it does not hold the fetch); a wrong range, a failing receiver, an abort
// and a refused URL each end the fetch with the right error.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_ERROR_BYTES, UndiciFileSource } from '../../src/adapters/files/undici-file-source.js';
import { FileFetchFailed, fileUnavailableMessage } from '../../src/application/files/file-errors.js';
import { PeerUrlPolicy } from '../../src/domain/peer-url-policy.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const source = new UndiciFileSource({ urls: PeerUrlPolicy.ANY });
const options = () => ({ relay: false, signal: new AbortController().signal });

describe('UndiciFileSource', () => {
  it('pushes the body in order; a receiver that makes it wait pauses the connection until it settles', async () => {
    const bytes = randomBytes(16 * 1024 * 1024);
    let sent = 0;
    const url = await serve((req, res) => {
      expect(req.headers.range).toBe('bytes=5-');
      expect(req.headers['if-range']).toBe('"f1"');
      expect(req.headers['meshchat-relay']).toBe('1');
      res.writeHead(206, { 'content-range': `bytes 5-${bytes.length - 1}/${bytes.length}` });
      let at = 5;
      const more = () => {
        while (at < bytes.length) {
          const piece = bytes.subarray(at, at + 65536);
          at += piece.length;
          sent = at;
          if (!res.write(piece)) {
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      more();
    });
    const got: Buffer[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const done = source.fetch(
      url,
      'f1',
      5,
      (piece) => {
        got.push(Buffer.from(piece));
        return got.length === 1 ? held : undefined;
      },
      options(),
    );
    // While the first piece's promise is pending, no other piece comes, though the server sent megabytes.
    await vi.waitFor(() => expect(sent).toBeGreaterThan(2 * 1024 * 1024), { timeout: 10_000 });
    expect(got.length).toBe(1);
    release();
    await done;
    expect(Buffer.concat(got).equals(bytes.subarray(5))).toBe(true);
  });

  it('reads at most 4 KiB of an error answer, never waiting for its end, and names its status', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(404);
      res.write('x'.repeat(3 * MAX_ERROR_BYTES)); // and never ends
    });
    const failure = source.fetch(url, 'f1', 0, () => undefined, options());
    await expect(failure).rejects.toBeInstanceOf(FileFetchFailed);
    const error = (await failure.catch((e: unknown) => e)) as FileFetchFailed;
    expect(error.failure).toBe('rejected');
    expect(error.status).toBe(404);
    expect(error.message).toBe(`${url} answered GET /files/f1 with 404: ${'x'.repeat(300)}`);
  });

  it("an error answer's JSON message is the failure's", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'No such file here.' } }));
    });
    await expect(source.fetch(url, 'f1', 0, () => undefined, options())).rejects.toEqual(
      new FileFetchFailed(`${url} answered GET /files/f1 with 404: No such file here.`, 'rejected', 404),
    );
  });

  it('a relay that could not get the file either: its reason, not its whole sentence nested in ours', async () => {
    const id = 'a'.repeat(64);
    const url = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'application/json' });
      const message = fileUnavailableMessage(
        id,
        'nb: Could not reach http://127.0.0.1:9: connect ECONNREFUSED.',
        0,
        5,
      );
      res.end(JSON.stringify({ error: { code: 'file_unavailable', message } }));
    });
    const error = (await source
      .fetch(url, id, 0, () => undefined, options())
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(FileFetchFailed);
    expect(error.message).toBe(
      `${url} could not get it either (nb: Could not reach http://127.0.0.1:9: connect ECONNREFUSED.)`,
    );
    // Ours, around it, names the file once and says once what is kept.
    const ours = fileUnavailableMessage(id, `nc: ${error.message}`, 0, 5);
    expect(ours.split(id)).toHaveLength(2);
    expect(ours.match(/verified and kept/g)).toHaveLength(1);
  });

  it('a range other than the one asked for, or a 200 to a range, is a bad answer and no piece is taken', async () => {
    const url = await serve((req, res) => {
      if (req.headers.range === 'bytes=10-') res.writeHead(206, { 'content-range': 'bytes 0-99/100' });
      else res.writeHead(200);
      res.end(Buffer.alloc(100));
    });
    const taken: number[] = [];
    const receive = (piece: Uint8Array) => {
      taken.push(piece.length);
      return undefined;
    };
    await expect(source.fetch(url, 'f1', 10, receive, options())).rejects.toMatchObject({
      failure: 'bad_answer',
    });
    await expect(source.fetch(`${url}/x`, 'f1', 20, receive, options())).rejects.toMatchObject({
      failure: 'bad_answer',
      status: 200,
    });
    expect(taken).toEqual([]);
  });

  it("a receiver's error, thrown or as a rejection, ends the fetch with that very error", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(1024 * 1024));
    });
    const thrown = new Error('bad chunk');
    await expect(
      source.fetch(
        url,
        'f1',
        0,
        () => {
          throw thrown;
        },
        options(),
      ),
    ).rejects.toBe(thrown);
    await expect(source.fetch(url, 'f1', 0, () => Promise.reject(thrown), options())).rejects.toBe(thrown);
  });

  it('aborting the signal mid-body ends the fetch; a refused URL or a closed port is never a piece', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200);
      res.write(Buffer.alloc(1024)); // then nothing
    });
    const controller = new AbortController();
    const aborted = source.fetch(
      url,
      'f1',
      0,
      () => {
        controller.abort();
        return undefined;
      },
      {
        relay: false,
        signal: controller.signal,
      },
    );
    await expect(aborted).rejects.toBeDefined();
    const refusing = new UndiciFileSource({ urls: new PeerUrlPolicy(false) });
    await expect(
      refusing.fetch('http://127.0.0.1:1', 'f1', 0, () => undefined, options()),
    ).rejects.toMatchObject({
      failure: 'rejected',
    });
    await expect(
      source.fetch('http://127.0.0.1:1', 'f1', 0, () => undefined, options()),
    ).rejects.toMatchObject({
      failure: 'unreachable',
    });
  });
});
