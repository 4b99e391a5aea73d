import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { methodNotAllowed } from 'hono/method-not-allowed';
import type { z } from 'zod';
import type { AnnounceNode } from '../../application/membership/announce-node.js';
import type { CheckHealth } from '../../application/operations/check-health.js';
import type { MeshGraph } from '../../domain/mesh-graph.js';
import type { ProbeForPeer } from '../../application/membership/probe-for-peer.js';
import type { ReceiveMessage } from '../../application/messaging/receive-message.js';
import type { ReceiveMessages } from '../../application/messaging/receive-messages.js';
import type { RemoveNode } from '../../application/membership/remove-node.js';
import { UnknownNode } from '../../domain/errors.js';
import { assertNodeId } from '../../domain/node-record.js';
import type { PeerRegistry } from '../../domain/peer-registry.js';
import { CONTENT_SECURITY_POLICY, type WebAssets } from '../web/web-assets.js';
import { DOCS_CSS, docsPage } from './docs-page.js';
import { errorBody, HttpRefusal, statusFor, toErrorBody } from './error-table.js';
import { openApiDocument } from './openapi.js';
import {
  describeIssues,
  inboundBatchBody,
  inboundMessageBody,
  nodeAnnounceBody,
  nodeWithdrawBody,
  probeBody,
} from './wire-schemas.js';

export const DEFAULT_MAX_BODY_BYTES = 512 * 1024;

export interface HttpAppDeps {
  readonly registry: PeerRegistry;
  readonly announce: AnnounceNode;
  readonly remove: RemoveNode;
  readonly probe: ProbeForPeer;
  readonly receive: ReceiveMessage;
  readonly receiveMany: ReceiveMessages;
  readonly web: WebAssets;
  /** What operators read: `/healthz`, `/metrics`, `/mesh`. */
  readonly ops: OpsDeps;
  readonly maxBodyBytes?: number;
  /** Called with every failure this node could not map to a client's mistake (a 500). */
  readonly onInternalError?: (error: unknown, request: { method: string; path: string }) => void;
}

export interface OpsDeps {
  readonly health: CheckHealth;
  readonly metrics: { readonly contentType: string; text(): Promise<string> };
  readonly mesh: () => MeshGraph;
}

/** Reads a JSON body and checks it against a wire schema; every failure is a 4xx with a sentence. */
async function readBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new HttpRefusal(415, 'unsupported_media_type', 'Send the body as JSON with "Content-Type: application/json".');
  }
  const text = await c.req.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new HttpRefusal(400, 'malformed_json', 'The request body is not valid JSON.');
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new HttpRefusal(400, 'invalid_body', describeIssues(parsed.error));
  return parsed.data;
}

