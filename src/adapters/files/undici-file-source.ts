import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { FileFetchFailed, fileUnavailableReason } from '../../application/files/file-errors.js';
import type { FilePieceReceiver, FileSource } from '../../application/ports/files/file-source.js';
import type { PeerUrlPolicy } from '../../domain/peer-url-policy.js';

/** The header a node sends when it fetches for a client of its own: the holder must not relay in turn. */
export const RELAY_HEADER = 'meshchat-relay';
/** The request header a node fetching a file for its users names itself with (for the owner's list). */
export const FETCHING_NODE_HEADER = 'Meshchat-Node';

export interface UndiciFileSourceSettings {
  /** Opens the connections (`guardedDispatcher()` when private peers are refused); one Agent of this module's by default. */
  readonly dispatcher?: Dispatcher;
  /** The URL rules of this node's peer calls; a refused URL is never called. */
  readonly urls: PeerUrlPolicy;
  /** Longest wait for the holder's answer headers. */
  readonly headersTimeoutMs?: number;
  /** Longest wait between two pieces of the body (a stalled holder is given up). */
  readonly bodyTimeoutMs?: number;
}

/**
 * The dispatcher without one of the node's. Not undici's process-wide one: whichever undici loads first in
 * the process installs it, and Node's built-in fetch (loaded as soon as anything touches `fetch` or `Headers`,
 * as playwright or a program embedding the node may do before the node is imported) installs an Agent of its
 * own undici, which refuses this module's handler ("invalid onError method"): every fetch from a holder failed.
 */
let ownAgent: Agent | undefined;
function defaultDispatcher(): Dispatcher {
  ownAgent ??= new Agent();
  return ownAgent;
}

/** Bytes of an error answer's body read at most, for the message. */
export const MAX_ERROR_BYTES = 4096;

/**
 * `FileSource` over plain HTTP with undici (the same dispatcher as the node's other peer calls, so the
 * connect-time address check applies): one `GET /files/:id` with `Range: bytes=<start>-` and `If-Range`.
 *
 * It drives undici's low-level `dispatch` with a handler of its own (`FetchHandler`) rather than `request`:
 * each piece the HTTP parser yields goes straight to the receiver, with no `Readable`, no async iteration and
 * no promise per piece. When the receiver asks to wait (its promise: the download's queue of chunks for the
 * disk is full), the parser is paused (undici stops reading the socket, so TCP pushes back on the holder)
 * and resumed once the promise settles; a paused body is not timed out.
 */
export class UndiciFileSource implements FileSource {
  readonly #dispatcher: Dispatcher | undefined;

  constructor(private readonly settings: UndiciFileSourceSettings) {
    this.#dispatcher = settings.dispatcher;
  }

  fetch(
    url: string,
    id: string,
    start: number,
    receive: FilePieceReceiver,
    options: { readonly relay: boolean; readonly node?: string; readonly signal: AbortSignal },
  ): Promise<void> {
    const refusal = this.settings.urls.refusal(url);
    if (refusal !== undefined) return Promise.reject(new FileFetchFailed(refusal, 'rejected'));
    let target: URL;
    try {
      target = new URL(`${url}/files/${encodeURIComponent(id)}`);
    } catch (error) {
      return Promise.reject(
        new FileFetchFailed(`Could not reach ${url}: ${describe(error)}.`, 'unreachable'),
      );
    }
    if (options.signal.aborted)
      return Promise.reject(
        new FileFetchFailed(`Could not reach ${url}: the fetch was aborted.`, 'unreachable'),
      );
    return new Promise<void>((resolve, reject) => {
      const handler = new FetchHandler(url, id, start, receive, options.signal, resolve, reject);
      try {
        (this.#dispatcher ?? defaultDispatcher()).dispatch(
          {
            origin: target.origin,
            path: `${target.pathname}${target.search}`,
            method: 'GET',
            headers: {
              ...(start > 0 ? { range: `bytes=${start}-`, 'if-range': `"${id}"` } : {}),
              ...(options.relay ? {} : { [RELAY_HEADER]: '1' }),
              ...(options.node === undefined ? {} : { [FETCHING_NODE_HEADER]: options.node }),
            },
            headersTimeout: this.settings.headersTimeoutMs ?? 30_000,
            bodyTimeout: this.settings.bodyTimeoutMs ?? 30_000,
          },
          handler,
        );
      } catch (error) {
        handler.fail(new FileFetchFailed(`Could not reach ${url}: ${describe(error)}.`, 'unreachable'));
      }
    });
  }
}

/**
 * One fetch as undici's dispatch handler. Before the answer's headers, every failure is `FileFetchFailed`
 * (`unreachable`); an unexpected status reads at most `MAX_ERROR_BYTES` of the body for the message, then
 * drops the connection; after a good status, pieces go to the receiver, and a failure is the receiver's error
 * or the body's (a socket closed, a body timeout, the signal).
 */
class FetchHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  /** The answer's status once its headers came; `undefined` before. */
  #status: number | undefined;
  /** An error answer's body so far (for the message). */
  #errorText: Buffer[] = [];
  #errorBytes = 0;
  #settled = false;
  readonly #onAbort = () => this.#abort(this.signal.reason ?? new Error('The fetch was aborted.'));

  constructor(
    private readonly url: string,
    private readonly id: string,
    private readonly start: number,
    private readonly receive: FilePieceReceiver,
    private readonly signal: AbortSignal,
    private readonly resolve: () => void,
    private readonly reject: (error: unknown) => void,
  ) {
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // Aborted (or failed) while the request waited for a connection: it is not sent.
    if (this.#settled) controller.abort(new Error('The fetch was aborted.'));
    else if (this.signal.aborted) this.#onAbort();
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200) return; // 1xx: the answer is still to come.
    this.#status = statusCode;
    const expected = this.start === 0 ? statusCode === 200 || statusCode === 206 : statusCode === 206;
    if (!expected) return; // The body is read (bounded) for the message; `onResponseEnd` rejects.
    const range = headers['content-range'];
    if (statusCode === 206 && !(typeof range === 'string' && range.startsWith(`bytes ${this.start}-`)))
      this.#abort(
        new FileFetchFailed(`${this.url} answered a range other than the one asked for.`, 'bad_answer'),
      );
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    if (!this.#good()) {
      this.#errorText.push(chunk.subarray(0, MAX_ERROR_BYTES - this.#errorBytes));
      this.#errorBytes += Math.min(chunk.length, MAX_ERROR_BYTES - this.#errorBytes);
      if (this.#errorBytes >= MAX_ERROR_BYTES) this.#failStatus();
      return;
    }
    let wait: Promise<void> | undefined;
    try {
      wait = this.receive(chunk);
    } catch (error) {
      this.#abort(error);
      return;
    }
    if (wait === undefined) return;
    controller.pause();
    wait.then(
      () => {
        if (!this.#settled) controller.resume();
      },
      (error: unknown) => this.#abort(error),
    );
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    if (!this.#good()) this.#failStatus();
    else this.#settle();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#settled) return;
    // An error answer whose body broke off: its status (and what came of its message) is the failure.
    if (this.#status !== undefined && !this.#good()) this.#failStatus();
    else
      this.#settle(
        this.#status === undefined
          ? new FileFetchFailed(`Could not reach ${this.url}: ${describe(error)}.`, 'unreachable')
          : error,
      );
  }

  /** Fails the fetch before it was dispatched. */
  fail(error: unknown): void {
    this.#settle(error);
  }

  #good(): boolean {
    const status = this.#status as number;
    return this.start === 0 ? status === 200 || status === 206 : status === 206;
  }

  /** Rejects with what an error answer said (its status, and its message when it gave one), then drops it. */
  #failStatus(): void {
    const status = this.#status as number;
    const raw = Buffer.concat(this.#errorText).toString('utf8');
    // A relay that could not get the file either: its reason, rather than its whole sentence inside ours.
    const relayed = fileUnavailableReason(messageOf(raw, Number.POSITIVE_INFINITY));
    const text = messageOf(raw);
    this.#abort(
      new FileFetchFailed(
        relayed !== undefined
          ? `${this.url} could not get it either (${relayed.slice(0, 300)})`
          : `${this.url} answered GET /files/${this.id} with ${status}${text ? `: ${text}` : ''}`,
        status >= 200 && status < 300 ? 'bad_answer' : 'rejected',
        status,
      ),
    );
  }

  /** Ends the fetch with `error` (before the headers, as `FileFetchFailed`) and drops the connection. */
  #abort(error: unknown): void {
    if (this.#settled) return;
    const failure =
      this.#status === undefined && !(error instanceof FileFetchFailed)
        ? new FileFetchFailed(`Could not reach ${this.url}: ${describe(error)}.`, 'unreachable')
        : error;
    this.#settle(failure);
    const controller = this.#controller;
    if (controller && !controller.aborted)
      controller.abort(error instanceof Error ? error : new Error(String(error)));
  }

  #settle(error?: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.signal.removeEventListener('abort', this.#onAbort);
    this.#errorText = [];
    if (error === undefined) this.resolve();
    else this.reject(error);
  }
}

/** The message of an error answer's body: its JSON `error.message`, else its text; at most 300 characters. */
function messageOf(text: string, max = 300): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message.slice(0, max);
  } catch {
    // Not JSON: the text itself.
  }
  return text.trim().slice(0, max);
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
