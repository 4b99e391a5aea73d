// Scenario: the mesh catalog's search and pulls, in the bench process (no network). The copies of
// `catalogPeers` fake peers' catalogs (`catalogEntries` records in all, names and descriptions drawn from a
// vocabulary with a skewed frequency, so some words are in thousands of records and some in a handful) are
// written to `SqliteCatalogCopies` in a database on disk, and a `MeshCatalog` over it is told by gossip that
// every copy is current. Then it measures:
//   - `MeshCatalog.mesh()` (what `GET /files?scope=mesh&q=` runs) for `catalogSearches` queries of varied words
//     (one or two words, whole or as 3-letter prefixes): p50/p95/p99, against the baseline in the same run, the
//     in-memory word scan the catalog used before FTS5 (`matchesWords` over every record, first 200 queries);
//   - the requests those searches cause (`listCatalog` calls of a counting peer client: expected 0 in sync);
//   - the database closed and opened again, as after a restart: the time to the first search's answer;
//   - the size of one pull for one change: a catalog of 1,000 records (the most one node serves), one
//     publish, then the `GET /files/catalog` answer as a difference (`?since=`) against the whole catalog.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ran } from '../lib/ran.js';
import { summarize } from '../lib/stats.js';
import { fixed, table } from '../lib/table.js';

/** @import { BenchOptions } from '../run.js' */
/** @import { FileRecord } from '../../dist/domain/file-record.js' */
/** @import { GossipReport, PeerClient } from '../../dist/application/ports/peer-client.js' */

export const name = 'catalog';
export const group = 'files';
export const title = 'mesh catalog: search p95 over N copied records (FTS5 vs a word scan), pulls per change';

/** Queries the baseline (a word scan of every record) is timed on: the first of the same list. */
const BASELINE_SEARCHES = 200;
/** Records of the catalog whose pull size is measured: the most one node serves. */
const HOLDER_RECORDS = 1_000;

/** @param {BenchOptions} options */
export function budgetMs(options) {
  return 60_000 + options.catalogEntries * 2 + BASELINE_SEARCHES * 1_000;
}

/**
 * A small seeded generator (mulberry32), so every run searches the same catalog.
 * @param {number} seed
 */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'ti',
  'vo',
  'ber',
  'dan',
  'fel',
  'gor',
  'hul',
  'jin',
  'por',
  'quen',
  'ste',
  'wix',
];

/**
 * `size` distinct words, and a draw skewed towards the first ones (the cube of a uniform draw).
 * @param {() => number} random
 * @param {number} size
 */
