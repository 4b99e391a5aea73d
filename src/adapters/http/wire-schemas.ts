import { z } from 'zod';
import { ACCOUNT_NAME_MAX_LENGTH } from '../../domain/account.js';
import { USER_NAME_MAX_LENGTH } from '../../domain/message.js';
import { NODE_ID_MAX_LENGTH, NODE_URL_MAX_LENGTH } from '../../domain/node-record.js';
import type { NodeSignature } from '../../domain/node-signature.js';
import { MAX_MEMBERS, MAX_TOMBSTONES, type NodeReport } from '../../domain/peer-registry.js';

/**
 * Wire shapes of the node-to-node API. They check types and sizes; the domain then applies its own rules
 * (id syntax, URL form, byte length) so the in-memory network and HTTP enforce the same thing.
 */
export const nodeUrlBody = z.object({ url: z.string().max(NODE_URL_MAX_LENGTH) });

const incarnation = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A keyed node's signature of its own record (SPEC section 7): sized so that no field can be large. */
const signatureFields = {
  key: z.string().max(64).optional().meta({ description: "The node's Ed25519 public key, base64url." }),
  sig: z.string().max(128).optional().meta({ description: 'Signature of the record, base64url.' }),
  signedAt: incarnation.optional().meta({ description: 'When it was signed, ms since the epoch.' }),
};

/** `DELETE /nodes/:id`: the base protocol's `{url}`, plus `reason: "dead"` when a meshchat node found it dead. */
export const nodeWithdrawBody = nodeUrlBody.extend({
  reason: z.enum(['left', 'dead']).optional(),
  incarnation: incarnation.optional(),
  ...signatureFields,
});

/** `PUT /nodes/:id`: the base protocol's `{url}`, plus the meshchat node's `incarnation` and signature. */
export const nodeAnnounceBody = z.object({
  url: z.string().max(NODE_URL_MAX_LENGTH),
  incarnation: incarnation.optional(),
  ...signatureFields,
});

const signatureEntry = z.object(signatureFields);

/** The signature fields of a node entry, all of them when well formed, none otherwise. */
export function signatureOf(entry: object): Partial<NodeSignature> {
  const parsed = signatureEntry.safeParse(entry);
  if (!parsed.success) return {};
  const { key, sig, signedAt } = parsed.data;
  return key !== undefined && sig !== undefined && signedAt !== undefined ? { key, sig, signedAt } : {};
}

/** `POST /probe`: the member to probe. */
export const probeBody = z.object({
  id: z.string().max(NODE_ID_MAX_LENGTH),
  url: z.string().max(NODE_URL_MAX_LENGTH),
});

const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** A user address `name@node` is at most this long. */
export const ADDRESS_MAX_LENGTH = ACCOUNT_NAME_MAX_LENGTH + 1 + NODE_ID_MAX_LENGTH;

/** `PUT /msg`: only `msg` is required (the assignment's echo client sends nothing else); unknown fields pass. */
export const inboundMessageBody = z.looseObject({
  msg: z.string(),
  from: optional(z.string().max(64)),
  to: optional(z.string().max(ADDRESS_MAX_LENGTH)),
  id: optional(z.string().min(1).max(128)),
  ts: optional(z.string().max(64)),
  user: optional(z.string().max(USER_NAME_MAX_LENGTH)),
  hops: optional(z.number().int().min(0).max(1000)),
  fromUser: optional(z.string().max(ADDRESS_MAX_LENGTH)),
  sig: optional(z.string().max(128)).meta({
    description:
      "The origin node's Ed25519 signature of the message (base64url, SPEC section 7); relays pass it on unchanged.",
  }),
  file: z
    .unknown()
    .optional()
    .meta({
      description:
        'A file the message points to (files extension): `{id, name, size}`, the file id (64 lower-case hex ' +
        'digits), a file name and its size in bytes; checked as a whole (`invalid_file_reference`), kept and ' +
        'relayed as is.',
    }),
});

/** Most messages in one `POST /msgs` batch. */
export const MAX_BATCH_MESSAGES = 256;

/** `POST /msgs` (meshchat extension): messages from a meshchat node's outbox, each checked on its own. */
export const inboundBatchBody = z.object({
  messages: z.array(z.unknown()).min(1).max(MAX_BATCH_MESSAGES),
  signer: optional(z.string().max(NODE_ID_MAX_LENGTH)).meta({
    description: 'The node that signed the batch (signed messages): the sender, with `sig`.',
  }),
  sig: optional(z.string().max(128)).meta({
    description:
      "The sender's Ed25519 signature of the whole batch (base64url); it stands for the signatures of the messages it originated.",
  }),
});

