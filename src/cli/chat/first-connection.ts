import type { ChatClient } from '../../client/index.js';

export type FirstConnection = { ok: true } | { ok: false; message: string };

/**
 * Starts `client` and waits for its first open connection, at most `timeoutMs` (the client retries meanwhile).
 * A refusal by the node ends the wait at once. On failure the client is stopped.
 */
export function firstConnection(client: ChatClient, node: URL, timeoutMs: number): Promise<FirstConnection> {
  return new Promise((resolve) => {
    const done = (result: FirstConnection) => {
      clearTimeout(timer);
      unsubscribe();
      if (!result.ok) client.stop();
      resolve(result);
    };
    const unsubscribe = client.on('connection', (status) => {
      if (status.state === 'open') done({ ok: true });
      else if (status.refused)
        done({
          ok: false,
          message: `the node at ${node.href} refused the connection: ${status.lastError ?? 'refused'}`,
        });
    });
    const timer = setTimeout(() => {
      const seconds = Math.round(timeoutMs / 100) / 10;
      const last = client.connection.lastError;
      done({
        ok: false,
        message: `cannot reach the node at ${node.href} within ${seconds} s${last ? ` (${last})` : ''}`,
      });
    }, timeoutMs);
    client.start();
  });
}
