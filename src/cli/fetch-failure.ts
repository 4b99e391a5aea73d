// Why a command's HTTP call to a node failed, in a few words on one line: before any answer, or with an answer no
// meshchat node gives (another server at that URL). fetch (undici) rejects with "fetch failed" and puts the
// reason in `cause`, whose message may be OpenSSL's, over lines.

const REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused: is the node running, on that port?',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be looked up',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host cannot be reached',
  ENETUNREACH: 'the network cannot be reached',
  ETIMEDOUT: 'no answer in time',
  UND_ERR_SOCKET: 'the connection broke before an answer: is that an HTTP server?',
  UND_ERR_CONNECT_TIMEOUT: 'no answer in time',
  ERR_SSL_WRONG_VERSION_NUMBER: 'it does not speak https there: try http://',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'it does not speak https there: try http://',
};

/** `connection refused: …` for an `ECONNREFUSED`, and so on; else the cause's code or its first line. */
export function fetchFailure(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'no answer in time';
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return REASONS[code] ?? code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.split('\n')[0]?.trim() ?? '';
}

/**
 * What to say when `origin` answered `what` (`GET /files`) as no meshchat node does (a status without a meshchat
 * error body, or a body that is not the JSON asked for): most often `--node` names another server, or a port
 * something else listens on.
 */
export function notMeshchat(origin: string, what: string, answer: string): string {
  return `no meshchat node answers at ${origin}: ${what} got ${answer}; check --node (the URL a node printed when it started)`;
}