function vocabulary(random, size) {
  const words = new Set();
  while (words.size < size) {
    const n = 2 + Math.floor(random() * 3);
    let word = '';
    for (let i = 0; i < n; i++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.add(word);
  }
  const list = [...words];
  return { list, draw: () => list[Math.floor(list.length * random() ** 3)] ?? 'ka' };
}

/**
 * @param {string} owner
 * @param {number} n
 * @param {() => string} draw
 * @returns {FileRecord}
 */
function record(owner, n, draw) {
  const words = (/** @type {number} */ count) => Array.from({ length: count }, draw).join(' ');
  return {
    id: n.toString(16).padStart(64, '0'),
    name: `${words(2)} ${n}.pdf`,
    description: words(8),
    size: 1000,
    type: 'application/pdf',
    owner,
    publishedAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
    chunkSize: 1024 * 1024,
    chunks: ['ab'.repeat(32)],
  };
}

/** @param {{ options: BenchOptions, log: (line: string) => void }} context */
export async function run({ options, log }) {
  const [
    { default: Database },
    { openDatabase },
    { SqliteCatalogCopies },
    { SqliteFileCatalog },
    { MeshCatalog },
    { VersionedFileCatalog },
    { ownCatalogAnswer },
    { catalogSettings },
    { MEMBERSHIP_PROFILES },
    { MAX_CATALOG_PART_BYTES, matchesWords },
    { nodeRecord },
    { PeerRegistry },
    { SystemClock },
  ] = await Promise.all([
    import('better-sqlite3'),
    import('../../dist/adapters/storage/open-database.js'),
    import('../../dist/adapters/storage/sqlite-catalog-copies.js'),
    import('../../dist/adapters/storage/sqlite-file-catalog.js'),
    import('../../dist/application/files/mesh-catalog.js'),
    import('../../dist/application/files/versioned-catalog.js'),
    import('../../dist/application/files/own-catalog-answer.js'),
    import('../../dist/application/files/catalog-settings.js'),
    import('../../dist/application/membership/settings.js'),
    import('../../dist/domain/catalog.js'),
    import('../../dist/domain/node-record.js'),
    import('../../dist/domain/peer-registry.js'),
    import('../../dist/adapters/system/system-clock.js'),
  ]);
  const { catalogEntries: entries, catalogPeers: peerCount, catalogSearches: searches } = options;
  const random = seeded(13);
  const vocab = vocabulary(random, 5_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'meshchat-bench-catalog-'));
  const clock = new SystemClock();
  try {
    // Fill the copies: every peer's part whole, as a first pull would.
    const perPeer = Math.ceil(entries / peerCount);
    const version = Date.now() - 60_000;
    /** @type {FileRecord[]} */
    const all = [];
    let copies = new SqliteCatalogCopies(openDatabase(dataDir), { ownsDb: true });
    const fillStart = performance.now();
    for (let p = 0; p < peerCount; p++) {
      const node = `peer${p}`;
      const records = [];
      for (let i = 0; i < perPeer && all.length < entries; i++) {
        const r = record(`user${i % 7}@${node}`, all.length, vocab.draw);
        records.push(r);
        all.push(r);
      }
      copies.replace(node, version, records, { maxRecords: perPeer, maxBytes: MAX_CATALOG_PART_BYTES });
    }
    const fillMs = performance.now() - fillStart;
    log(`catalog: ${all.length} records of ${peerCount} peers written in ${fixed(fillMs / 1000, 1)} s`);

    let pulls = 0;
    const peers = /** @type {PeerClient} */ (
      /** @type {unknown} */ ({
        listCatalog: () => {
          pulls++;
          return Promise.resolve({ files: [], version });
        },
      })
    );
    const own = new VersionedFileCatalog(
      new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true }),
      clock,
    );
    /** @param {import('../../dist/application/ports/files/catalog-copies.js').CatalogCopies} store */
    const meshOver = (store) => {
      const registry = new PeerRegistry(nodeRecord('bench', 'http://127.0.0.1:1'));
      /** @type {GossipReport[]} */
      const reports = [];
      for (let p = 0; p < peerCount; p++) {
        const member = { ...nodeRecord(`peer${p}`, `http://127.0.0.1:${2000 + p}`), incarnation: 1 };
        registry.announce(member);
        reports.push({ ...member, state: /** @type {const} */ ('alive'), catalog: version });
      }
      const mesh = new MeshCatalog(
        { registry, peers, clock, own, copies: store },
        catalogSettings(MEMBERSHIP_PROFILES.lan),
      );
      // Gossip says every copy is current: nothing to pull. A node hears it every gossip interval; the bench
      // repeats it before each timed search (outside the timing), so no copy goes stale while it runs.
      const source = registry.get('peer0');
      const gossip = () => {
        if (source) mesh.viewMerged(source, reports);
      };
      gossip();
      return { mesh, gossip };
    };
    let { mesh, gossip } = meshOver(copies);

    // Queries: one or two words drawn as the records' words are, whole or as a 3-letter prefix.
    const queries = Array.from({ length: searches }, () => {
      const count = random() < 0.5 ? 1 : 2;
      return Array.from({ length: count }, () => {
        const word = vocab.draw();
        return random() < 0.3 ? word.slice(0, 3) : word;
      });
    });
    const timed = (/** @type {(words: string[]) => number} */ search, count = queries.length) => {
      const times = [];
      let found = 0;
      let foundInBaseline = 0;
      for (const [i, words] of queries.slice(0, count).entries()) {
        gossip();
        const start = performance.now();
        const n = search(words);
        times.push(performance.now() - start);
        found += n;
        if (i < BASELINE_SEARCHES) foundInBaseline += n;
      }
      return { ...summarize(times), p95: percentile95(times), found, foundInBaseline };
    };
    // Warm the statements and the page cache, as a running node's are.
    for (const words of queries.slice(0, 20)) mesh.mesh({ words, limit: 100 });
    const fts = timed((words) => {
      const view = mesh.mesh({ words, limit: 100 });
      if (view.answered.length !== peerCount + 1) throw new Error(`only ${view.answered.length} answered`);
      return view.files.length;
    });
    const pullsPerSearch = pulls / searches;
    // The scan takes about 200 ms a query at 100,000 records: it runs the first queries only.
    const scan = timed((words) => {
      let found = 0;
      for (const r of all) {
        if (matchesWords(r, words) && ++found >= 100) break;
      }
      return found;
    }, BASELINE_SEARCHES);

    // A restart: the database closed and opened again; the first search is answered from the copies.
    copies.close();
    const reopenStart = performance.now();
    copies = new SqliteCatalogCopies(openDatabase(dataDir), { ownsDb: true });
    ({ mesh, gossip } = meshOver(copies));
    const firstFound = mesh.mesh({ words: queries[0] ?? ['ka'], limit: 100 }).files.length;
    const restartMs = performance.now() - reopenStart;
    copies.close();

    // One change on a node of 1,000 records: its pull as a difference against the whole catalog.
    const holder = new VersionedFileCatalog(
      new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true }),
      clock,
    );
    for (let i = 0; i < HOLDER_RECORDS; i++)
      holder.add(record(`user${i % 7}@holder`, 1_000_000 + i, vocab.draw));
    const since = holder.version;
    holder.add(record('user0@holder', 2_000_000, vocab.draw));
    const bytesOf = (/** @type {object} */ answer) => Buffer.byteLength(JSON.stringify(answer));
    const { version: _d, ...diff } = ownCatalogAnswer(holder, since);
    const { version: _f, ...full } = ownCatalogAnswer(holder);
    const pull = {
      diffRecords: diff.files.length,
      fullRecords: full.files.length,
      diffBytes: bytesOf(diff),
      fullBytes: bytesOf(full),
    };
    holder.close();
    own.close();

    return {
      // Both searches keep at most 100 records per query: the same counts say FTS5 matched what the scan did.
      ok: pullsPerSearch === 0 && fts.foundInBaseline === scan.found,
      entries: all.length,
      peers: peerCount,
      searches,
      fillSeconds: fillMs / 1000,
      fts,
      scan,
      ratioP95: (fts.p95 ?? 0) / (scan.p95 || 1),
      pullsPerSearch,
      restartMs,
      restartFound: firstFound,
      pull: { ...pull, ratio: pull.diffBytes / pull.fullBytes },
    };
  } catch (error) {
    return { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Nearest-rank p95 of durations in ms.
 * @param {number[]} times
 */
function percentile95(times) {
  const sorted = Float64Array.from(times).sort();
  return sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)];
}

