import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveRange } from '../../src/adapters/http/byte-range.js';
import { contentDisposition } from '../../src/adapters/http/content-disposition.js';
import type { createHttpApp } from '../../src/adapters/http/create-http-app.js';
import { savedFileName } from '../../src/client/file-names.js';
import { type FileRecord, nameToSaveAs } from '../../src/domain/file-record.js';
import type { InMemoryContentStore } from '../fakes/in-memory-content-store.js';
import type { RecordingAuditTrail } from '../fakes/recording-audit-trail.js';
import { memoryHttpApp } from '../support/http-app.js';

type App = ReturnType<typeof createHttpApp>;
const PASSWORD = 'correct horse battery';

/** A body stream of `pieces`, recording how many were pulled (a chunked upload: no Content-Length). */
function streamed(pieces: Uint8Array[]) {
  const seen = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = pieces[seen.pulled];
      seen.pulled += 1;
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  return { stream, seen };
}

async function expectError(response: Response, status: number, code: string) {
  expect(response.status, code).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/json');
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(15);
  return body;
}

describe('file routes (app.request)', () => {
  let app: App;
  let audit: RecordingAuditTrail;
  let content: InMemoryContentStore;
  let alice: string;
  let bob: string;

  async function setup(options: { maxFileSize?: number; fileCapacity?: number } = {}) {
    const fixture = await memoryHttpApp(options);
    app = fixture.app;
    audit = fixture.audit;
    content = fixture.content;
    const login = async (name: string) => {
      await fixture.accounts.register.execute({ name, password: PASSWORD });
      return (await fixture.accounts.login.execute({ name, password: PASSWORD })).token;
    };
    alice = await login('alice');
    bob = await login('bob');
  }
  beforeEach(() => setup());

  const publish = (
    name: string,
    body: string | Uint8Array | ReadableStream<Uint8Array>,
    options: { token?: string; type?: string; description?: string; headers?: Record<string, string> } = {},
  ) => {
    const query = new URLSearchParams({
      name,
      ...(options.description ? { description: options.description } : {}),
    });
    return app.request(`/files?${query}`, {
      method: 'POST',
      body,
      headers: {
        ...(options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }),
        ...(options.type === undefined ? {} : { 'Content-Type': options.type }),
        ...options.headers,
      },
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
  };
  const published = async (name: string, text: string, token = alice): Promise<FileRecord> => {
    const response = await publish(name, text, { token });
    expect(response.status).toBe(201);
    return ((await response.json()) as { file: FileRecord }).file;
  };

  it('publishes the raw body, over the JSON body limit too, and answers the record', async () => {
    const big = Buffer.alloc(700 * 1024, 7);
    const response = await publish('big.bin', big, { token: alice, description: 'seven' });
    expect(response.status).toBe(201);
    const { file } = (await response.json()) as { file: FileRecord };
    expect(file).toMatchObject({ name: 'big.bin', description: 'seven', size: big.length, owner: 'alice@a' });
    expect(file.id).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('401 without a token; 400 for a name that could be a path; 409 for a name published', async () => {
    await expectError(await publish('a.txt', 'x'), 401, 'unauthenticated');
    await expectError(await publish('../../etc/passwd', 'x', { token: alice }), 400, 'invalid_file_name');
    await expectError(await publish('nul\u0000', 'x', { token: alice }), 400, 'invalid_file_name');
    await published('a.txt', 'one');
    await expectError(await publish('a.txt', 'two', { token: alice }), 409, 'already_published');
  });

  it('413 by Content-Length before a byte is read, and mid-stream as soon as the body passes the limit', async () => {
    await setup({ maxFileSize: 1000 });
    const announced = streamed([Buffer.alloc(600), Buffer.alloc(600)]);
    const early = await publish('big', announced.stream, {
      token: alice,
      headers: { 'Content-Length': '1200' },
    });
    await expectError(early, 413, 'file_too_large');
    expect(announced.seen.pulled).toBeLessThanOrEqual(1);
    const chunked = streamed(Array.from({ length: 10 }, () => Buffer.alloc(300)));
    const late = await publish('big', chunked.stream, { token: alice });
    await expectError(late, 413, 'file_too_large');
    expect(late.headers.get('connection')).toBe('close');
    expect(chunked.seen.pulled).toBeLessThan(10);
    expect(content.stored.size).toBe(0);
    expect(content.staging).toBe(0);
  });

  it('507 insufficient_storage when the disk fills, keeping nothing', async () => {
    await setup({ fileCapacity: 100 });
    await expectError(await publish('big', Buffer.alloc(200), { token: alice }), 507, 'insufficient_storage');
    expect(content.stored.size).toBe(0);
    expect(content.staging).toBe(0);
  });

  it('DELETE: 200 for the owner, 403 for another user, 404 unknown, 400 malformed', async () => {
    const file = await published('a.txt', 'mine');
    const del = (id: string, token?: string) =>
      app.request(`/files/${id}`, {
        method: 'DELETE',
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
    await expectError(await del(file.id), 401, 'unauthenticated');
    await expectError(await del(file.id, bob), 403, 'forbidden');
    await expectError(await del('a'.repeat(64), alice), 404, 'unknown_file');
    await expectError(await del('..%2F..%2Fetc', alice), 400, 'invalid_file_id');
    const gone = await del(file.id, alice);
    expect(gone.status).toBe(200);
    expect(((await gone.json()) as { file: FileRecord }).file.id).toBe(file.id);
    await expectError(await app.request(`/files/${file.id}`), 404, 'unknown_file');
  });

  it('DELETE /users/:name removes the files the user published; a content another user holds stays', async () => {
    const mine = await published('mine.txt', 'only alice');
    const shared = await published('shared.txt', 'both of us');
    await published('copy.txt', 'both of us', bob);
    const gone = await app.request('/users/alice', {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${alice}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ password: PASSWORD }),
    });
    expect(gone.status).toBe(200);
    expect(audit.summary().slice(-3)).toEqual(['unregister:alice:ok', 'delete:alice:ok', 'delete:alice:ok']);
    const listed = (await (await app.request('/files?owner=alice@a')).json()) as { files: FileRecord[] };
    expect(listed.files).toEqual([]);
    await expectError(await app.request(`/files/${mine.id}`), 404, 'unknown_file');
    expect(await content.has(mine.id)).toBe(false);
    const kept = await app.request(`/files/${shared.id}`);
    expect(await kept.text()).toBe('both of us');
  });

  describe('download', () => {
    const text = '0123456789';
    let file: FileRecord;
    beforeEach(async () => {
      file = await published('résumé "v2".txt', text);
    });
    const get = (headers: Record<string, string> = {}, method = 'GET') =>
      app.request(`/files/${file.id}`, { method, headers });

    it('serves the whole file with its headers; the name is encoded, never raw', async () => {
      const response = await get();
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(text);
      expect(response.headers.get('content-length')).toBe('10');
      expect(response.headers.get('content-type')).toBe('text/plain');
      expect(response.headers.get('etag')).toBe(`"${file.id}"`);
      expect(response.headers.get('accept-ranges')).toBe('bytes');
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="r_sum_ _v2_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.txt`,
      );
      expect(audit.records.at(-1)).toMatchObject({ op: 'download', user: '-', outcome: 'ok' });
    });

    it('answers one range with 206 and Content-Range: a-b, a- and -n', async () => {
      for (const [range, body, contentRange] of [
        ['bytes=2-4', '234', 'bytes 2-4/10'],
        ['bytes=7-', '789', 'bytes 7-9/10'],
        ['bytes=-3', '789', 'bytes 7-9/10'],
        ['bytes=8-100', '89', 'bytes 8-9/10'],
        ['bytes=-50', text, 'bytes 0-9/10'],
      ] as const) {
        const response = await get({ Range: range });
        expect(response.status, range).toBe(206);
        expect(await response.text(), range).toBe(body);
        expect(response.headers.get('content-range'), range).toBe(contentRange);
        expect(response.headers.get('content-length'), range).toBe(String(body.length));
      }
    });

    it('416 with the size for a range past the end', async () => {
      for (const range of ['bytes=10-', 'bytes=99-200', 'bytes=-0']) {
        const response = await get({ Range: range });
        await expectError(response, 416, 'range_not_satisfiable');
        expect(response.headers.get('content-range')).toBe('bytes */10');
      }
    });

    it('honours If-Range with the ETag, and sends the whole for another validator or odd ranges', async () => {
      const same = await get({ Range: 'bytes=5-', 'If-Range': `"${file.id}"` });
      expect(same.status).toBe(206);
      expect(await same.text()).toBe('56789');
      for (const headers of [
        { Range: 'bytes=5-', 'If-Range': `"${'0'.repeat(64)}"` },
        { Range: 'bytes=5-', 'If-Range': 'Wed, 21 Oct 2015 07:28:00 GMT' },
        { Range: 'bytes=0-1,4-5' },
        { Range: 'items=0-1' },
        { Range: 'bytes=5-2' },
      ] as Record<string, string>[]) {
        const whole = await get(headers);
        expect(whole.status, JSON.stringify(headers)).toBe(200);
        expect(await whole.text()).toBe(text);
      }
    });

    it('304 with no body for an If-None-Match naming the ETag (or *), not counted; another tag gets the bytes', async () => {
      const before = audit.records.length;
      for (const tag of [`"${file.id}"`, `W/"${file.id}"`, `"x", "${file.id}"`, '*']) {
        const cached = await get({ 'If-None-Match': tag, Range: 'bytes=5-' });
        expect(cached.status, tag).toBe(304);
        expect(cached.headers.get('etag')).toBe(`"${file.id}"`);
        expect(await cached.text()).toBe('');
      }
      expect(audit.records.length).toBe(before);
      const other = await get({ 'If-None-Match': `"${'0'.repeat(64)}"` });
      expect(other.status).toBe(200);
      expect(await other.text()).toBe(text);
    });

    it('HEAD gives the headers and no body, and is not counted as a download', async () => {
      const before = audit.records.length;
      const head = await get({ Range: 'bytes=1-2' }, 'HEAD');
      expect(head.status).toBe(206);
      expect(head.headers.get('content-length')).toBe('2');
      expect(await head.text()).toBe('');
      expect(audit.records.length).toBe(before);
    });

    it('serves an empty file, and the record with its chunks', async () => {
      const empty = await published('empty', '');
      const response = await app.request(`/files/${empty.id}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe('0');
      expect(await response.text()).toBe('');
      await expectError(
        await app.request(`/files/${empty.id}`, { headers: { Range: 'bytes=0-' } }),
        416,
        'range_not_satisfiable',
      );
      const record = await app.request(`/files/${file.id}/record`);
      expect(((await record.json()) as { file: FileRecord }).file).toEqual(file);
      await expectError(await app.request(`/files/${'b'.repeat(64)}/record`), 404, 'unknown_file');
    });
  });

  it('lists and searches; hostile queries get a 4xx or an empty answer, never a 5xx', async () => {
    await published('holiday.zip', 'a');
    await published('notes.txt', 'b', bob);
    const list = async (query: string) => app.request(`/files?${query}`);
    const all = await list('');
    expect(((await all.json()) as { files: FileRecord[] }).files.map((f) => f.name)).toEqual([
      'notes.txt',
      'holiday.zip',
    ]);
    const mine = (await (await list('owner=bob@a&scope=mesh')).json()) as {
      files: FileRecord[];
      answered: string[];
    };
    expect(mine.files.map((f) => f.name)).toEqual(['notes.txt']);
    expect(mine.answered).toEqual(['a']);
    const found = (await (await list('q=holi')).json()) as { files: FileRecord[] };
    expect(found.files.map((f) => f.name)).toEqual(['holiday.zip']);
    for (const q of ['"', '*', 'NEAR(', 'a" OR "b', ')(', 'holiday"*', '\u0000', 'AND OR NOT', 'col:x']) {
      const response = await list(new URLSearchParams({ q }).toString());
      expect(response.status, q).toBe(200);
    }
    await expectError(await list(`q=${'x'.repeat(300)}`), 400, 'invalid_search');
    await expectError(await list('owner=..%2F..'), 400, 'invalid_address');
    await expectError(await list('scope=galaxy'), 400, 'invalid_scope');
    await expectError(await list('limit=100000'), 400, 'invalid_limit');
  });

  it('advertises the largest file on /healthz', async () => {
    await setup({ maxFileSize: 12345 });
    const health = (await (await app.request('/healthz')).json()) as { files: { maxFileSize: number } };
    expect(health.files).toEqual({ maxFileSize: 12345 });
  });
});

describe('byte ranges and Content-Disposition', () => {
  it('resolves ranges as RFC 9110 says', () => {
    const etag = '"x"';
    expect(resolveRange(undefined, undefined, 10, etag)).toEqual({ kind: 'whole' });
    expect(resolveRange('bytes=0-0', undefined, 10, etag)).toEqual({
      kind: 'partial',
      range: { start: 0, end: 0 },
    });
    expect(resolveRange('bytes= 3 - ', etag, 10, etag)).toEqual({
      kind: 'partial',
      range: { start: 3, end: 9 },
    });
    expect(resolveRange('bytes=99999999999999999999-', undefined, 10, etag)).toEqual({
      kind: 'unsatisfiable',
    });
    expect(resolveRange('bytes=0-99999999999999999999', undefined, 10, etag)).toEqual({
      kind: 'partial',
      range: { start: 0, end: 9 },
    });
    expect(resolveRange('bytes=-', undefined, 10, etag)).toEqual({ kind: 'whole' });
    expect(resolveRange('bytes=-1', undefined, 0, etag)).toEqual({ kind: 'unsatisfiable' });
  });

  it('keeps every name inside its quotes', () => {
    expect(contentDisposition('a"b\\c%d\r\ne.txt')).toBe(
      `attachment; filename="a_b_c_d__e.txt"; filename*=UTF-8''a%22b%5Cc%25d%0D%0Ae.txt`,
    );
    expect(contentDisposition("it's (1)*.txt")).toContain("filename*=UTF-8''it%27s%20%281%29%2A.txt");
    // A right-to-left override would save report\u202Egnp.exe, which reads "reportexe.png".
    expect(contentDisposition('report\u202Egnp.exe')).toBe(
      `attachment; filename="reportgnp.exe"; filename*=UTF-8''reportgnp.exe`,
    );
  });

  it('leaves out the same text-reordering characters as the front ends do', () => {
    // The node (domain) and the page and CLI (client core, built apart) each hold the set: they must agree,
    // or a plain link and a signed-in download would save a file under different names.
    let all = '';
    for (let code = 0; code <= 0xffff; code++)
      if (code < 0xd800 || code > 0xdfff) all += String.fromCharCode(code);
    const kept = nameToSaveAs(all);
    expect(kept).toBe(savedFileName(all));
    expect(all.length - kept.length).toBe(12);
  });
});
