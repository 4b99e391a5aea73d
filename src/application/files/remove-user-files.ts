import { formatUserAddress, type UserAddress } from '../../domain/account.js';
import type { FileRecord } from '../../domain/file-record.js';
import type { PublishedFiles } from '../ports/files/published-files.js';
import { audited, type FileStoreContext } from './file-deps.js';

/** Records read at once while removing a user's files. */
const BATCH = 500;

/**
 * What `Unregister` calls once an account is gone: every record the user published is removed, each under its
 * content's lock (as `DeleteFile` does, so a publish of the same content by someone else keeps its bytes), and
 * the bytes go once no record holds them. Each removal is audited as a `delete` by that user. Needs no login:
 * the account's own removal was the authenticated step.
 */
export class RemoveUserFiles implements PublishedFiles {
  constructor(private readonly context: FileStoreContext) {}

  async removeAllOf(user: UserAddress): Promise<number> {
    const owner = formatUserAddress(user);
    let removed = 0;
    for (;;) {
      const batch = this.context.catalog.list({ owner, limit: BATCH });
      let progressed = 0;
      for (const record of batch) if (await this.#remove(record, user.name)) progressed++;
      removed += progressed;
      // No record of the user can appear meanwhile (the account is gone), so a short or idle batch is the end.
      if (batch.length < BATCH || progressed === 0) return removed;
    }
  }

  #remove(record: FileRecord, name: string): Promise<boolean> {
    const { catalog, content, locks } = this.context;
    return audited(
      this.context,
      'delete',
      () => name,
      () => `file ${record.id}`,
      () =>
        locks.run(record.id, async () => {
          const { removed, remaining } = catalog.remove(record.id, record.owner);
          if (remaining === 0) await content.remove(record.id);
          return removed !== undefined;
        }),
    );
  }
}
