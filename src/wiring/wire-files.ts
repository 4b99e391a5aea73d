import type { Authenticate } from '../application/accounts/authenticate.js';
import { ContentLocks } from '../application/files/content-locks.js';
import { DeleteFile } from '../application/files/delete-file.js';
import { DownloadFile } from '../application/files/download-file.js';
import type { FilesContext } from '../application/files/file-deps.js';
import { GetFileRecord } from '../application/files/get-file-record.js';
import { ListFiles } from '../application/files/list-files.js';
import { DEFAULT_PUBLISH_SETTINGS, PublishFile } from '../application/files/publish-file.js';
import type { AuditTrail } from '../application/ports/accounts/audit-trail.js';
import type { Clock } from '../application/ports/clock.js';
import type { ContentStore } from '../application/ports/files/content-store.js';
import type { FileCatalog } from '../application/ports/files/file-catalog.js';

export interface FilesParts {
  readonly node: string;
  readonly clock: Clock;
  readonly audit: AuditTrail;
  readonly catalog: FileCatalog;
  readonly content: ContentStore;
  readonly authenticate: Authenticate;
}

export interface FilesSettings {
  /** `--max-file-size`; `DEFAULT_MAX_FILE_SIZE` when not set. */
  readonly maxFileSize?: number;
}

/** Files published on this node (SPEC section 6): the use cases, over one catalog and one content store. */
export interface FilesWiring {
  readonly files: {
    readonly publish: PublishFile;
    readonly remove: DeleteFile;
    readonly list: ListFiles;
    readonly record: GetFileRecord;
    readonly download: DownloadFile;
    /** The most bytes one file may have, as the node advertises it. */
    readonly maxFileSize: number;
  };
  readonly fileCatalog: FileCatalog;
  readonly fileContent: ContentStore;
}

/** One `ContentLocks` is shared by publish and delete, which decide together whether a content stays. */
export function wireFiles(parts: FilesParts, settings: FilesSettings = {}): FilesWiring {
  const context: FilesContext = { ...parts, locks: new ContentLocks() };
  const maxFileSize = settings.maxFileSize ?? DEFAULT_PUBLISH_SETTINGS.maxFileSize;
  return {
    files: {
      publish: new PublishFile(context, { maxFileSize }),
      remove: new DeleteFile(context),
      list: new ListFiles(context),
      record: new GetFileRecord(context),
      download: new DownloadFile(context),
      maxFileSize,
    },
    fileCatalog: parts.catalog,
    fileContent: parts.content,
  };
}
