// Files on the client side, without a browser: the shared core's parsers and words (sizes, who fetched a
// file, refusals), the calls FilesApi makes, the file reference on the wire both ways, the card's model, the CLI
// chat's line, the page's sent message keeping its file, and the domain's check of a reference.
import { describe, expect, it } from 'vitest';
import { fileUnavailableMessage } from '../../src/application/files/file-errors.js';
import { formatFileLine, formatMessage } from '../../src/cli/chat/format.js';
import {
  createChatClient,
  downloadRefusalText,
  FilesApi,
  fetchedBySummary,
  fetcherLabel,
  formatFileSize,
  type HttpRequest,
  parseDownloads,
  parseFileListing,
  parseFileReference,
  parseMessage,
  publishPath,
  tooLargeText,
  uploadRefusalText,
  wsSendFrame,
} from '../../src/client/index.js';
import { InvalidInput } from '../../src/domain/errors.js';
import { assertFileReference } from '../../src/domain/file-reference.js';
import { conversation, sendAndShow } from '../../web/src/conversations.js';
import { fileCardModel } from '../../web/src/file-card-model.js';
import { createState } from '../../web/src/state.js';
import { FakeTimers } from '../fakes/fake-timers.js';
import { FakeTransport } from '../fakes/fake-transport.js';

const ID = 'ab'.repeat(32);
const file = { id: ID, name: 'notes ☕.txt', size: 1536 };

