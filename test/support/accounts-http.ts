/** A user's account calls on a real node's HTTP API, as a client makes them. */

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** One JSON call; `token` goes in `Authorization: Bearer`. */
export async function callNode(
  url: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** Registers `name` (unless `register: false`) and logs in; resolves with the token and the address. */
export async function registerAndLogin(
  url: string,
  name: string,
  password: string,
  options: { register?: boolean } = {},
): Promise<{ token: string; user: string }> {
  if (options.register !== false) {
    const made = await callNode(url, 'POST', '/users', { body: { name, password } });
    if (made.status !== 201)
      throw new Error(`POST /users ${name}: ${made.status} ${JSON.stringify(made.body)}`);
  }
  const session = await callNode(url, 'POST', '/sessions', { body: { name, password } });
  if (session.status !== 201) {
    throw new Error(`POST /sessions ${name}: ${session.status} ${JSON.stringify(session.body)}`);
  }
  return session.body as { token: string; user: string };
}
