// One JSON call to a node from a command, with its refusal turned into a sentence.

import { fetchFailure, notMeshchat } from '../fetch-failure.js';
import { CONTROL } from '../terminal-text.js';

/** A node answered with an error, or could not be reached: `message` is one line for the user. */
export class NodeCallFailed extends Error {
  override name = 'NodeCallFailed';
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The `{error: {code, message}}` of a refusal as `message (code, status)`. */
export async function refusal(response: Response, what: string, origin: string): Promise<NodeCallFailed> {
  let code: string | undefined;
  let message = notMeshchat(origin, what, `${response.status}`);
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    // The node's sentence goes to a terminal: its control characters are shown as `?`.
    if (typeof body.error?.message === 'string')
      message = `${body.error.message.replace(CONTROL, '?')} (${(code ?? String(response.status)).replace(CONTROL, '?')})`;
  } catch {
    // Not a meshchat error body: the status says enough.
  }
  return new NodeCallFailed(message, response.status, code);
}

/** How long a node has to answer one JSON call of a command, headers and body. */
export const ANSWER_TIMEOUT_MS = 30_000;

/** A node that took the connection and then said nothing: stopped (SIGSTOP), hung, or not an HTTP server. */
export function noAnswer(origin: string, what: string, ms: number): NodeCallFailed {
  return new NodeCallFailed(
    `${origin} took the connection but did not answer ${what} within ${Math.round(ms / 1000)} s (is the node stopped or overloaded?); try again later`,
  );
}

/**
 * Fetches and parses a 2xx JSON answer (an object, and whatever `looksRight` asks of it); anything else throws
 * `NodeCallFailed`, and so does a node that has not answered within `timeoutMs`. A stop of the caller's
 * (`init.signal`) rejects as fetch does, for the caller to report.
 */
export async function nodeAnswer<T>(
  url: URL,
  init: RequestInit = {},
  looksRight: (body: Record<string, unknown>) => boolean = () => true,
  timeoutMs = ANSWER_TIMEOUT_MS,
): Promise<T> {
  const what = `${init.method ?? 'GET'} ${url.pathname}`;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
  const late = (error: unknown) => {
    if (init.signal?.aborted) throw error;
    if (deadline.aborted) throw noAnswer(url.origin, what, timeoutMs);
  };
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal });
  } catch (error) {
    late(error);
    const why = fetchFailure(error);
    throw new NodeCallFailed(`cannot reach ${url.origin} (${why})`);
  }
  if (!response.ok) {
    const refused = await refusal(response, what, url.origin);
    late(refused);
    throw refused;
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    // A stop or the deadline while the body was read; anything else is not a node's JSON.
    late(error);
    body = undefined;
  }
  if (
    typeof body !== 'object' ||
    body === null ||
    Array.isArray(body) ||
    !looksRight(body as Record<string, unknown>)
  )
    throw new NodeCallFailed(
      notMeshchat(
        url.origin,
        what,
        `${response.status} with ${body === undefined ? 'a body that is not JSON' : 'JSON that is not its answer'}`,
      ),
      response.status,
    );
  return body as T;
}