describe('formatFileSize', () => {
  it('reads in binary units, one decimal from KiB up, never "1024.0"', () => {
    expect(formatFileSize(0)).toBe('0 B');
    expect(formatFileSize(1)).toBe('1 B');
    expect(formatFileSize(1023)).toBe('1023 B');
    expect(formatFileSize(1024)).toBe('1.0 KiB');
    expect(formatFileSize(1536)).toBe('1.5 KiB');
    expect(formatFileSize(1024 * 1024 - 1)).toBe('1.0 MiB');
    expect(formatFileSize(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(formatFileSize(Number.MAX_SAFE_INTEGER)).toBe('8.0 PiB');
    expect(formatFileSize(-1)).toBe('? B');
    expect(formatFileSize(Number.NaN)).toBe('? B');
  });
});

describe('the file reference on the wire', () => {
  it('is parsed when well formed and dropped (the text kept) when not', () => {
    expect(parseFileReference({ ...file, extra: 1 })).toEqual(file);
    expect(parseMessage({ msg: 'hi', file })).toEqual({ msg: 'hi', file });
    for (const bad of [
      { ...file, id: ID.toUpperCase() },
      { ...file, id: 'ab' },
      { ...file, name: '' },
      { ...file, name: 'x'.repeat(256) },
      { ...file, size: -1 },
      { ...file, size: 1.5 },
      { ...file, size: '12' },
      'notes.txt',
      [file],
      null,
    ]) {
      expect(parseFileReference(bad)).toBeUndefined();
      expect(parseMessage({ msg: 'hi', file: bad })).toEqual({ msg: 'hi' });
    }
  });

  it('is sent with the message on /ws', () => {
    expect(JSON.parse(wsSendFrame({ to: 'n2', msg: 'see', file }, 'r1'))).toEqual({
      type: 'msg',
      to: 'n2',
      msg: 'see',
      file,
      ref: 'r1',
    });
    expect(JSON.parse(wsSendFrame({ to: 'n2', msg: 'plain' }, 'r2'))).not.toHaveProperty('file');
  });

  it('is checked by the node: exactly {id, name, size}, or invalid_file_reference', () => {
    expect(assertFileReference(undefined)).toBeUndefined();
    expect(assertFileReference(null)).toBeUndefined();
    expect(assertFileReference({ ...file, more: 'dropped' })).toEqual(file);
    // Names are kept as NFC, as publish keeps them.
    expect(assertFileReference({ ...file, name: 'cafe\u0301.txt' })?.name).toBe('caf\u00e9.txt');
    for (const bad of [
      { ...file, id: 'nope' },
      { ...file, name: 'a/b' },
      { ...file, name: '..' },
      { ...file, name: 'tab\there' },
      { ...file, size: 2 ** 53 },
      { id: ID, name: 'x' },
      42,
    ]) {
      expect(() => assertFileReference(bad)).toThrow(InvalidInput);
      try {
        assertFileReference(bad);
      } catch (error) {
        expect((error as InvalidInput).code).toBe('invalid_file_reference');
        expect((error as Error).message).toMatch(/^The field "file" must be \{id, name, size\}/);
      }
    }
  });
});

describe('the CLI chat', () => {
  it('shows a message with a file as a second line with its name, size and the get command', () => {
    const line = formatMessage({
      msg: 'the notes',
      from: 'n1',
      to: 'n2',
      ts: '2026-01-01T10:00:00Z',
      file: { ...file, name: 'evil\u001b[2J.txt' },
    });
    const [text, fileLine] = line.split('\n');
    expect(text).toMatch(/n1 → n2: the notes$/);
    expect(fileLine).toBe(`  📎 evil\\x1b[2J.txt (1.5 KiB) · meshchat get ${ID}`);
    expect(formatFileLine(file)).toBe(`  📎 notes ☕.txt (1.5 KiB) · meshchat get ${ID}`);
    // A right-to-left override would turn the rest of the line around, the id to type included.
    expect(formatFileLine({ ...file, name: 'report\u202Egnp.exe' })).toBe(
      `  📎 report[U+202E]gnp.exe (1.5 KiB) · meshchat get ${ID}`,
    );
    expect(formatMessage({ msg: 'plain', from: 'n1', to: 'n2' })).not.toContain('\n');
  });
});

describe('what the files view says', () => {
  it('names who fetched a file, newest first, each once with a count', () => {
    expect(fetchedBySummary([])).toBe('not fetched yet');
    const downloads = parseDownloads({
      downloads: [
        { at: '2026-01-01T10:00:03Z', user: 'bob@b', bytes: '0-9' },
        { at: '2026-01-01T10:00:02Z', bytes: '0-9' },
        { at: '2026-01-01T10:00:01Z', node: 'node-z', bytes: '5-9' },
        { at: '2026-01-01T10:00:00Z', user: 'bob@b', bytes: '0-4' },
        { bytes: 'no time: dropped' },
        'junk',
      ],
    });
    expect(downloads).toHaveLength(4);
    expect(downloads?.map(fetcherLabel)).toEqual(['bob@b', 'anonymous', 'node node-z', 'bob@b']);
    expect(fetchedBySummary(downloads ?? [])).toBe('fetched by bob@b (2×), anonymous, node node-z');
    expect(parseDownloads({ nothing: [] })).toBeUndefined();
  });

  it('keeps only well-formed files from a listing, each content of an owner once', () => {
    const good = {
      id: ID,
      name: 'a.txt',
      description: 'd',
      size: 3,
      type: 'text/plain',
      owner: 'alice@a',
      publishedAt: '2026-01-01T00:00:00.000Z',
      chunkSize: 1048576,
      chunks: [],
    };
    const listing = parseFileListing({
      files: [good, good, { ...good, owner: 'bob@b' }, { ...good, id: 'x' }, { ...good, size: -3 }, 7],
      answered: ['a'],
      missing: ['c', 3],
    });
    expect(listing?.files.map((f) => f.owner)).toEqual(['alice@a', 'bob@b']);
    expect(listing?.missing).toEqual(['c']);
    expect(listing?.files[0]).not.toHaveProperty('chunks');
    expect(parseFileListing({ files: 'no' })).toBeUndefined();
  });

  it("says a refusal in the node's words, with what to do", () => {
    const body = (code: string, message: string) => JSON.stringify({ error: { code, message } });
    expect(uploadRefusalText(409, body('already_published', 'You already published it.'), 100)).toBe(
      'You already published it.',
    );
    expect(uploadRefusalText(413, body('file_too_large', 'Too large.'), 4 * 1024 ** 3)).toBe(
      'Too large. This node takes files of at most 4.0 GiB.',
    );
    expect(uploadRefusalText(401, body('unauthenticated', 'The token expired.'), undefined)).toBe(
      'The token expired. Sign in again to publish.',
    );
    expect(uploadRefusalText(507, body('insufficient_storage', 'The disk is full.'), undefined)).toBe(
      'The disk is full.',
    );
    expect(uploadRefusalText(507, '<html>', undefined)).toBe(
      'The node ran out of disk space; nothing was kept.',
    );
    expect(uploadRefusalText(502, '', undefined)).toBe('The node answered 502; nothing was published.');
    expect(tooLargeText('big.bin', 2048, 1024)).toBe(
      'big.bin is 2.0 KiB; this node takes files of at most 1.0 KiB.',
    );
    expect(tooLargeText('ok.bin', 1024, 1024)).toBeUndefined();
    expect(tooLargeText('ok.bin', 1024, undefined)).toBeUndefined();
  });

  it("says a refused download in plain words, never the node's hashes and URLs", () => {
    const body = (code: string, message: string) => JSON.stringify({ error: { code, message } });
    const technical = fileUnavailableMessage(ID, 'http://127.0.0.1:9/files/x: connection refused', 0, 10);
    const unavailable = downloadRefusalText(502, body('file_unavailable', technical));
    expect(unavailable).toMatch(/^No node that holds this file could send it just now/);
    expect(unavailable).not.toContain(ID);
    expect(unavailable).not.toContain('127.0.0.1');
    expect(downloadRefusalText(404, body('unknown_file', `This node has no file with id ${ID}.`))).toBe(
      'This file is no longer there: its owner may have deleted it.',
    );
    expect(downloadRefusalText(503, body('downloads_busy', 'busy'))).toMatch(/busy with other downloads/);
    expect(downloadRefusalText(401, body('unauthenticated', 'expired'))).toMatch(/sign in again/);
    // A refusal the page has no words for keeps the node's sentence; no JSON at all, the status.
    expect(downloadRefusalText(416, body('range_not_satisfiable', 'No such range.'))).toBe('No such range.');
    expect(downloadRefusalText(500, '<html>')).toBe('The node answered 500; nothing was downloaded.');
  });

  it('builds the upload path with every character of the name and description encoded', () => {
    expect(publishPath('a&b=c ☕?.txt', '')).toBe('/files?name=a%26b%3Dc%20%E2%98%95%3F.txt');
    expect(publishPath('x', '#1 + 2')).toBe('/files?name=x&description=%231%20%2B%202');
  });

  it('draws a card from its model: the name as given, the size in words, a link to the bytes', () => {
    expect(fileCardModel(file)).toEqual({
      name: 'notes ☕.txt',
      size: '1.5 KiB',
      href: `/files/${ID}`,
      saveAs: 'notes ☕.txt',
      label: 'Download notes ☕.txt (1.5 KiB)',
    });
    expect(fileCardModel({ ...file, id: '../../users' }).href).toBe('/files/invalid');
  });

  it('writes out the characters that reorder a name, so a card cannot show an .exe as a .png', () => {
    // "report" RLO "gnp.exe" reads "reportexe.png" when drawn as it is; the node takes it (not a control).
    const spoof = { ...file, name: 'report\u202Egnp.exe' };
    expect(fileCardModel(spoof)).toMatchObject({
      name: 'report[U+202E]gnp.exe',
      saveAs: 'reportgnp.exe',
      label: 'Download report[U+202E]gnp.exe (1.5 KiB)',
    });
    expect(fileCardModel({ ...file, name: 'a\u2067b\u2069\u200F.txt' }).name).toBe(
      'a[U+2067]b[U+2069][U+200F].txt',
    );
    // Right-to-left letters are not reordering characters: an Arabic name stays as it is.
    expect(fileCardModel({ ...file, name: 'تقرير.pdf' }).name).toBe('تقرير.pdf');
  });
});

describe('FilesApi', () => {
  function api(answers: Record<string, { status: number; body: unknown }>) {
    const calls: { path: string; method: string; headers: Record<string, string> }[] = [];
    const request: HttpRequest = async (path, init) => {
      calls.push({ path, method: init.method, headers: init.headers });
      const answer = answers[`${init.method} ${path}`] ?? {
        status: 404,
        body: { error: { code: 'x', message: 'none' } },
      };
      return {
        status: answer.status,
        headers: { get: () => null },
        text: async () => JSON.stringify(answer.body),
      };
    };
    return { files: new FilesApi(request), calls };
  }

  it('searches the mesh, lists an owner, reads who fetched with the token, and the size limit', async () => {
    const { files, calls } = api({
      'GET /files?scope=mesh&q=holiday%20pics&limit=50': { status: 200, body: { files: [], missing: ['c'] } },
      'GET /files?scope=mesh&owner=alice%40a': { status: 200, body: { files: [], missing: [] } },
      [`GET /files/${ID}/downloads`]: { status: 200, body: { downloads: [{ at: 't', bytes: '' }] } },
      [`DELETE /files/${ID}`]: { status: 403, body: { error: { code: 'forbidden', message: 'Not yours.' } } },
      'GET /healthz': { status: 200, body: { ok: true, files: { maxFileSize: 4096 } } },
    });
    expect(await files.list({ q: '  holiday pics ', limit: 50 })).toEqual({
      ok: true,
      value: { files: [], missing: ['c'] },
    });
    expect(await files.list({ owner: 'alice@a', q: '   ' })).toMatchObject({ ok: true });
    expect(await files.downloads('tok', ID)).toEqual({ ok: true, value: [{ at: 't', bytes: '' }] });
    expect(calls.at(-1)?.headers).toEqual({ Authorization: 'Bearer tok' });
    expect(await files.remove('tok', ID)).toEqual({
      ok: false,
      error: { code: 'forbidden', message: 'Not yours.' },
    });
    expect(await files.maxFileSize()).toBe(4096);
  });

  it('says the node cannot be reached when the request fails, and never throws', async () => {
    const files = new FilesApi(async () => {
      throw new TypeError('fetch failed');
    });
    expect(await files.list({})).toEqual({
      ok: false,
      error: { code: 'unreachable', message: 'The node cannot be reached; try again.' },
    });
    expect(await files.maxFileSize()).toBeUndefined();
  });
});

describe('the page sending a file', () => {
  it('shows its own message with the card at once and sends the reference', () => {
    const transport = new FakeTransport();
    const client = createChatClient({ transport, timers: new FakeTimers() });
    const state = createState(undefined, { has: () => false, add: () => {} });
    client.start();
    transport.accept();
    transport.frame('hello', { node: { id: 'n1', url: 'http://n1' } });
    sendAndShow(state, client, { to: 'n2', msg: 'File: notes', file });
    const shown = conversation(state, 'n2').items.find((i) => i.kind === 'msg');
    expect(shown?.kind === 'msg' && shown.message.file).toEqual(file);
    expect(shown?.kind === 'msg' && shown.sent?.file).toEqual(file);
    expect(transport.sent.at(-1)?.message).toEqual({ to: 'n2', msg: 'File: notes', file });
  });
});
