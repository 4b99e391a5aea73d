import type { PublicEndpoint } from '../../application/ports/public-endpoint.js';
import { normalizeNodeUrl } from '../../domain/node-record.js';

/** Addresses that mean "every interface": they name no address another node could call. */
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * No tunnel: the URL given with `--public-url`; else `http://<host>:<port>` when the node listens on one
 * address (`--host 192.168.1.20`, `--host ::1`, `--host localhost`), since that is where other nodes reach it;
 * else (every interface, `0.0.0.0` or `::`, or an address with a zone, which no URL can name)
 * `http://127.0.0.1:<port>`, and an operator whose node other machines must reach gives `--public-url`.
 */
export class LocalPublicEndpoint implements PublicEndpoint {
  constructor(
    private readonly publicUrl?: string,
    private readonly host?: string,
  ) {}

  async open(localPort: number): Promise<string> {
    return normalizeNodeUrl(this.publicUrl ?? `http://${announcedHost(this.host)}:${localPort}`);
  }

  async close(): Promise<void> {}
}

function announcedHost(host: string | undefined): string {
  // A link-local address with its zone (`fe80::1%eth0`) has no URL form (WHATWG URLs take no zone ids).
  if (host === undefined || WILDCARD_HOSTS.has(host) || host.includes('%')) return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
