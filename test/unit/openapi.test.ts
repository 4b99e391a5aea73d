import { beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { healthReport, meshGraph } from '../../src/adapters/http/api-schemas.js';
import type { createHttpApp } from '../../src/adapters/http/create-http-app.js';
import { ERROR_CODES } from '../../src/adapters/http/error-codes.js';
import { buildOpenApiDocument, openApiDocument } from '../../src/adapters/http/openapi.js';
import type { OpenApiDocument, OpenApiOperation } from '../../src/adapters/http/openapi-document.js';
import { honoPath, type Route } from '../../src/adapters/http/route.js';
import { errorCodesOf, responsesOf } from '../../src/adapters/http/route-responses.js';
import { ALL_ROUTES } from '../../src/adapters/http/routes/all-routes.js';
import {
  inboundBatchBody,
  inboundMessageBody,
  nodeAnnounceBody,
} from '../../src/adapters/http/wire-schemas.js';
import type { WebAssets } from '../../src/adapters/web/web-assets.js';
import type { HealthReport, PhaseBox, RecentErrors } from '../../src/application/operations/check-health.js';
import type { MeshGraph } from '../../src/domain/mesh-graph.js';
import { isValidNodeId } from '../../src/domain/node-record.js';
import type { MemoryNode } from '../fakes/in-memory-network.js';
import { memoryHttpApp } from '../support/http-app.js';

type App = ReturnType<typeof createHttpApp>;
type Json = { [key: string]: unknown };

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

const json = (method: string, body: unknown, type = 'application/json') => ({
  method,
  headers: { 'Content-Type': type },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** A JSON pointer inside the document (`#/components/schemas/Error`), or undefined when it points nowhere. */
function resolve(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let at: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined;
    at = (at as Json)[key];
  }
  return at;
}

/** Every `$ref` in a JSON value. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === '$ref' && typeof child === 'string' ? [child] : refsIn(child),
  );
}

/** The schema with every `$ref` replaced by what it points to (the components have no cycles). */
function inlined(doc: unknown, schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inlined(doc, s));
  if (schema === null || typeof schema !== 'object') return schema;
  const { $ref, ...rest } = schema as Json;
  if (typeof $ref === 'string') return inlined(doc, { ...(resolve(doc, $ref) as Json), ...rest });
  return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, inlined(doc, v)]));
}

/** What zod makes of the schema, as the document should state it. */
function converted(schema: z.ZodType, io: 'input' | 'output'): unknown {
  const { $schema, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  });
  expect($schema).toBe('https://json-schema.org/draft/2020-12/schema');
  return JSON.parse(JSON.stringify(rest));
}

function operationsOf(doc: OpenApiDocument): { method: string; path: string; operation: OpenApiOperation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      method,
      path,
      operation: operation as OpenApiOperation,
    })),
  );
}

/** The route the table declares for an operation of the document. */
function routeOf(method: string, path: string): Route | undefined {
  return ALL_ROUTES.find((r) => r.method === method && r.path === path);
}

/** The zod schema a documented JSON answer comes from, by the status key the document uses. */
function answerSchema(method: string, path: string, status: string): z.ZodType | undefined {
  const route = routeOf(method, path);
  return route ? responsesOf(route)[status]?.json : undefined;
}

/** A request that reaches the route (a node id for a path parameter); what it answers does not matter. */
function requestFor(method: string, path: string): Request {
  return new Request(`http://node${path.replace(/\{\w+\}/g, 'b')}`, {
    method: method.toUpperCase(),
    ...(method === 'get' ? {} : { headers: { 'Content-Type': 'application/json' }, body: '{}' }),
  });
}

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

