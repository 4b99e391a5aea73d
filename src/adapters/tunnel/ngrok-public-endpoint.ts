import { EndpointUnavailable } from '../../application/errors.js';
import type { PublicEndpoint } from '../../application/ports/public-endpoint.js';
import { normalizeNodeUrl } from '../../domain/node-record.js';

/** The slice of `@ngrok/ngrok` this adapter uses, so a test can hand in a replacement. */
export interface NgrokModule {
  forward(config: { addr: string; authtoken: string; domain?: string }): Promise<NgrokListener>;
}
export interface NgrokListener {
  url(): string | null;
  close(): Promise<void>;
}

/** A public https URL through an ngrok tunnel to the local port (the assignment's way to get one). */
export class NgrokPublicEndpoint implements PublicEndpoint {
  #listener: NgrokListener | undefined;

  constructor(
    private readonly options: {
      authtoken?: string;
      domain?: string;
      load?: () => Promise<NgrokModule>;
    },
  ) {}

  async open(localPort: number): Promise<string> {
    const { authtoken, domain } = this.options;
    if (!authtoken) {
      throw new EndpointUnavailable(
        'NGROK_AUTHTOKEN is not set: get a token from your ngrok dashboard and export NGROK_AUTHTOKEN, or use --tunnel none.',
      );
    }
    const load = this.options.load ?? (async () => (await import('@ngrok/ngrok')) as unknown as NgrokModule);
    try {
      const ngrok = await load();
      this.#listener = await ngrok.forward({
        addr: `127.0.0.1:${localPort}`,
        authtoken,
        ...(domain ? { domain } : {}),
      });
    } catch (error) {
      throw new EndpointUnavailable(`The ngrok tunnel could not be opened: ${oneLine(error)}`);
    }
    const url = this.#listener.url();
    if (!url) {
      await this.close();
      throw new EndpointUnavailable('The ngrok tunnel opened but reported no URL.');
    }
    return normalizeNodeUrl(url);
  }

  async close(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close().catch(() => undefined);
  }
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (
    text
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? 'unknown error'
  );
}
