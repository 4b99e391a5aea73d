import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  accountDoneAnswer,
  documentedCredentials,
  documentedPassword,
  registeredAnswer,
  sessionAnswer,
} from './account-schemas.js';
import {
  errorBody,
  healthReport,
  limitsAnswer,
  meshGraph,
  messageBatchBody,
  nodeAnnounceAnswer,
  nodeDetail,
  nodeEntry,
  nodeList,
  okAnswer,
} from './api-schemas.js';
import { DEFAULT_MAX_BODY_BYTES } from './http-app-deps.js';
import type {
  JsonSchema,
  OpenApiDocument,
  OpenApiOperation,
  OpenApiParameter,
  OpenApiResponse,
} from './openapi-document.js';
import type { HttpMethod, ResponseSpec, Route } from './route.js';
import { responsesOf } from './route-responses.js';
import { ALL_ROUTES } from './routes/all-routes.js';
import {
  batchAnswer,
  batchItemResult,
  errorDetail,
  inboundMessageBody,
  messageAnswer,
  nodeAnnounceBody,
  nodeWithdrawBody,
  probeAnswer,
  probeBody,
} from './wire-schemas.js';

/**
 * The OpenAPI 3.1 document of a node's HTTP API (`GET /openapi.json`), generated from the route table: paths,
 * parameters, bodies and answers from each route's zod schemas (requests as input, answers as output), error
 * answers from its codes and the statuses the error table gives them. Nothing here describes a route by hand.
 */

export const BASE_PROTOCOL_TAG = 'base protocol';
export const EXTENSION_TAG = 'meshchat extension';

/** Request bodies with a name in the document, converted as zod input (what a client may send). */
const REQUEST_COMPONENTS = {
  NodeAnnounceRequest: nodeAnnounceBody,
  NodeWithdrawRequest: nodeWithdrawBody,
  ProbeRequest: probeBody,
  Message: inboundMessageBody,
  MessageBatchRequest: messageBatchBody,
  Credentials: documentedCredentials,
  PasswordRequest: documentedPassword,
} satisfies Record<string, z.ZodType>;

/** Answers with a name in the document, converted as zod output (what this node sends). */
const RESPONSE_COMPONENTS = {
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
  Limits: limitsAnswer,
  Registered: registeredAnswer,
  Session: sessionAnswer,
  AccountDone: accountDoneAnswer,
} satisfies Record<string, z.ZodType>;

const DESCRIPTION = `The HTTP API of one meshchat node: the calls between nodes, the operators' endpoints, the web client.

Operations tagged **${BASE_PROTOCOL_TAG}** are the classroom assignment's protocol, kept exactly: a plain node implements only those, and a meshchat node never requires more from a peer that has not shown it supports it. Those tagged **${EXTENSION_TAG}** (\`x-meshchat-extension: true\`) are meshchat's additions. Extension fields of base operations are marked in their descriptions.

Every error is JSON, \`{"error": {"code", "message"}}\`. Any path answers \`404 not_found\` when there is no such route, and \`405 method_not_allowed\` (with an \`Allow\` header) for a method it does not take. A request body over the limit (${DEFAULT_MAX_BODY_BYTES / 1024} KiB by default) is refused with \`413 body_too_large\` before it is parsed. Any route answers \`429 rate_limited\` with a \`Retry-After\` header (whole seconds) when the client's address is over its budget (\`GET /limits\`), before the body is read. A client's mistake never gets a 5xx. Operations marked \`x-meshchat-node-to-node: true\` are the calls between nodes: a node started with \`--network-key\` answers them only to callers that prove that key in a \`Meshchat-Network\` header (else \`401 network_key_required\`).

Users send and receive messages without this API: they connect with socket.io (path \`/socket.io/\`, events \`msg\`, \`nodes\`, \`mesh\`, \`history\`, \`status\`, \`hello\`, \`presence\`, \`error\`) or with a plain WebSocket at \`/ws\` (JSON text frames of the same types, plus \`ack\` and \`auth\`); the web page uses \`/ws\`. Both are WebSocket upgrades, not HTTP operations; \`/docs\` describes them. A user with an account logs in with \`POST /sessions\` and hands the token to either front end.`;

