import { assertFileId, MAX_DOWNLOADS_PER_FILE } from '../../domain/file-record.js';
import { Forbidden } from '../accounts/account-errors.js';
import type { DownloadEntry } from '../ports/files/file-catalog.js';
import type { FilesContext } from './file-deps.js';
import { UnknownFile } from './file-errors.js';

/**
 * `GET /files/:id/downloads`: who fetched a file from this node, newest first (at most
 * `MAX_DOWNLOADS_PER_FILE`), for its owner only: a user with a record of that content (several users who
 * published the same bytes see the same list, as the bytes are one). Without a login `Unauthenticated`,
 * another user's file `Forbidden`, an id no record has `UnknownFile`.
 */
export class ListDownloads {
  constructor(private readonly context: FilesContext) {}

  execute(request: { readonly token: string | undefined; readonly id: string }): DownloadEntry[] {
    const user = this.context.authenticate.execute(request.token);
    const id = assertFileId(request.id);
    const records = this.context.catalog.byId(id);
    if (records.length === 0) throw new UnknownFile(id);
    if (!records.some((r) => r.owner === user.user))
      throw new Forbidden('Only the owner of a file can see who fetched it.');
    return this.context.catalog.downloads(id, MAX_DOWNLOADS_PER_FILE);
  }
}