describe('OpenAPI document', () => {
  let a: MemoryNode;
  let b: MemoryNode;
  let errors: RecentErrors;
  let phase: PhaseBox;
  let served: OpenApiDocument;
  let app: App;
  let build: (web?: WebAssets) => App;

  beforeEach(async () => {
    ({ a, b, errors, phase, build, app } = await memoryHttpApp());
    const response = await app.request('/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
    served = (await response.json()) as OpenApiDocument;
  });

  it('serves the document it builds', () => {
    expect(served).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  describe('every route is documented, and only real routes', () => {
    it('has one operation for each method and path the app routes, and no other', () => {
      const routed = app.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_]\w*)/g, '{$1}')}`);
      expect(routed).toContain('GET /nodes/{id}');
      expect(routed).toContain('GET /openapi.json');
      expect(new Set(routed).size).toBe(routed.length);
      const documented = operationsOf(served).map(({ method, path }) => `${method.toUpperCase()} ${path}`);
      expect([...documented].sort()).toEqual([...routed].sort());
    });

    it('answers every documented operation with a route of its own, and documents every route served', async () => {
      for (const { method, path } of operationsOf(served)) {
        const response = await app.request(requestFor(method, path));
        const body = response.headers.get('content-type')?.startsWith('application/json')
          ? ((await response.json()) as { error?: { code?: string } })
          : {};
        expect(body.error?.code, `${method} ${path}`).not.toBe('not_found');
        expect(body.error?.code, `${method} ${path}`).not.toBe('method_not_allowed');
      }
      // A route served but missing from the document, or documented but not served, is a difference here.
      const served404 = await app.request('/no-such-route');
      expect(((await served404.json()) as { error: { code: string } }).error.code).toBe('not_found');
      const routes = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`);
      const table = ALL_ROUTES.map((r) => `${r.method.toUpperCase()} ${honoPath(r.path)}`);
      expect([...routes].sort()).toEqual([...table].sort());
      const partial = buildOpenApiDocument(ALL_ROUTES.slice(1));
      expect(operationsOf(partial)).toHaveLength(operationsOf(served).length - 1);
    });

    it('documents every error code of every route under the status the error table gives it', () => {
      for (const route of ALL_ROUTES) {
        const operation = served.paths[route.path]?.[route.method];
        for (const code of errorCodesOf(route)) {
          const status = String(ERROR_CODES[code].status);
          expect(
            operation?.responses[status]?.description,
            `${route.method} ${route.path} ${code}`,
          ).toContain(`\`${code}\``);
        }
      }
    });
  });

  describe('the document matches what the code answers', () => {
    /**
     * Checks a real answer against the document: its status is documented for that operation, with its media
     * type; a JSON body passes the zod schema the document names, and the document's schema is exactly what
     * `z.toJSONSchema` makes of that zod schema.
     */
    async function expectDocumented(response: Response, method: string, path: string): Promise<unknown> {
      const operation = served.paths[path]?.[method as 'get'];
      expect(operation, `${method} ${path} is documented`).toBeDefined();
      const status = String(response.status);
      const key = operation?.responses[status] ? status : `${status.charAt(0)}XX`;
      const documented = operation?.responses[key];
      expect(documented, `${method} ${path} documents ${status}`).toBeDefined();
      const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim();
      const media = Object.keys(documented?.content ?? {});
      expect(media.map((m) => m.split(';')[0]?.trim())).toContain(type);
      for (const [name, header] of Object.entries(documented?.headers ?? {})) {
        const value = (header.schema as { const?: string }).const;
        if (value !== undefined) expect(response.headers.get(name), `${method} ${path} ${name}`).toBe(value);
      }
      if (type !== 'application/json' || path === '/openapi.json') return undefined;
      const body: unknown = await response.json();
      const source = answerSchema(method, path, key);
      expect(source, `a zod schema of ${method} ${path} ${key}`).toBeDefined();
      if (!source) return body;
      const checked = source.safeParse(body);
      expect(checked.error?.issues, `${method} ${path} ${status}: ${JSON.stringify(body)}`).toBeUndefined();
      // A schema that drops unknown fields (one peers are read with too) must not hide a field it does not state.
      expect(checked.data, `${method} ${path} ${status} sends only documented fields`).toEqual(body);
      expect(inlined(served, documented?.content?.['application/json']?.schema)).toEqual(
        converted(source, 'output'),
      );
      return body;
    }

    it('GET /nodes, with and without the tombstones', async () => {
      const list = await expectDocumented(await app.request('/nodes'), 'get', '/nodes');
      expect(list).toHaveLength(2);
      a.registry.remove({ id: 'b', url: b.url });
      const all = await expectDocumented(await app.request('/nodes?include=dead'), 'get', '/nodes');
      expect(all).toMatchObject([{ id: 'a' }, { id: 'b', state: 'left' }]);
    });

    it('GET /nodes/{id}: a member, an unknown id, a bad id', async () => {
      expect(await expectDocumented(await app.request('/nodes/b'), 'get', '/nodes/{id}')).toMatchObject({
        url: b.url,
      });
      const unknown = await expectDocumented(await app.request('/nodes/zz'), 'get', '/nodes/{id}');
      expect(unknown).toMatchObject({ error: { code: 'unknown_node' } });
      await expectDocumented(await app.request('/nodes/-bad'), 'get', '/nodes/{id}');
    });

    it('PUT and DELETE /nodes/{id}: taken, refused', async () => {
      const put = (body: unknown, type?: string) => app.request('/nodes/c', json('PUT', body, type));
      const added = await expectDocumented(
        await put({ url: 'http://c.example', incarnation: 3 }),
        'put',
        '/nodes/{id}',
      );
      expect(added).toMatchObject({
        ok: true,
        result: 'added',
        node: { id: 'c', incarnation: 3, state: 'alive' },
      });
      const stale = await expectDocumented(
        await put({ url: 'http://c2.example', incarnation: 2 }),
        'put',
        '/nodes/{id}',
      );
      expect(stale).toMatchObject({ error: { code: 'stale_record' } });
      await expectDocumented(await put('{"url":'), 'put', '/nodes/{id}');
      await expectDocumented(await put('url=x', 'text/plain'), 'put', '/nodes/{id}');
      const del = (id: string, body: unknown) => app.request(`/nodes/${id}`, json('DELETE', body));
      expect(
        await expectDocumented(await del('c', { url: 'http://c.example' }), 'delete', '/nodes/{id}'),
      ).toEqual({ ok: true });
      await expectDocumented(await del('zz', { url: 'http://zz' }), 'delete', '/nodes/{id}');
      await expectDocumented(await del('a', { url: a.url }), 'delete', '/nodes/{id}');
    });

    it('POST /probe', async () => {
      const verdict = await expectDocumented(
        await app.request('/probe', json('POST', { id: 'b', url: b.url })),
        'post',
        '/probe',
      );
      expect(verdict).toMatchObject({ alive: true });
      await expectDocumented(
        await app.request('/probe', json('POST', { id: 'zz', url: 'http://zz' })),
        'post',
        '/probe',
      );
    });

    it('PUT /msg: delivered, relayed, and refused', async () => {
      const send = (body: unknown) => app.request('/msg', json('PUT', body));
      const delivered = await expectDocumented(
        await send({ id: 'm1', from: 'b', to: 'a', msg: 'hi' }),
        'put',
        '/msg',
      );
      expect(delivered).toEqual({ ok: true, status: 'delivered', id: 'm1' });
      expect(await expectDocumented(await send({ to: 'b', msg: 'via a' }), 'put', '/msg')).toMatchObject({
        status: 'relayed',
      });
      const unknown = await expectDocumented(await send({ to: 'zz', msg: 'x' }), 'put', '/msg');
      expect(unknown).toMatchObject({ error: { code: 'unknown_node' } });
      await expectDocumented(await send({ to: 'b', msg: 'x', hops: 2 }), 'put', '/msg');
      await expectDocumented(await send({ to: 'a', msg: 'x'.repeat(70_000) }), 'put', '/msg');
      await expectDocumented(await send(`{"msg":"${'x'.repeat(600 * 1024)}"}`), 'put', '/msg');
    });

    it('POST /msgs: one result per message, good and bad', async () => {
      const batch = {
        messages: [{ id: 'x-1', from: 'b', to: 'a', msg: 'one' }, { msg: 7 }, { to: 'nobody', msg: 'x' }],
      };
      const answer = await expectDocumented(await app.request('/msgs', json('POST', batch)), 'post', '/msgs');
      expect(answer).toMatchObject({
        ok: true,
        results: [{ ok: true }, { ok: false, httpStatus: 400 }, { ok: false, httpStatus: 404 }],
      });
      await expectDocumented(await app.request('/msgs', json('POST', { messages: [] })), 'post', '/msgs');
    });

    it('GET /healthz: ok and degraded (200) while running, 503 while leaving, the same body', async () => {
      const ok = await app.request('/healthz');
      expect(ok.status).toBe(200);
      expect(await expectDocumented(ok, 'get', '/healthz')).toMatchObject({ status: 'ok' });
      a.registry.suspect('b');
      errors.note(a.clock.now());
      const degraded = await app.request('/healthz');
      expect(degraded.status).toBe(200);
      expect(await expectDocumented(degraded, 'get', '/healthz')).toMatchObject({ status: 'degraded' });
      phase.phase = 'stopping';
      const leaving = await app.request('/healthz');
      expect(leaving.status).toBe(503);
      expect(await expectDocumented(leaving, 'get', '/healthz')).toMatchObject({
        status: 'degraded',
        phase: 'stopping',
      });
    });

    it('GET /users: this node, the mesh, and a bad scope', async () => {
      a.accounts.createAccount({ name: 'alice', passwordHash: 'unused', createdAt: 0 });
      a.presence.opened('alice', 'c1', 'ws');
      expect(await expectDocumented(await app.request('/users'), 'get', '/users')).toEqual([
        { user: 'alice@a', online: true, lastSeen: null },
      ]);
      expect(await expectDocumented(await app.request('/users?scope=mesh'), 'get', '/users')).toMatchObject({
        answered: ['a'],
        missing: [],
      });
      const bad = await expectDocumented(await app.request('/users?scope=foo'), 'get', '/users');
      expect(bad).toMatchObject({ error: { code: 'invalid_scope' } });
    });

    it('GET /mesh, GET /metrics, the web client and the docs', async () => {
      const map = await expectDocumented(await app.request('/mesh'), 'get', '/mesh');
      expect(map).toMatchObject({ links: [{ from: 'a', to: 'b' }] });
      await expectDocumented(await app.request('/metrics'), 'get', '/metrics');
      for (const path of ['/', '/style.css', '/app.js', '/docs', '/docs.css', '/openapi.json']) {
        await expectDocumented(await app.request(path), 'get', path);
      }
      const unbuilt = build({ html: undefined, css: undefined, script: undefined });
      const notBuilt = await expectDocumented(await unbuilt.request('/'), 'get', '/');
      expect(notBuilt).toMatchObject({ error: { code: 'not_built' } });
    });

    it('the account routes: registered, logged in and out, refused, unregistered', async () => {
      const call = (method: string, path: string, body?: unknown, token?: string) =>
        app.request(path, {
          method,
          headers: {
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const alice = { name: 'alice', password: 'correct horse' };
      expect(await expectDocumented(await call('POST', '/users', alice), 'post', '/users')).toMatchObject({
        user: 'alice@a',
      });
      await expectDocumented(await call('POST', '/users', alice), 'post', '/users');
      await expectDocumented(await call('POST', '/users', { name: '-', password: 'x' }), 'post', '/users');
      await call('POST', '/users', { name: 'bob', password: 'correct horse' });
      const session = (await expectDocumented(
        await call('POST', '/sessions', alice),
        'post',
        '/sessions',
      )) as {
        token: string;
      };
      const bobs = (await (
        await call('POST', '/sessions', { name: 'bob', password: 'correct horse' })
      ).json()) as {
        token: string;
      };
      await expectDocumented(
        await call('DELETE', '/users/alice', alice, bobs.token),
        'delete',
        '/users/{name}',
      );
      await expectDocumented(await call('DELETE', '/users/alice', alice), 'delete', '/users/{name}');
      const gone = await call('DELETE', '/users/alice', alice, session.token);
      expect(await expectDocumented(gone, 'delete', '/users/{name}')).toEqual({ ok: true, user: 'alice@a' });
      const failed = [];
      for (let i = 0; i < 6; i++) {
        const response = await call('POST', '/sessions', { ...alice, password: 'no' });
        failed.push(response.status);
        await expectDocumented(response, 'post', '/sessions');
      }
      expect(failed).toEqual([401, 401, 401, 401, 401, 429]);
      await expectDocumented(
        await call('DELETE', '/sessions/current', undefined, bobs.token),
        'delete',
        '/sessions/current',
      );
      await expectDocumented(
        await call('DELETE', '/sessions/current', undefined, bobs.token),
        'delete',
        '/sessions/current',
      );
    });

    it('documents every JSON answer with the zod schema it comes from', () => {
      for (const { method, path, operation } of operationsOf(served)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const schema = response.content?.['application/json']?.schema;
          if (!schema || path === '/openapi.json') continue;
          const source = answerSchema(method, path, status);
          expect(source, `${method} ${path} ${status}`).toBeDefined();
          if (source) expect(inlined(served, schema)).toEqual(converted(source, 'output'));
        }
      }
    });

    it('documents request bodies with the wire schemas the handlers validate with', () => {
      expect(routeOf('put', '/msg')?.body?.schema).toBe(inboundMessageBody);
      expect(routeOf('put', '/nodes/{id}')?.body?.schema).toBe(nodeAnnounceBody);
      for (const { method, path, operation } of operationsOf(served)) {
        const schema = operation.requestBody?.content['application/json']?.schema;
        const body = routeOf(method, path)?.body;
        expect(Boolean(schema), `${method} ${path}`).toBe(Boolean(body));
        if (body) expect(inlined(served, schema)).toEqual(converted(body.documented ?? body.schema, 'input'));
      }
      // The batch is documented as a list of messages; the handler reads any items and checks each alone.
      const batch = inlined(served, { $ref: '#/components/schemas/MessageBatchRequest' }) as Json;
      const { messages: documented } = batch.properties as { messages: Json };
      const { messages: read } = (converted(inboundBatchBody, 'input') as { properties: { messages: Json } })
        .properties;
      expect([documented.minItems, documented.maxItems]).toEqual([read.minItems, read.maxItems]);
    });

    it('states the node id rule the domain enforces', () => {
      const parameter = served.paths['/nodes/{id}']?.get?.parameters?.find((p) => p.name === 'id');
      expect(parameter).toBeDefined();
      const { pattern, minLength, maxLength } = (parameter?.schema ?? {}) as {
        pattern: string;
        minLength: number;
        maxLength: number;
      };
      const byDocument = (id: string) =>
        new RegExp(pattern).test(id) && id.length >= minLength && id.length <= maxLength;
      for (const id of [
        'a',
        'B-1.c_d',
        '0',
        '-a',
        '.a',
        '',
        'a b',
        'é',
        'x'.repeat(64),
        'x'.repeat(65),
        'a/b',
      ]) {
        expect(byDocument(id), id).toBe(isValidNodeId(id));
      }
    });

    it('describes exactly the types the use cases return', () => {
      expectTypeOf<DeepReadonly<z.output<typeof healthReport>>>().toEqualTypeOf<DeepReadonly<HealthReport>>();
      expectTypeOf<DeepReadonly<z.output<typeof meshGraph>>>().toEqualTypeOf<DeepReadonly<MeshGraph>>();
    });
  });

  describe('the document is OpenAPI 3.1 in shape', () => {
    it('has the version, info, tags and responses OpenAPI requires', () => {
      expect(served.openapi).toMatch(/^3\.1\.\d+$/);
      expect(served.info.title).toBeTruthy();
      expect(served.info.version).toMatch(/^\d+\.\d+\.\d+/);
      const tags = served.tags.map((t) => t.name);
      const operations = operationsOf(served);
      expect(operations.length).toBeGreaterThanOrEqual(16);
      for (const { method, path, operation } of operations) {
        const where = `${method} ${path}`;
        expect(path, where).toMatch(/^\//);
        expect(METHODS, where).toContain(method);
        expect(operation.summary, where).toBeTruthy();
        expect(Object.keys(operation.responses).length, where).toBeGreaterThan(0);
        for (const [status, response] of Object.entries(operation.responses)) {
          expect(status, where).toMatch(/^(?:[1-5](?:\d\d|XX)|default)$/);
          expect(typeof response.description, `${where} ${status}`).toBe('string');
        }
        for (const tag of operation.tags) expect(tags, where).toContain(tag);
        expect(operation.tags, where).toEqual([
          operation['x-meshchat-extension'] ? 'meshchat extension' : 'base protocol',
        ]);
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path');
        expect(declared.map((p) => p.name).sort(), where).toEqual(inPath.sort());
        for (const p of declared) expect(p.required, where).toBe(true);
      }
    });

    it('has unique operationIds', () => {
      const ids = operationsOf(served).map(({ operation }) => operation.operationId);
      expect(ids.every((id) => /^[A-Za-z][A-Za-z0-9]*$/.test(id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('resolves every $ref within the document, and every component is used', () => {
      const refs = refsIn(served);
      expect(refs.length).toBeGreaterThan(10);
      for (const ref of refs) expect(resolve(served, ref), ref).toBeDefined();
      const used = new Set(refs);
      for (const name of Object.keys(served.components.schemas))
        expect(used, name).toContain(`#/components/schemas/${name}`);
      expect(JSON.stringify(served)).not.toMatch(/"\$(?:schema|id)"/);
    });

    it('marks the base protocol of the SPEC apart from the meshchat extensions', () => {
      const base = operationsOf(served)
        .filter(({ operation }) => !operation['x-meshchat-extension'])
        .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
      expect(base.sort()).toEqual([
        'DELETE /nodes/{id}',
        'GET /nodes',
        'GET /nodes/{id}',
        'PUT /msg',
        'PUT /nodes/{id}',
      ]);
      expect(served.info.description).toContain('/socket.io/');
      expect(served.info.description).toContain('`/ws`');
    });
  });
});
