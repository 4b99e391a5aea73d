/**
 * Makes this node reachable by other nodes and says at which URL.
 *
 * `open` resolves with the absolute http(s) URL to announce (no trailing slash) for a server already
 * listening on `localPort`, or rejects with `EndpointUnavailable` whose message is one line naming the cause.
 * It is called once per node start; it may take seconds (a tunnel handshake). `close` releases the endpoint,
 * resolves even when nothing is open, and is idempotent.
 */
export interface PublicEndpoint {
  open(localPort: number): Promise<string>;
  close(): Promise<void>;
}