/** @param {Awaited<ReturnType<typeof run>>} r */
export function report(r) {
  if (!ran(r)) return `  failed: ${r.error}`;
  const row = (/** @type {string} */ label, /** @type {any} */ s) => [
    label,
    fixed(s.p50, 3),
    fixed(s.p95, 3),
    fixed(s.p99, 3),
    fixed(s.max, 3),
    s.found,
  ];
  return [
    `  ${r.entries} records of ${r.peers} peers in SQLite (filled in ${fixed(r.fillSeconds, 1)} s), ${r.searches} searches`,
    table([
      ['search (ms)', 'p50', 'p95', 'p99', 'max', 'records found'],
      row('MeshCatalog.mesh (FTS5)', r.fts),
      row(`baseline: word scan in memory (first ${r.scan.count} queries)`, r.scan),
    ]),
    `  p95 FTS5 / scan: ${fixed(r.ratioP95, 3)} (goal p95 <= 50 ms)   requests per search: ${r.pullsPerSearch} (goal 0)`,
    `  restart: database reopened and first search answered in ${fixed(r.restartMs, 1)} ms, no pull`,
    table([
      ['pull for one change', 'records', 'bytes'],
      ['difference (?since=)', r.pull.diffRecords, r.pull.diffBytes],
      ['whole catalog', r.pull.fullRecords, r.pull.fullBytes],
    ]),
    `  difference / whole: ${fixed(r.pull.ratio, 4)} of the bytes`,
  ].join('\n');
}
