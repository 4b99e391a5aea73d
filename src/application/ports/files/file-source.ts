/**
 * Fetches the bytes of a file from another node over plain HTTP (never over a peer link: a link frame holds at
 * most 4 MiB of JSON), under the node's outbound address policy.
 *
 * - `fetch(url, id, start)` sends ONE `GET <url>/files/<id>` with `Range: bytes=<start>-` (none when `start` is
 *   0) and `If-Range: "<id>"`, and resolves once the holder answered `206` at `start` (or `200` for `start`
 *   0) with the body as it streams: every byte to the end of the file, in order. A body that ends early or
 *   breaks makes the iteration end or throw: the caller counts what it got.
 * - `relay: false` asks the node not to fetch the file through a third node for this call (header
 *   `Meshchat-Relay: 1`): it answers from its store or fetches from holders only. Nodes send it on every
 *   fetch, so a relay never chains and two nodes never wait on each other.
 * - `node` is the fetching node's own id, sent as `Meshchat-Node` so the owner's list of downloads
 *   (`GET /files/:id/downloads`) names it.
 * - Rejects with `FileFetchFailed` before the first byte; aborting `signal` ends the body and the connection.
 * - No whole-call timeout (a large file takes long); the adapter bounds the wait for the headers and for
 *   each piece of the body.
 */
export interface FileSource {
  fetch(
    url: string,
    id: string,
    start: number,
    options: { readonly relay: boolean; readonly node?: string; readonly signal: AbortSignal },
  ): Promise<AsyncIterable<Uint8Array>>;
}