/** The node's HTTP API: SPEC section 1 with the rules of section 2, plus the web page. Handlers stay thin. */
export function createHttpApp(deps: HttpAppDeps): Hono {
  const { registry, announce, remove, probe, receive, receiveMany, web, ops } = deps;
  const app = new Hono();

  app.onError((error, c) => {
    const status = statusFor(error);
    if (status === 500) deps.onInternalError?.(error, { method: c.req.method, path: c.req.path });
    return c.json(toErrorBody(error), status);
  });
  // No answer of this node is to be sniffed into another type (a JSON error rendered as HTML, say).
  app.use(async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
  });
  app.notFound((c) => c.json(errorBody('not_found', `There is no ${c.req.method} ${c.req.path} on this node.`), 404));
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, allowed) =>
        c.json(
          errorBody('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(', ')}.`),
          405,
          { Allow: allowed.join(', ') },
        ),
    }),
  );
  const maxSize = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  app.use(
    bodyLimit({
      maxSize,
      onError: (c) => c.json(errorBody('body_too_large', `The request body is larger than ${maxSize} bytes.`), 413),
    }),
  );

  // `?include=dead` (a meshchat extension) adds the tombstones, so gossip carries who is gone.
  app.get('/nodes', (c) => {
    const members = registry.list();
    return c.json(c.req.query('include') === 'dead' ? [...members, ...registry.goneReports()] : members);
  });

  app.get('/nodes/:id', (c) => {
    const id = assertNodeId(c.req.param('id'));
    const node = registry.get(id);
    if (!node) throw new UnknownNode(id);
    return c.json({ url: node.url, incarnation: node.incarnation, state: node.state });
  });

  app.put('/nodes/:id', async (c) => {
    const id = c.req.param('id');
    const body = await readBody(c, nodeAnnounceBody);
    const result = announce.execute({ id, ...body });
    return c.json({ ok: true, result, node: registry.get(id) });
  });

  app.delete('/nodes/:id', async (c) => {
    const id = c.req.param('id');
    await remove.execute({ id, ...(await readBody(c, nodeWithdrawBody)) });
    return c.json({ ok: true });
  });

  app.post('/probe', async (c) => c.json(await probe.execute(await readBody(c, probeBody))));

  app.put('/msg', async (c) => {
    const body = await readBody(c, inboundMessageBody);
    const outcome = await receive.execute(body);
    return c.json({ ok: true, ...outcome });
  });

  // A meshchat extension: a batch from a meshchat node's outbox. Each message gets its own result; a bad one
  // does not stop the others.
  app.post('/msgs', async (c) => {
    const { messages } = await readBody(c, inboundBatchBody);
    const checked = messages.map((m) => inboundMessageBody.safeParse(m));
    const outcomes = await receiveMany.execute(checked.flatMap((m) => (m.success ? [m.data] : [])));
    let next = 0;
    const results = checked.map((m, i) => {
      if (!m.success) {
        const why = `Message ${i + 1}: ${describeIssues(m.error)}`;
        return { ok: false, httpStatus: 400, error: errorBody('invalid_body', why).error };
      }
      const outcome = outcomes[next++] as (typeof outcomes)[number];
      return outcome.ok
        ? outcome
        : { ok: false, httpStatus: statusFor(outcome.error), ...toErrorBody(outcome.error) };
    });
    return c.json({ ok: true, results });
  });

  // Operations (meshchat extensions). `/healthz` is 503 only while the node joins or leaves (not ready for
  // users); degraded but running is 200, with the reasons in the body: a flaky peer must not take a node that
  // serves its users out of a load balancer.
  app.get('/healthz', (c) => {
    const report = ops.health.execute();
    return c.json(report, report.phase === 'running' ? 200 : 503, { 'Cache-Control': 'no-store' });
  });
  app.get('/metrics', async (c) =>
    c.body(await ops.metrics.text(), 200, { 'Content-Type': ops.metrics.contentType, 'Cache-Control': 'no-store' }),
  );
  app.get('/mesh', (c) => c.json(ops.mesh(), 200, { 'Cache-Control': 'no-store' }));

  // The API described (meshchat extensions): OpenAPI 3.1 generated from the zod schemas, and as a page.
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/docs', (c) => c.html(docsPage(), 200, { 'Content-Security-Policy': CONTENT_SECURITY_POLICY }));
  app.get('/docs.css', (c) =>
    c.body(DOCS_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Content-Security-Policy': CONTENT_SECURITY_POLICY }),
  );

  const page = (body: string | undefined, type: string) => (c: Context) =>
    body === undefined
      ? c.json(errorBody('not_built', 'The web client is not built; run "npm run build".'), 404)
      : c.body(body, 200, { 'Content-Type': type, 'Content-Security-Policy': CONTENT_SECURITY_POLICY });
  app.get('/', page(web.html, 'text/html; charset=utf-8'));
  app.get('/style.css', page(web.css, 'text/css; charset=utf-8'));
  app.get('/app.js', page(web.script, 'text/javascript; charset=utf-8'));

  return app;
}
