import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { DOCS_CSS } from './docs/docs-css.js';
import { docsPage } from './docs/docs-page.js';
import { errorBody, HTTP_REFUSALS, headersFor, statusFor, toErrorBody } from './error-table.js';
import { DEFAULT_MAX_BODY_BYTES, type HttpAppDeps } from './http-app-deps.js';
import { openApiDocument } from './openapi.js';
import { readJsonBody } from './read-json-body.js';
import { type ApiDescription, honoPath, type Route } from './route.js';
import { ALL_ROUTES } from './routes/all-routes.js';

export { DEFAULT_MAX_BODY_BYTES, type HttpAppDeps, type OpsDeps } from './http-app-deps.js';

const DESCRIBED: ApiDescription = { document: openApiDocument, page: docsPage, css: DOCS_CSS };

/** Mounts one route: its body parsed with its wire schema, then its handler, then the headers it documents. */
function mount(app: Hono, route: Route, deps: HttpAppDeps): void {
  app.on(route.method.toUpperCase(), honoPath(route.path), async (c) => {
    const body = route.body ? await readJsonBody(c, route.body.schema) : undefined;
    const response = await route.handle({
      body,
      param: (name) => c.req.param(name) ?? '',
      query: (name) => c.req.query(name),
      deps,
      described: DESCRIBED,
      c,
    });
    for (const [name, header] of Object.entries(route.responses[String(response.status)]?.headers ?? {})) {
      if (header.value !== undefined) response.headers.set(name, header.value);
    }
    return response;
  });
}

/** The node's HTTP API: SPEC section 1 with the rules of section 2, plus the web page, from the route table. */
export function createHttpApp(deps: HttpAppDeps): Hono {
  const app = new Hono();

  app.onError((error, c) => {
    const status = statusFor(error);
    if (status === 500) deps.onInternalError?.(error, { method: c.req.method, path: c.req.path });
    return c.json(toErrorBody(error), status, headersFor(error));
  });
  // No answer of this node is to be sniffed into another type (a JSON error rendered as HTML, say).
  app.use(async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
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
  return app;
}
