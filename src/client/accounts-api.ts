import { isRecord, parseWireError } from './frames.js';

// The account calls of a node's HTTP API (SPEC §5) as a front end makes them: register, sign in and out, and
// the mesh directory. The host gives the request function (the browser's `fetch` on the page's own origin),
// so the client core stays free of any one runtime's HTTP. Every answer is untrusted and checked here.

/** What the core needs of an HTTP answer (the browser's `Response` has it). */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** Makes one request to `path` on the node's origin; it may reject (the node cannot be reached). */
export type HttpRequest = (
  path: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<HttpAnswer>;

/** A refusal in the node's words; `retryAfterSeconds` on `rate_limited`, from `Retry-After`. */
export interface AccountError {
  readonly code: string;
  readonly message: string;
  readonly retryAfterSeconds?: number;
}

export type AccountResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: AccountError };

export interface SignedIn {
  readonly token: string;
  /** The address `name@node`. */
  readonly user: string;
  readonly expiresAt?: string;
}

export interface ListedUser {
  readonly user: string;
  readonly online: boolean;
  /** ISO-8601, or null when no connection of the user ever closed. */
  readonly lastSeen: string | null;
}

/** `GET /users?scope=mesh`: every meshchat node's users, and the nodes this node could not vouch for. */
export interface MeshUsers {
  readonly users: readonly ListedUser[];
  readonly answered: readonly string[];
  readonly missing: readonly string[];
}

/** Entries kept from one directory answer: a hostile node cannot make the page draw without end. */
export const MAX_LISTED_USERS = 2000;

export function parseListedUser(value: unknown): ListedUser | undefined {
  if (!isRecord(value) || typeof value.user !== 'string' || !value.user.includes('@')) return undefined;
  if (typeof value.online !== 'boolean') return undefined;
  return {
    user: value.user,
    online: value.online,
    lastSeen: typeof value.lastSeen === 'string' ? value.lastSeen : null,
  };
}

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((x): x is string => typeof x === 'string').slice(0, MAX_LISTED_USERS)
    : [];
}

/** A mesh directory answer; a second entry for one address is dropped. Undefined when it is not one. */
export function parseMeshUsers(value: unknown): MeshUsers | undefined {
  if (!isRecord(value) || !Array.isArray(value.users)) return undefined;
  const users: ListedUser[] = [];
  const seen = new Set<string>();
  for (const raw of value.users) {
    const user = parseListedUser(raw);
    if (!user || seen.has(user.user)) continue;
    seen.add(user.user);
    users.push(user);
    if (users.length >= MAX_LISTED_USERS) break;
  }
  return { users, answered: strings(value.answered), missing: strings(value.missing) };
}

const UNREACHABLE: AccountError = { code: 'unreachable', message: 'The node cannot be reached; try again.' };

/** The account calls on one node. Each resolves (never rejects) with the value or the node's refusal. */
export class AccountsApi {
  constructor(private readonly request: HttpRequest) {}

  /** `POST /users`. */
  async register(name: string, password: string): Promise<AccountResult<{ user: string }>> {
    return this.#call('POST', '/users', { name, password }, 201, (json) =>
      isRecord(json) && typeof json.user === 'string' ? { user: json.user } : undefined,
    );
  }

  /** `POST /sessions`: the token to log connections in with. */
  async signIn(name: string, password: string): Promise<AccountResult<SignedIn>> {
    return this.#call('POST', '/sessions', { name, password }, 201, (json) => {
      if (!isRecord(json) || typeof json.token !== 'string' || typeof json.user !== 'string')
        return undefined;
      const expiresAt = typeof json.expiresAt === 'string' ? json.expiresAt : undefined;
      return { token: json.token, user: json.user, ...(expiresAt === undefined ? {} : { expiresAt }) };
    });
  }

  /** `DELETE /sessions/current`: the token is revoked. */
  async signOut(token: string): Promise<AccountResult<true>> {
    return this.#call('DELETE', '/sessions/current', undefined, 200, () => true, token);
  }

  /** `GET /users?scope=mesh`. */
  async meshUsers(): Promise<AccountResult<MeshUsers>> {
    return this.#call('GET', '/users?scope=mesh', undefined, 200, parseMeshUsers);
  }

  #call<T>(
    method: string,
    path: string,
    body: unknown,
    expected: number,
    read: (json: unknown) => T | undefined,
    token?: string,
  ): Promise<AccountResult<T>> {
    return callNode(this.request, {
      method,
      path,
      body,
      expected,
      read,
      ...(token === undefined ? {} : { token }),
    });
  }
}

/** One JSON call to a node, as the client's APIs make it. */
export interface NodeCall<T> {
  readonly method: string;
  readonly path: string;
  /** Sent as JSON when present. */
  readonly body?: unknown;
  /** The bearer token, when the call is made as a logged-in user. */
  readonly token?: string;
  /** The status that means success; any other is a refusal. */
  readonly expected: number;
  /** The value of a successful answer, or undefined when the answer is not understood (`bad_answer`). */
  readonly read: (json: unknown) => T | undefined;
}

/**
 * Makes `call` and resolves (never rejects) with its value or the node's refusal in the node's words:
 * `unreachable` when no answer came, `bad_answer` for a success this client cannot read, else the node's error
 * (`http_<status>` when it gave none), with `retryAfterSeconds` from `Retry-After`.
 */
export async function callNode<T>(request: HttpRequest, call: NodeCall<T>): Promise<AccountResult<T>> {
  const { method, path, body, token, expected, read } = call;
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  let answer: HttpAnswer;
  let json: unknown;
  try {
    answer = await request(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await answer.text();
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    return { ok: false, error: UNREACHABLE };
  }
  if (answer.status === expected) {
    const value = read(json);
    if (value !== undefined) return { ok: true, value };
    return {
      ok: false,
      error: { code: 'bad_answer', message: 'The node answered in a way this page does not understand.' },
    };
  }
  const wire = isRecord(json) && isRecord(json.error) ? parseWireError(json) : undefined;
  const error = wire ?? { code: `http_${answer.status}`, message: `The node answered ${answer.status}.` };
  const retry = Number.parseInt(answer.headers.get('Retry-After') ?? '', 10);
  return {
    ok: false,
    error: Number.isSafeInteger(retry) && retry >= 0 ? { ...error, retryAfterSeconds: retry } : error,
  };
}
