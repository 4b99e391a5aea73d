import { assertFileId, type FileRecord } from '../../domain/file-record.js';
import type { FilesContext } from './file-deps.js';
import { UnknownFile } from './file-errors.js';
import type { RemoteFiles } from './remote-files.js';

/**
 * The record of a content held here (the first published, when several users published it; they share the id,
 * size and chunks): what a download is served with and checked against. A file published on another node is
 * answered from the mesh catalog (`remote`), so any meshchat node can serve its record and its bytes. Reads
 * only; not audited.
 */
export class GetFileRecord {
  constructor(
    private readonly context: Pick<FilesContext, 'catalog'>,
    private readonly remote?: Pick<RemoteFiles, 'record'>,
  ) {}

  execute(id: string): FileRecord {
    const record = this.context.catalog.byId(assertFileId(id))[0] ?? this.remote?.record(id);
    if (!record) throw new UnknownFile(id);
    return record;
  }
}
