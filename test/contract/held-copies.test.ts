import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { openDatabase } from '../../src/adapters/storage/open-database.js';
import { SqliteHeldCopies } from '../../src/adapters/storage/sqlite-held-copies.js';
import { InMemoryHeldCopies } from '../fakes/in-memory-held-copies.js';
import { describeHeldCopiesContract } from './held-copies-contract.js';

const dirs: string[] = [];
const open: SqliteHeldCopies[] = [];
afterEach(() => {
  for (const held of open.splice(0)) held.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeHeldCopiesContract('InMemoryHeldCopies', () => ({ held: new InMemoryHeldCopies() }));

describeHeldCopiesContract('SqliteHeldCopies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-held-'));
  dirs.push(dir);
  let held = new SqliteHeldCopies(openDatabase(dir), { ownsDb: true });
  open.push(held);
  return {
    held,
    reopen: () => {
      held.close();
      held = new SqliteHeldCopies(openDatabase(dir), { ownsDb: true });
      open.push(held);
      return held;
    },
  };
});
