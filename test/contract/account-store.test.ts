import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/storage/open-database.js';
import { SqliteAccountStore } from '../../src/adapters/storage/sqlite-account-store.js';
import { SqliteMessageStore } from '../../src/adapters/storage/sqlite-message-store.js';
import { InMemoryAccountStore } from '../fakes/in-memory-account-store.js';
import { describeAccountStoreContract } from './account-store-contract.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-accounts-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeAccountStoreContract('InMemoryAccountStore', () => ({ store: new InMemoryAccountStore() }), {
  durable: false,
});

describeAccountStoreContract(
  'SqliteAccountStore',
  () => {
    const dir = tempDir();
    let store = new SqliteAccountStore(openDatabase(dir));
    return {
      store,
      reopen: () => {
        store.close();
        store = new SqliteAccountStore(openDatabase(dir));
        return store;
      },
    };
  },
  { durable: true },
);

describe('SqliteAccountStore on the node database', () => {
  it('shares the connection with the other stores and leaves it open when it does not own it', async () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    const accounts = new SqliteAccountStore(db, { ownsDb: false });
    const messages = new SqliteMessageStore(db, { historySize: 10, dedupWindowMs: 1_000 }, { ownsDb: false });
    accounts.createAccount({ name: 'alice', passwordHash: 'h', createdAt: 1 });
    accounts.close();
    expect(db.open).toBe(true);
    await messages.close();
    db.close();
    const again = new SqliteAccountStore(openDatabase(dir));
    expect(again.getAccount('alice')?.passwordHash).toBe('h');
    again.close();
  });
});
