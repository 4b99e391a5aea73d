import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryAccountStore } from '../../src/adapters/storage/memory-account-store.js';
import { SqliteFileCatalog } from '../../src/adapters/storage/sqlite-file-catalog.js';
import { Forbidden, Unauthenticated } from '../../src/application/accounts/account-errors.js';
import {
  AlreadyPublished,
  FileTooLarge,
  StorageFull,
  UnknownFile,
} from '../../src/application/files/file-errors.js';
import { VersionedFileCatalog } from '../../src/application/files/versioned-catalog.js';
import type { FileCatalog } from '../../src/application/ports/files/file-catalog.js';
import { InvalidInput } from '../../src/domain/errors.js';
import { wireAccounts } from '../../src/wiring/wire-accounts.js';
import { wireFileStore, wireFiles } from '../../src/wiring/wire-files.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakePasswordHasher } from '../fakes/fake-password-hasher.js';
import { InMemoryContentStore } from '../fakes/in-memory-content-store.js';
import { RecordingAuditTrail } from '../fakes/recording-audit-trail.js';
import { SequentialSessionTokens } from '../fakes/sequential-session-tokens.js';

const PASSWORD = 'correct horse battery';

/** A body that records whether anything read it. */
function body(text: string) {
  const seen = { read: false };
  const iterable: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      seen.read = true;
      yield Buffer.from(text);
    },
  };
  return Object.assign(iterable, { seen });
}

/** See the race test: `commit` checks for the content, then waits at `gate` (when set) before settling. */
class GatedContentStore extends InMemoryContentStore {
  gate: Promise<void> | undefined;
  #reached: () => void = () => {};
  /** Resolves when a commit is waiting at the gate. */
  readonly waiting = new Promise<void>((resolve) => {
    this.#reached = resolve;
  });

  override async stage(source: AsyncIterable<Uint8Array>, limits: { readonly maxBytes: number }) {
    const staged = await super.stage(source, limits);
    return {
      ...staged,
      commit: async () => {
        const held = await this.has(staged.id);
        if (this.gate) {
          this.#reached();
          await this.gate;
        }
        if (held) await staged.discard();
        else await staged.commit();
      },
    };
  }
}

async function filesOnFakes(
  options: {
    capacity?: number;
    maxFileSize?: number;
    content?: InMemoryContentStore;
    catalog?: (inner: FileCatalog, clock: FakeClock) => FileCatalog;
  } = {},
) {
  const clock = new FakeClock();
  const audit = new RecordingAuditTrail();
  const content =
    options.content ??
    new InMemoryContentStore(options.capacity === undefined ? {} : { capacity: options.capacity });
  const records = new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true });
  const catalog = options.catalog ? options.catalog(records, clock) : records;
  // As wireNode builds them: the accounts remove a user's files through the store the file use cases share.
  const fileParts = { node: 'a', clock, audit, catalog, content };
  const store = wireFileStore(fileParts);
  const accounts = wireAccounts({
    node: 'a',
    clock,
    store: new MemoryAccountStore(),
    hasher: new FakePasswordHasher(),
    tokens: new SequentialSessionTokens(),
    audit,
    files: store.userFiles,
  });
  const { files } = wireFiles(
    { ...fileParts, authenticate: accounts.authenticate, store },
    options.maxFileSize === undefined ? {} : { maxFileSize: options.maxFileSize },
  );
  const login = async (name: string) => {
    await accounts.register.execute({ name, password: PASSWORD });
    return (await accounts.login.execute({ name, password: PASSWORD })).token;
  };
  const alice = await login('alice');
  const bob = await login('bob');
  audit.records.length = 0;
  const publish = (token: string | undefined, name: unknown, text: string, extra: object = {}) =>
    files.publish.execute({ token, name, body: body(text), ...extra });
  return { clock, audit, content, catalog, files, accounts, alice, bob, publish };
}

