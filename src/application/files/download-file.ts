import { assertFileId, type FileRecord } from '../../domain/file-record.js';
import { isValidNodeId } from '../../domain/node-record.js';
import type { AuthenticatedUser } from '../accounts/authenticate.js';
import type { ByteRange } from '../ports/files/content-store.js';
import { audited, type FilesContext, optionalUser } from './file-deps.js';
import { StorageFailed, UnknownFile } from './file-errors.js';
import type { HeldCopyBudget } from './held-copy-budget.js';
import type { RemoteFiles } from './remote-files.js';

export interface Download {
  readonly file: FileRecord;
  readonly body: AsyncIterable<Uint8Array>;
}

/**
 * `GET /files/:id`: the bytes of a file held here, all or one range (resolved against the record's size by the
 * caller). No login is needed; a token, when given, names the user in the audit record (`download`, object
 * `file <id> bytes <start>-<end>`). A record whose bytes are gone is a fault of this node (`StorageFailed`).
 * A file published elsewhere is fetched through `remote` (`RemoteFiles`: verified, journaled, shared), whose
 * errors pass through; `relayed` marks a request from a node fetching for its own client.
 * Each download answered is also kept for the file's owners (`FileCatalog.recordDownload`): the user's address
 * when logged in, else `node`, the id a fetching node named (a claim, not checked; dropped unless it is a
 * well-formed node id), else anonymous.
 * A file served from a copy fetched earlier (or being fetched) is marked used (`HeldCopyBudget.served`), and the
 * copy is pinned while its body is read, so evicting it never pulls bytes from under a reader.
 */
export class DownloadFile {
  constructor(
    private readonly context: FilesContext,
    private readonly remote?: RemoteFiles,
    private readonly held?: Pick<HeldCopyBudget, 'served' | 'pin'>,
  ) {}

  execute(request: {
    readonly token?: string;
    readonly id: string;
    readonly range?: ByteRange;
    readonly relayed?: boolean;
    /** The node that says it fetches (the `Meshchat-Node` request header), when the request has no login. */
    readonly node?: string;
  }): Promise<Download> {
    let user: AuthenticatedUser | undefined;
    const { id, range } = request;
    return audited(
      this.context,
      'download',
      () => user?.name,
      (download) =>
        `file ${id.slice(0, 64)}` +
        (range ? ` bytes ${range.start}-${range.end}` : download ? ` bytes 0-${download.file.size - 1}` : ''),
      async () => {
        user = optionalUser(this.context, request.token);
        const file = this.context.catalog.byId(assertFileId(id))[0];
        if (!file) {
          const record = this.remote?.record(id);
          if (!this.remote || !record) throw new UnknownFile(id);
          const body = await this.remote.open(record, range, request.relayed === true);
          if (!this.held) return { file: record, body };
          this.held.served(id);
          return { file: record, body: pinned(body, () => this.held?.pin(id) ?? (() => {})) };
        }
        const body = await this.context.content.open(id, range);
        if (!body)
          throw new StorageFailed(`The bytes of file ${id} are missing on this node; ask another node.`);
        const last = range ? range.end : file.size - 1;
        const node = user === undefined && request.node !== undefined && isValidNodeId(request.node);
        this.context.catalog.recordDownload(id, {
          at: new Date(this.context.clock.now()).toISOString(),
          ...(user ? { user: user.user } : {}),
          ...(node ? { node: request.node } : {}),
          bytes: last < 0 ? '' : `${range?.start ?? 0}-${last}`,
        });
        return { file, body };
      },
    );
  }
}

/** `body`, with `pin` taken when the first byte is asked for and released when the body ends or is dropped. */
async function* pinned(body: AsyncIterable<Uint8Array>, pin: () => () => void): AsyncIterable<Uint8Array> {
  const release = pin();
  try {
    yield* body;
  } finally {
    release();
  }
}
