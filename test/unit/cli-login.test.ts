// The one login helper of the CLI (src/cli/login.ts), which `chat --login`, `register` and `publish` use: the
// password from MESHCHAT_PASSWORD, else a prompt on a terminal that echoes nothing, never from a pipe.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runPublish } from '../../src/cli/files/publish-command.js';
import { PASSWORD_ENV, PasswordUnavailable, readPassword } from '../../src/cli/login.js';
import { closedPort } from '../support/free-port.js';

/** A stdin that says it is a terminal, recording the raw mode it is put in. */
function terminal() {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, modes: [] as boolean[] });
  Object.assign(stdin, {
    setRawMode(raw: boolean) {
      stdin.modes.push(raw);
      stdin.isRaw = raw;
      return stdin;
    },
  });
  return stdin;
}

function capture() {
  let text = '';
  const stream = new PassThrough();
  stream.on('data', (d) => {
    text += d.toString();
  });
  return { stream, text: () => text };
}

describe('readPassword', () => {
  it('takes MESHCHAT_PASSWORD when set (and not empty), asking nothing', async () => {
    const stderr = capture();
    const stdin = terminal();
    expect(await readPassword({ stdin, stderr: stderr.stream }, { [PASSWORD_ENV]: 'from env' }, 'pw: ')).toBe(
      'from env',
    );
    expect(stderr.text()).toBe('');
    expect(stdin.modes).toEqual([]);
  });

  it('asks on a terminal with echo off: the prompt on stderr, backspace honoured, raw mode restored', async () => {
    const stderr = capture();
    const stdin = terminal();
    const asked = readPassword(
      { stdin, stderr: stderr.stream },
      { [PASSWORD_ENV]: '' },
      'password for alice: ',
    );
    stdin.write('pa\u007fss w');
    stdin.write('ö');
    stdin.write('rd\r');
    expect(await asked).toBe('pss wörd');
    await new Promise((resolve) => setImmediate(resolve));
    expect(stderr.text()).toBe('password for alice: \n');
    expect(stdin.modes).toEqual([true, false]);
  });

  it('gives up on Ctrl-C or Ctrl-D at the prompt', async () => {
    for (const key of ['\u0003', '\u0004']) {
      const stdin = terminal();
      const asked = readPassword({ stdin, stderr: capture().stream }, {}, 'pw: ');
      stdin.write(`secr${key}`);
      await expect(asked).rejects.toBeInstanceOf(PasswordUnavailable);
      expect(stdin.modes).toEqual([true, false]);
    }
  });

  it('never reads a password from a pipe', async () => {
    const stdin = new PassThrough();
    stdin.end('not a password\n');
    const refused = readPassword({ stdin, stderr: capture().stream }, {}, 'pw: ');
    await expect(refused).rejects.toBeInstanceOf(PasswordUnavailable);
    await expect(refused).rejects.toThrow(/MESHCHAT_PASSWORD/);
    expect(stdin.read()?.toString()).toBe('not a password\n');
  });
});

describe('meshchat publish logs in with the same helper', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('without MESHCHAT_PASSWORD and from a pipe: one line, exit 1, nothing read from stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshchat-login-'));
    dirs.push(dir);
    const file = join(dir, 'a.txt');
    writeFileSync(file, 'hello');
    const stdin = new PassThrough();
    stdin.end('piped password\n');
    const stdout = capture();
    const stderr = capture();
    const code = await runPublish(
      [file, '--node', `http://127.0.0.1:${await closedPort()}`, '--login', 'Alice'],
      { stdin, stdout: stdout.stream, stderr: stderr.stream, env: {} },
    );
    expect(code).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stderr.text()).toMatch(/^meshchat publish: login failed: no password: set MESHCHAT_PASSWORD/);
    expect(stderr.text().trim().split('\n')).toHaveLength(1);
    expect(stdout.text()).toBe('');
    expect(stdin.read()?.toString()).toBe('piped password\n');
  });
});
