import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { openDatabase } from '../../src/adapters/storage/open-database.js';
import { SqliteInbox } from '../../src/adapters/storage/sqlite-inbox.js';
import { InMemoryInbox } from '../fakes/in-memory-inbox.js';
import { describeInboxContract } from './inbox-contract.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeInboxContract('InMemoryInbox', () => ({ inbox: new InMemoryInbox() }), { durable: false });

describeInboxContract(
  'SqliteInbox',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshchat-inbox-'));
    dirs.push(dir);
    let inbox = new SqliteInbox(openDatabase(dir));
    return {
      inbox,
      reopen: () => {
        inbox.close();
        inbox = new SqliteInbox(openDatabase(dir));
        return inbox;
      },
    };
  },
  { durable: true },
);
