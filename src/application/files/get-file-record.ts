import { assertFileId, type FileRecord } from '../../domain/file-record.js';
import type { FilesContext } from './file-deps.js';
import { UnknownFile } from './file-errors.js';

/**
 * The record of a content held here (the first published, when several users published it; they share the id,
 * size and chunks): what a download is served with and checked against. Reads only; not audited.
 */
export class GetFileRecord {
  constructor(private readonly context: Pick<FilesContext, 'catalog'>) {}

  execute(id: string): FileRecord {
    const record = this.context.catalog.byId(assertFileId(id))[0];
    if (!record) throw new UnknownFile(id);
    return record;
  }
}
