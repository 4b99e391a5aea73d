import { MeshError } from '../../domain/errors.js';

/** The user already published a file of that name, or that very content (409). */
export class AlreadyPublished extends MeshError {
  readonly code = 'already_published';
}

/** A file over the node's `--max-file-size` (413); nothing of it is kept. */
export class FileTooLarge extends MeshError {
  readonly code = 'file_too_large';
  constructor(readonly maxBytes: number) {
    super(`The file is larger than this node takes (${maxBytes} bytes); nothing was kept.`);
  }
}

/** No file with that id on this node (404). */
export class UnknownFile extends MeshError {
  readonly code = 'unknown_file';
  constructor(readonly fileId: string) {
    super(`This node has no file with id ${fileId}.`);
  }
}

/** The disk is full (or the quota reached) while storing a file (507); nothing of it is kept. */
export class StorageFull extends MeshError {
  readonly code = 'insufficient_storage';
  constructor() {
    super(
      'The node ran out of disk space while storing the file; nothing was kept. Try a smaller file or later.',
    );
  }
}

/** Another failure to write or read the file store (an I/O error); nothing partial is kept (503). */
export class StorageFailed extends MeshError {
  readonly code = 'storage_failed';
}

/** The upload ended before the bytes it announced arrived (a dropped connection): nothing is kept (400). */
export class UploadIncomplete extends MeshError {
  readonly code = 'upload_incomplete';
}

/**
 * A file this node does not hold could not be fetched from any holder: none reached, every one set aside, or
 * each source broke off or sent bad data (502). What was verified is kept, so asking again resumes.
 */
export class FileUnavailable extends MeshError {
  readonly code = 'file_unavailable';
}

/** The sentence of a `FileUnavailable` after every source failed: the last failure, and what is kept. */
export function fileUnavailableMessage(
  id: string,
  lastError: string,
  verified: number,
  size: number,
): string {
  return (
    `No node could send file ${id} (${lastError}); ${verified} of ${size} bytes are verified and kept ` +
    'here: ask again later to resume.'
  );
}

const UNAVAILABLE =
  /^No node could send file [0-9a-f]{64} \((.*)\); \d+ of \d+ bytes are verified and kept here/s;

/**
 * The last failure named in another meshchat node's `fileUnavailableMessage` (a relay that could not get the
 * file either), or undefined for any other sentence.
 */
export function fileUnavailableReason(message: string): string | undefined {
  return UNAVAILABLE.exec(message)?.[1];
}

/** This node already runs as many fetches from other nodes as it allows; ask again shortly (503). */
export class DownloadsBusy extends MeshError {
  readonly code = 'downloads_busy';
  constructor(readonly maxTransfers: number) {
    super(
      `This node is already fetching ${maxTransfers} files from other nodes; ask again in a moment or ask the holder.`,
    );
  }
}

/**
 * A chunk of a fetched file did not match its hash in the record (the source sent bad bytes), or with index -1
 * the whole did not match the id. Internal: it never reaches a client as such (`RemoteFiles` decides).
 */
export class ChunkMismatch extends Error {
  override readonly name = 'ChunkMismatch';
  constructor(readonly index: number) {
    super(`Chunk ${index} does not match its SHA-256 in the file record.`);
  }
}

/** Why a fetch from a holder failed before its first byte. */
export type FetchFailure = 'unreachable' | 'rejected' | 'bad_answer';

/** A fetch from a holder that failed before its first byte (no connection, a refusal, a wrong answer). */
export class FileFetchFailed extends Error {
  override readonly name = 'FileFetchFailed';
  constructor(
    message: string,
    readonly failure: FetchFailure,
    /** The holder's HTTP status, when it answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}
