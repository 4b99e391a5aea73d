// The account calls of the CLI on a node's HTTP API (SPEC section 5): register, log in, list the users.

import { fetchFailure, notMeshchat } from '../fetch-failure.js';
import { CONTROL } from '../terminal-text.js';

/**
 * A call that did not give what was asked; its message is one line a person can act on, and `code` the node's
 * error code when it answered with one (`bad_credentials`, `rate_limited`, …).
 */
export class AccountCallFailed extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface Session {
  readonly token: string;
  /** The address `name@node`. */
  readonly user: string;
}

export interface ListedUser {
  readonly user: string;
  readonly online: boolean;
  readonly lastSeen: string | null;
}

const CALL_TIMEOUT_MS = 10_000;

async function call(node: URL, method: string, path: string, body?: unknown) {
  const url = new URL(path.replace(/^\//, ''), node.href.endsWith('/') ? node.href : `${node.href}/`);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (error) {
    const why = fetchFailure(error);
    throw new AccountCallFailed(`cannot reach the node at ${node.href}${why ? ` (${why})` : ''}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, what: `${method} ${url.pathname}`, origin: url.origin };
}

/** The node's sentence for a refusal, else what the server at that URL answered, which no node would. */
function refusal({ status, json, what, origin }: Awaited<ReturnType<typeof call>>): string {
  const error = (json as { error?: { message?: unknown } } | undefined)?.error;
  if (typeof error?.message === 'string') return error.message.replace(/\s+/g, ' ');
  return notMeshchat(
    origin,
    what,
    status >= 200 && status < 300 ? `${status} without its answer` : `${status}`,
  );
}

/** `POST /users`: resolves with the new address. */
export async function registerUser(node: URL, name: string, password: string): Promise<string> {
  const answer = await call(node, 'POST', '/users', { name, password });
  const user = (answer.json as { user?: unknown } | undefined)?.user;
  if (answer.status !== 201 || typeof user !== 'string') throw new AccountCallFailed(refusal(answer));
  return user;
}

/** `POST /sessions`: resolves with the token and the address. */
export async function logIn(node: URL, name: string, password: string): Promise<Session> {
  const answer = await call(node, 'POST', '/sessions', { name, password });
  const session = answer.json as { token?: unknown; user?: unknown } | undefined;
  if (answer.status !== 201 || typeof session?.token !== 'string' || typeof session.user !== 'string') {
    const code = (answer.json as { error?: { code?: unknown } } | undefined)?.error?.code;
    const elsewhere = code === 'bad_credentials' ? await homeElsewhere(node, name) : undefined;
    throw new AccountCallFailed(
      `${refusal(answer)}${elsewhere ?? ''}`,
      typeof code === 'string' ? code : undefined,
    );
  }
  return { token: session.token, user: session.user };
}

/**
 * After a refused login: when the mesh directory (public, `GET /users?scope=mesh`) has no `name` on this node
 * but has it on other nodes, a sentence naming them and their URLs (an account lives on the node it was
 * registered on, and a user who gave another node's URL is told where to log in). Else, or when anything
 * fails, `undefined`: the node's own refusal is the whole answer.
 */
async function homeElsewhere(node: URL, name: string): Promise<string | undefined> {
  try {
    const [users, nodes] = await Promise.all([
      call(node, 'GET', '/users?scope=mesh'),
      call(node, 'GET', '/nodes'),
    ]);
    const listed = (users.json as { users?: unknown } | undefined)?.users;
    const known = nodes.json;
    if (!Array.isArray(listed) || !Array.isArray(known) || known.length === 0) return undefined;
    const self = (known[0] as { id?: unknown }).id;
    const homes = listed.flatMap((entry: unknown) => {
      const user = (entry as { user?: unknown } | null)?.user;
      if (typeof user !== 'string') return [];
      const at = user.lastIndexOf('@');
      return user.slice(0, at) === name ? [user.slice(at + 1)] : [];
    });
    if (typeof self !== 'string' || homes.length === 0 || homes.includes(self)) return undefined;
    const urlOf = (id: string) => (known as { id?: unknown; url?: unknown }[]).find((n) => n.id === id)?.url;
    const flag = (id: string) => {
      const url = urlOf(id);
      return typeof url === 'string' ? `--node ${url}` : `the URL of node ${id}`;
    };
    const first = homes[0] as string;
    const sentence =
      homes.length === 1
        ? ` ${name} is not a user of node ${self}, but ${name}@${first} is: log in on its node, ${flag(first)}`
        : ` ${name} is not a user of node ${self}, but ${homes
            .slice(0, 3)
            .map((id) => `${name}@${id} (${flag(id)})`)
            .join(', ')} are: log in on your own node`;
    return sentence.replace(CONTROL, '?');
  } catch {
    return undefined;
  }
}

/**
 * `GET /users`: the node's users, or `undefined` when the node does not list them (404 from a node without the
 * route, or 405 from one that has only `POST /users`).
 */
export async function listUsers(node: URL): Promise<ListedUser[] | undefined> {
  const answer = await call(node, 'GET', '/users');
  const { status, json } = answer;
  if (status === 404 || status === 405) return undefined;
  if (status !== 200 || !Array.isArray(json)) throw new AccountCallFailed(refusal(answer));
  return json.flatMap((entry: unknown) => {
    const u = entry as Partial<ListedUser> | null;
    if (typeof u?.user !== 'string' || typeof u.online !== 'boolean') return [];
    return [{ user: u.user, online: u.online, lastSeen: typeof u.lastSeen === 'string' ? u.lastSeen : null }];
  });
}
