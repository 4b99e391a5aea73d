import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MAX_RELAY_HOPS, MESSAGE_MAX_BYTES, USER_NAME_MAX_LENGTH } from '../../domain/message.js';
import { MAX_MEMBERS } from '../../domain/peer-registry.js';
import {
  batchAnswer,
  batchItemResult,
  errorBody,
  errorDetail,
  healthReport,
  includeParam,
  meshGraph,
  messageAnswer,
  messageBatchBody,
  nodeAnnounceAnswer,
  nodeDetail,
  nodeEntry,
  nodeIdParam,
  nodeList,
  okAnswer,
  probeAnswer,
} from './api-schemas.js';
import { inboundMessageBody, nodeAnnounceBody, nodeWithdrawBody, probeBody } from './wire-schemas.js';

/**
 * The OpenAPI 3.1 document of a node's HTTP API (`GET /openapi.json`). Bodies are converted from zod schemas:
 * requests from the ones the node validates with (as input), responses from `api-schemas.ts` (as output), which
 * the tests check real answers against. Only the skeleton (paths, summaries, statuses) is written here.
 */

export type JsonSchema = { readonly [key: string]: unknown };
export type HttpMethod = 'get' | 'put' | 'post' | 'delete';

export interface OpenApiParameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly required: boolean;
  readonly description: string;
  readonly schema: JsonSchema;
}

export interface OpenApiMediaType {
  readonly schema: JsonSchema;
}

export interface OpenApiResponse {
  readonly description: string;
  readonly headers?: {
    readonly [name: string]: { readonly description: string; readonly schema: JsonSchema };
  };
  readonly content?: { readonly [mediaType: string]: OpenApiMediaType };
}

export interface OpenApiOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly tags: readonly string[];
  /** `false` for the assignment's protocol, `true` for what meshchat adds. */
  readonly 'x-meshchat-extension': boolean;
  readonly parameters?: readonly OpenApiParameter[];
  readonly requestBody?: {
    readonly required: true;
    readonly description: string;
    readonly content: { readonly [mediaType: string]: OpenApiMediaType };
  };
  readonly responses: { readonly [status: string]: OpenApiResponse };
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: {
    readonly title: string;
    readonly version: string;
    readonly description: string;
    readonly license: { readonly name: string; readonly identifier: string };
  };
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  readonly paths: { readonly [path: string]: { readonly [method in HttpMethod]?: OpenApiOperation } };
  readonly components: { readonly schemas: { readonly [name: string]: JsonSchema } };
}

export const BASE_PROTOCOL_TAG = 'base protocol';
export const EXTENSION_TAG = 'meshchat extension';

/** Named request bodies, converted as zod input (what a client may send). */
const requestSchemas = {
  NodeAnnounceRequest: nodeAnnounceBody,
  NodeWithdrawRequest: nodeWithdrawBody,
  ProbeRequest: probeBody,
  Message: inboundMessageBody,
  MessageBatchRequest: messageBatchBody,
} satisfies Record<string, z.ZodType>;

/** Named answers, converted as zod output (what this node sends). */
const responseSchemas = {
  Error: errorBody,
  ErrorDetail: errorDetail,
  NodeEntry: nodeEntry,
  NodeList: nodeList,
  NodeDetail: nodeDetail,
  NodeAnnounceAnswer: nodeAnnounceAnswer,
  OkAnswer: okAnswer,
  ProbeAnswer: probeAnswer,
  MessageAnswer: messageAnswer,
  BatchItemResult: batchItemResult,
  BatchAnswer: batchAnswer,
  HealthReport: healthReport,
  MeshGraph: meshGraph,
} satisfies Record<string, z.ZodType>;

type RequestName = keyof typeof requestSchemas;
type ResponseName = keyof typeof responseSchemas;

interface ResponseSpec {
  readonly description: string;
  /** A JSON body, by component name. */
  readonly json?: ResponseName;
  /** A body that is not JSON. */
  readonly media?: { readonly type: string; readonly schema: JsonSchema };
  readonly headers?: OpenApiResponse['headers'];
}

interface ParameterSpec extends Omit<OpenApiParameter, 'schema'> {
  readonly schema: z.ZodType;
}

