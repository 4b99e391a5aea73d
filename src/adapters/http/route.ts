import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { ErrorCode } from './error-codes.js';
import type { HttpAppDeps } from './http-app-deps.js';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete';

/** Base protocol (the assignment, SPEC section 1) or a meshchat extension. */
export type RouteTag = 'base' | 'extension';

/** A documented header of an answer. `value` is the one value it always has, when it has one. */
export interface HeaderSpec {
  readonly description: string;
  readonly value?: string;
}

/** One documented answer: a JSON body described by a zod schema (as output), or another media type. */
export interface ResponseSpec {
  readonly description: string;
  readonly json?: z.ZodType;
  readonly media?: string;
  readonly headers?: { readonly [name: string]: HeaderSpec };
}

export interface BodySpec<S extends z.ZodType> {
  /** The wire schema the body is parsed with; a failure is `400 invalid_body` before the handler runs. */
  readonly schema: S;
  /** What the document shows a sender, when it is more precise than what is parsed (the batch's items). */
  readonly documented?: z.ZodType;
  readonly description: string;
}

/** What a handler gets: the parsed body, the raw path and query values, its app's deps and the Hono context. */
export interface RouteRequest<B> {
  readonly body: B;
  /**
   * A path parameter as sent. Path and query values are documented by `params` and `query` but checked by the
   * use case or the domain, so HTTP and the in-memory network refuse the same input with the same code.
   */
  param(name: string): string;
  query(name: string): string | undefined;
  readonly deps: HttpAppDeps;
  /** The API described: what `/openapi.json`, `/docs` and `/docs.css` serve. */
  readonly described: ApiDescription;
  /**
   * The node the request's connection is authenticated as: a peer link that node opened and proved itself on
   * (SPEC section 8). Undefined for every HTTP request and every other link: nothing a request says sets it.
   */
  readonly sender?: string;
  readonly c: Context;
}

/** A handler's request without HTTP: what a route that answers plain JSON is given. */
export type PlainRouteRequest<B> = Omit<RouteRequest<B>, 'c'>;

/** What a route that needs nothing of HTTP answers: a status and a JSON value. */
export interface JsonAnswer {
  readonly status: ContentfulStatusCode;
  readonly json: unknown;
}

export interface ApiDescription {
  /** The OpenAPI document, as JSON. */
  document(): object;
  page(): string;
  readonly css: string;
}

export interface RouteSpec<S extends z.ZodType> {
  readonly method: HttpMethod;
  /** In OpenAPI form, `/nodes/{id}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly tag: RouteTag;
  /**
   * A node-to-node route (membership, message delivery, the catalog other nodes pull): on a node started with a
   * network key it answers only calls that prove that key (`Meshchat-Network`), else `401 network_key_required`.
   * Routes users call (accounts, files, the page, `GET /users`, `/healthz`) leave it out.
   */
  readonly peer?: true;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: BodySpec<S>;
  /**
   * A body the handler streams itself (`c.req.raw.body`), of this media type: not parsed as JSON, and not held
   * to the JSON body limit, so the route must bound what it reads. Exclusive with `body`.
   */
  readonly rawBody?: { readonly media: string; readonly description: string };
  /** The answers that are not errors, and error answers no code of the table describes (a relayed 4xx). */
  readonly responses: { readonly [status: string]: ResponseSpec };
  /**
   * The codes of `ERROR_CODES` the handler's use case may answer with; they are documented by the status the
   * error table gives them. A route with a body also gets the body refusals, and every route `internal_error`.
   */
  readonly errors?: readonly ErrorCode[];
  handle(request: RouteRequest<z.output<S>>): Response | Promise<Response>;
  /**
   * The handler of a route that needs nothing of HTTP (no headers, no connection): its answer as a status and
   * a JSON value. Such a route is declared with `answer` instead of `handle` (which is then made from it), so a
   * peer link can run it without building a `Request` and a `Response` around it (`createHttpApp`'s `direct`).
   */
  readonly answer?: (request: PlainRouteRequest<z.output<S>>) => Promise<JsonAnswer>;
}

/** A route's declaration: with `handle`, or with `answer` when it needs nothing of HTTP. */
export type RouteDeclaration<S extends z.ZodType> = Omit<RouteSpec<S>, 'handle' | 'answer'> &
  (
    | { readonly handle: RouteSpec<S>['handle']; readonly answer?: never }
    | { readonly answer: NonNullable<RouteSpec<S>['answer']>; readonly handle?: never }
  );

/** A route as the app and the document read it. */
export type Route = RouteSpec<z.ZodType>;

/** Declares a route; the body's type flows from its schema to the handler. */
export function route<S extends z.ZodType = z.ZodUndefined>(spec: RouteDeclaration<S>): Route {
  const { answer } = spec;
  if (!answer) return spec as unknown as Route;
  const handle = async (request: RouteRequest<z.output<S>>) => {
    const { status, json } = await answer(request);
    return request.c.json(json as object, status);
  };
  return { ...spec, handle } as unknown as Route;
}

/** `/nodes/{id}` as Hono writes it: `/nodes/:id`. */
export function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
