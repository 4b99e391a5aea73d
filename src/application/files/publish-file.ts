import {
  checkFileDescription,
  checkFileName,
  DEFAULT_MAX_FILE_SIZE,
  type FileRecord,
  fileType,
} from '../../domain/file-record.js';
import { Unauthenticated } from '../accounts/account-errors.js';
import type { AuthenticatedUser } from '../accounts/authenticate.js';
import type { StagedContent } from '../ports/files/content-store.js';
import { audited, type FilesContext } from './file-deps.js';
import { AlreadyPublished, FileTooLarge } from './file-errors.js';

export interface PublishSettings {
  /** `--max-file-size`: the most bytes one file may have. */
  readonly maxFileSize: number;
}

export const DEFAULT_PUBLISH_SETTINGS: PublishSettings = { maxFileSize: DEFAULT_MAX_FILE_SIZE };

export interface PublishRequest {
  readonly token: string | undefined;
  readonly name: unknown;
  readonly description?: unknown;
  /** The media type the client sent (`Content-Type`), if any. */
  readonly declaredType?: string;
  /** The size the client announced (`Content-Length`), when it did: checked before a byte is read. */
  readonly declaredSize?: number;
  readonly body: AsyncIterable<Uint8Array>;
}

/**
 * `POST /files`: a logged-in user publishes a file. Every check that needs no bytes (login, name, description,
 * announced size, a name already published) is made before the body is read; the body is then staged and
 * hashed by the `ContentStore`, and committed under its id together with the record. Whatever fails, nothing of
 * the upload is left, and a content no record holds is not kept. Audited as `publish`, refusals included.
 */
export class PublishFile {
  constructor(
    private readonly context: FilesContext,
    private readonly settings: PublishSettings = DEFAULT_PUBLISH_SETTINGS,
  ) {}

  execute(request: PublishRequest): Promise<FileRecord> {
    let user: AuthenticatedUser | undefined;
    const asked = typeof request.name === 'string' ? request.name.slice(0, 300) : '';
    return audited(
      this.context,
      'publish',
      () => user?.name,
      (record) => (record ? `file ${record.id}` : `file ${JSON.stringify(asked)}`),
      async () => {
        user = this.context.authenticate.execute(request.token);
        return this.#publish(user, request);
      },
    );
  }

  async #publish(user: AuthenticatedUser, request: PublishRequest): Promise<FileRecord> {
    const { catalog, content, locks, clock } = this.context;
    const owner = user.user;
    const { maxFileSize } = this.settings;
    const name = checkFileName(request.name);
    const description = checkFileDescription(request.description);
    if (request.declaredSize !== undefined && request.declaredSize > maxFileSize)
      throw new FileTooLarge(maxFileSize);
    if (catalog.byName(owner, name)) throw nameTaken(name);
    const staged = await content.stage(request.body, { maxBytes: maxFileSize });
    try {
      return await locks.run(staged.id, () =>
        this.#commit(user, staged, {
          id: staged.id,
          name,
          description,
          size: staged.size,
          type: fileType(request.declaredType, name),
          owner,
          publishedAt: new Date(clock.now()).toISOString(),
          chunkSize: staged.chunkSize,
          chunks: staged.chunks,
        }),
      );
    } finally {
      await staged.discard();
    }
  }

  /**
   * Under the content's lock: the bytes go in, then the record; a refused record leaves no orphan bytes. The
   * account is checked again right before the record is added (no await between them): one removed while its
   * upload ran has had its files removed, and this one must not appear after them.
   */
  async #commit(user: AuthenticatedUser, staged: StagedContent, record: FileRecord): Promise<FileRecord> {
    const { catalog, content } = this.context;
    const same = catalog.byId(record.id).find((r) => r.owner === record.owner);
    if (same) {
      throw new AlreadyPublished(
        `You already published this content as "${same.name}"; one record per content is kept.`,
      );
    }
    await staged.commit();
    let outcome: ReturnType<typeof catalog.add> | undefined;
    try {
      if (!this.context.authenticate.isCurrent(user))
        throw new Unauthenticated('The account was removed while its file was uploading; nothing was kept.');
      outcome = catalog.add(record);
    } finally {
      // Bytes another record, or a verified copy this node fetched and advertises, still holds stay.
      const orphan = catalog.byId(record.id).length === 0 && !catalog.isHeld?.(record.id);
      if (outcome !== 'added' && orphan) await content.remove(record.id);
    }
    if (outcome === 'name_taken') throw nameTaken(record.name);
    if (outcome === 'content_taken')
      throw new AlreadyPublished('You already published this content under another name.');
    return record;
  }
}

function nameTaken(name: string): AlreadyPublished {
  return new AlreadyPublished(
    `You already published a file named "${name}"; delete it first or choose another name.`,
  );
}
