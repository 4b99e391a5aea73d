import { DEFAULT_RATE_LIMITS } from '../../../domain/rate-limits.js';
import { healthReport, limitsAnswer, meshGraph } from '../api-schemas.js';
import { route } from '../route.js';

const NO_STORE = { 'Cache-Control': { description: 'Always `no-store`.', value: 'no-store' } };

/** What operators read (meshchat extensions). */
export const OPS_ROUTES = [
  route({
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Health check',
    description:
      'Degraded while the node joins or leaves, when no peer answers while some are suspect or messages wait for ' +
      'dead ones, when some peers stop answering, when its outbox backs up, or after internal errors in the last ' +
      'minutes. A lone node that never had peers, or whose peers left, is ok. The status code says whether the ' +
      'node is ready for users (200 while running, 503 while it joins or leaves); the body says how well it works.',
    tag: 'extension',
    responses: {
      '200': {
        description: 'The node runs: `status: "ok"`, or `"degraded"` with one reason per problem.',
        json: healthReport,
        headers: NO_STORE,
      },
      '503': {
        description:
          'The node is joining or leaving (`phase` `starting` or `stopping`): `status: "degraded"`.',
        json: healthReport,
        headers: NO_STORE,
      },
    },
    // 503 only while joining or leaving: a flaky peer must not take a node that serves its users out of a
    // load balancer, so degraded but running is 200 with the reasons in the body.
    handle: ({ deps: { ops }, c }) => {
      const report = ops.health.execute();
      return c.json(report, report.phase === 'running' ? 200 : 503);
    },
  }),
  route({
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      'Counters and gauges (messages, deliveries, outbox, peers, users) in the Prometheus text format.',
    tag: 'extension',
    responses: {
      '200': {
        description: 'Prometheus text exposition format, version 0.0.4.',
        media: 'text/plain; version=0.0.4',
        headers: NO_STORE,
      },
    },
    handle: async ({ deps: { ops }, c }) =>
      c.body(await ops.metrics.text(), 200, { 'Content-Type': ops.metrics.contentType }),
  }),
  route({
    method: 'get',
    path: '/mesh',
    operationId: 'getMesh',
    summary: 'The network as this node sees it',
    description:
      "Every node this node lists or remembers as gone, and which node lists which: this node's own links are " +
      "its member list, another member's are the last `GET /nodes` it answered to this node's gossip.",
    tag: 'extension',
    responses: { '200': { description: 'The map.', json: meshGraph, headers: NO_STORE } },
    handle: ({ deps: { ops }, c }) => c.json(ops.mesh()),
  }),
  route({
    method: 'get',
    path: '/limits',
    operationId: 'getLimits',
    summary: "This node's rate limits",
    description:
      'The token buckets this node keeps per client address (HTTP, and the frames of all its user connections ' +
      'together), per user connection and per account, so a client can pace itself. Over one, HTTP answers `429 rate_limited` with `Retry-After`, and a socket gets an ' +
      'error `{code: "rate_limited", retryAfter}`. `admission` gives the bounds past which a user\'s message for a ' +
      'node that answers but falls behind is refused `destination_busy` with `retryAfter`.',
    tag: 'extension',
    responses: { '200': { description: 'The limits.', json: limitsAnswer } },
    // Only a private node says so: an open node's answer stays the one clients already read.
    handle: ({ deps, c }) =>
      c.json({
        ...(deps.limits ?? DEFAULT_RATE_LIMITS),
        ...(deps.historyPages ? { history: deps.historyPages } : {}),
        ...(deps.admission ? { admission: deps.admission } : {}),
        ...(deps.privateNode ? { private: true } : {}),
      }),
  }),
];
