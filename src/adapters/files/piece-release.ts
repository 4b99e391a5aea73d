/**
 * A piece of a file's body whose memory its maker wants back once the bytes have left the process: the maker
 * registers a release with `releaseWhenSent`, and whoever sends the piece (`sendNodeBody`) calls it from the
 * socket write's callback. A piece nobody releases is simply left to the garbage collector, so only a sender
 * that knows the bytes are gone may take the release: nothing else ever calls it.
 */
const releases = new WeakMap<Uint8Array, () => void>();

/** Registers `release` for `piece`, to be called once its bytes were written to a socket (or dropped). */
export function releaseWhenSent(piece: Uint8Array, release: () => void): void {
  releases.set(piece, release);
}

/** Takes the release registered for `piece` (at most once), or `undefined`. */
export function takeRelease(piece: Uint8Array): (() => void) | undefined {
  const release = releases.get(piece);
  if (release) releases.delete(piece);
  return release;
}
