import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/storage/open-database.js';
import { SqliteAuditTrail } from '../../src/adapters/storage/sqlite-audit-trail.js';
import type { AuditRecord } from '../../src/application/ports/accounts/audit-trail.js';
import { runAudit } from '../../src/cli/audit.js';
import { runCli } from '../support/processes.js';

const NOW = Date.parse('2026-01-03T12:00:00.000Z');

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const record = (
  at: string,
  user: string,
  op: AuditRecord['op'],
  outcome = 'ok',
  node = 'node-a',
): AuditRecord => ({
  at,
  node,
  user,
  op,
  object: op === 'login' ? 'client 10.0.0.1' : `account ${user}@${node}`,
  outcome,
});

const RECORDS = [
  record('2026-01-01T00:00:00.000Z', 'alice', 'register'),
  record('2026-01-02T00:00:00.000Z', 'bob', 'login', 'bad_credentials'),
  record('2026-01-03T11:30:00.000Z', 'alice', 'login'),
  record('2026-01-03T11:45:00.000Z', 'alice', 'connect', 'ok', 'node-b'),
];

function dataDirWithTrail(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-audit-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  const trail = new SqliteAuditTrail(db);
  for (const r of RECORDS) trail.record(r);
  db.close();
  return dir;
}

function audit(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = runAudit(args, { stdout, stderr, now: () => NOW });
  return { code, out, err };
}

describe('meshchat audit', () => {
  it('prints the trail as a table with aligned columns', () => {
    const { code, out, err } = audit(['--data-dir', dataDirWithTrail()]);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe(`TIME${' '.repeat(22)}NODE    USER   OPERATION  OBJECT${' '.repeat(16)}OUTCOME`);
    expect(lines[2]).toBe(
      `2026-01-02T00:00:00.000Z  node-a  bob    login      client 10.0.0.1${' '.repeat(7)}bad_credentials`,
    );
  });

  it('prints JSON lines, filtered by time and user', () => {
    const dir = dataDirWithTrail();
    const json = (args: string[]) =>
      audit(['--data-dir', dir, '--json', ...args])
        .out.trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as AuditRecord);
    expect(json([])).toEqual(RECORDS);
    expect(json(['--since', '2026-01-02'])).toEqual(RECORDS.slice(1));
    expect(json(['--since', '1h'])).toEqual(RECORDS.slice(2));
    expect(json(['--since', '2026-01-03T13:00:00+02:00'])).toEqual(RECORDS.slice(2));
    expect(json(['--since', '2026-01-03T11:40:00'])).toEqual(RECORDS.slice(3));
    expect(json(['--user', 'ALICE'])).toEqual([RECORDS[0], RECORDS[2], RECORDS[3]]);
    expect(json(['--user', 'alice@node-b'])).toEqual([RECORDS[3]]);
    expect(json(['--user', 'carol'])).toEqual([]);
  });

  it('says so when there is nothing to print', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshchat-audit-'));
    dirs.push(dir);
    openDatabase(dir).close();
    expect(audit(['--data-dir', dir])).toEqual({ code: 0, out: 'no audit records\n', err: '' });
    expect(audit(['--data-dir', dir, '--json'])).toEqual({ code: 0, out: '', err: '' });
  });

  it.each([
    [[], /^meshchat audit: missing required flag --data-dir <dir>$/],
    [
      ['--data-dir', '/nonexistent/meshchat'],
      /^meshchat audit: --data-dir \/nonexistent\/meshchat holds no meshchat database/,
    ],
    [
      ['--data-dir', 'x', '--since', 'yesterday'],
      /^meshchat audit: --since must be an ISO-8601 date or time .* \(got "yesterday"\)$/,
    ],
    [['--data-dir', 'x', '--since', '2026-13-45'], /--since must be an ISO-8601/],
    [
      ['--data-dir', 'x', '--user', 'a b'],
      /^meshchat audit: --user must be a user name or name@node \(got "a b"\)$/,
    ],
    [['--data-dir', 'x', '--loud'], /^meshchat audit: unknown flag '--loud'$/],
    [['--data-dir'], /^meshchat audit: flag '--data-dir' needs a value$/],
  ])('refuses %j with one line and exit code 2', (args, message) => {
    const { code, out, err } = audit(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(err.trimEnd()).toMatch(message);
  });

  it('runs as `meshchat audit` from the built command', async () => {
    const dir = dataDirWithTrail();
    const child = runCli(['audit', '--data-dir', dir, '--user', 'bob', '--json'], { MESHCHAT_DATA_DIR: dir });
    expect(await child.exited).toBe(0);
    expect(
      child
        .stdout()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([RECORDS[1]]);
    const bad = runCli(['audit', '--since', 'soon', '--data-dir', dir], { MESHCHAT_DATA_DIR: dir });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/^meshchat audit: --since must be/);
  });
});
