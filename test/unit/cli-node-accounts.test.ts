import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountCallFailed, listUsers, logIn } from '../../src/cli/account/node-accounts.js';

let server: Server | undefined;

/** Closes the fake node, kept-alive connections included. */
async function stop(): Promise<void> {
  const closing = server;
  server = undefined;
  closing?.closeAllConnections();
  await new Promise((resolve) => (closing ? closing.close(resolve) : resolve(undefined)));
}

afterEach(stop);

/** A node that answers every call with `status` and `body`. */
async function nodeAnswering(status: number, body: unknown): Promise<URL> {
  server = createServer((_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

describe("the CLI's account calls", () => {
  it('reads GET /users, and says a node without it (404, or 405 beside POST /users) lists nobody', async () => {
    const users = [
      { user: 'alice@a', online: true, lastSeen: null },
      { user: 'bob@a', online: false, lastSeen: '2026-01-01T00:00:00.000Z' },
      { user: 42 },
    ];
    expect(await listUsers(await nodeAnswering(200, users))).toEqual(users.slice(0, 2));
    await stop();
    expect(await listUsers(await nodeAnswering(404, { error: { code: 'not_found' } }))).toBeUndefined();
    await stop();
    expect(
      await listUsers(await nodeAnswering(405, { error: { code: 'method_not_allowed' } })),
    ).toBeUndefined();
  });

  it("turns a refused login into the node's sentence, and an unreachable node into one line", async () => {
    const refused = logIn(
      await nodeAnswering(401, {
        error: { code: 'bad_credentials', message: 'The user name or password is wrong.' },
      }),
      'alice',
      'x',
    );
    await expect(refused).rejects.toThrow(
      new AccountCallFailed('The user name or password is wrong.', 'bad_credentials'),
    );
    await stop();
    await expect(logIn(new URL('http://127.0.0.1:9'), 'alice', 'x')).rejects.toThrow(/cannot reach the node/);
  });
});
