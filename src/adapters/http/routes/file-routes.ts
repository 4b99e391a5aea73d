import type { Context } from 'hono';
import { ownCatalogAnswer } from '../../../application/files/own-catalog-answer.js';
import { MAX_CATALOG_RECORDS_PER_NODE, MAX_CATALOG_TOMBSTONES } from '../../../domain/catalog.js';
import { InvalidInput } from '../../../domain/errors.js';
import { type FileRecord, MAX_DOWNLOADS_PER_FILE } from '../../../domain/file-record.js';
import { FETCHING_NODE_HEADER, RELAY_HEADER } from '../../files/undici-file-source.js';
import { noneMatchHit, resolveRange } from '../byte-range.js';
import { contentDisposition } from '../content-disposition.js';
import { bodyOf } from '../continue-body.js';
import { errorBody } from '../error-table.js';
import {
  catalogQuery,
  downloadList,
  fileAnswer,
  fileCatalogAnswer,
  fileIdParams,
  fileListing,
  listQuery,
  publishQuery,
} from '../file-schemas.js';
import { bearerToken } from '../request-credentials.js';
import { route } from '../route.js';
import { sendNodeBody } from '../send-node-body.js';
import { requireUtf8Query } from '../utf8-query.js';
import { CATALOG_VERSION_HEADER } from '../wire-schemas.js';

const DOWNLOAD_HEADERS = {
  ETag: { description: 'The file id, quoted: a strong validator for `If-Range` and `If-None-Match`.' },
  'Accept-Ranges': { description: 'Always `bytes`.', value: 'bytes' },
  'Content-Disposition': { description: '`attachment` with the name (RFC 6266, `filename*` in UTF-8).' },
  'Content-Length': { description: 'Bytes in this answer.' },
};

/** Headers of a download, whole or partial; the bytes are never rendered by a browser as this node's page. */
function downloadHeaders(file: FileRecord): Record<string, string> {
  return {
    'Content-Type': file.type,
    ETag: `"${file.id}"`,
    'Accept-Ranges': 'bytes',
    'Content-Disposition': contentDisposition(file.name),
    'Content-Security-Policy': "sandbox; default-src 'none'",
    'Cache-Control': 'no-cache',
  };
}

export { FETCHING_NODE_HEADER };

/** A declared `Content-Length`, when it is one; Node refuses a malformed one before the app sees it. */
function declaredLength(c: Context): number | undefined {
  const header = c.req.header('content-length');
  return header !== undefined && /^\d{1,16}$/.test(header) ? Number(header) : undefined;
}