/** The conversion every schema goes through (OpenAPI 3.1 schemas are JSON Schema 2020-12). */
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
  if ('__shared' in converted) throw new Error('A schema is shared without a name; name it in openapi.ts.');
  // `$id` would be a fragment (not allowed in 2020-12), and the dialect is the document's.
  return Object.fromEntries(
    Object.entries(converted).map(([id, { $schema: _dialect, $id: _id, ...rest }]) => [id, rest]),
  );
}

/** A `$ref` to the schema's component, or the schema converted in place when it has no name. */
function schemaRef(schema: z.ZodType, named: Record<string, z.ZodType>, io: 'input' | 'output'): JsonSchema {
  const name = Object.entries(named).find(([, s]) => s === schema)?.[0];
  return name ? { $ref: `#/components/schemas/${name}` } : jsonSchema(schema, io);
}

function parameters(shape: z.ZodObject | undefined, where: 'path' | 'query'): OpenApiParameter[] {
  return Object.entries(shape?.shape ?? {}).map(([name, field]) => {
    const optional = field instanceof z.ZodOptional;
    const inner = (optional ? field.unwrap() : field) as z.ZodType;
    return {
      name,
      in: where,
      required: !optional,
      description: inner.description ?? '',
      schema: jsonSchema(inner, 'input'),
    };
  });
}

function response(spec: ResponseSpec): OpenApiResponse {
  const content = spec.json
    ? { 'application/json': { schema: schemaRef(spec.json, RESPONSE_COMPONENTS, 'output') } }
    : spec.media
      ? {
          [spec.media]: {
            schema: spec.media === 'application/json' ? { type: 'object' } : { type: 'string' },
          },
        }
      : undefined;
  const headers = spec.headers
    ? Object.fromEntries(
        Object.entries(spec.headers).map(([name, h]) => [
          name,
          {
            description: h.description,
            schema: h.value === undefined ? { type: 'string' } : { type: 'string', const: h.value },
          },
        ]),
      )
    : undefined;
  return { description: spec.description, ...(headers ? { headers } : {}), ...(content ? { content } : {}) };
}

function operation(route: Route): OpenApiOperation {
  const params = [...parameters(route.params, 'path'), ...parameters(route.query, 'query')];
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: route.description,
    tags: [route.tag === 'extension' ? EXTENSION_TAG : BASE_PROTOCOL_TAG],
    'x-meshchat-extension': route.tag === 'extension',
    ...(route.peer ? { 'x-meshchat-node-to-node': true } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true as const,
            description: route.body.description,
            content: {
              'application/json': {
                schema: schemaRef(route.body.documented ?? route.body.schema, REQUEST_COMPONENTS, 'input'),
              },
            },
          },
        }
      : {}),
    ...(route.rawBody
      ? {
          requestBody: {
            required: true as const,
            description: route.rawBody.description,
            content: { [route.rawBody.media]: { schema: { type: 'string', format: 'binary' } } },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(responsesOf(route)).map(([status, r]) => [status, response(r)]),
    ),
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

/** The document of a route table. */
export function buildOpenApiDocument(routes: readonly Route[]): OpenApiDocument {
  const paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>> = {};
  for (const route of routes) {
    const item = paths[route.path] ?? {};
    if (item[route.method]) throw new Error(`${route.method} ${route.path} is declared twice.`);
    item[route.method] = operation(route);
    paths[route.path] = item;
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
      schemas: { ...components(REQUEST_COMPONENTS, 'input'), ...components(RESPONSE_COMPONENTS, 'output') },
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

/** Built on first use and frozen: derived from the code only, the same for every node in the process. */
let built: OpenApiDocument | undefined;

/** The document of this node's routes. */
export function openApiDocument(): OpenApiDocument {
  built ??= deepFreeze(buildOpenApiDocument(ALL_ROUTES));
  return built;
}
