import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { NETWORK_PROOF_HEADER, proofRefusalMessage } from '../crypto/network-key.js';
import { DOCS_CSS } from './docs/docs-css.js';
import { docsPage } from './docs/docs-page.js';
import { errorBody, HTTP_REFUSALS, headersFor, httpRefusal, statusFor, toErrorBody } from './error-table.js';
import { DEFAULT_MAX_BODY_BYTES, type HttpAppDeps } from './http-app-deps.js';
import type { RateLimitedConnection } from './http-rate-limits.js';
import { openApiDocument } from './openapi.js';
import { checkBody, readJsonBody } from './read-json-body.js';
import { type ApiDescription, honoPath, type JsonAnswer, type Route } from './route.js';
import { ALL_ROUTES } from './routes/all-routes.js';
import { sentDirectly } from './send-node-body.js';

export { DEFAULT_MAX_BODY_BYTES, type HttpAppDeps, type OpsDeps } from './http-app-deps.js';

const DESCRIBED: ApiDescription = { document: openApiDocument, page: docsPage, css: DOCS_CSS };

/** A request handed to a route without HTTP (by a peer link): its JSON body as parsed, and its size as sent. */
export interface DirectRequest {
  readonly method: string;
  /** The path as sent, query included. */
  readonly path: string;
  readonly body: unknown;
  /** Bytes of the frame the body came in: the body as sent was no larger. */
  readonly bytes: number;
  /**
   * The connection the request came on, as `fetch` gets it in `c.env.incoming` (a peer link's upgrade): the
   * rate limits charge the request to its client exactly as the app's middleware would.
   */
  readonly incoming: NodeConnection;
}

/**
 * The connection a request came on, as the app reads it from `c.env.incoming`. `networkKeyProven` is set only by
 * the peer link server, on a link whose upgrade proved the network key: every request it carries is a member's.
 */
export type NodeConnection = RateLimitedConnection & {
  readonly networkKeyProven?: boolean;
  /** Set only by the peer link server, on a link authenticated as that node (`LinkConnection.provenNode`). */
  readonly provenNode?: string;
};

/**
 * The network key's check of one request. A node-to-node route (`peer`) goes on without a network key; with one,
 * when the request came on a link that proved the key, or carries a proof of its own (`Meshchat-Network`) for
 * its method, path and query; else it throws `401 network_key_required`. Any other route takes every caller, and
 * checks a proof only when one is sent (a member calling `GET /users`). Resolves with the proof when this node
 * took one: the answer then proves the key back (`NetworkKey.answer`).
 */
function checkProof(
  deps: HttpAppDeps,
  route: Pick<Route, 'peer'>,
  request: {
    readonly method: string;
    readonly target: string;
    readonly proof: string | undefined;
    readonly incoming: NodeConnection | undefined;
  },
): string | undefined {
  const key = deps.networkKey;
  if (!key || request.incoming?.networkKeyProven === true) return undefined;
  if (!route.peer && request.proof === undefined) return undefined;
  const refused = key.verify(request.proof, request.method, request.target);
  if (refused === undefined) return request.proof;
  if (route.peer) throw httpRefusal('network_key_required', proofRefusalMessage(refused));
  return undefined;
}

