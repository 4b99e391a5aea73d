import { InvalidInput } from './errors.js';
import { checkFileName, isFileId } from './file-record.js';

/**
 * A file a message points to (SPEC section 6): the content's id, its name and its size in bytes. Clients show
 * it as a download card; the node that shows the card need not hold the file (`GET /files/:id` fetches it).
 */
export interface FileReference {
  readonly id: string;
  readonly name: string;
  readonly size: number;
}

const RULE =
  'The field "file" must be {id, name, size}: id the 64 lower-case hex digits of a file id, name a file name, ' +
  'size a whole number of bytes';

/**
 * The `file` of a message as it is kept and passed on: `undefined` when absent (or null), else exactly
 * `{id, name, size}` (other keys inside it are dropped); anything else is `InvalidInput` (`invalid_file_reference`).
 * The name follows the publish rules (`checkFileName`: NFC, at most 255 bytes, no control characters, no
 * separators), so a name that passed here is the same on every node that checks it again.
 */
export function assertFileReference(file: unknown): FileReference | undefined {
  if (file === undefined || file === null) return undefined;
  if (typeof file !== 'object' || Array.isArray(file))
    throw new InvalidInput('invalid_file_reference', `${RULE}.`);
  const { id, name, size } = file as Record<string, unknown>;
  if (typeof id !== 'string' || !isFileId(id))
    throw new InvalidInput('invalid_file_reference', `${RULE}; "file.id" is not a file id.`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new InvalidInput(
      'invalid_file_reference',
      `${RULE}; "file.size" is not a whole number of bytes from 0 to ${Number.MAX_SAFE_INTEGER}.`,
    );
  let checked: string;
  try {
    checked = checkFileName(name);
  } catch (error) {
    const why = error instanceof Error ? error.message : 'it is not a file name';
    throw new InvalidInput('invalid_file_reference', `${RULE}; "file.name": ${why}`);
  }
  return { id, name: checked, size };
}

/** `{file}` when there is a reference, else nothing: spread into a message so that an absent one stays absent. */
export function withFile(file: FileReference | undefined): { file?: FileReference } {
  return file === undefined ? {} : { file };
}
