// Streams a local file to POST /files with its Content-Length, so a node can refuse it before reading it.

import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { NodeCallFailed } from './node-call.js';

const CONTINUE_PATIENCE_MS = 3_000;

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
export function upload(url: URL, path: string, size: number, token: string): Promise<UploadAnswer> {
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
    request.on('continue', sendBody);
    // A server that never answers `100 Continue` gets the body anyway after a while (RFC 9110 section 10.1.1).
    const patience = setTimeout(sendBody, CONTINUE_PATIENCE_MS);
    request.on('response', () => clearTimeout(patience));
  });
}
