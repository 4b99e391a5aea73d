// Fetching a file from other nodes, on fakes: holders are in-memory byte sources behind a fake `FileSource`
// (which can flip a byte, cut the stream, or refuse), the catalog a fake locator; the partial download is the
// real journaled one in a temp dir. Checks holder choice and set-aside, one shared fetch per file, a bad chunk
// fetched again from another holder, a cut stream resumed at its last verified chunk, and clear failures.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiskContentStore } from '../../src/adapters/files/disk-content-store.js';
import { JournaledPartialDownloads } from '../../src/adapters/files/journaled-partial-downloads.js';
import { DownloadsBusy, FileFetchFailed, FileUnavailable } from '../../src/application/files/file-errors.js';
import { type Candidate, HolderChoice, SET_ASIDE_MS } from '../../src/application/files/holder-choice.js';
import type { FileLocator } from '../../src/application/files/mesh-catalog.js';
import { RemoteFiles } from '../../src/application/files/remote-files.js';
import type { FileSource } from '../../src/application/ports/files/file-source.js';
import type { FileRecord } from '../../src/domain/file-record.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { pushPieces } from '../fakes/pushed-pieces.js';
import { RecordingAuditTrail } from '../fakes/recording-audit-trail.js';
import { fileRecordOf } from '../support/file-records.js';

const CHUNK = 1024;

const recordOf = (bytes: Buffer): FileRecord =>
  fileRecordOf(bytes, { name: 'f.bin', owner: 'alice@h1', chunkSize: CHUNK });

describe('HolderChoice', () => {
  const a: Candidate = { id: 'a', url: 'http://a', relay: false };
  const b: Candidate = { id: 'b', url: 'http://b', relay: false };
  const r: Candidate = { id: 'r', url: 'http://r', relay: true };

  it('asks holders in order, then the one with fewer failures in this transfer, at most two failures each', () => {
    const choice = new HolderChoice(() => 0);
    expect(choice.next([a, b, r], new Map())).toBe(a);
    expect(choice.next([a, b, r], new Map([['a', 1]]))).toBe(b);
    expect(
      choice.next(
        [a, b, r],
        new Map([
          ['a', 1],
          ['b', 1],
        ]),
      ),
    ).toBe(r);
    expect(
      choice.next(
        [a, b, r],
        new Map([
          ['a', 1],
          ['b', 1],
          ['r', 1],
        ]),
      ),
    ).toBe(a);
    expect(
      choice.next(
        [a, b],
        new Map([
          ['a', 2],
          ['b', 2],
        ]),
      ),
    ).toBeUndefined();
  });

  it('sets a holder aside after its second bad chunk, for SET_ASIDE_MS, then forgets its strikes', () => {
    let now = 0;
    const choice = new HolderChoice(() => now);
    expect(choice.badData('a')).toBe(false);
    expect(choice.isSetAside('a')).toBe(false);
    expect(choice.badData('a')).toBe(true);
    expect(choice.next([a, b], new Map())).toBe(b);
    expect(choice.setAside()).toEqual(['a']);
    now += SET_ASIDE_MS - 1;
    expect(choice.isSetAside('a')).toBe(true);
    now += 1;
    expect(choice.isSetAside('a')).toBe(false);
    expect(choice.next([a, b], new Map())).toBe(a);
    // Its strikes start again from none.
    expect(choice.badData('a')).toBe(false);
  });
});

interface Holder {
  bytes: Buffer;
  flipAt?: number;
  cutAt?: number;
  refuse?: boolean;
  /** Answers, then sends nothing until the fetch is aborted. */
  stall?: boolean;
}

