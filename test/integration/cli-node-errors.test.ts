// What an operator meets when `meshchat node` cannot use its data dir: one line `meshchat node: …` naming the
// dir or file and why in words (no `EACCES: …, mkdir '…'`), and exit 1, as docs/operations.md says of a node
// that cannot start; never a node that starts and then fails every save. The node runs as a child process on
// 127.0.0.1; where file permissions matter, a root test runner (whom modes do not bind) runs it with the path
// mounted read-only (`unwritable`).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, runCliToEnd, unwritable, unwritableReason } from '../support/processes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temp dir anyone may enter and write in (a child run as another user works in it). */
function openDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-node-errors-'));
  chmodSync(dir, 0o777);
  dirs.push(dir);
  return dir;
}

function expectOneLine(stderr: string) {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^meshchat node: /);
  expect(stderr).not.toMatch(/E[A-Z]{3,}:|\n\s+at /);
}

describe('meshchat node with a data dir it cannot use', () => {
  it('without --id, a data dir that cannot be made is one line and exit 1, not a flag error', async () => {
    const file = join(openDir(), 'a-file');
    writeFileSync(file, 'not a directory');
    const run = await runCliToEnd(['node', '--port', '0', '--data-dir', join(file, 'data')]);
    expect(run.code, run.stderr).toBe(1);
    expectOneLine(run.stderr);
    expect(run.stderr).toBe(
      `meshchat node: cannot read the node id from ${join(file, 'data', 'node-id')}: a part of its path is not a directory\n`,
    );
  });

  it('a data dir where mkdir cannot succeed (under /proc) fails at once: one line, exit 1, no hang', async () => {
    // Node's recursive mkdir looped for ever here: /proc exists, and mkdir in it answers ENOENT, which it read
    // as "make the parent first". With --id the id file is not read, so the lock is the first to make the dir.
    const why = 'exists, but its file system does not let a directory be made in it';
    const procs = [
      runCli(['node', '--port', '0', '--data-dir', '/proc/meshchat-test/data']),
      runCli(['node', '--port', '0', '--id', 'p', '--data-dir', '/proc/self/meshchat-test']),
    ];
    let timer: NodeJS.Timeout | undefined;
    const runs = await Promise.race([
      Promise.all(procs.map(async (p) => ({ code: await p.exited, stderr: p.stderr() }))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('meshchat node did not exit within 15 s')), 15_000);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      // A hung node spins in a system call loop: it must not outlive the test.
      for (const p of procs) p.child.kill('SIGKILL');
    });
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(1);
      expectOneLine(run.stderr);
    }
    expect(runs[0]?.stderr).toBe(
      `meshchat node: cannot create the data dir /proc/meshchat-test/data: /proc ${why}\n`,
    );
    expect(runs[1]?.stderr).toBe(
      `meshchat node: cannot create the data dir /proc/self/meshchat-test: /proc/self ${why}\n`,
    );
  });

  it('the default data dir in a directory the node may not write: one line naming it, exit 1', async () => {
    const cwd = openDir();
    chmodSync(cwd, 0o555);
    const run = await runCliToEnd(['node', '--port', '0'], { MESHCHAT_DATA_DIR: '' }, 20_000, undefined, {
      cwd,
      ...unwritable([cwd]),
    });
    expect(run.code, run.stderr).toBe(1);
    expectOneLine(run.stderr);
    // No `--data-dir:` either: the operator gave no such flag.
    expect(run.stderr).toBe(
      `meshchat node: cannot create the data dir .meshchat/node: ${unwritableReason}\n`,
    );
  });

  it('a database file the node may not write stops the start with one line, exit 1', async () => {
    // A node ran here once (its tables exist), then its database became another's or read-only: it used to
    // start, and log a failed save every second.
    const dataDir = join(openDir(), 'node');
    const args = ['node', '--port', '0', '--id', 'ro', '--log-level', 'error'];
    const env = { MESHCHAT_DATA_DIR: dataDir };
    const first = runCli(args, env);
    await first.waitForOutput(/listening at/);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const db = join(dataDir, 'meshchat.db');
    chmodSync(db, 0o444);
    const run = await runCliToEnd(args, env, 10_000, undefined, unwritable([db]));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).not.toMatch(/listening/);
    expectOneLine(run.stderr);
    expect(run.stderr).toBe(
      `meshchat node: Cannot open the data dir ${dataDir}: ${join(dataDir, 'meshchat.db')} cannot be written by this process (check its owner and permissions)\n`,
    );
  });
});

describe('meshchat node whose seed refuses it', () => {
  it('says the seed did not take it in, not that no seed answered', async () => {
    const keyFile = join(openDir(), 'key');
    writeFileSync(keyFile, 'a network key of thirty-two chars\n');
    const seed = runCli(['node', '--port', '0', '--id', 'seed', '--network-key-file', keyFile]);
    try {
      const [, url] = await seed.waitForOutput(/listening at (\S+)\n/);
      const run = await runCliToEnd(['node', '--port', '0', '--join', url as string]);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(
        /^meshchat node: No seed node took this node in, so this node joined no network \(.* 401: This node belongs to a private network/,
      );
    } finally {
      seed.child.kill('SIGTERM');
      await seed.exited;
    }
  });
});

describe('meshchat node whose seed fails', () => {
  it('says the seed failed with its status, not that it refused, and that the node did not start', async () => {
    // Not a meshchat node: a server that fails every call, as a seed with a broken disk or a bug would.
    const asked: string[] = [];
    const seed = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
    });
    await new Promise<void>((resolve) => seed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(seed.address() as AddressInfo).port}`;
    try {
      const run = await runCliToEnd(['node', '--port', '0', '--join', url]);
      expect(run.code, run.stderr).toBe(1);
      expect(asked).toContain('GET /nodes');
      expectOneLine(run.stderr);
      expect(run.stderr).toBe(
        `meshchat node: The seed node failed (an error of the seed, not a refusal), so this node joined no network (${url}: ${url} answered GET /nodes with 500: Internal Server Error). This node did not start: start it again once the seed works, or --join another node.\n`,
      );
      expect(run.stderr).not.toMatch(/took this node in|No seed node answered/);
    } finally {
      await new Promise((resolve) => seed.close(resolve));
    }
  });
});