interface OperationSpec {
  readonly method: HttpMethod;
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly extension: boolean;
  readonly parameters?: readonly ParameterSpec[];
  readonly body?: { readonly schema: RequestName; readonly description: string };
  readonly responses: { readonly [status: string]: ResponseSpec };
}

const refusal = (description: string): ResponseSpec => ({ description, json: 'Error' });

const INTERNAL_ERROR = refusal(
  '`internal_error`: a fault in this node (a bug, a failed disk write); it is logged.',
);
/** What every call with a JSON body can be refused with before its handler runs. */
const BODY_REFUSALS = {
  '413': refusal('`body_too_large`: the body is over the limit (512 KiB by default); it was not read.'),
  '415': refusal('`unsupported_media_type`: send the body with `Content-Type: application/json`.'),
};
const NOT_BUILT = refusal('`not_built`: the web client is not built (run `npm run build`).');
const NO_STORE = {
  'Cache-Control': { description: 'Always `no-store`.', schema: { type: 'string', const: 'no-store' } },
};
const TEXT = { type: 'string' };

const nodeIdParameter: ParameterSpec = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The node id.',
  schema: nodeIdParam,
};

const operations: readonly OperationSpec[] = [
  {
    method: 'get',
    path: '/nodes',
    operationId: 'listNodes',
    summary: 'List the nodes this node knows',
    description:
      'Every node this node lists, itself first. Entries carry `incarnation` and `state` (meshchat extension; a ' +
      'plain node sends only `id` and `url`). With `?include=dead` (meshchat extension) the nodes that left or ' +
      'were found dead are added, so gossip cannot bring them back.',
    extension: false,
    parameters: [
      {
        name: 'include',
        in: 'query',
        required: false,
        description: 'Meshchat extension: `dead` adds the tombstones (`state` `dead` or `left`).',
        schema: includeParam,
      },
    ],
    responses: { '200': { description: 'The node list.', json: 'NodeList' }, '500': INTERNAL_ERROR },
  },
  {
    method: 'get',
    path: '/nodes/{id}',
    operationId: 'getNode',
    summary: 'Where a node listens',
    description: 'The `url` of a member, with its `incarnation` and `state` (meshchat extension).',
    extension: false,
    parameters: [nodeIdParameter],
    responses: {
      '200': { description: 'The member.', json: 'NodeDetail' },
      '400': refusal('`invalid_node_id`: the id breaks the id rule.'),
      '404': refusal('`unknown_node`: this node does not list that id.'),
      '500': INTERNAL_ERROR,
    },
  },
  {
    method: 'put',
    path: '/nodes/{id}',
    operationId: 'announceNode',
    summary: 'A node says where it listens (join, re-announce, move)',
    description:
      'Adds the node, brings back one that left or was found dead, or moves it to a new `url`. `incarnation` is ' +
      'a meshchat extension: a record older than the known one is refused, and moving a live node needs a newer ' +
      'one (a plain node without one moves once its old address stopped answering).',
    extension: false,
    parameters: [nodeIdParameter],
    body: {
      schema: 'NodeAnnounceRequest',
      description: 'The base protocol sends `{url}`; a meshchat node adds `incarnation`.',
    },
    responses: {
      '200': {
        description: 'Taken: `added`, `updated` or `unchanged`, with the record as now listed.',
        json: 'NodeAnnounceAnswer',
      },
      '400': refusal(
        '`malformed_json`, `invalid_body` (a field of the wrong type or size), `invalid_node_id`, `invalid_node_url`, ' +
          "`invalid_incarnation` (more than a day ahead of this node's clock).",
      ),
      '409': refusal(
        "`id_in_use` (this node's own id at another url), `url_in_use` (another id at this node's own url), " +
          `\`stale_record\` (older than the known record, or a move without a newer incarnation), \`too_many_nodes\` (${MAX_MEMBERS} listed already).`,
      ),
      ...BODY_REFUSALS,
      '500': INTERNAL_ERROR,
    },
  },
  {
    method: 'delete',
    path: '/nodes/{id}',
    operationId: 'removeNode',
    summary: 'A node leaves, or is reported dead',
    description:
      'Honoured only when both id and url match the listed node. `reason: "dead"` (meshchat extension) is a ' +
      'death notice: it is checked with one probe first. A `DELETE` of this node itself is refused, and the node ' +
      'then announces a newer incarnation to everyone.',
    extension: false,
    parameters: [nodeIdParameter],
    body: {
      schema: 'NodeWithdrawRequest',
      description: 'The base protocol sends `{url}`; `reason` is a meshchat extension.',
    },
    responses: {
      '200': { description: 'Removed.', json: 'OkAnswer' },
      '400': refusal('`malformed_json`, `invalid_body`, `invalid_node_id`, `invalid_node_url`.'),
      '404': refusal('`unknown_node`: this node does not list that id.'),
      '409': refusal(
        '`url_mismatch` (the node is listed at another url), `node_alive` (a death notice for a node that still ' +
          'answers), `cannot_remove_self`.',
      ),
      ...BODY_REFUSALS,
      '500': INTERNAL_ERROR,
    },
  },
  {
    method: 'post',
    path: '/probe',
    operationId: 'probeNode',
    summary: 'Indirect probe: check a member for another node',
    description:
      'The receiving node probes a member it lists at that url and says whether it answered. A node it does not ' +
      'list at that url is refused, so this call makes the node contact no address it would not probe anyway. ' +
      'Sent only to nodes whose records carry an `incarnation`.',
    extension: true,
    body: { schema: 'ProbeRequest', description: 'The member to probe.' },
    responses: {
      '200': { description: 'The verdict of one direct probe.', json: 'ProbeAnswer' },
      '400': refusal('`malformed_json`, `invalid_body`, `invalid_node_id`, `invalid_node_url`.'),
      '404': refusal('`unknown_node`: this node does not list that id at that url.'),
      ...BODY_REFUSALS,
      '500': INTERNAL_ERROR,
    },
  },
  {
    method: 'put',
    path: '/msg',
    operationId: 'receiveMessage',
    summary: 'Deliver a message to the users of node `to`',
    description:
      "Addressed to this node, or to nobody (the assignment's echo client sends only `msg`): pushed to this " +
      "node's users, once per `id`. Addressed to `*`: a broadcast. Addressed to another node this node knows: " +
      `relayed to it through the outbox (queued while it is down), at most ${MAX_RELAY_HOPS} times (\`hops\`). ` +
      '`id`, `ts`, `user`, `hops` and the relaying are meshchat extensions.',
    extension: false,
    body: {
      schema: 'Message',
      description:
        `\`msg\` is at most ${MESSAGE_MAX_BYTES} bytes of UTF-8; \`from\` and \`to\` are node ids (\`to\` may be \`*\`); ` +
        `\`id\` de-duplicates; \`ts\` is an ISO-8601 time; \`user\` a display name of at most ${USER_NAME_MAX_LENGTH} ` +
        'characters; `hops` counts relays. Unknown fields are accepted and dropped.',
    },
    responses: {
      '200': { description: 'Taken.', json: 'MessageAnswer' },
      '400': refusal(
        '`malformed_json`, `invalid_body`, `invalid_message`, `invalid_user`, `invalid_timestamp`, `invalid_node_id` ' +
          '(`from` or `to`), `hop_limit` (already relayed as often as allowed).',
      ),
      '404': refusal('`unknown_node`: `to` is a node this node neither lists nor remembers as gone.'),
      '413': refusal('`body_too_large` (not read), `message_too_large` (`msg` over the limit).'),
      '415': BODY_REFUSALS['415'],
      '4XX': refusal('A relayed message the destination refused for good: its status and code.'),
      '500': INTERNAL_ERROR,
      '503': refusal(
        '`node_stopping` (the node is shutting down and took nothing; send again), `outbox_full` (too many ' +
          'undelivered messages already).',
      ),
    },
  },
  {
    method: 'post',
    path: '/msgs',
    operationId: 'receiveMessages',
    summary: "A batch of messages from a meshchat node's outbox",
    description:
      'Each message is taken as `PUT /msg` would take it, in order. A message that breaks the rules (or the ' +
      '`Message` schema) gets its own error result and does not stop the others. Sent only to nodes whose ' +
      'records carry an `incarnation`.',
    extension: true,
    body: { schema: 'MessageBatchRequest', description: 'The messages, each as `PUT /msg` takes it.' },
    responses: {
      '200': { description: 'One result per message, in order.', json: 'BatchAnswer' },
      '400': refusal('`malformed_json`, `invalid_body` (no list, an empty one, or one over the limit).'),
      ...BODY_REFUSALS,
      '500': INTERNAL_ERROR,
    },
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Health check',
    description:
      'Degraded while the node joins or leaves, when no peer answers while some are suspect or messages wait for ' +
      'dead ones, when some peers stop answering, when its outbox backs up, or after internal errors in the last ' +
      'minutes. A lone node that never had peers, or whose peers left, is ok. The status code says whether the ' +
      'node is ready for users (200 while running, 503 while it joins or leaves); the body says how well it works.',
    extension: true,
    responses: {
      '200': {
        description: 'The node runs: `status: "ok"`, or `"degraded"` with one reason per problem.',
        json: 'HealthReport',
        headers: NO_STORE,
      },
      '503': {
        description: 'The node is joining or leaving (`phase` `starting` or `stopping`): `status: "degraded"`.',
        json: 'HealthReport',
        headers: NO_STORE,
      },
      '500': INTERNAL_ERROR,
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      'Counters and gauges (messages, deliveries, outbox, peers, users) in the Prometheus text format.',
    extension: true,
    responses: {
      '200': {
        description: 'Prometheus text exposition format, version 0.0.4.',
        media: { type: 'text/plain; version=0.0.4', schema: TEXT },
        headers: NO_STORE,
      },
      '500': INTERNAL_ERROR,
    },
  },
  {
    method: 'get',
    path: '/mesh',
    operationId: 'getMesh',
    summary: 'The network as this node sees it',
    description:
      "Every node this node lists or remembers as gone, and which node lists which: this node's own links are " +
      "its member list, another member's are the last `GET /nodes` it answered to this node's gossip.",
    extension: true,
    responses: { '200': { description: 'The map.', json: 'MeshGraph' }, '500': INTERNAL_ERROR },
  },
  {
    method: 'get',
    path: '/',
    operationId: 'getWebClient',
    summary: 'The web chat client',
    description: 'A chat page for a person in a browser; it talks to this node over socket.io.',
    extension: true,
    responses: {
      '200': { description: 'The page.', media: { type: 'text/html', schema: TEXT } },
      '404': NOT_BUILT,
    },
  },
  {
    method: 'get',
    path: '/style.css',
    operationId: 'getWebClientStyle',
    summary: "The web client's stylesheet",
    description: 'Served with the web client.',
    extension: true,
    responses: {
      '200': { description: 'The stylesheet.', media: { type: 'text/css', schema: TEXT } },
      '404': NOT_BUILT,
    },
  },
  {
    method: 'get',
    path: '/app.js',
    operationId: 'getWebClientScript',
    summary: "The web client's script",
    description: 'Compiled by `npm run build`.',
    extension: true,
    responses: {
      '200': { description: 'The script.', media: { type: 'text/javascript', schema: TEXT } },
      '404': NOT_BUILT,
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    description:
      'The OpenAPI 3.1 description of this API, generated from the schemas the node validates with.',
    extension: true,
    responses: {
      '200': {
        description: 'An OpenAPI 3.1 document.',
        media: { type: 'application/json', schema: { type: 'object' } },
      },
    },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'getDocsPage',
    summary: 'This API as a web page',
    description: 'This document rendered as HTML, with the socket.io and WebSocket front ends. No script.',
    extension: true,
    responses: { '200': { description: 'The page.', media: { type: 'text/html', schema: TEXT } } },
  },
  {
    method: 'get',
    path: '/docs.css',
    operationId: 'getDocsStyle',
    summary: "The docs page's stylesheet",
    description: 'Served apart because the Content-Security-Policy allows no inline style.',
    extension: true,
    responses: { '200': { description: 'The stylesheet.', media: { type: 'text/css', schema: TEXT } } },
  },
];

const DESCRIPTION = `The HTTP API of one meshchat node: the calls between nodes, the operators' endpoints, the web client.

Operations tagged **${BASE_PROTOCOL_TAG}** are the classroom assignment's protocol, kept exactly: a plain node implements only those, and a meshchat node never requires more from a peer that has not shown it supports it. Those tagged **${EXTENSION_TAG}** (\`x-meshchat-extension: true\`) are meshchat's additions. Extension fields of base operations are marked in their descriptions.

Every error is JSON, \`{"error": {"code", "message"}}\`. Any path answers \`404 not_found\` when there is no such route, and \`405 method_not_allowed\` (with an \`Allow\` header) for a method it does not take. A request body over the limit (512 KiB by default) is refused with \`413 body_too_large\` before it is parsed. A client's mistake never gets a 5xx.

Users do not use this API: they connect with socket.io (path \`/socket.io/\`, events \`msg\`, \`nodes\`, \`history\`, \`status\`, \`hello\`, \`error\`) or with a plain WebSocket at \`/ws\` (JSON text frames). Both are WebSocket upgrades, not HTTP operations; \`/docs\` describes them.`;

/** The conversion every body goes through (OpenAPI 3.1 schemas are JSON Schema 2020-12). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  });
  return rest;
}

/** Named schemas converted together, so one can refer to another with `$ref`. */
function components(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const converted = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas;
  if ('__shared' in converted)
    throw new Error('A schema is shared without a name; register it in openapi.ts.');
  // `$id` would be a fragment (not allowed in 2020-12), and the dialect is the document's.
  return Object.fromEntries(
    Object.entries(converted).map(([id, { $schema: _dialect, $id: _id, ...rest }]) => [id, rest]),
  );
}

const ref = (name: RequestName | ResponseName): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

function response(spec: ResponseSpec): OpenApiResponse {
  const content = spec.json
    ? { 'application/json': { schema: ref(spec.json) } }
    : spec.media
      ? { [spec.media.type]: { schema: spec.media.schema } }
      : undefined;
  return {
    description: spec.description,
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(content ? { content } : {}),
  };
}

function operation(spec: OperationSpec): OpenApiOperation {
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    description: spec.description,
    tags: [spec.extension ? EXTENSION_TAG : BASE_PROTOCOL_TAG],
    'x-meshchat-extension': spec.extension,
    ...(spec.parameters
      ? { parameters: spec.parameters.map((p) => ({ ...p, schema: jsonSchema(p.schema, 'input') })) }
      : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: true as const,
            description: spec.body.description,
            content: { 'application/json': { schema: ref(spec.body.schema) } },
          },
        }
      : {}),
    responses: Object.fromEntries(Object.entries(spec.responses).map(([status, r]) => [status, response(r)])),
  };
}