describe('file use cases on fakes', () => {
  let t: Awaited<ReturnType<typeof filesOnFakes>>;
  beforeEach(async () => {
    t = await filesOnFakes();
  });

  it('publishes a record owned by name@node, stamped by the clock, typed by the name, audited', async () => {
    const file = await t.publish(t.alice, 'notes.md', 'hello', { description: 'my notes' });
    expect(file).toMatchObject({
      name: 'notes.md',
      description: 'my notes',
      size: 5,
      type: 'text/markdown',
      owner: 'alice@a',
      publishedAt: '2026-01-01T00:00:00.000Z',
      chunkSize: 1024 * 1024,
    });
    expect(file.id).toMatch(/^[0-9a-f]{64}$/);
    expect(file.chunks).toEqual([file.id]);
    expect(t.catalog.byId(file.id)).toEqual([file]);
    expect(t.audit.records).toEqual([
      expect.objectContaining({
        op: 'publish',
        user: 'alice',
        object: `file ${file.id}`,
        outcome: 'ok',
        node: 'a',
      }),
    ]);
  });

  it('keeps a declared type when it is a media type, and cleans it', async () => {
    const typed = await t.publish(t.alice, 'a.bin', 'x', { declaredType: 'Image/PNG; charset=x' });
    expect(typed.type).toBe('image/png');
    const junk = await t.publish(t.alice, 'b.bin', 'y', { declaredType: 'text/html\r\nX-Evil: 1' });
    expect(junk.type).toBe('application/octet-stream');
  });

  it('refuses without a login, before reading the body, and audits the attempt', async () => {
    const upload = body('secret');
    await expect(
      t.files.publish.execute({ token: undefined, name: 'x', body: upload }),
    ).rejects.toBeInstanceOf(Unauthenticated);
    expect(upload.seen.read).toBe(false);
    expect(t.audit.summary()).toEqual(['publish:-:unauthenticated']);
  });

  it('refuses names that could be paths or break a line, keeping unicode ones', async () => {
    for (const name of [
      '../etc/passwd',
      'a/b',
      'a\\b',
      '..',
      'nul\u0000.txt',
      'line\nbreak',
      '',
      ' ',
      'é'.repeat(128),
    ]) {
      const upload = body('x');
      await expect(
        t.files.publish.execute({ token: t.alice, name, body: upload }),
        JSON.stringify(name),
      ).rejects.toThrow(InvalidInput);
      expect(upload.seen.read).toBe(false);
    }
    const unicode = await t.publish(t.alice, 'résumé "final" 日本.pdf', 'cv');
    expect(unicode.name).toBe('résumé "final" 日本.pdf');
    expect(t.audit.records.at(-1)?.outcome).toBe('ok');
    expect(t.audit.records[0]?.outcome).toBe('invalid_file_name');
  });

  it('refuses a file announced over the limit before reading it', async () => {
    t = await filesOnFakes({ maxFileSize: 4 });
    const upload = body('12345');
    await expect(
      t.files.publish.execute({ token: t.alice, name: 'big', body: upload, declaredSize: 5 }),
    ).rejects.toBeInstanceOf(FileTooLarge);
    expect(upload.seen.read).toBe(false);
    await expect(t.publish(t.alice, 'big', '12345')).rejects.toBeInstanceOf(FileTooLarge);
    expect(t.content.stored.size).toBe(0);
    expect(t.content.staging).toBe(0);
    expect(t.audit.summary()).toEqual(['publish:alice:file_too_large', 'publish:alice:file_too_large']);
  });

  it('409 for a name the user already published (before reading) or the same content again', async () => {
    await t.publish(t.alice, 'a.txt', 'same');
    const again = body('other');
    await expect(
      t.files.publish.execute({ token: t.alice, name: 'a.txt', body: again }),
    ).rejects.toBeInstanceOf(AlreadyPublished);
    expect(again.seen.read).toBe(false);
    await expect(t.publish(t.alice, 'b.txt', 'same')).rejects.toThrow(
      /already published this content as "a.txt"/,
    );
    expect(t.catalog.list({ limit: 10 })).toHaveLength(1);
    expect(t.content.staging).toBe(0);
  });

  it('stores the same content once, whoever publishes it', async () => {
    const mine = await t.publish(t.alice, 'a.txt', 'same bytes');
    const theirs = await t.publish(t.bob, 'copy.txt', 'same bytes');
    expect(theirs.id).toBe(mine.id);
    expect(t.content.stored.size).toBe(1);
    expect(t.catalog.byId(mine.id).map((r) => r.owner)).toEqual(['alice@a', 'bob@a']);
  });

  it("deletes only the owner's record; the bytes go with the last record", async () => {
    const file = await t.publish(t.alice, 'a.txt', 'shared');
    await t.publish(t.bob, 'b.txt', 'shared');
    const mine = await t.publish(t.bob, 'mine.txt', 'only bob');
    await expect(t.files.remove.execute({ token: t.alice, id: mine.id })).rejects.toBeInstanceOf(Forbidden);
    await expect(t.files.remove.execute({ token: t.alice, id: 'f'.repeat(64) })).rejects.toBeInstanceOf(
      UnknownFile,
    );
    await expect(t.files.remove.execute({ token: t.alice, id: '../x' })).rejects.toThrow(/64 lower-case hex/);
    await expect(t.files.remove.execute({ token: undefined, id: file.id })).rejects.toBeInstanceOf(
      Unauthenticated,
    );
    expect((await t.files.remove.execute({ token: t.alice, id: file.id })).owner).toBe('alice@a');
    expect(await t.content.has(file.id)).toBe(true);
    await t.files.remove.execute({ token: t.bob, id: file.id });
    expect(await t.content.has(file.id)).toBe(false);
    expect(await t.content.has(mine.id)).toBe(true);
    expect(t.audit.summary().filter((s) => s.startsWith('delete'))).toEqual([
      'delete:alice:forbidden',
      'delete:alice:unknown_file',
      'delete:alice:invalid_file_id',
      'delete:-:unauthenticated',
      'delete:alice:ok',
      'delete:bob:ok',
    ]);
  });

  it('a delete racing a publish of the same content never leaves a record without its bytes', async () => {
    // A store whose commit finds the content already there, then waits at a gate before dropping its copy:
    // the window in which an unserialised delete would remove the bytes the new record relies on.
    const gated = new GatedContentStore();
    t = await filesOnFakes({ content: gated });
    const first = await t.publish(t.alice, 'a.txt', 'raced');
    let open = () => {};
    gated.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const publishing = t.publish(t.bob, 'b.txt', 'raced');
    await gated.waiting;
    let deleted = false;
    const deleting = t.files.remove.execute({ token: t.alice, id: first.id }).then(() => {
      deleted = true;
    });
    for (let turn = 0; turn < 20 && !deleted; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(deleted).toBe(false);
    open();
    const [published] = await Promise.all([publishing, deleting]);
    expect(t.catalog.byId(published.id).map((r) => r.owner)).toEqual(['bob@a']);
    expect(await gated.has(published.id)).toBe(true);
  });

  it('a verified copy fetched from another node keeps its bytes when a record of it is deleted or refused', async () => {
    let own: VersionedFileCatalog | undefined;
    t = await filesOnFakes({
      catalog: (inner, clock) => {
        own = new VersionedFileCatalog(inner, clock);
        return own;
      },
    });
    const first = await t.publish(t.alice, 'shared.txt', 'fetched elsewhere too');
    own?.markHeld(first.id);
    await t.files.remove.execute({ token: t.alice, id: first.id });
    expect(t.catalog.byId(first.id)).toEqual([]);
    expect(await t.content.has(first.id)).toBe(true);
    // A publish of that content refused once its bytes are in (a name taken meanwhile) leaves them too.
    const add = vi.spyOn(own as VersionedFileCatalog, 'add').mockReturnValue('name_taken');
    await expect(t.publish(t.bob, 'again.txt', 'fetched elsewhere too')).rejects.toBeInstanceOf(
      AlreadyPublished,
    );
    add.mockRestore();
    expect(await t.content.has(first.id)).toBe(true);
    // Without the held copy, the same refusal drops the bytes nothing holds.
    const other = await t.publish(t.alice, 'other.txt', 'only here');
    await t.files.remove.execute({ token: t.alice, id: other.id });
    expect(await t.content.has(other.id)).toBe(false);
  });

  it('a full disk fails the upload with StorageFull, keeping neither bytes nor a record', async () => {
    t = await filesOnFakes({ capacity: 8 });
    await expect(t.publish(t.alice, 'big.bin', '0123456789')).rejects.toBeInstanceOf(StorageFull);
    expect(t.content.stored.size).toBe(0);
    expect(t.content.staging).toBe(0);
    expect(t.catalog.list({ limit: 10 })).toEqual([]);
    expect(t.audit.summary()).toEqual(['publish:alice:insufficient_storage']);
  });

  it('lists and searches locally, answering for this node, audited with or without a login', async () => {
    await t.publish(t.alice, 'holiday.zip', 'a', { description: 'photos from the beach' });
    await t.publish(t.bob, 'beach-map.png', 'b');
    const all = await t.files.list.execute({});
    expect(all.files.map((f) => f.name)).toEqual(['beach-map.png', 'holiday.zip']);
    expect(all).toMatchObject({ answered: ['a'], missing: [] });
    const found = await t.files.list.execute({ q: 'BEACH', token: t.alice });
    expect(found.files.map((f) => f.name)).toEqual(['beach-map.png', 'holiday.zip']);
    const mesh = await t.files.list.execute({ owner: 'Alice@a', scope: 'mesh' });
    expect(mesh.files.map((f) => f.name)).toEqual(['holiday.zip']);
    expect(mesh.answered).toEqual(['a']);
    expect((await t.files.list.execute({ q: '*' })).files).toEqual([]);
    await expect(t.files.list.execute({ owner: 'nobody' })).rejects.toThrow(InvalidInput);
    await expect(t.files.list.execute({ limit: '0' })).rejects.toThrow(/limit/);
    await expect(t.files.list.execute({ q: 'x'.repeat(257) })).rejects.toThrow(/at most 256/);
    expect(t.audit.summary().slice(2, 6)).toEqual([
      'list:-:ok',
      'search:alice:ok',
      'list:-:ok',
      'search:-:ok',
    ]);
    expect(t.audit.records[3]?.object).toBe('search "BEACH"');
    expect(t.audit.records[4]?.object).toBe('files of Alice@a');
  });

  it('downloads without a login, all or a range, and audits each download', async () => {
    const file = await t.publish(t.alice, 'a.txt', 'abcdefgh');
    const whole = await t.files.download.execute({ id: file.id });
    const read = async (it: AsyncIterable<Uint8Array>) => {
      let text = '';
      for await (const piece of it) text += Buffer.from(piece).toString();
      return text;
    };
    expect(await read(whole.body)).toBe('abcdefgh');
    const part = await t.files.download.execute({ id: file.id, range: { start: 2, end: 4 }, token: t.bob });
    expect(await read(part.body)).toBe('cde');
    await expect(t.files.download.execute({ id: '0'.repeat(64) })).rejects.toBeInstanceOf(UnknownFile);
    await expect(t.files.download.execute({ id: file.id, token: 'revoked' })).rejects.toBeInstanceOf(
      Unauthenticated,
    );
    expect(t.audit.records.slice(1).map((r) => `${r.op}:${r.user}:${r.object}:${r.outcome}`)).toEqual([
      `download:-:file ${file.id} bytes 0-7:ok`,
      `download:bob:file ${file.id} bytes 2-4:ok`,
      `download:-:file ${'0'.repeat(64)}:unknown_file`,
      `download:-:file ${file.id}:unauthenticated`,
    ]);
    expect(t.files.record.execute(file.id)).toEqual(file);
  });

  describe('unregistering a user (SPEC section 5: its published files are gone)', () => {
    const unregister = (token: string, password = PASSWORD) =>
      t.accounts.unregister.execute({ token, name: 'alice', password });

    it('removes every record of the user, and the bytes no other record holds, each audited', async () => {
      const only = await t.publish(t.alice, 'only.txt', 'only alice');
      const shared = await t.publish(t.alice, 'shared.txt', 'shared bytes');
      const bobs = await t.publish(t.bob, 'copy.txt', 'shared bytes');
      t.audit.records.length = 0;
      expect(await unregister(t.alice)).toMatchObject({ user: 'alice@a', filesRemoved: 2 });
      expect(t.catalog.list({ owner: 'alice@a', limit: 10 })).toEqual([]);
      expect(await t.content.has(only.id)).toBe(false);
      expect(await t.content.has(shared.id)).toBe(true);
      expect(t.catalog.byId(shared.id)).toEqual([bobs]);
      expect(t.audit.summary()).toEqual(['unregister:alice:ok', 'delete:alice:ok', 'delete:alice:ok']);
      expect(
        t.audit.records
          .slice(1)
          .map((r) => r.object)
          .sort(),
      ).toEqual([`file ${only.id}`, `file ${shared.id}`].sort());
    });

    it('keeps the files when the unregistration is refused', async () => {
      const file = await t.publish(t.alice, 'kept.txt', 'kept');
      await expect(unregister(t.alice, 'not the password')).rejects.toThrow();
      await expect(
        t.accounts.unregister.execute({ token: t.bob, name: 'alice', password: PASSWORD }),
      ).rejects.toBeInstanceOf(Forbidden);
      expect(t.catalog.byId(file.id)).toEqual([file]);
      expect(await t.content.has(file.id)).toBe(true);
    });

    it('removes more records than one batch reads', async () => {
      for (let i = 0; i < 501; i++) await t.publish(t.alice, `f${i}.txt`, `content ${i}`);
      expect((await unregister(t.alice)).filesRemoved).toBe(501);
      expect(t.catalog.list({ limit: 10 })).toEqual([]);
      expect(t.content.stored.size).toBe(0);
    });

    it('an upload still running when its account is removed keeps neither a record nor bytes', async () => {
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started = () => {};
      const reading = new Promise<void>((resolve) => {
        started = resolve;
      });
      const slow: AsyncIterable<Uint8Array> = {
        async *[Symbol.asyncIterator]() {
          yield Buffer.from('first part, ');
          started();
          await gate;
          yield Buffer.from('the rest');
        },
      };
      const publishing = t.files.publish.execute({ token: t.alice, name: 'late.txt', body: slow });
      await reading;
      expect((await unregister(t.alice)).filesRemoved).toBe(0);
      release();
      await expect(publishing).rejects.toBeInstanceOf(Unauthenticated);
      expect(t.catalog.list({ limit: 10 })).toEqual([]);
      expect(t.content.stored.size).toBe(0);
      expect(t.content.staging).toBe(0);
    });
  });
});
