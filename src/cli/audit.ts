// `meshchat audit`: prints the audit trail kept in a node's data dir, read-only, so it can run beside the node.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../adapters/storage/open-database.js';
import { readAuditTrail } from '../adapters/storage/sqlite-audit-trail.js';
import type { AuditQuery, AuditRecord } from '../application/ports/accounts/audit-trail.js';
import { canonicalAccountName, parseUserAddress } from '../domain/account.js';
import { USAGE_EXIT_CODE, UsageError, usageErrorFrom } from './args.js';
import { CONTROL } from './terminal-text.js';

export const AUDIT_USAGE = `Usage: meshchat audit --data-dir DIR [--since TIME] [--user U] [--json]

  --data-dir DIR  the node's data dir (read only; the node may be running)
  --since TIME    records at or after TIME: an ISO-8601 date or time (UTC unless it names a zone),
                  or a span back from now such as 90s, 30m, 24h, 7d
  --user U        records of one user: a name, or name@node
  --json          one JSON object per line instead of a table
  -h, --help      show this help`;

export interface AuditIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** The current time, for `--since 24h`. */
  readonly now?: () => number;
}

const SPAN = /^(\d+)([smhd])$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** `--since` as the ISO-8601 UTC form the trail stores, so that it compares as text. */
export function parseSince(value: string, now: number): string {
  const span = SPAN.exec(value);
  if (span) return new Date(now - Number(span[1]) * (UNIT_MS[span[2] as string] ?? 0)).toISOString();
  const iso = ISO.exec(value);
  const hasTime = value.length > 10;
  const at = iso ? Date.parse(hasTime && iso[1] === undefined ? `${value}Z` : value) : Number.NaN;
  if (Number.isNaN(at)) {
    throw new UsageError(
      `--since must be an ISO-8601 date or time (2026-01-31, 2026-01-31T12:00:00Z) or a span such as 30m, 24h, 7d (got "${value}")`,
    );
  }
  return new Date(at).toISOString();
}

function parseUser(value: string): Pick<AuditQuery, 'user' | 'node'> {
  const name = canonicalAccountName(value);
  if (name !== undefined) return { user: name };
  try {
    const address = parseUserAddress(value);
    return { user: address.name, node: address.node };
  } catch {
    throw new UsageError(`--user must be a user name or name@node (got "${value}")`);
  }
}

/** Reads the flags; throws `UsageError` (one line) for anything unusable. */
export function parseAuditFlags(
  argv: readonly string[],
  now: number,
): { help: boolean; dataDir: string; query: AuditQuery; json: boolean } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'data-dir': { type: 'string' },
        since: { type: 'string' },
        user: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw usageErrorFrom(error);
  }
  const help = values.help === true;
  const dataDir = values['data-dir'];
  if (!help && (typeof dataDir !== 'string' || dataDir === '')) {
    throw new UsageError('missing required flag --data-dir <dir>');
  }
  const since = typeof values.since === 'string' ? parseSince(values.since, now) : undefined;
  return {
    help,
    dataDir: typeof dataDir === 'string' ? dataDir : '',
    json: values.json === true,
    query: {
      ...(since === undefined ? {} : { since }),
      ...(typeof values.user === 'string' ? parseUser(values.user) : {}),
    },
  };
}

const COLUMNS = ['at', 'node', 'user', 'op', 'object', 'outcome'] as const;
const HEADERS = ['TIME', 'NODE', 'USER', 'OPERATION', 'OBJECT', 'OUTCOME'];

/** The records as a table with a header, one line each; cells cannot break a line or move the cursor. */
export function formatAuditTable(records: readonly AuditRecord[]): string {
  const rows = [HEADERS, ...records.map((r) => COLUMNS.map((column) => r[column].replace(CONTROL, '?')))];
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `meshchat audit ...`: exit 0 after printing, 2 for a bad flag or a data dir without a database, 1 if unreadable. */
export function runAudit(argv: readonly string[], io: AuditIo): number {
  let flags: ReturnType<typeof parseAuditFlags>;
  try {
    flags = parseAuditFlags(argv, io.now?.() ?? Date.now());
    if (!flags.help && !existsSync(join(flags.dataDir, DATABASE_FILE))) {
      throw new UsageError(
        `--data-dir ${flags.dataDir} holds no meshchat database (no ${DATABASE_FILE} in it)`,
      );
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`meshchat audit: ${error.message}\n`);
    return USAGE_EXIT_CODE;
  }
  if (flags.help) {
    io.stdout.write(`${AUDIT_USAGE}\n`);
    return 0;
  }
  let records: AuditRecord[];
  try {
    const db = new Database(join(flags.dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
    try {
      records = readAuditTrail(db, flags.query);
    } finally {
      db.close();
    }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    io.stderr.write(
      `meshchat audit: cannot read ${join(flags.dataDir, DATABASE_FILE)}: ${why.replace(/\s+/g, ' ')}\n`,
    );
    return 1;
  }
  if (flags.json) {
    for (const record of records) io.stdout.write(`${JSON.stringify(record)}\n`);
  } else {
    io.stdout.write(records.length === 0 ? 'no audit records\n' : `${formatAuditTable(records)}\n`);
  }
  return 0;
}