function packageVersion(): string {
  try {
    // This file sits three levels below the package root both as src/adapters/http and as dist/adapters/http.
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function buildOpenApiDocument(): OpenApiDocument {
  const paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>> = {};
  for (const spec of operations) {
    const item = paths[spec.path] ?? {};
    item[spec.method] = operation(spec);
    paths[spec.path] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'meshchat node API',
      version: packageVersion(),
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [
      {
        name: BASE_PROTOCOL_TAG,
        description: "The assignment's protocol: every node, plain or meshchat, has these.",
      },
      {
        name: EXTENSION_TAG,
        description: 'Added by meshchat; a plain node has none of these and ignores them.',
      },
    ],
    paths,
    components: {
      schemas: { ...components(requestSchemas, 'input'), ...components(responseSchemas, 'output') },
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Built on first use and frozen: derived from constants only, the same for every node in the process. */
let built: OpenApiDocument | undefined;

/** The document, built on first use and frozen: it depends on nothing but the code. */
export function openApiDocument(): OpenApiDocument {
  built ??= deepFreeze(buildOpenApiDocument());
  return built;
}

/**
 * The zod schema a documented JSON body was generated from, with the direction it was converted in, so a test
 * can check a real answer against what the document claims. `status` is omitted for the request body.
 */
export function documentedSchema(
  method: string,
  path: string,
  status?: string,
): { readonly schema: z.ZodType; readonly io: 'input' | 'output' } | undefined {
  const spec = operations.find((o) => o.method === method.toLowerCase() && o.path === path);
  if (!spec) return undefined;
  if (status === undefined)
    return spec.body ? { schema: requestSchemas[spec.body.schema], io: 'input' } : undefined;
  const json = spec.responses[status]?.json;
  return json ? { schema: responseSchemas[json], io: 'output' } : undefined;
}
