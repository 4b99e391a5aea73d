import { z } from 'zod';
import { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT } from '../../application/files/list-files.js';
import { MAX_HELD_COPIES } from '../../domain/catalog.js';
import {
  FILE_DESCRIPTION_MAX_BYTES,
  FILE_NAME_MAX_BYTES,
  SEARCH_MAX_LENGTH,
} from '../../domain/file-record.js';

/** The routes of SPEC section 6 (files): their parameters and answers, for the route table and the document. */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const fileIdParams = z.object({
  id: sha256.meta({ description: 'The file id: the lower-case hex SHA-256 of its content.' }),
});

export const publishQuery = z.object({
  name: z.string().meta({
    description: `The file name: 1 to ${FILE_NAME_MAX_BYTES} bytes of UTF-8, no control characters, no "/" or "\\\\".`,
  }),
  description: z
    .string()
    .optional()
    .meta({ description: `Free text, at most ${FILE_DESCRIPTION_MAX_BYTES} bytes of UTF-8.` }),
});

export const listQuery = z.object({
  owner: z.string().optional().meta({ description: "Only this user's files: `name@node`." }),
  q: z
    .string()
    .optional()
    .meta({
      description: `Words to find in names and descriptions (each also as a prefix; all required), at most ${SEARCH_MAX_LENGTH} characters. Punctuation separates words and is never search syntax.`,
    }),
  scope: z.enum(['node', 'mesh']).optional().meta({
    description:
      "`node` (default) or `mesh`, as in `GET /users`: `mesh` adds every other meshchat node's records from this node's replicated mesh catalog (no request to anyone).",
  }),
  limit: z
    .string()
    .optional()
    .meta({
      description: `Most files in the answer, 1 to ${LIST_MAX_LIMIT} (default ${LIST_DEFAULT_LIMIT}).`,
    }),
});

export const fileRecord = z
  .strictObject({
    id: sha256.meta({ description: 'Lower-case hex SHA-256 of the content.' }),
    name: z.string(),
    description: z.string(),
    size: z.number().int().min(0),
    type: z.string().meta({ description: 'The media type it is served with.' }),
    owner: z.string().meta({ description: "The publisher's address, `name@node`." }),
    publishedAt: z.string().meta({ description: 'ISO-8601 UTC.' }),
    chunkSize: z.number().int().min(1),
    chunks: z.array(sha256).meta({ description: 'SHA-256 of each `chunkSize` piece, in order.' }),
  })
  .meta({ description: 'A published file.' });

export const fileAnswer = z.strictObject({ file: fileRecord }).meta({ description: 'One file record.' });

export const catalogQuery = z.object({
  since: z.string().optional().meta({
    description:
      'A catalog version the caller holds (a whole number): answer only what changed after it, when this node can.',
  }),
});

export const fileCatalogAnswer = z
  .strictObject({
    files: z.array(fileRecord).meta({
      description: 'Every record (newest first) or, for a difference, those added or changed after `since`.',
    }),
    full: z.literal(true).optional().meta({ description: '`files` is the whole catalog.' }),
    since: z.number().int().min(0).optional().meta({
      description:
        'A difference: the `since` asked, echoed. Records not in `files` nor `removed` are unchanged.',
    }),
    removed: z
      .array(z.strictObject({ id: sha256, owner: z.string() }))
      .optional()
      .meta({ description: 'A difference: the records removed after `since` (tombstones).' }),
    held: z.array(sha256).max(MAX_HELD_COPIES).optional().meta({
      description:
        'Ids of the files this node holds a verified copy of (fetched from another node), newest first, at most 1,000; whole in either form.',
    }),
  })
  .meta({
    description:
      "This node's own records, whole (`full`) or as a difference (`since`, `removed`); their version is in `Meshchat-Catalog-Version`.",
  });

export const fileListing = z
  .strictObject({
    files: z.array(fileRecord),
    answered: z.array(z.string()).meta({ description: 'The nodes whose records are in the answer.' }),
    missing: z.array(z.string()).meta({
      description:
        'Nodes whose current records are not in the answer (no copy, or a stale one: see `stale`).',
    }),
    stale: z.array(z.string()).optional().meta({
      description:
        '`scope=mesh`: of `missing`, the nodes whose older copy is in the answer (behind the version gossip gives for them, or not confirmed lately).',
    }),
  })
  .meta({ description: 'Files found, and which nodes answered.' });

export const downloadEntry = z
  .strictObject({
    at: z.string().meta({ description: 'ISO-8601 UTC: when this node answered the download.' }),
    user: z.string().optional().meta({ description: 'The logged-in user who fetched it, `name@node`.' }),
    node: z.string().optional().meta({
      description:
        'Without a login: the node that said it fetched it (the `Meshchat-Node` request header; not verified).',
    }),
    bytes: z.string().meta({ description: '`<first>-<last>` of the bytes sent; empty for a 0-byte file.' }),
  })
  .meta({ description: 'One fetch; neither `user` nor `node`: anonymous.' });

export const downloadList = z
  .strictObject({ downloads: z.array(downloadEntry) })
  .meta({ description: 'Who fetched the file from this node, newest first.' });
