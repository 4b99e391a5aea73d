import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { openDatabase } from '../../src/adapters/storage/open-database.js';
import { SqliteCatalogCopies } from '../../src/adapters/storage/sqlite-catalog-copies.js';
import { InMemoryCatalogCopies } from '../fakes/in-memory-catalog-copies.js';
import { describeCatalogCopiesContract } from './catalog-copies-contract.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeCatalogCopiesContract('InMemoryCatalogCopies', () => ({ copies: new InMemoryCatalogCopies() }));

describeCatalogCopiesContract('SqliteCatalogCopies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-copies-'));
  dirs.push(dir);
  let copies = new SqliteCatalogCopies(openDatabase(dir), { ownsDb: true });
  return {
    copies,
    reopen: () => {
      copies.close();
      copies = new SqliteCatalogCopies(openDatabase(dir), { ownsDb: true });
      return copies;
    },
  };
});
