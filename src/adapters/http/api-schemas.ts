import { z } from 'zod';
import { NODE_ID_MAX_LENGTH } from '../../domain/node-record.js';
import { errorDetail, inboundBatchBody, inboundMessageBody, MAX_BATCH_MESSAGES } from './wire-schemas.js';

/**
 * What this node answers and no peer is read with, as zod schemas for the route table and its OpenAPI document.
 * Objects are strict because they state exactly what this node sends. The answers this node also reads from
 * its peers (`batchAnswer`, `probeAnswer`) are in `wire-schemas.ts`, once for both sides.
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

/** Every error this node answers over HTTP. */
export const errorBody = z
  .strictObject({ error: errorDetail })
  .meta({ description: 'An error: a code and a sentence.' });

/** Only on a node's own entry, in its own words: it serves peer links at `/peer` (SPEC section 8). */
const linkOffer = z.literal(true).meta({
  description: 'This node serves peer links at `/peer` (meshchat extension); only on its own entry.',
});

/** A node's own signature of its record (SPEC section 7): only on its own entry, only when it has a key. */
const ownSignature = {
  key: z
    .string()
    .optional()
    .meta({ description: "The node's Ed25519 public key, base64url; only on its own entry." }),
  sig: z
    .string()
    .optional()
    .meta({ description: 'Its signature of id, url, incarnation and `signedAt`, base64url.' }),
  signedAt: incarnation.optional().meta({ description: 'When it signed, milliseconds since the epoch.' }),
};

export const nodeEntry = z
  .strictObject({
    id: z.string(),
    url: z.string(),
    incarnation: incarnation.optional(),
    state: z.enum(['alive', 'suspect', 'dead', 'left']).meta({
      description: 'Members are `alive` or `suspect`; `dead` and `left` appear only with `?include=dead`.',
    }),
    directory: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .meta({
        description:
          "The version of that node's user list as this node last heard it (accounts extension): it grows with " +
          'every registration, unregistration and presence change. Absent for plain nodes.',
      }),
    catalog: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .meta({
        description:
          "The version of that node's file records as this node last heard it (files extension): it changes " +
          'with every publish and delete on that node; the mesh catalog pulls `GET /files/catalog` on a ' +
          'difference. Absent for plain nodes.',
      }),
    link: linkOffer.optional(),
    verified: z.boolean().optional().meta({
      description:
        'Whether this node holds a verified key for that node (signed identity); `false` for plain, unsigned nodes.',
    }),
    ...ownSignature,
  })
  .meta({ description: 'A node this node knows. The base protocol has only `id` and `url`.' });

export const nodeList = z.array(nodeEntry).meta({ description: 'Every node this node lists, itself first.' });

export const nodeDetail = z
  .strictObject({
    url: z.string(),
    incarnation: incarnation.optional(),
    state: z.enum(['alive', 'suspect']),
    link: linkOffer.optional(),
    ...ownSignature,
  })
  .meta({ description: 'Where a member listens. The base protocol has only `url`.' });

export const nodeAnnounceAnswer = z.strictObject({
  ok: z.literal(true),
  result: z.enum(['added', 'updated', 'unchanged']),
  node: nodeEntry,
});

export const okAnswer = z.strictObject({ ok: z.literal(true) });

/**
 * `POST /msgs` as a sender should build it. The node reads the list with `inboundBatchBody` (1 to 256 items of
 * anything) and checks each item on its own, so a bad item gets an error result instead of failing the batch.
 */
export const messageBatchBody = z
  .object({
    messages: z.array(inboundMessageBody).min(1).max(MAX_BATCH_MESSAGES),
    signer: inboundBatchBody.shape.signer,
    sig: inboundBatchBody.shape.sig,
  })
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
    files: z
      .strictObject({
        maxFileSize: count.meta({
          description: 'The most bytes one published file may have (`--max-file-size`).',
        }),
      })
      .meta({ description: 'What a client needs to know before it publishes a file.' }),
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

