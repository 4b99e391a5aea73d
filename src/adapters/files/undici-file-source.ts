import { type Dispatcher, getGlobalDispatcher, request } from 'undici';
import { FileFetchFailed } from '../../application/files/file-errors.js';
import type { FileSource } from '../../application/ports/files/file-source.js';
import type { PeerUrlPolicy } from '../../domain/peer-url-policy.js';

/** The header a node sends when it fetches for a client of its own: the holder must not relay in turn. */
export const RELAY_HEADER = 'meshchat-relay';
/** The request header a node fetching a file for its users names itself with (for the owner's list). */
export const FETCHING_NODE_HEADER = 'Meshchat-Node';

export interface UndiciFileSourceSettings {
  /** Opens the connections (`guardedDispatcher()` when private peers are refused); undici's global one by default. */
  readonly dispatcher?: Dispatcher;
  /** The URL rules of this node's peer calls; a refused URL is never called. */
  readonly urls: PeerUrlPolicy;
  /** Longest wait for the holder's answer headers. */
  readonly headersTimeoutMs?: number;
  /** Longest wait between two pieces of the body (a stalled holder is given up). */
  readonly bodyTimeoutMs?: number;
}

const MAX_ERROR_BYTES = 4096;

/**
 * `FileSource` over plain HTTP with undici (the same dispatcher as the node's other peer calls, so the
 * connect-time address check applies): one `GET /files/:id` with `Range: bytes=<start>-` and `If-Range`, its
 * body handed over as it streams, with backpressure (undici reads on only as the caller consumes).
 */
export class UndiciFileSource implements FileSource {
  readonly #dispatcher: Dispatcher | undefined;

  constructor(private readonly settings: UndiciFileSourceSettings) {
    this.#dispatcher = settings.dispatcher;
  }

  async fetch(
    url: string,
    id: string,
    start: number,
    options: { readonly relay: boolean; readonly node?: string; readonly signal: AbortSignal },
  ): Promise<AsyncIterable<Uint8Array>> {
    const refusal = this.settings.urls.refusal(url);
    if (refusal !== undefined) throw new FileFetchFailed(refusal, 'rejected');
    const target = `${url}/files/${encodeURIComponent(id)}`;
    let answer: Dispatcher.ResponseData;
    try {
      answer = await request(target, {
        method: 'GET',
        dispatcher: this.#dispatcher ?? getGlobalDispatcher(),
        headers: {
          ...(start > 0 ? { range: `bytes=${start}-`, 'if-range': `"${id}"` } : {}),
          ...(options.relay ? {} : { [RELAY_HEADER]: '1' }),
          ...(options.node === undefined ? {} : { [FETCHING_NODE_HEADER]: options.node }),
        },
        signal: options.signal,
        headersTimeout: this.settings.headersTimeoutMs ?? 30_000,
        bodyTimeout: this.settings.bodyTimeoutMs ?? 30_000,
      });
    } catch (error) {
      throw new FileFetchFailed(`Could not reach ${url}: ${describe(error)}.`, 'unreachable');
    }
    const { statusCode, headers, body } = answer;
    const expected = start === 0 ? [200, 206] : [206];
    if (!expected.includes(statusCode)) {
      const text = await readSome(body);
      throw new FileFetchFailed(
        `${url} answered GET /files/${id} with ${statusCode}${text ? `: ${text}` : ''}`,
        statusCode >= 200 && statusCode < 300 ? 'bad_answer' : 'rejected',
        statusCode,
      );
    }
    const range = headers['content-range'];
    if (statusCode === 206 && !(typeof range === 'string' && range.startsWith(`bytes ${start}-`))) {
      body.destroy();
      throw new FileFetchFailed(`${url} answered a range other than the one asked for.`, 'bad_answer');
    }
    return body;
  }
}

async function readSome(body: Dispatcher.ResponseData['body']): Promise<string> {
  let text = '';
  try {
    for await (const piece of body) {
      text += Buffer.from(piece as Uint8Array).toString('utf8');
      if (text.length >= MAX_ERROR_BYTES) break;
    }
  } catch {
    // What the holder said is only for the message.
  } finally {
    body.destroy();
  }
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message.slice(0, 300);
  } catch {
    // Not JSON: the text itself.
  }
  return text.trim().slice(0, 300);
}

function describe(error: unknown): string {
  let e = error;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (e.name === 'ForbiddenPeerAddress' || typeof code === 'string') return e.message;
    e = e.cause;
  }
  return error instanceof Error ? error.message : String(error);
}
