import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUse, LOCK_FILE, lockDataDir } from '../../src/adapters/storage/data-dir-lock.js';
import { NODE_ID_FILE, storedNodeId } from '../../src/adapters/storage/node-identity.js';
import { UsageError } from '../../src/cli/args.js';
import { parseNodeFlags } from '../../src/cli/node-flags.js';
import { runCli } from '../support/processes.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-identity-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A process id that is certainly gone: a child that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid as number;

describe('the node id kept in the data dir', () => {
  it('is made once and read back on every later start', () => {
    const dir = join(tempDir(), 'nested', 'node');
    const first = parseNodeFlags(['--data-dir', dir], {}).config;
    const second = parseNodeFlags(['--data-dir', dir], {}).config;
    expect(first.id).toMatch(/^node-[0-9a-f]{6}$/);
    expect(second.id).toBe(first.id);
    expect(readFileSync(join(dir, NODE_ID_FILE), 'utf8')).toBe(`${first.id}\n`);
  });

  it('is not changed by an explicit id, which wins', () => {
    const dir = tempDir();
    const kept = storedNodeId(dir, () => 'kept');
    expect(parseNodeFlags(['--data-dir', dir, '--id', 'other'], {}).config.id).toBe('other');
    expect(storedNodeId(dir, () => 'never')).toBe(kept);
  });

  it('refuses a file that does not hold a node id, with one line naming it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, NODE_ID_FILE), 'not an id\n');
    expect(() => parseNodeFlags(['--data-dir', dir], {})).toThrow(
      new UsageError(
        `--data-dir: ${join(dir, NODE_ID_FILE)} does not hold a node id; fix or remove it, or pass --id`,
      ),
    );
  });
});

describe('the data dir lock', () => {
  it('refuses a second holder while the first lives, naming it, and is free again once released', () => {
    const dir = tempDir();
    const first = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(new DataDirInUse(dir, process.pid));
    expect(() => lockDataDir(dir)).toThrow(`data dir ${dir} is in use by process ${process.pid}`);
    first.release();
    first.release();
    const second = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    second.release();
  });

  it('takes over the lock of a process that is gone, or a lock file that holds no pid', () => {
    const dir = tempDir();
    writeFileSync(join(dir, LOCK_FILE), `${deadPid()}\n`);
    const lock = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
    writeFileSync(join(dir, LOCK_FILE), 'garbage');
    lockDataDir(dir).release();
  });

  it('a release does not remove a lock that another holder has since taken', () => {
    const dir = tempDir();
    const alive = new Set([process.pid, 4242]);
    const isAlive = (pid: number) => alive.has(pid);
    const mine = lockDataDir(dir, { isAlive });
    alive.delete(process.pid);
    const theirs = lockDataDir(dir, { pid: 4242, isAlive });
    mine.release();
    expect(() => lockDataDir(dir, { pid: 7, isAlive })).toThrow('is in use by process 4242');
    theirs.release();
  });

  it('keeps a second `meshchat node` off a data dir in use, with one line, and frees it on exit', async () => {
    const dir = join(tempDir(), 'node');
    mkdirSync(dir);
    const env = { MESHCHAT_DATA_DIR: dir, PORT: '0' };
    const first = runCli(['node'], env);
    try {
      const [, id] = (await first.waitForOutput(/meshchat node (\S+) listening at/)) ?? [];
      const second = runCli(['node'], env);
      expect(await second.exited).toBe(1);
      const pid = first.child.pid;
      expect(second.stderr()).toBe(`meshchat node: data dir ${dir} is in use by process ${pid}\n`);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      // Same id on the next start: the id is the data dir's.
      const third = runCli(['node'], env);
      await third.waitForOutput(new RegExp(`meshchat node ${id} listening at`));
      third.child.kill('SIGKILL');
      expect(await third.exited).toBe('SIGKILL');
      // A killed node leaves a stale lock, which the next start takes over.
      const fourth = runCli(['node'], env);
      await fourth.waitForOutput(new RegExp(`meshchat node ${id} listening at`));
      fourth.child.kill('SIGTERM');
      expect(await fourth.exited).toBe(0);
    } finally {
      first.child.kill('SIGKILL');
    }
  });
});