/** The `{code, message}` of every error answer. */
export const errorDetail = z.object({
  code: z.string().meta({ description: 'A stable machine code, e.g. `unknown_node`.' }),
  message: z.string().meta({ description: 'One sentence a person can act on.' }),
});

const messageOutcome = {
  status: z.enum(['delivered', 'duplicate', 'relayed', 'queued']).meta({
    description:
      "`delivered` to this node's users; `duplicate`: this id was delivered before, nothing pushed again; " +
      '`relayed` to the destination node; `queued` in the outbox while the destination is down.',
  }),
  id: z.string().meta({ description: 'The message id (set here when the message had none).' }),
};

/** `PUT /msg` answered by a meshchat node. */
export const messageAnswer = z.object({ ok: z.literal(true), ...messageOutcome });

/** One message's result in a `POST /msgs` answer. */
export const batchItemResult = z.union([
  messageAnswer,
  z.object({
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

/**
 * `POST /msgs` answered by a meshchat node: one result per message, in order. The one schema for both sides:
 * this node documents its answers with it and reads its peers' answers with it (unknown fields are dropped).
 */
export const batchAnswer = z
  .object({ ok: z.literal(true), results: z.array(batchItemResult) })
  .meta({ description: 'One result per message, in the order sent.' });

export const nodeListAnswer = z.array(z.object({ id: z.string(), url: z.string() }).loose());

/** `GET /nodes/:id` answered by any node: `{url}`, with `incarnation` and `state` from a meshchat node. */
export const nodeAnswer = z.object({ url: z.string() }).loose();

/** `POST /probe` answered by a meshchat node; read from peers with the same schema (unknown fields dropped). */
export const probeAnswer = z
  .object({ id: z.string(), url: z.string(), alive: z.boolean(), incarnation: incarnation.optional() })
  .meta({ description: "Whether the member answered this node's direct probe." });

/** Most entries taken from one `GET /nodes` answer; a longer list is cut, not trusted whole. */
export const MAX_LIST_ENTRIES = MAX_MEMBERS + MAX_TOMBSTONES;

const reportState = z.enum(['alive', 'suspect', 'dead', 'left']);

/**
 * The meshchat extension fields of a node entry, each kept only when it is well formed (plain nodes send none):
 * `incarnation` and `state` (membership), `directory` (the accounts extension's directory version), `catalog`
 * (the version of that node's file records, for the mesh catalog).
 */
export function extensionFields(
  entry: Record<string, unknown>,
): Pick<NodeReport, 'incarnation' | 'state'> & { directory?: number; catalog?: number } {
  const version = incarnation.safeParse(entry.incarnation);
  const state = reportState.safeParse(entry.state);
  const directory = directoryVersion.safeParse(entry.directory);
  const catalog = directoryVersion.safeParse(entry.catalog);
  return {
    ...(version.success ? { incarnation: version.data } : {}),
    ...(state.success ? { state: state.data } : {}),
    ...(directory.success ? { directory: directory.data } : {}),
    ...(catalog.success ? { catalog: catalog.data } : {}),
  };
}

/** The version of a node's user list (accounts extension): grows with every change of its users or presence. */
export const directoryVersion = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The header of a `GET /users` answer that gives the version of the list it carries. */
export const DIRECTORY_VERSION_HEADER = 'Meshchat-Directory-Version';

/**
 * One entry of a `GET /users` answer as this node reads it from a peer: loose (unknown fields are dropped),
 * sized so that no entry can be large; an entry that fails is dropped, not the whole list.
 */
export const userListEntry = z.object({
  user: z.string().max(ACCOUNT_NAME_MAX_LENGTH + 1 + NODE_ID_MAX_LENGTH),
  online: z.boolean(),
  lastSeen: z.string().max(64).nullable(),
});

/** A `GET /users` answer as read from a peer: a list (each entry checked on its own with `userListEntry`). */
export const userListAnswer = z.array(z.unknown());

/**
 * A `GET /files/catalog` answer as read from a peer: its records (and a difference's tombstones) are checked one
 * by one by the caller; `since` and `full` are read only when well formed.
 */
export const catalogAnswer = z.object({
  files: z.array(z.unknown()),
  removed: z.array(z.unknown()).optional(),
  since: z.unknown().optional(),
  full: z.unknown().optional(),
  held: z.unknown().optional(),
});

/** The header of a `GET /files/catalog` answer that gives the version of the records it carries. */
export const CATALOG_VERSION_HEADER = 'Meshchat-Catalog-Version';

/** One sentence naming the first problem, e.g. `Field "msg": Invalid input: expected string, received number.` */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'The request body is not valid.';
  const where = issue.path.length > 0 ? `Field "${issue.path.join('.')}"` : 'The request body';
  return `${where}: ${issue.message}.`;
}
