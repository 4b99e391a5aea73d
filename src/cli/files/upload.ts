// Streams a local file to POST /files with its Content-Length, so a node can refuse it before reading it.

import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { NodeCallFailed } from './node-call.js';

const CONTINUE_PATIENCE_MS = 3_000;
/** How long the node may neither read a byte of the upload nor answer before the command gives up. */
export const UPLOAD_IDLE_MS = 90_000;
/** The same wait once the whole body is sent (the node syncs a file of up to `--max-file-size` first). */
const AFTER_BODY_IDLE_MS = 600_000;

/** The node's answer to an upload: status and parsed JSON body (undefined when not JSON). */
export interface UploadAnswer {
  readonly status: number;
  readonly body: unknown;
}

async function readJson(response: IncomingMessage): Promise<unknown> {
  const pieces: Buffer[] = [];
  let size = 0;
  for await (const piece of response) {
    size += (piece as Buffer).length;
    if (size > 1024 * 1024) break;
    pieces.push(piece as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(pieces).toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Sends `path` (`size` bytes) to `url`. Resolves with the node's answer even when the node answers before the
 * body is all sent (a refusal), and rejects with `NodeCallFailed` when there is no answer at all.
 */
export function upload(
  url: URL,
  path: string,
  size: number,
  token: string,
  idleMs = UPLOAD_IDLE_MS,
): Promise<UploadAnswer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = send(url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(size),
        // The node answers a refusal (no login, name taken, too large) before a byte of the body is sent.
        Expect: '100-continue',
      },
    });
    request.on('response', (response) => {
      answered = true;
      readJson(response).then((body) => resolve({ status: response.statusCode ?? 0, body }), reject);
    });
    // A node that refuses early closes the connection while the body is still going: its answer is what counts.
    request.on('error', (error) => {
      if (!answered) reject(new NodeCallFailed(`the upload to ${url.origin} failed (${error.message})`));
    });
    let sending = false;
    const sendBody = () => {
      if (sending || answered) return;
      sending = true;
      clearTimeout(patience);
      const file = createReadStream(path);
      file.on('error', (error) => {
        request.destroy();
        reject(new NodeCallFailed(`cannot read ${path} (${error.message})`));
      });
      file.pipe(request);
    };
    // A node that stops taking bytes and answering (stopped with SIGSTOP, hung) ends the upload, not the wait.
    // (Once the answer is whole the promise is settled, and this changes nothing.)
    request.setTimeout(idleMs, () => {
      reject(
        new NodeCallFailed(
          `${url.origin} sent nothing and took nothing for ${Math.round(idleMs / 1000)} s (is the node stopped or overloaded?); try again later`,
        ),
      );
      request.destroy();
    });
    // Once the last byte is sent the node syncs the file to disk before it answers: that may take longer.
    request.on('finish', () => request.setTimeout(Math.max(idleMs, AFTER_BODY_IDLE_MS)));
    request.on('continue', sendBody);
    // A server that never answers `100 Continue` gets the body anyway after a while (RFC 9110 section 10.1.1).
    const patience = setTimeout(sendBody, CONTINUE_PATIENCE_MS);
    request.on('response', () => clearTimeout(patience));
  });
}
