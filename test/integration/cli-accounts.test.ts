// The meshchat command's accounts against real nodes on 127.0.0.1 (built CLI as child processes, nodes in this
// process): `register` and `chat --login` with MESHCHAT_PASSWORD, a wrong password as one line and exit 1, and
// a direct-message round trip between two `chat --json` scripts on two nodes, and `/users` on GET /users. Every
// wait polls with a deadline.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listUsers } from '../../src/cli/account/node-accounts.js';
import { formatUserList } from '../../src/cli/chat/format.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { type CliProcess, runCli } from '../support/processes.js';

const WAIT = { timeout: 15_000, interval: 25 };
const PASSWORD = 'correct horse battery';

const nodes: MeshNode[] = [];
const processes: CliProcess[] = [];

afterEach(async () => {
  for (const p of processes.splice(0)) p.child.kill('SIGKILL');
  await stopAll(nodes);
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const p = runCli(args, env);
  processes.push(p);
  return p;
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('meshchat register and chat --login', () => {
  it('registers, refuses a taken name and a wrong password with one line, and needs a password', async () => {
    const a = await startTestNode('node-a');
    nodes.push(a);
    const made = cli(['register', '--node', a.url, '--name', 'Alice'], { MESHCHAT_PASSWORD: PASSWORD });
    expect(await made.exited).toBe(0);
    expect(made.stdout()).toBe('registered alice@node-a\n');

    const again = cli(['register', '--node', a.url, '--name', 'alice'], { MESHCHAT_PASSWORD: PASSWORD });
    expect(await again.exited).toBe(1);
    expect(again.stderr().trim().split('\n')).toHaveLength(1);
    expect(again.stderr()).toMatch(/^meshchat register: .*taken/);

    const wrong = cli(['chat', '--node', a.url, '--login', 'alice', '--json'], {
      MESHCHAT_PASSWORD: 'not the password',
    });
    expect(await wrong.exited).toBe(1);
    // --json: stderr is JSON lines for scripts, the refused login too, with the node's code.
    expect(jsonLines(wrong.stderr())).toEqual([
      {
        error: { code: 'bad_credentials', message: 'login failed: The user name or password is wrong.' },
      },
    ]);
    const wrongByHand = cli(['chat', '--node', a.url, '--login', 'alice'], {
      MESHCHAT_PASSWORD: 'not the password',
    });
    expect(await wrongByHand.exited).toBe(1);
    expect(wrongByHand.stderr()).toBe('meshchat chat: login failed: The user name or password is wrong.\n');

    // Not on a terminal and no MESHCHAT_PASSWORD: refused before any call, not read from the pipe.
    const none = cli(['chat', '--node', a.url, '--login', 'alice', '--json'], { MESHCHAT_PASSWORD: '' });
    none.child.stdin.end('{"msg":"not a password"}\n');
    expect(await none.exited).toBe(1);
    expect(jsonLines(none.stderr())).toEqual([
      { error: { code: 'no_password', message: expect.stringMatching(/MESHCHAT_PASSWORD/) } },
    ]);

    const bad = cli(['register', '--node', a.url, '--name', 'no spaces']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/^meshchat register: --name must be an account name/);

    // The address the node prints (`registered alice@node-a`) given where the name alone goes.
    const addressed = [
      cli(['chat', '--node', a.url, '--login', 'alice@node-a']),
      cli(['publish', 'README.md', '--node', a.url, '--login', 'Alice@node-a']),
      cli(['register', '--node', a.url, '--name', 'alice@node-a']),
    ];
    for (const [i, run] of addressed.entries()) {
      expect(await run.exited).toBe(2);
      const flag = i === 2 ? '--name' : '--login';
      expect(run.stderr()).toMatch(
        new RegExp(
          `^meshchat \\w+: ${flag} takes the account name alone, without @node \\(the node is --node's\\): ${flag} alice\n$`,
        ),
      );
    }
  }, 60_000);

  it('carries a direct message between two logged-in scripts on two nodes, with fromUser', async () => {
    const a = await startTestNode('node-a');
    nodes.push(a);
    const b = await startTestNode('node-b', { join: [a.url] });
    nodes.push(b);
    await vi.waitFor(() => expect(a.registry.get('node-b')?.incarnation).toBeDefined(), WAIT);
    for (const [node, name] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as const) {
      const made = cli(['register', '--node', node.url, '--name', name], { MESHCHAT_PASSWORD: PASSWORD });
      expect(await made.exited).toBe(0);
    }
    const env = { MESHCHAT_PASSWORD: PASSWORD };
    const bob = cli(['chat', '--node', b.url, '--login', 'bob', '--json'], env);
    const alice = cli(['chat', '--node', a.url, '--login', 'alice', '--json'], env);
    await vi.waitFor(() => expect(b.connectedUsers + a.connectedUsers).toBe(2), WAIT);
    // `/users` reads the node's own GET /users (200): its users with the presence their logins opened.
    expect(await listUsers(new URL(b.url))).toEqual([{ user: 'bob@node-b', online: true, lastSeen: null }]);
    expect(formatUserList((await listUsers(new URL(a.url))) ?? [])).toEqual([
      'users (1):',
      '  alice@node-a  online',
    ]);

    alice.child.stdin.write(`${JSON.stringify({ to: 'bob@node-b', msg: 'hello bob' })}\n`);
    await vi.waitFor(
      () =>
        expect(jsonLines(bob.stdout())).toContainEqual(
          expect.objectContaining({
            from: 'node-a',
            to: 'bob@node-b',
            fromUser: 'alice@node-a',
            msg: 'hello bob',
          }),
        ),
      WAIT,
    );
    bob.child.stdin.write(`${JSON.stringify({ to: 'alice@node-a', msg: 'hi alice' })}\n`);
    await vi.waitFor(
      () =>
        expect(jsonLines(alice.stdout())).toContainEqual(
          expect.objectContaining({
            from: 'node-b',
            fromUser: 'bob@node-b',
            to: 'alice@node-a',
            msg: 'hi alice',
          }),
        ),
      WAIT,
    );
    // A name node-b does not have: the script's line fails with unknown_user, and it exits 1 at the end.
    alice.child.stdin.end(`${JSON.stringify({ to: 'nobody@node-b', msg: '?' })}\n`);
    expect(await alice.exited).toBe(1);
    expect(alice.stderr()).toMatch(/"code":"unknown_user"/);
    bob.child.stdin.end();
    expect(await bob.exited).toBe(0);
  }, 60_000);

  it("a login on a node where the name has no account names the user's own node and its URL", async () => {
    const a = await startTestNode('node-a');
    nodes.push(a);
    const b = await startTestNode('node-b', { join: [a.url] });
    nodes.push(b);
    const made = cli(['register', '--node', a.url, '--name', 'alice'], { MESHCHAT_PASSWORD: PASSWORD });
    expect(await made.exited).toBe(0);
    // B's mesh directory (public, GET /users?scope=mesh) comes to list alice@node-a.
    await vi.waitFor(async () => {
      const listed = (await (await fetch(`${b.url}/users?scope=mesh`)).json()) as {
        users: { user: string }[];
      };
      expect(listed.users.map((u) => u.user)).toContain('alice@node-a');
    }, WAIT);
    const env = { MESHCHAT_PASSWORD: PASSWORD };
    const wrongNode = cli(['chat', '--node', b.url, '--login', 'alice'], env);
    expect(await wrongNode.exited).toBe(1);
    expect(wrongNode.stderr()).toBe(
      'meshchat chat: login failed: The user name or password is wrong. alice is not a user of node node-b, ' +
        `but alice@node-a is: log in on its node, --node ${a.url}\n`,
    );
    // On her own node a wrong password says nothing more: the name is hers there.
    const wrongPassword = cli(['chat', '--node', a.url, '--login', 'alice'], {
      MESHCHAT_PASSWORD: 'not it at all',
    });
    expect(await wrongPassword.exited).toBe(1);
    expect(wrongPassword.stderr()).toBe('meshchat chat: login failed: The user name or password is wrong.\n');
  }, 60_000);
});
