import type { FilePieceReceiver } from '../../src/application/ports/files/file-source.js';

/**
 * Hands the pieces of `body` to `receive` as a `FileSource` does: in order, waiting whenever the receiver asks
 * to, its error ending the push. For fake sources written as async generators.
 */
export async function pushPieces(body: AsyncIterable<Uint8Array>, receive: FilePieceReceiver): Promise<void> {
  for await (const piece of body) {
    const wait = receive(piece);
    if (wait) await wait;
  }
}