/** Files on this node (SPEC section 6, meshchat extensions): publish, list and search, download, delete. */
export const FILE_ROUTES = [
  route({
    method: 'post',
    path: '/files',
    operationId: 'publishFile',
    summary: 'Publish a file',
    description:
      'Needs `Authorization: Bearer <token>`. The body is the raw bytes, streamed to disk while hashed; a ' +
      "`Content-Length` over the node's `maxFileSize` (`GET /healthz`, `files.maxFileSize`) is refused before a " +
      'byte is read, a body that grows past it as soon as it does (the connection is then closed). A client that ' +
      'sends `Expect: 100-continue` gets `100 Continue` only once every check on the headers passed. The same ' +
      "content published again, by anyone, is stored once. `Content-Type` is kept as the file's type when it is " +
      "a valid media type, else the name's extension decides.",
    tag: 'extension',
    query: publishQuery,
    rawBody: { media: 'application/octet-stream', description: 'The bytes of the file (any media type).' },
    responses: { '201': { description: 'Published.', json: fileAnswer } },
    errors: [
      'unauthenticated',
      'invalid_file_name',
      'invalid_description',
      'already_published',
      'file_too_large',
      'upload_incomplete',
      'insufficient_storage',
      'storage_failed',
      'node_stopping',
    ],
    handle: async ({ deps: { files }, c }) => {
      try {
        const file = await files.publish.execute({
          token: bearerToken(c),
          name: requireUtf8Query(c.req.url, 'name', 'invalid_file_name', 'file name'),
          description: requireUtf8Query(c.req.url, 'description', 'invalid_description', 'description'),
          declaredType: c.req.header('content-type'),
          declaredSize: declaredLength(c),
          body: bodyOf(c),
        });
        return c.json({ file }, 201);
      } catch (error) {
        // What the client still sends is not read: closing the connection ends the upload.
        c.header('Connection', 'close');
        throw error;
      }
    },
  }),
  route({
    method: 'get',
    path: '/files',
    operationId: 'listFiles',
    summary: 'List or search the files published here',
    description:
      "All files (newest first), one owner's (`owner`), or those whose name or description has every word of " +
      '`q` (best match first); both filters combine. No login needed; a bearer token, when sent, must be valid ' +
      "and names the user in the audit trail. `scope=mesh` adds every other meshchat node's records from this " +
      "node's replicated mesh catalog (no request to anyone); `missing` names the nodes whose current part is " +
      'not in the answer, and `stale` those of them whose older copy is.',
    tag: 'extension',
    query: listQuery,
    responses: { '200': { description: 'The files found.', json: fileListing } },
    errors: [
      'invalid_address',
      'invalid_search',
      'invalid_scope',
      'invalid_limit',
      'unauthenticated',
      'node_stopping',
    ],
    handle: async ({ deps: { files }, query, c }) => {
      const token = bearerToken(c);
      const listing = await files.list.execute({
        ...(token === undefined ? {} : { token }),
        ...pick(query, ['owner', 'q', 'scope', 'limit']),
      });
      return c.json(listing);
    },
  }),
  route({
    method: 'get',
    path: '/files/catalog',
    operationId: 'fileCatalog',
    summary: "This node's own file records, for the mesh catalog",
    description:
      'Every record published on this node (newest first, at most ' +
      `${MAX_CATALOG_RECORDS_PER_NODE}) with \`full: true\`, and their version in the \`${CATALOG_VERSION_HEADER}\` ` +
      "header: the `catalog` of this node's `GET /nodes` entry. With `since=<version>` (a version the caller " +
      'holds) only what changed after it: `since` echoed, the records added in `files`, the tombstones of ' +
      'those removed in `removed`. When this node cannot say (a `since` from before its start or its oldest ' +
      `kept tombstone, of the last ${MAX_CATALOG_TOMBSTONES} deletions, or ahead of its version) it answers the ` +
      'whole catalog, `full: true`. Other meshchat nodes pull it when that version differs from their copy, and ' +
      'answer `GET /files?scope=mesh` from their copies.',
    tag: 'extension',
    peer: true,
    query: catalogQuery,
    responses: { '200': { description: "This node's records.", json: fileCatalogAnswer } },
    errors: ['invalid_since', 'not_found'],
    handle: ({ deps: { files }, query, c }) => {
      const catalog = files.catalog;
      if (!catalog) return c.json(errorBody('not_found', 'This node keeps no mesh catalog.'), 404);
      const since = query('since');
      if (since !== undefined && !/^\d{1,16}$/.test(since))
        throw new InvalidInput(
          'invalid_since',
          '`since` is a catalog version: a whole number of at most 16 digits.',
        );
      const { version, ...answer } = ownCatalogAnswer(
        catalog.own,
        since === undefined ? undefined : Number(since),
      );
      return c.json(answer, 200, { [CATALOG_VERSION_HEADER]: String(version) });
    },
  }),
  route({
    method: 'get',
    path: '/files/{id}',
    operationId: 'downloadFile',
    summary: 'Download a file (Range, If-Range, HEAD)',
    description:
      'The bytes, with `ETag`, `Accept-Ranges: bytes` and `Content-Disposition`. One `Range` (`bytes=a-b`, ' +
      '`a-`, `-n`) is answered `206` with `Content-Range`; several ranges, a malformed one, or an `If-Range` ' +
      'other than the ETag get the whole file. An `If-None-Match` naming the ETag (or `*`) is answered `304` ' +
      'with no body (the id is the content, so a copy that has it is current). `HEAD` answers the headers ' +
      'only. No login needed; each GET that sends bytes is an audit record.',
    tag: 'extension',
    params: fileIdParams,
    responses: {
      '200': { description: 'The whole file.', media: 'application/octet-stream', headers: DOWNLOAD_HEADERS },
      '304': {
        description: 'Not modified: `If-None-Match` names this ETag. No body, not a download.',
        headers: { ETag: DOWNLOAD_HEADERS.ETag },
      },
      '206': {
        description: 'One range of the file.',
        media: 'application/octet-stream',
        headers: {
          ...DOWNLOAD_HEADERS,
          'Content-Range': { description: '`bytes <first>-<last>/<size>`.' },
        },
      },
    },
    errors: [
      'invalid_file_id',
      'unknown_file',
      'range_not_satisfiable',
      'unauthenticated',
      'storage_failed',
      'file_unavailable',
      'downloads_busy',
      'insufficient_storage',
    ],
    handle: async ({ deps: { files }, param, c }) => {
      const file = files.record.execute(param('id'));
      const headers = downloadHeaders(file);
      if (noneMatchHit(c.req.header('if-none-match'), headers.ETag ?? ''))
        return new Response(null, {
          status: 304,
          headers: { ETag: headers.ETag ?? '', 'Cache-Control': headers['Cache-Control'] ?? 'no-cache' },
        });
      const answer = resolveRange(
        c.req.header('range'),
        c.req.header('if-range'),
        file.size,
        headers.ETag ?? '',
      );
      if (answer.kind === 'unsatisfiable') {
        return c.json(
          errorBody('range_not_satisfiable', `The range is outside the file, which has ${file.size} bytes.`),
          416,
          { 'Content-Range': `bytes */${file.size}` },
        );
      }
      const range = answer.kind === 'partial' ? answer.range : undefined;
      const status = range ? 206 : 200;
      const length = range ? range.end - range.start + 1 : file.size;
      Object.assign(headers, {
        'Content-Length': String(length),
        ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${file.size}` } : {}),
      });
      if (c.req.method === 'HEAD') return new Response(null, { status, headers });
      const token = bearerToken(c);
      const node = c.req.header(FETCHING_NODE_HEADER);
      const { body } = await files.download.execute({
        id: file.id,
        relayed: c.req.header(RELAY_HEADER) !== undefined,
        ...(token === undefined ? {} : { token }),
        ...(node === undefined ? {} : { node }),
        ...(range && length > 0 ? { range } : {}),
      });
      if (length === 0) {
        // Read to its end (nothing) so the file it opened is closed; an empty answer needs no stream.
        for await (const _ of body);
        return new Response(null, { status, headers });
      }
      return (
        sendNodeBody(c, status, headers, body) ?? new Response(ReadableStream.from(body), { status, headers })
      );
    },
  }),
  route({
    method: 'get',
    path: '/files/{id}/record',
    operationId: 'getFileRecord',
    summary: "A file's record, with its chunk hashes",
    description:
      'What a client checks a download against: the size and the SHA-256 of every chunk. When several users ' +
      'published the same content, the first record. No login needed.',
    tag: 'extension',
    params: fileIdParams,
    responses: { '200': { description: 'The record.', json: fileAnswer } },
    errors: ['invalid_file_id', 'unknown_file', 'node_stopping'],
    handle: ({ deps: { files }, param, c }) => c.json({ file: files.record.execute(param('id')) }),
  }),
  route({
    method: 'get',
    path: '/files/{id}/downloads',
    operationId: 'listDownloads',
    summary: 'Who fetched a file (its owner only)',
    description:
      "Needs the owner's `Authorization: Bearer <token>`. The latest downloads answered by this node, newest " +
      `first (at most ${MAX_DOWNLOADS_PER_FILE} kept per file): each with the time, the bytes sent, and who ` +
      'asked: `user` for a request with a login, else `node` when it sent a `Meshchat-Node` header (the id of ' +
      'a node fetching for its users, as it claims), else neither (anonymous). A range counts as a fetch. ' +
      'Users who published the same content share its list.',
    tag: 'extension',
    params: fileIdParams,
    responses: { '200': { description: 'The downloads.', json: downloadList } },
    errors: ['unauthenticated', 'invalid_file_id', 'forbidden', 'unknown_file', 'node_stopping'],
    handle: ({ deps: { files }, param, c }) =>
      c.json({ downloads: files.downloads.execute({ token: bearerToken(c), id: param('id') }) }),
  }),
  route({
    method: 'delete',
    path: '/files/{id}',
    operationId: 'deleteFile',
    summary: 'Delete a file you published',
    description:
      "Needs the owner's `Authorization: Bearer <token>`. The record goes, and the bytes once no other user's " +
      'record holds the same content.',
    tag: 'extension',
    params: fileIdParams,
    responses: { '200': { description: 'Deleted: the record that was removed.', json: fileAnswer } },
    errors: ['unauthenticated', 'invalid_file_id', 'forbidden', 'unknown_file', 'node_stopping'],
    handle: async ({ deps: { files }, param, c }) =>
      c.json({ file: await files.remove.execute({ token: bearerToken(c), id: param('id') }) }),
  }),
];

function pick(query: (name: string) => string | undefined, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = query(name);
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}