/** Holders by URL; each fetch is recorded with its start, and what it sent. */
function fakeSource(holders: Map<string, Holder>) {
  const fetches: Array<{ url: string; start: number; relay: boolean }> = [];
  let sent = 0;
  const source: FileSource = {
    async fetch(url, _id, start, receive, options) {
      fetches.push({ url, start, relay: options.relay });
      const holder = holders.get(url);
      if (!holder || holder.refuse) throw new FileFetchFailed(`${url} refused the connection`, 'unreachable');
      const body = (async function* () {
        if (holder.stall) {
          await new Promise((resolve) => options.signal.addEventListener('abort', resolve));
          return;
        }
        for (let at = start; at < holder.bytes.length; at += 300) {
          if (holder.cutAt !== undefined && at >= holder.cutAt) {
            // Cut once: the holder is back for the next request.
            holder.cutAt = undefined;
            throw new Error('socket hang up');
          }
          const piece = Buffer.from(holder.bytes.subarray(at, Math.min(at + 300, holder.bytes.length)));
          const flip = holder.flipAt;
          if (flip !== undefined && flip >= at && flip < at + piece.length)
            piece[flip - at] = (piece[flip - at] ?? 0) ^ 1;
          sent += piece.length;
          await new Promise((resolve) => setImmediate(resolve));
          yield piece;
        }
      })();
      await pushPieces(body, receive);
    },
  };
  return { source, fetches, sent: () => sent };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(holders: Map<string, Holder>, listed: string[], maxTransfers = 4) {
  const root = mkdtempSync(join(tmpdir(), 'meshchat-remote-'));
  dirs.push(root);
  const content = new DiskContentStore(root);
  const partials = new JournaledPartialDownloads(content);
  const registry = new PeerRegistry({ id: 'me', url: 'http://me' });
  for (const url of holders.keys()) registry.announce({ id: new URL(url).hostname, url });
  const records = new Map<string, FileRecord>();
  const locator: FileLocator = {
    locate: (id) => {
      const record = records.get(id);
      return record ? { record, holders: listed } : undefined;
    },
    hasCatalog: () => true,
  };
  const { source, fetches, sent } = fakeSource(holders);
  const audit = new RecordingAuditTrail();
  const remote = new RemoteFiles(
    { node: 'me', registry, locator, content, partials, source, clock: new FakeClock(), audit },
    { maxTransfers },
  );
  return { remote, records, fetches, sent, content, partials, audit };
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

describe('RemoteFiles', () => {
  it('serves two clients of one file from a single fetch, and a range of it', async () => {
    const bytes = randomBytes(5 * CHUNK + 3);
    const { remote, records, fetches, sent, content } = setup(new Map([['http://h1', { bytes }]]), ['h1']);
    const record = recordOf(bytes);
    records.set(record.id, record);
    const [whole, part] = await Promise.all([
      remote.open(record, undefined, false).then(readAll),
      remote.open(record, { start: 2000, end: 4000 }, false).then(readAll),
    ]);
    expect(whole).toEqual(bytes);
    expect(part).toEqual(bytes.subarray(2000, 4001));
    expect(fetches).toEqual([{ url: 'http://h1', start: 0, relay: false }]);
    expect(sent()).toBe(bytes.length);
    expect(await content.has(record.id)).toBe(true);
  });

  it('a chunk that fails its check is fetched again from another holder, from the last verified chunk', async () => {
    const bytes = randomBytes(4 * CHUNK);
    const { remote, records, fetches, audit } = setup(
      new Map([
        ['http://h1', { bytes, flipAt: 2 * CHUNK + 10 }],
        ['http://h2', { bytes }],
      ]),
      ['h1', 'h2'],
    );
    const record = recordOf(bytes);
    records.set(record.id, record);
    expect(await readAll(await remote.open(record, undefined, false))).toEqual(bytes);
    expect(fetches.map((f) => `${f.url}@${f.start}`)).toEqual(['http://h1@0', `http://h2@${2 * CHUNK}`]);
    expect(remote.setAside()).toEqual([]);
    expect(audit.records.at(-1)?.object).toBe(`file ${record.id} from h1,h2`);

    const other = randomBytes(2 * CHUNK);
    const two = setup(
      new Map([
        ['http://h1', { bytes: other, flipAt: 5 }],
        ['http://h2', { bytes: other }],
      ]),
      ['h1', 'h2'],
    );
    const otherRecord = recordOf(other);
    two.records.set(otherRecord.id, otherRecord);
    expect(await readAll(await two.remote.open(otherRecord, undefined, false))).toEqual(other);
    expect(two.remote.setAside()).toEqual([]);
  });

  it('a holder that sends bad bytes twice is set aside and no client ever gets a byte that failed', async () => {
    const bytes = randomBytes(3 * CHUNK);
    const { remote, records, fetches } = setup(
      new Map([
        ['http://h1', { bytes, flipAt: CHUNK + 1 }],
        ['http://h2', { bytes, refuse: true }],
      ]),
      ['h1', 'h2'],
    );
    const record = recordOf(bytes);
    records.set(record.id, record);
    const body = await remote.open(record, undefined, false);
    const got: Buffer[] = [];
    await expect(
      (async () => {
        for await (const part of body) got.push(Buffer.from(part));
      })(),
    ).rejects.toBeInstanceOf(FileUnavailable);
    // What the client got is exactly the verified first chunk.
    expect(Buffer.concat(got)).toEqual(bytes.subarray(0, CHUNK));
    expect(remote.setAside()).toEqual(['h1']);
    // h2 refused once is not asked again in this transfer; h1's second bad chunk sets it aside.
    expect(fetches.map((f) => `${f.url}@${f.start}`)).toEqual([
      'http://h1@0',
      `http://h2@${CHUNK}`,
      `http://h1@${CHUNK}`,
    ]);
    // The verified chunk is kept for the next try.
    expect(readdirSync(join(dirs.at(-1) as string, 'partial')).sort()).toEqual(
      [`${record.id}.journal`, `${record.id}.part`].sort(),
    );
  });

  it('a stream cut mid-chunk resumes at the last verified chunk, re-sending less than one chunk', async () => {
    const bytes = randomBytes(6 * CHUNK);
    const holder: Holder = { bytes, cutAt: 3 * CHUNK + 600 };
    const { remote, records, fetches, sent } = setup(new Map([['http://h1', holder]]), ['h1']);
    const record = recordOf(bytes);
    records.set(record.id, record);
    const body = await remote.open(record, undefined, false);
    const got: Buffer[] = [];
    for await (const part of body) got.push(Buffer.from(part));
    expect(Buffer.concat(got)).toEqual(bytes);
    expect(fetches.map((f) => f.start)).toEqual([0, 3 * CHUNK]);
    expect(sent() - bytes.length).toBeLessThan(CHUNK);
  });

  it('nobody to ask is 502 file_unavailable before any byte; the cap on transfers is 503', async () => {
    const bytes = randomBytes(CHUNK);
    const { remote, records } = setup(new Map([['http://h1', { bytes, refuse: true }]]), ['h1'], 1);
    const record = recordOf(bytes);
    records.set(record.id, record);
    await expect(remote.open(record, undefined, false)).rejects.toThrow(/h1 refused the connection/);

    const slow = setup(new Map([['http://h1', { bytes, stall: true }]]), ['h1'], 1);
    const big = recordOf(randomBytes(50 * CHUNK));
    const bigToo = recordOf(randomBytes(CHUNK));
    slow.records.set(big.id, big);
    const first = slow.remote.open(big, undefined, false).catch((error: unknown) => error);
    await vi.waitFor(() => expect(slow.fetches.length).toBeGreaterThan(0));
    await expect(slow.remote.open(bigToo, undefined, false)).rejects.toBeInstanceOf(DownloadsBusy);
    await slow.remote.stop();
    expect(await first).toBeInstanceOf(FileUnavailable);
  });

  it('a relayed request asks holders only; every fetch asks the other node not to relay', async () => {
    const bytes = randomBytes(CHUNK);
    const { remote, records, fetches } = setup(
      new Map([
        ['http://h1', { bytes, refuse: true }],
        ['http://other', { bytes }],
      ]),
      ['h1'],
    );
    const record = recordOf(bytes);
    records.set(record.id, record);
    await expect(remote.open(record, undefined, true)).rejects.toBeInstanceOf(FileUnavailable);
    expect(fetches).toEqual([{ url: 'http://h1', start: 0, relay: false }]);
    expect(await readAll(await remote.open(record, undefined, false))).toEqual(bytes);
    // Asked as a relay, `other` is still told not to relay in turn.
    expect(fetches.at(-1)).toEqual({ url: 'http://other', start: 0, relay: false });
  });

  it("a relay's request never waits on a fetch through a relay: the transfer turns to holders only", async () => {
    const bytes = randomBytes(3 * CHUNK);
    // h1 holds the file but breaks off its first answer before a byte; `peer` is a relay that never sends
    // (as a node fetching the same file through this one would: each waiting on the other).
    const peer: Holder = { bytes, stall: true };
    const { remote, records, fetches } = setup(
      new Map([
        ['http://h1', { bytes, cutAt: 0 }],
        ['http://peer', peer],
      ]),
      ['h1'],
    );
    const record = recordOf(bytes);
    records.set(record.id, record);
    const local = remote.open(record, undefined, false).then(readAll);
    await vi.waitFor(() => expect(fetches.map((f) => f.url)).toEqual(['http://h1', 'http://peer']));
    // Now `peer` asks this node for the same file, as a relay (`Meshchat-Relay: 1`).
    const relayed = remote.open(record, undefined, true).then(readAll);
    // Both are served from the holder: the stalled fetch through `peer` was dropped, never waited out.
    expect(await relayed).toEqual(bytes);
    expect(await local).toEqual(bytes);
    expect(fetches.map((f) => f.url)).toEqual(['http://h1', 'http://peer', 'http://h1']);
  });

  it("a relay's request that joins a transfer with no holder left fails at once, not after a timeout", async () => {
    const bytes = randomBytes(CHUNK);
    const peer: Holder = { bytes, stall: true };
    const { remote, records, fetches } = setup(
      new Map([
        ['http://h1', { bytes, refuse: true }],
        ['http://peer', peer],
      ]),
      ['h1'],
    );
    const record = recordOf(bytes);
    records.set(record.id, record);
    const local = remote.open(record, undefined, false);
    await vi.waitFor(() => expect(fetches.map((f) => f.url)).toEqual(['http://h1', 'http://peer']));
    await expect(remote.open(record, undefined, true)).rejects.toBeInstanceOf(FileUnavailable);
    await expect(local).rejects.toBeInstanceOf(FileUnavailable);
    // Holders only held for that transfer: the next one from this node's client may use the relay again.
    peer.stall = false;
    expect(await readAll(await remote.open(record, undefined, false))).toEqual(bytes);
    expect(fetches.at(-1)).toEqual({ url: 'http://peer', start: 0, relay: false });
  });
});
