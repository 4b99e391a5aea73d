/**
 * Takes the next piece of a file's body as it streams in. Returning nothing means "taken, send more"; returning a
 * promise means "wait": no piece comes until it settled. A throw or a rejection ends the fetch (the connection is
 * dropped) and `FileSource.fetch` rejects with that error. The piece is the receiver's to keep.
 */
export type FilePieceReceiver = (piece: Uint8Array) => Promise<void> | undefined;

/**
 * Fetches the bytes of a file from another node over plain HTTP (never over a peer link: a link frame holds at
 * most 4 MiB of JSON), under the node's outbound address policy.
 *
 * - `fetch(url, id, start, receive)` sends ONE `GET <url>/files/<id>` with `Range: bytes=<start>-` (none when
 *   `start` is 0) and `If-Range: "<id>"`, checks that the holder answered `206` at `start` (or `200` for
 *   `start` 0), and hands the body to `receive` piece by piece as it streams (push, not pull: no promise per
 *   piece unless the receiver asks to wait, which pauses the reading of the connection): every byte to the end
 *   of the file, in order. It resolves once the body ended, whole or early (the caller counts what it got).
 * - `relay: false` asks the node not to fetch the file through a third node for this call (header
 *   `Meshchat-Relay: 1`): it answers from its store or fetches from holders only. Nodes send it on every
 *   fetch, so a relay never chains and two nodes never wait on each other.
 * - `node` is the fetching node's own id, sent as `Meshchat-Node` so the owner's list of downloads
 *   (`GET /files/:id/downloads`) names it.
 * - Rejects with `FileFetchFailed` when it fails before the first piece (no connection, an error status, a wrong
 *   range); with the receiver's own error when `receive` failed; with any other error when the body broke off
 *   after it began. Aborting `signal` ends the fetch and drops the connection (it rejects).
 * - No whole-call timeout (a large file takes long); the adapter bounds the wait for the headers and for
 *   each piece of the body (not while the receiver asked to wait).
 */
export interface FileSource {
  fetch(
    url: string,
    id: string,
    start: number,
    receive: FilePieceReceiver,
    options: { readonly relay: boolean; readonly node?: string; readonly signal: AbortSignal },
  ): Promise<void>;
}