/** `response` with the proof of its status and body for the caller whose proof `request` this node took. */
async function provenAnswer(
  key: NonNullable<HttpAppDeps['networkKey']>,
  request: string,
  response: Response,
): Promise<Response> {
  const body = new Uint8Array(await response.arrayBuffer());
  const headers = new Headers(response.headers);
  headers.set(NETWORK_PROOF_HEADER, key.answer(request, response.status, body));
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** The path and query of a request as sent: what a network proof covers. */
function targetOf(c: Context): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

/** A route's answer without HTTP: its status, its text and the headers the route documents. */
export interface DirectAnswer {
  readonly status: number;
  readonly text: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The node's HTTP API, plus `direct`: the same routes run without a `Request` or a `Response` for the requests
 * a peer link carries most (`PUT /msg`, `POST /msgs`: the routes declared with `answer`). It gives `undefined`
 * for every other request, which then goes through the app as any HTTP request does.
 */
export type HttpApp = Hono & {
  readonly direct: (request: DirectRequest) => Promise<DirectAnswer> | undefined;
};

/** The headers with a fixed value that the route documents for `status`. */
function documentedHeaders(route: Route, status: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(route.responses[String(status)]?.headers ?? {})) {
    if (header.value !== undefined) headers[name] = header.value;
  }
  return headers;
}

/** Mounts one route: its body parsed with its wire schema, then its handler, then the headers it documents. */
function mount(app: Hono, route: Route, deps: HttpAppDeps): void {
  app.on(route.method.toUpperCase(), honoPath(route.path), async (c) => {
    const incoming = (c.env as { incoming?: NodeConnection } | undefined)?.incoming;
    // Before the body is read: a stranger's call costs one HMAC.
    const proof = deps.networkKey
      ? checkProof(deps, route, {
          method: c.req.method,
          target: targetOf(c),
          proof: c.req.header(NETWORK_PROOF_HEADER),
          incoming,
        })
      : undefined;
    const body = route.body ? await readJsonBody(c, route.body.schema) : undefined;
    const response = await route.handle({
      body,
      param: (name) => c.req.param(name) ?? '',
      query: (name) => c.req.query(name),
      deps,
      described: DESCRIBED,
      ...(incoming?.provenNode === undefined ? {} : { sender: incoming.provenNode }),
      c,
    });
    for (const [name, value] of Object.entries(documentedHeaders(route, response.status))) {
      response.headers.set(name, value);
    }
    // Only JSON is proved back (read whole to hash it): a member has no business downloading a file with a proof.
    const json = route.peer || response.headers.get('content-type')?.startsWith('application/json') === true;
    return proof !== undefined && json && deps.networkKey
      ? provenAnswer(deps.networkKey, proof, response)
      : response;
  });
}

/**
 * `HttpApp['direct']` over the routes declared with `answer` whose path has no parameter. A request it takes
 * gets what the app gives the same request: the route's body schema (`checkBody`, as `readJsonBody` after its
 * JSON parse), its handler, and for a failure the error table's status and body, a 500 reported as the app's
 * `onError` reports it. What the app checks before a route is either true of every request it takes or sends
 * the request the app's way: the media type (a link body is always JSON), the body limit (a frame larger than
 * it goes through the app, which measures the body exactly), the path (a query, or a path no such route has).
 * The rate limits come first, as the app's middleware comes before everything: a request it takes is charged
 * to its connection's client (`request.incoming`) on the route's budget, and a refusal answered as the app
 * answers it (`429 rate_limited`, `Retry-After`). A request it gives back is not charged: the app charges it.
 * Routes with a raw body (`rawBody`, files) are never taken.
 */
function directRoutes(deps: HttpAppDeps, maxSize: number): HttpApp['direct'] {
  const table = new Map<string, { route: Route; answer: NonNullable<Route['answer']> }>();
  for (const route of ALL_ROUTES) {
    if (route.answer && !route.rawBody && !route.path.includes('{')) {
      table.set(`${route.method.toUpperCase()} ${route.path}`, { route, answer: route.answer });
    }
  }
  return ({ method, path, body, bytes, incoming }) => {
    const found = table.get(`${method} ${path}`);
    if (!found || bytes > maxSize || (found.route.body && body === undefined)) return undefined;
    const refused = deps.rateLimits?.admitRequest(path, incoming);
    if (refused) return Promise.resolve(errorAnswer(refused, deps, { method, path }));
    if (found.route.peer) {
      try {
        // Only a link that proved the key gets here with a key set: a request of its own carries no proof.
        checkProof(deps, found.route, { method, target: path, proof: undefined, incoming });
      } catch (error) {
        return Promise.resolve(errorAnswer(error, deps, { method, path }));
      }
    }
    return answerDirectly(found.route, found.answer, deps, {
      method,
      path,
      body,
      sender: incoming.provenNode,
    });
  };
}

/** An error as the app's `onError` answers it: the error table's status, body and headers. */
function errorAnswer(
  error: unknown,
  deps: HttpAppDeps,
  request: { readonly method: string; readonly path: string },
): DirectAnswer {
  const status = statusFor(error);
  if (status === 500) deps.onInternalError?.(error, { method: request.method, path: request.path });
  return { status, text: JSON.stringify(toErrorBody(error)), headers: headersFor(error) };
}

async function answerDirectly(
  route: Route,
  answer: NonNullable<Route['answer']>,
  deps: HttpAppDeps,
  request: {
    readonly method: string;
    readonly path: string;
    readonly body: unknown;
    readonly sender: string | undefined;
  },
): Promise<DirectAnswer> {
  let result: JsonAnswer;
  try {
    result = await answer({
      body: route.body ? checkBody(route.body.schema, request.body) : undefined,
      param: () => '',
      query: () => undefined,
      deps,
      described: DESCRIBED,
      ...(request.sender === undefined ? {} : { sender: request.sender }),
    });
  } catch (error) {
    return errorAnswer(error, deps, request);
  }
  return {
    status: result.status,
    text: JSON.stringify(result.json),
    headers: documentedHeaders(route, result.status),
  };
}

/** The node's HTTP API: SPEC section 1 with the rules of section 2, plus the web page, from the route table. */
export function createHttpApp(deps: HttpAppDeps): HttpApp {
  const app = new Hono();

  app.onError((error, c) => {
    const status = statusFor(error);
    if (status === 500) deps.onInternalError?.(error, { method: c.req.method, path: c.req.path });
    return c.json(toErrorBody(error), status, headersFor(error));
  });
  // No answer of this node is to be sniffed into another type (a JSON error rendered as HTML, say).
  app.use(async (c, next) => {
    await next();
    // An answer sent straight to the Node response (`sendNodeBody`) carries it already.
    if (!sentDirectly(c.res)) c.header('X-Content-Type-Options', 'nosniff');
  });
  // Before the body is read or a route runs: a refused request costs a map lookup.
  if (deps.rateLimits) app.use(deps.rateLimits.middleware());
  app.notFound((c) =>
    c.json(
      errorBody('not_found', `There is no ${c.req.method} ${c.req.path} on this node.`),
      HTTP_REFUSALS.not_found,
    ),
  );
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, allowed) =>
        c.json(
          errorBody(
            'method_not_allowed',
            `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(', ')}.`,
          ),
          HTTP_REFUSALS.method_not_allowed,
          { Allow: allowed.join(', ') },
        ),
    }),
  );
  // Routes that stream their body bound it themselves; mounted before the limit, they answer before it runs.
  for (const route of ALL_ROUTES.filter((r) => r.rawBody)) mount(app, route, deps);
  const maxSize = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  app.use(
    bodyLimit({
      maxSize,
      onError: (c) =>
        c.json(
          errorBody('body_too_large', `The request body is larger than ${maxSize} bytes.`),
          HTTP_REFUSALS.body_too_large,
        ),
    }),
  );
  for (const route of ALL_ROUTES.filter((r) => !r.rawBody)) mount(app, route, deps);
  return Object.assign(app, { direct: directRoutes(deps, maxSize) });
}
