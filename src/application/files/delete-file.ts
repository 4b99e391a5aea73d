import { assertFileId, type FileRecord } from '../../domain/file-record.js';
import { Forbidden } from '../accounts/account-errors.js';
import type { AuthenticatedUser } from '../accounts/authenticate.js';
import { audited, type FilesContext } from './file-deps.js';
import { UnknownFile } from './file-errors.js';

/**
 * `DELETE /files/:id`: the owner removes their record of a content; the bytes go once no record holds them.
 * Someone else's file is `Forbidden`, an id no record has `UnknownFile`. Audited as `delete`.
 */
export class DeleteFile {
  constructor(private readonly context: FilesContext) {}

  execute(request: { readonly token: string | undefined; readonly id: string }): Promise<FileRecord> {
    let user: AuthenticatedUser | undefined;
    return audited(
      this.context,
      'delete',
      () => user?.name,
      () => `file ${request.id.slice(0, 64)}`,
      async () => {
        user = this.context.authenticate.execute(request.token);
        const id = assertFileId(request.id);
        const owner = user.user;
        return this.context.locks.run(id, () => this.#delete(id, owner));
      },
    );
  }

  async #delete(id: string, owner: string): Promise<FileRecord> {
    const { catalog, content } = this.context;
    const records = catalog.byId(id);
    if (records.length === 0) throw new UnknownFile(id);
    if (!records.some((r) => r.owner === owner)) {
      const owners = records.map((r) => r.owner).join(', ');
      throw new Forbidden(`This file was published by ${owners}; only its owner can delete it.`);
    }
    const { removed, remaining } = catalog.remove(id, owner);
    if (!removed) throw new UnknownFile(id);
    if (remaining === 0) await content.remove(id);
    return removed;
  }
}
