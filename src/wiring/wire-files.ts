import type { Authenticate } from '../application/accounts/authenticate.js';
import { ContentLocks } from '../application/files/content-locks.js';
import { DeleteFile } from '../application/files/delete-file.js';
import { DownloadFile } from '../application/files/download-file.js';
import type { FileStoreContext } from '../application/files/file-deps.js';
import { GetFileRecord } from '../application/files/get-file-record.js';
import { HELD_BYTES_PER_MAX_FILE_SIZE, HeldCopyBudget } from '../application/files/held-copy-budget.js';
import { ListDownloads } from '../application/files/list-downloads.js';
import { ListFiles } from '../application/files/list-files.js';
import type { MeshCatalog, OwnCatalog } from '../application/files/mesh-catalog.js';
import { DEFAULT_PUBLISH_SETTINGS, PublishFile } from '../application/files/publish-file.js';
import { RemoteFiles, type RemoteFilesSettings } from '../application/files/remote-files.js';
import { RemoveUserFiles } from '../application/files/remove-user-files.js';
import { RestoreHeldCopies } from '../application/files/restore-held-copies.js';
import type { AuditTrail } from '../application/ports/accounts/audit-trail.js';
import type { Clock } from '../application/ports/clock.js';
import type { ContentStore } from '../application/ports/files/content-store.js';
import type { FileCatalog } from '../application/ports/files/file-catalog.js';
import type { FileSource } from '../application/ports/files/file-source.js';
import type { PartialDownloads } from '../application/ports/files/partial-downloads.js';
import type { PublishedFiles } from '../application/ports/files/published-files.js';
import type { InternalErrors } from '../application/ports/internal-errors.js';
import type { PeerRegistry } from '../domain/peer-registry.js';
import type { CatalogWiring } from './wire-catalog.js';

export interface FileStoreParts {
  readonly node: string;
  readonly clock: Clock;
  readonly audit: AuditTrail;
  readonly catalog: FileCatalog;
  readonly content: ContentStore;
}

export interface FilesParts extends FileStoreParts {
  readonly authenticate: Authenticate;
  /** Where a failure of background work (evicting held copies) is reported. */
  readonly errors?: InternalErrors;
  /** The store `wireFileStore` made, when the accounts were given its `userFiles`; else a new one. */
  readonly store?: FileStore;
  /** The mesh catalog (`wireCatalog`): `scope=mesh` and `GET /files/catalog`; this node's records only without. */
  readonly mesh?: CatalogWiring;
  /** With the mesh catalog, these let the node fetch files published elsewhere (`RemoteFiles`). */
  readonly remote?: {
    readonly registry: PeerRegistry;
    readonly source?: FileSource;
    readonly partials?: PartialDownloads;
  };
}

export interface FilesSettings {
  /** `--max-file-size`; `DEFAULT_MAX_FILE_SIZE` when not set. */
  readonly maxFileSize?: number;
  /** Limits of fetching files from other nodes. */
  readonly remoteFiles?: Partial<RemoteFilesSettings>;
  /** `--held-bytes`: bytes of fetched copies kept; `HELD_BYTES_PER_MAX_FILE_SIZE` × the max file size if not set. */
  readonly heldBytes?: number;
}

/** The files' store with its locks, and what the accounts remove a user's files through. */
export interface FileStore {
  readonly context: FileStoreContext;
  readonly userFiles: PublishedFiles;
}

/** Files published on this node (SPEC section 6): the use cases, over one catalog and one content store. */
export interface FilesWiring {
  readonly files: {
    readonly publish: PublishFile;
    readonly remove: DeleteFile;
    readonly list: ListFiles;
    readonly record: GetFileRecord;
    readonly download: DownloadFile;
    /** Who fetched a file, for its owner. */
    readonly downloads: ListDownloads;
    /** Every file of a user, as `Unregister` removes them. */
    readonly userFiles: PublishedFiles;
    /** The most bytes one file may have, as the node advertises it. */
    readonly maxFileSize: number;
    readonly catalog?: { readonly own: OwnCatalog; readonly mesh: MeshCatalog };
    /** Fetches files published on other nodes; absent without the mesh catalog or a partial store. */
    readonly remoteFiles?: RemoteFiles;
    /** Run once at start, before the node listens: lists again the verified copies held before a restart. */
    readonly restoreHeld?: RestoreHeldCopies;
    /** Which fetched copies are kept (bytes and count, least recently used evicted); with the mesh catalog. */
    readonly heldBudget?: HeldCopyBudget;
  };
  readonly fileCatalog: FileCatalog;
  readonly fileContent: ContentStore;
}

/**
 * The part of the files that needs no login, built before the accounts: their `Unregister` removes a user's
 * files through `userFiles`, while the use cases `wireFiles` builds on the same store need the accounts'
 * `Authenticate`. One `ContentLocks` serves both, so every step that decides whether a content stays is
 * serialised with the others.
 */
export function wireFileStore(parts: FileStoreParts): FileStore {
  const context: FileStoreContext = { ...parts, locks: new ContentLocks() };
  return { context, userFiles: new RemoveUserFiles(context) };
}

export function wireFiles(parts: FilesParts, settings: FilesSettings = {}): FilesWiring {
  const { authenticate, store: built, mesh, remote: remoteParts, errors: _errors, ...storeParts } = parts;
  const store = built ?? wireFileStore(storeParts);
  const context = { ...store.context, authenticate };
  const maxFileSize = settings.maxFileSize ?? DEFAULT_PUBLISH_SETTINGS.maxFileSize;
  const budget = mesh
    ? new HeldCopyBudget(
        {
          own: mesh.ownCatalog,
          content: context.content,
          locks: context.locks,
          locator: mesh.meshCatalog,
          released: mesh.meshCatalog,
          ...(parts.errors ? { errors: parts.errors } : {}),
        },
        { maxBytes: settings.heldBytes ?? HELD_BYTES_PER_MAX_FILE_SIZE * maxFileSize },
      )
    : undefined;
  if (budget) mesh?.meshCatalog.onRecordsGone((ids) => budget.recordsGone(ids));
  const remote =
    mesh && remoteParts?.source && remoteParts.partials
      ? new RemoteFiles(
          {
            node: context.node,
            registry: remoteParts.registry,
            locator: mesh.meshCatalog,
            content: context.content,
            partials: remoteParts.partials,
            source: remoteParts.source,
            clock: context.clock,
            audit: context.audit,
            ...(budget ? { held: budget } : {}),
          },
          settings.remoteFiles,
        )
      : undefined;
  return {
    files: {
      publish: new PublishFile(context, { maxFileSize }),
      remove: new DeleteFile(context),
      list: new ListFiles(context, mesh?.meshCatalog),
      record: new GetFileRecord(context, remote),
      download: new DownloadFile(context, remote, budget),
      downloads: new ListDownloads(context),
      userFiles: store.userFiles,
      maxFileSize,
      ...(mesh ? { catalog: { own: mesh.ownCatalog, mesh: mesh.meshCatalog } } : {}),
      ...(remote ? { remoteFiles: remote } : {}),
      ...(mesh
        ? {
            restoreHeld: new RestoreHeldCopies({
              own: mesh.ownCatalog,
              content: context.content,
              locator: mesh.meshCatalog,
              ...(budget ? { budget } : {}),
            }),
          }
        : {}),
      ...(budget ? { heldBudget: budget } : {}),
    },
    fileCatalog: store.context.catalog,
    fileContent: store.context.content,
  };
}
