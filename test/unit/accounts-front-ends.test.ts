import { describe, expect, it } from 'vitest';
import { FanOutAuditTrail } from '../../src/adapters/log/fan-out-audit-trail.js';
import {
  authenticateConnection,
  displayNameOf,
  type FrontEndAccounts,
  notePresence,
} from '../../src/adapters/users/connection-auth.js';
import type { AuditRecord } from '../../src/application/ports/accounts/audit-trail.js';
import { RecordingAuditTrail } from '../fakes/recording-audit-trail.js';
import { accountsOnFakes } from '../support/accounts.js';

const PASSWORD = 'correct horse';

function reporter() {
  const reported: unknown[] = [];
  return { reported, report: (error: unknown) => void reported.push(error) };
}

describe('logging a connection in', () => {
  it('answers the user for a good token, and unauthenticated for a bad, expired or revoked one', async () => {
    const accounts = accountsOnFakes();
    await accounts.register.execute({ name: 'alice', password: PASSWORD });
    const { token } = await accounts.login.execute({ name: 'alice', password: PASSWORD });
    const errors = reporter();
    expect(authenticateConnection(accounts, token, errors)).toMatchObject({
      ok: true,
      user: { name: 'alice', user: 'alice@node-a' },
    });
    for (const bad of ['nope', '', 7, undefined, 'x'.repeat(513)]) {
      expect(authenticateConnection(accounts, bad, errors)).toMatchObject({
        ok: false,
        error: { code: 'unauthenticated', message: expect.stringMatching(/^[A-Z].+\.$/) },
      });
    }
    accounts.logout.execute(token);
    expect(authenticateConnection(accounts, token, errors)).toMatchObject({ ok: false });
    expect(errors.reported).toEqual([]);
  });

  it('reports a fault of its own and answers internal_error, never throwing into the transport', () => {
    const errors = reporter();
    const broken: FrontEndAccounts = {
      authenticate: {
        execute: () => {
          throw new TypeError('disk on fire');
        },
      },
      presence: {
        opened: () => {
          throw new TypeError('store gone');
        },
        closed: () => {},
      },
    };
    expect(authenticateConnection(broken, 'token', errors)).toMatchObject({
      ok: false,
      error: { code: 'internal_error' },
    });
    const user = { name: 'alice', user: 'alice@a', tokenHash: 'h', expiresAt: 0 };
    expect(() => notePresence(broken, errors, 'opened', user, 'c1', 'ws')).not.toThrow();
    expect(errors.reported.map((e) => (e as Error).message)).toEqual(['disk on fire', 'store gone']);
  });

  it("shows a logged-in user's address as the display name, shortened to the name past the limit", () => {
    expect(displayNameOf({ name: 'alice', user: 'alice@node-a', tokenHash: 'h', expiresAt: 0 })).toBe(
      'alice@node-a',
    );
    const long = `alice@${'n'.repeat(64)}`;
    expect(displayNameOf({ name: 'alice', user: long, tokenHash: 'h', expiresAt: 0 })).toBe('alice');
  });
});

describe('FanOutAuditTrail', () => {
  it('hands each record to every trail, even past one that throws, and reports that one', () => {
    const first = new RecordingAuditTrail();
    const last = new RecordingAuditTrail();
    const failures: unknown[] = [];
    const trail = new FanOutAuditTrail(
      [
        first,
        {
          record: () => {
            throw new Error('database closed');
          },
        },
        last,
      ],
      (error) => failures.push(error),
    );
    const entry: AuditRecord = {
      at: '2026-01-01T00:00:00.000Z',
      node: 'a',
      user: 'alice',
      op: 'login',
      object: 'client 127.0.0.1',
      outcome: 'ok',
    };
    trail.record(entry);
    expect(first.records).toEqual([entry]);
    expect(last.records).toEqual([entry]);
    expect(failures).toHaveLength(1);
  });
});
