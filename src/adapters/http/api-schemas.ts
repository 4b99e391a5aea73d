import { z } from 'zod';
import { NODE_ID_MAX_LENGTH } from '../../domain/node-record.js';
import { MAX_BATCH_MESSAGES, inboundMessageBody } from './wire-schemas.js';

/**
 * What this node answers, as zod schemas: the source of the OpenAPI document (`openapi.ts`). Objects are
 * strict because they state exactly what this node sends; the schemas this node uses to read other nodes'
 * answers (`wire-schemas.ts`) stay loose, since a peer may send more.
 */

const incarnation = z
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .meta({ description: "The node's own version of its record (meshchat extension); plain nodes have none." });

/** The `{id}` of `/nodes/{id}`: the rule `assertNodeId` enforces, written as a pattern for the document. */
export const nodeIdParam = z
  .string()
  .min(1)
  .max(NODE_ID_MAX_LENGTH)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
  .meta({ description: 'A node id: letters, digits, ".", "_" or "-", starting with a letter or digit.' });

/** `GET /nodes?include=dead`. */
export const includeParam = z
  .enum(['dead'])
  .meta({ description: 'Also list the nodes that left or were found dead (meshchat extension).' });

export const errorDetail = z.strictObject({
  code: z.string().meta({ description: 'A stable machine code, e.g. `unknown_node`.' }),
  message: z.string().meta({ description: 'One sentence a person can act on.' }),
});

/** Every error this node answers over HTTP. */
export const errorBody = z
  .strictObject({ error: errorDetail })
  .meta({ description: 'An error: a code and a sentence.' });

export const nodeEntry = z
  .strictObject({
    id: z.string(),
    url: z.string(),
    incarnation: incarnation.optional(),
    state: z.enum(['alive', 'suspect', 'dead', 'left']).meta({
      description: 'Members are `alive` or `suspect`; `dead` and `left` appear only with `?include=dead`.',
    }),
  })
  .meta({ description: 'A node this node knows. The base protocol has only `id` and `url`.' });

export const nodeList = z.array(nodeEntry).meta({ description: 'Every node this node lists, itself first.' });

export const nodeDetail = z
  .strictObject({ url: z.string(), incarnation: incarnation.optional(), state: z.enum(['alive', 'suspect']) })
  .meta({ description: 'Where a member listens. The base protocol has only `url`.' });

export const nodeAnnounceAnswer = z.strictObject({
  ok: z.literal(true),
  result: z.enum(['added', 'updated', 'unchanged']),
  node: nodeEntry,
});

export const okAnswer = z.strictObject({ ok: z.literal(true) });

export const probeAnswer = z
  .strictObject({ id: z.string(), url: z.string(), alive: z.boolean(), incarnation: incarnation.optional() })
  .meta({ description: "Whether the member answered this node's direct probe." });

const messageOutcome = {
  status: z.enum(['delivered', 'duplicate', 'relayed', 'queued']).meta({
    description:
      "`delivered` to this node's users; `duplicate`: this id was delivered before, nothing pushed again; " +
      '`relayed` to the destination node; `queued` in the outbox while the destination is down.',
  }),
  id: z.string().meta({ description: 'The message id (set here when the message had none).' }),
};

export const messageAnswer = z.strictObject({ ok: z.literal(true), ...messageOutcome });

export const batchItemResult = z.union([
  z.strictObject({ ok: z.literal(true), ...messageOutcome }),
  z.strictObject({
    ok: z.literal(false),
    httpStatus: z
      .number()
      .int()
      .min(400)
      .max(599)
      .meta({ description: 'The status a `PUT /msg` would have had.' }),
    error: errorDetail,
  }),
]);

export const batchAnswer = z
  .strictObject({ ok: z.literal(true), results: z.array(batchItemResult) })
  .meta({ description: 'One result per message, in the order sent.' });

/**
 * `POST /msgs` as a sender should build it. The node reads the list with `inboundBatchBody` (1 to 256 items of
 * anything) and checks each item on its own, so a bad item gets an error result instead of failing the batch.
 */
export const messageBatchBody = z
  .object({ messages: z.array(inboundMessageBody).min(1).max(MAX_BATCH_MESSAGES) })
  .meta({ description: `1 to ${MAX_BATCH_MESSAGES} messages, each as \`PUT /msg\` takes it.` });

const count = z.number().int().min(0);

export const healthReport = z
  .strictObject({
    status: z.enum(['ok', 'degraded']),
    reasons: z
      .array(
        z.strictObject({
          code: z.enum([
            'starting',
            'stopping',
            'isolated',
            'peers_suspect',
            'outbox_backlog',
            'internal_errors',
          ]),
          message: z.string(),
        }),
      )
      .meta({ description: 'Empty when `ok`; one sentence per problem otherwise.' }),
    node: z.strictObject({ id: z.string(), url: z.string() }),
    phase: z.enum(['starting', 'running', 'stopping']),
    uptimeSeconds: count,
    peers: z.strictObject({ alive: count, suspect: count, dead: count, left: count }),
    outbox: count.meta({ description: 'Messages waiting in the outbox.' }),
    users: count.meta({ description: 'Users connected through socket.io and `/ws`.' }),
  })
  .meta({ description: 'How this node is doing; the same body comes with 200 (`ok`) and 503 (`degraded`).' });

export const meshGraph = z
  .strictObject({
    nodes: z.array(
      z.strictObject({
        id: z.string(),
        url: z.string(),
        state: z.enum(['alive', 'suspect', 'dead', 'left']),
      }),
    ),
    links: z.array(z.strictObject({ from: z.string(), to: z.string() })).meta({
      description: '`from` lists `to` as a member, as this node last heard from `from`.',
    }),
  })
  .meta({ description: "The network as this node sees it, for the web page's map." });