const budget = z
  .strictObject({
    ratePerSecond: z.number().meta({ description: 'Sustained rate; 0 means no limit.' }),
    burst: z.number().meta({ description: 'Events allowed at once on top of the rate.' }),
  })
  .meta({ description: 'A token bucket: a sustained rate per second and a burst.' });

export const limitsAnswer = z
  .strictObject({
    http: budget.meta({
      description: 'HTTP requests per client address, every route but the node-to-node ones.',
    }),
    peer: budget.meta({
      description: 'HTTP requests per client address to `/nodes…`, `/msg`, `/msgs` and `/probe`.',
    }),
    connection: budget.meta({
      description: 'Frames per user connection: socket.io `msg` events, `/ws` frames of any kind.',
    }),
    account: budget.meta({ description: 'Messages per logged-in account, over all its connections.' }),
    address: budget.meta({
      description:
        'Frames per client address over all its socket.io and `/ws` connections together (`msg` and `older` events, `/ws` frames).',
    }),
    cutOff: z
      .strictObject({
        refusals: z
          .number()
          .meta({ description: 'Refusals a connection may get within the window; 0: never cut.' }),
        windowSeconds: z.number(),
        penaltySeconds: z
          .number()
          .meta({ description: "How long the cut connection's address is then refused (HTTP and sockets)." }),
      })
      .meta({
        description:
          'A user connection refused more often than this is closed (socket.io `error` with `closed: true`; `/ws` close 4429).',
      }),
    history: z
      .strictObject({
        page: z
          .number()
          .meta({ description: 'Messages of history a user is sent on connect (`--history-page`).' }),
        maxPage: z.number().meta({ description: 'The most messages one request for older history gets.' }),
      })
      .optional()
      .meta({ description: 'History pages: socket.io `older`, `/ws` frame `older`.' }),
    admission: z
      .strictObject({
        maxWaiting: z.number().int().nonnegative().meta({
          description: 'Most messages waiting in the outbox for one node that answers; 0: no bound.',
        }),
        maxWaitMs: z.number().int().nonnegative().meta({
          description:
            'Longest the oldest message waiting for one node that answers may have waited, in ms; 0: no bound.',
        }),
      })
      .optional()
      .meta({
        description:
          "Admission of users' messages (meshchat): past either bound, a message for that node is refused " +
          '`destination_busy` with `retryAfter`. A node that is down is not bounded by these (see `outbox_full`).',
      }),
    private: z.boolean().optional().meta({
      description:
        'Present and true on a private node (`--private`): only logged-in users may connect, read history or send.',
    }),
  })
  .meta({
    description: "This node's rate limits; over one: `429 rate_limited` or an error with `retryAfter`.",
  });
/** `GET /users?scope=...`. */
export const userScopeParam = z.enum(['node', 'mesh']).meta({
  description: "`node` (the default): this node's users; `mesh`: every meshchat node's users.",
});

export const directoryUser = z
  .strictObject({
    user: z.string().meta({ description: 'The address `name@node`, `node` being the home node.' }),
    online: z.boolean().meta({ description: 'At least one authenticated connection of the user is open.' }),
    lastSeen: z
      .string()
      .nullable()
      .meta({ description: 'When its last connection closed (ISO-8601), or null if none ever did.' }),
  })
  .meta({ description: 'A user and its presence.' });

export const userList = z.array(directoryUser).meta({ description: "This node's users, by name." });

export const meshUserList = z
  .strictObject({
    users: z.array(directoryUser),
    answered: z.array(z.string()).meta({ description: 'This node and every node whose users are listed.' }),
    missing: z.array(z.string()).meta({
      description:
        'Meshchat nodes with accounts whose list this node does not hold current: never fetched, not confirmed ' +
        'within the staleness bound, or the node is suspect or found dead. Plain nodes are in neither list.',
    }),
  })
  .meta({ description: "Every meshchat node's users, from this node's replicated directory." });
