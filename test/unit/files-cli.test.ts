import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChunkMismatch, ChunkVerifier } from '../../src/cli/files/chunk-verifier.js';
import { parseFileRef } from '../../src/cli/files/file-ref.js';
import { formatFilesTable, listingNote } from '../../src/cli/files/files-command.js';
import { refusal } from '../../src/cli/files/node-call.js';
import { formatBytes, formatDuration, Progress } from '../../src/cli/files/progress.js';
import { localName } from '../../src/cli/files/verified-download.js';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function expected(data: Buffer, chunkSize: number) {
  const chunks = [];
  for (let at = 0; at < data.length; at += chunkSize) chunks.push(sha(data.subarray(at, at + chunkSize)));
  return { id: sha(data), size: data.length, chunkSize, chunks };
}

describe('ChunkVerifier', () => {
  const data = Buffer.from('abcdefghijklmnopqrstuvw');

  it('hands back whole chunks once verified, whatever the pieces, and checks the whole', () => {
    const verifier = new ChunkVerifier(expected(data, 5));
    const out: Buffer[] = [];
    let offset = 0;
    for (const size of [3, 4, 1, 9, 6]) {
      out.push(...verifier.push(data.subarray(offset, offset + size)));
      offset += size;
    }
    expect(out.map((b) => b.toString())).toEqual(['abcde', 'fghij', 'klmno', 'pqrst', 'uvw']);
    expect(verifier.verified).toBe(data.length);
    expect(verifier.complete()).toBe(true);
  });

  it('refuses a bad chunk, keeping where the good bytes end, and bytes past the end', () => {
    const verifier = new ChunkVerifier(expected(data, 5));
    expect(verifier.push(data.subarray(0, 5))).toHaveLength(1);
    expect(() => verifier.push(Buffer.from('zzzzz'))).toThrow(ChunkMismatch);
    expect(verifier.verified).toBe(5);
    expect(verifier.push(data.subarray(5))).toHaveLength(4);
    expect(() => verifier.push(Buffer.from('!'))).toThrow(/chunk 6/);
  });

  it('says incomplete when the chunks match a record whose id is not their hash', () => {
    const lying = { ...expected(data, 5), id: sha(Buffer.from('other')) };
    const verifier = new ChunkVerifier(lying);
    verifier.push(data);
    expect(verifier.complete()).toBe(false);
  });
});

describe('progress', () => {
  it('prints a plain line per 10 % when not on a terminal, with speed and time left', () => {
    const lines: string[] = [];
    let now = 0;
    const progress = new Progress({ write: (t) => lines.push(t) }, 1000, 200, () => now);
    for (let done = 250; done <= 1000; done += 50) {
      now += 1000;
      progress.update(done);
    }
    progress.finish();
    expect(lines.map((l) => l.trim().split(' ')[0])).toEqual([
      '30%',
      '40%',
      '50%',
      '60%',
      '70%',
      '80%',
      '90%',
      '100%',
    ]);
    expect(lines[0]).toBe(' 30%  300 B of 1000 B  50 B/s  0:14 left\n');
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
  });

  it('redraws one bar in place on a terminal, at most every 100 ms', () => {
    const out: string[] = [];
    let now = 0;
    const progress = new Progress({ write: (t) => out.push(t), isTTY: true }, 2048, 0, () => now);
    progress.update(100);
    progress.update(200);
    now += 150;
    progress.update(1024);
    progress.finish();
    expect(out).toHaveLength(4);
    expect(out[0]?.startsWith('\r\u001b[2K')).toBe(true);
    expect(out[0]).toMatch(/\[#-{23}\] {3}4%/);
    expect(out[1]).toMatch(/\[#{12}-{12}\] {2}50% {2}1\.0 KiB of 2\.0 KiB/);
    expect(out.at(-1)).toBe('\n');
  });

  it('formats sizes and durations', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(4 * 2 ** 30)).toBe('4.0 GiB');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3723)).toBe('1:02:03');
  });
});

/** One file as a node lists it, for the table's tests. */
const LISTED = {
  id: 'f'.repeat(64),
  name: 'notes.txt',
  description: '',
  size: 10,
  owner: 'bob@b',
  publishedAt: '2026-01-01T10:20:30.000Z',
  type: 'text/plain',
  chunkSize: 1,
  chunks: [],
};

describe('names and tables from a node', () => {
  it('never lets a name from a node become a path elsewhere', () => {
    expect(localName('../../etc/passwd', 'id')).toBe('.._.._etc_passwd');
    expect(localName('..', 'id')).toBe('id');
    expect(localName('a\u0000b\nc\\d', 'id')).toBe('a_b_c_d');
    expect(localName('résumé.pdf', 'id')).toBe('résumé.pdf');
    // A right-to-left override would make "report\u202Egnp.exe" read "reportexe.png" in a file manager.
    expect(localName('report\u202Egnp.exe', 'id')).toBe('reportgnp.exe');
    expect(localName('\u2066\u2069', 'id')).toBe('id');
    expect(localName('שלום.txt', 'id')).toBe('שלום.txt');
  });

  it('reads OWNER/NAME with the account name in any case, as the node keeps it', () => {
    expect(parseFileRef('Alice@node-a/Notes.txt')).toEqual({ owner: 'alice@node-a', name: 'Notes.txt' });
    expect(parseFileRef('alice@node-a/a/b')).toEqual({ owner: 'alice@node-a', name: 'a/b' });
    expect(parseFileRef('AB'.repeat(32))).toEqual({ id: 'ab'.repeat(32) });
  });

  it("shows a node's refusal with its control characters as '?'", async () => {
    const answer = new Response(
      JSON.stringify({ error: { code: 'forbi\u001bdden', message: 'no\u001b[2J\rway' } }),
      {
        status: 403,
      },
    );
    const failed = await refusal(answer, 'DELETE /files/x', 'http://127.0.0.1:3001');
    expect(failed.message).toBe('no?[2J?way (forbi?dden)');
    expect(failed.status).toBe(403);
  });

  it('names the nodes a mesh listing may lack: stale ones, then those not listed yet', () => {
    expect(listingNote([], [])).toBeUndefined();
    expect(listingNote(['b', 'c\u001b[2J'], ['b'])).toBe('possibly out of date: b; not listed yet: c?[2J');
    expect(listingNote(['b'], [])).toBe('not listed yet: b');
  });

  it('keeps control characters out of the table', () => {
    const table = formatFilesTable([{ ...LISTED, name: 'evil\u001b[2Jname', description: 'two\nlines' }]);
    expect(table.split('\n')).toHaveLength(2);
    expect(table).not.toContain('\u001b');
    expect(table).toContain('evil?[2Jname');
    expect(table).toContain('2026-01-01 10:20');
  });

  it('writes out the characters that would reorder a name in the table', () => {
    const table = formatFilesTable([{ ...LISTED, name: 'report\u202Egnp.exe' }]);
    expect(table).not.toContain('\u202E');
    expect(table).toContain('report[U+202E]gnp.exe');
  });
});
