import type { PublicEndpoint } from '../../application/ports/public-endpoint.js';
import { normalizeNodeUrl } from '../../domain/node-record.js';

/** No tunnel: the URL given with `--public-url`, else `http://127.0.0.1:<port>`. */
export class LocalPublicEndpoint implements PublicEndpoint {
  constructor(private readonly publicUrl?: string) {}

  async open(localPort: number): Promise<string> {
    return normalizeNodeUrl(this.publicUrl ?? `http://127.0.0.1:${localPort}`);
  }

  async close(): Promise<void> {}
}
