import { FileTooLarge, UploadIncomplete } from '../../application/files/file-errors.js';

/**
 * The pieces of an upload, at most `maxBytes` in all. A source that fails mid-way is `UploadIncomplete`; one
 * that grows past the bound is `FileTooLarge`, and the source is told to stop (`return`) before anything more is
 * read. Every content store reads uploads through this, so all of them refuse alike.
 */
export async function* boundedUpload(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  let size = 0;
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await iterator.next();
    } catch {
      throw new UploadIncomplete('The upload was cut off before its end; nothing was kept.');
    }
    if (next.done) return;
    if (size + next.value.length > maxBytes) {
      await iterator.return?.();
      throw new FileTooLarge(maxBytes);
    }
    size += next.value.length;
    yield next.value;
  }
}
