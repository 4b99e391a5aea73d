// Scenario: what observability costs. The same two-node meshchat setup and fan-out as `delivery` (node A and
// node B, B joined to A, each a `meshchat node` child process with its default data dir), once with
// `--log-level info` and once with `--log-level silent` (the baseline). One variant at a time, in `rounds` rounds
// with the order alternating (info, silent, then silent, info, ...); fresh nodes for every run.
//   info     each node writes its JSON log to stderr (a pipe the bench drains, as always): one audit line per
//            message it accepted and per membership change. During the throughput phase the bench also scrapes
//            `GET /metrics` of both nodes once a second, as a Prometheus server would, timing each scrape.
//   silent   no log at all, and no scrape while measuring.
// After the fan-out (both variants) one more scrape of each node reads its accepted-message counters, and the
// audit lines counted on each node's stderr are checked against them and against what the bench sent: A must
// have one `source: user` line per message its user sent, B one `source: peer` line per message from A; silent
// nodes none. A mismatch is reported as a problem of the run (and makes `ok` false), not thrown.
// A variant's numbers are medians over its rounds; losses and duplicates are summed, and any makes `ok` false.
import { performance } from 'node:perf_hooks';
import {
  compareVariants,
  comparisonRows,
  failedRoundNotes,
  fanoutParams,
  fanoutProblems,
  fanoutRows,
  measureOnPair,
  pairRunsBudgetMs,
  roundsNote,
  stoppedEarlyNotes,
} from '../lib/compare.js';
import { runFanoutOnPair, summarizeFanoutRounds } from '../lib/fanout.js';
import { ran } from '../lib/ran.js';
import { median, summarize } from '../lib/stats.js';
import { fixed, table } from '../lib/table.js';
import { startMeshchatPair } from '../systems/meshchat.js';

export const name = 'ops';
export const group = 'ops';
export const title = 'observability: --log-level info (audit log) + /metrics scrapes vs --log-level silent';

/** @import { BenchOptions } from '../run.js' */
/** @import { FanoutRun, FanoutSummary } from '../lib/fanout.js' */
/** @import { Failed } from '../lib/ran.js' */
/** @import { MeshchatPair, Which } from '../systems/meshchat.js' */

/** @typedef {'info' | 'silent'} Variant */

/** @type {readonly [Variant, Variant]} */
const VARIANTS = ['info', 'silent'];
/** @type {readonly Which[]} */
const NODES = ['a', 'b'];
const SCRAPE_EVERY_MS = 1_000;
const SCRAPE_TIMEOUT_MS = 5_000;
/** After the fan-out: how long the audit lines may take to catch up with the nodes' counters. */
const SETTLE_QUIET_MS = 500;
const SETTLE_MAX_MS = 5_000;

/** @param {BenchOptions} options */
export function budgetMs(options) {
  return pairRunsBudgetMs(options, VARIANTS, 2 * SCRAPE_TIMEOUT_MS + SETTLE_MAX_MS);
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Counts one node's stderr as it arrives: lines, bytes, and the audit lines by kind. Plain substring tests
 * (pino writes `"audit":true` and `"event":...` unspaced, and a quote inside a string value is escaped, so a
 * user's text cannot fake them); only the rare membership lines are parsed, for their `op`.
 */
class StderrTally {
  constructor() {
    this.partial = '';
    this.bytes = 0;
    this.lines = 0;
    this.messages = { user: 0, peer: 0, other: 0 };
    /** @type {Record<string, number>} */
    this.membership = {};
    this.otherAudit = 0;
    this.lastAt = 0;
  }

  /** @param {string} chunk */
  push(chunk) {
    this.bytes += Buffer.byteLength(chunk);
    this.lastAt = performance.now();
    const text = this.partial + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      this.#line(text.slice(start, end));
      start = end + 1;
    }
    this.partial = text.slice(start);
  }

  /** @param {string} line */
  #line(line) {
    this.lines++;
    if (!line.includes('"audit":true')) return;
    if (line.includes('"event":"message"')) {
      if (line.includes('"source":"user"')) this.messages.user++;
      else if (line.includes('"source":"peer"')) this.messages.peer++;
      else this.messages.other++;
    } else if (line.includes('"event":"membership"')) {
      let op = 'unparsed';
      try {
        op = JSON.parse(line).op ?? 'none';
      } catch {
        // counted as unparsed
      }
      this.membership[op] = (this.membership[op] ?? 0) + 1;
    } else this.otherAudit++;
  }

  snapshot() {
    return {
      bytes: this.bytes,
      lines: this.lines,
      messageLines: { ...this.messages },
      membershipLines: { ...this.membership },
      otherAuditLines: this.otherAudit,
    };
  }
}

/** @typedef {{ ms: number, error: string } | { ms: number, bytes: number }} Timing one scrape, as reported */

/**
 * One `GET /metrics`: how long until the whole body was in, its size, and the body.
 * @param {string} url
 * @returns {Promise<Timing & { body?: string }>}
 */
async function scrape(url) {
  const started = performance.now();
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    const body = await response.text();
    const ms = Math.round((performance.now() - started) * 1000) / 1000;
    if (!response.ok) return { ms, error: `HTTP ${response.status}` };
    return { ms, bytes: Buffer.byteLength(body), body };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ms: Math.round((performance.now() - started) * 1000) / 1000, error: message };
  }
}

/**
 * `meshchat_messages_accepted_total` by source, from an exposition text; undefined where missing.
 * @param {string | undefined} body
 */
function acceptedCounters(body) {
  const read = (/** @type {string} */ source) => {
    const match = new RegExp(`^meshchat_messages_accepted_total\\{source="${source}"\\} (\\S+)$`, 'm').exec(
      body ?? '',
    );
    return match ? Number(match[1]) : undefined;
  };
  return { user: read('user'), peer: read('peer') };
}

/**
 * Scrapes both nodes now and then every `SCRAPE_EVERY_MS` until `stop` (which waits for scrapes in flight). A
 * node whose previous scrape has not answered yet is skipped that second, as Prometheus never overlaps them.
 * @param {MeshchatPair} pair
 */
function startScraping(pair) {
  /** @type {Sample[]} */
  const samples = [];
  /** @type {Set<Which>} */
  const busy = new Set();
  /** @type {Set<Promise<void>>} */
  const pending = new Set();
  let skipped = 0;
  const tick = () => {
    for (const which of NODES) {
      if (busy.has(which)) {
        skipped++;
        continue;
      }
      busy.add(which);
      const done = scrape(pair[which].url).then(({ body: _body, ...sample }) => {
        samples.push({ node: which, ...sample });
        busy.delete(which);
        pending.delete(done);
      });
      pending.add(done);
    }
  };
  tick();
  const timer = setInterval(tick, SCRAPE_EVERY_MS);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...pending]);
      return { samples, skipped };
    },
  };
}

/** @typedef {{ node: Which } & Timing} Sample one timed scrape of a node */
/** @typedef {Record<Which, StderrTally>} Tallies */

/**
 * Waits until every tally has what the counters say (or stderr was quiet for a while).
 * @param {Tallies} tallies
 * @param {Record<Which, { source: 'user' | 'peer', count: number | undefined }>} want
 */
async function settle(tallies, want) {
  const until = performance.now() + SETTLE_MAX_MS;
  while (performance.now() < until) {
    const caughtUp = NODES.every((n) => tallies[n].messages[want[n].source] >= (want[n].count ?? 0));
    const quiet = NODES.every((n) => performance.now() - tallies[n].lastAt >= SETTLE_QUIET_MS);
    if (caughtUp && quiet) return;
    if (
      !caughtUp &&
      quiet &&
      NODES.every((n) => performance.now() - tallies[n].lastAt >= 2 * SETTLE_QUIET_MS)
    )
      return; // nothing more is coming
    await sleep(50);
  }
}

/**
 * Messages the bench's sender emitted in every phase (each one A should accept, and B after it).
 * @param {FanoutRun} fanout
 */
function sentByBench(fanout) {
  return fanout.warmup.delivery.sent + fanout.latency.delivery.sent + fanout.throughput.delivery.sent;
}

/**
 * The audit check of one run: A's `source: user` lines, B's `source: peer` lines, against the node's own
 * counter and the bench's count (info), or none at all (silent). Problems are sentences; empty means all agree.
 * @param {Variant} variant
 * @param {number} sent
 * @param {Record<Which, ReturnType<typeof acceptedCounters>>} counters
 * @param {Record<Which, ReturnType<StderrTally['snapshot']>>} logs
 */
function checkAudit(variant, sent, counters, logs) {
  /** @type {string[]} */
  const problems = [];
  /** @type {Record<Which, 'user' | 'peer'>} */
  const expect = { a: 'user', b: 'peer' };
  /** @type {Partial<Record<Which, number>>} */
  const lines = {};
  for (const node of NODES) {
    const source = expect[node];
    const other = source === 'user' ? 'peer' : 'user';
    const log = logs[node];
    const counter = counters[node]?.[source];
    lines[node] = log.messageLines[source];
    const want = variant === 'info' ? sent : 0;
    const label = `node ${node.toUpperCase()}`;
    if (counter === undefined) problems.push(`${label}: no accepted (${source}) counter in /metrics`);
    else if (counter !== sent)
      problems.push(
        `${label} accepted ${counter} messages from its ${source}s (/metrics), the bench sent ${sent}`,
      );
    if (log.messageLines[source] !== want)
      problems.push(
        `${label}: ${log.messageLines[source]} audit lines for messages from ${source === 'user' ? 'its user' : 'A'}, ` +
          `expected ${want}${variant === 'info' && counter !== undefined ? ` (its counter says ${counter})` : ''}`,
      );
    const stray = log.messageLines[other] + log.messageLines.other;
    if (stray > 0)
      problems.push(`${label}: ${stray} unexpected message audit lines (source ${other} or none)`);
    if (variant === 'silent' && log.lines > 0) problems.push(`${label}: wrote ${log.lines} lines at silent`);
  }
  return { sent, counters, lines, ok: problems.length === 0, problems };
}

/**
 * @param {string} label
 * @param {Variant} variant
 * @param {BenchOptions} options
 * @param {(line: string) => void} log
 */
async function measureOnce(label, variant, options, log) {
  /** @type {Tallies} */
  const tallies = { a: new StderrTally(), b: new StderrTally() };
  const start = () =>
    startMeshchatPair({
      mode: 'process',
      storage: 'disk',
      logLevel: variant,
      onStderr: (which, chunk) => tallies[which].push(chunk),
    });
  const run = await measureOnPair(label, log, start, async (pair, say) => {
    say(`A ${pair.a.url}, B ${pair.b.url} (--log-level ${variant})`);

    /** @type {ReturnType<typeof startScraping> | undefined} */
    let scraper;
    /** @type {Awaited<ReturnType<ReturnType<typeof startScraping>['stop']>> | undefined} */
    let scrapes;
    /** @type {import('../lib/fanout.js').OnPhase | undefined} */
    const onPhase =
      variant === 'info'
        ? async (phase, edge) => {
            if (phase !== 'throughput') return;
            if (edge === 'start') scraper = startScraping(pair);
            else scrapes = await scraper?.stop();
          }
        : undefined;
    const fanout = await runFanoutOnPair(pair, options, say, { onPhase });

    // Outside the measurement: one scrape of each node for its counters, then the audit lines must match.
    const final = { a: await scrape(pair.a.url), b: await scrape(pair.b.url) };
    const counters = { a: acceptedCounters(final.a.body), b: acceptedCounters(final.b.body) };
    const sent = sentByBench(fanout);
    if (variant === 'info')
      await settle(tallies, {
        a: { source: 'user', count: counters.a.user ?? sent },
        b: { source: 'peer', count: counters.b.peer ?? sent },
      });
    else await sleep(SETTLE_QUIET_MS); // a silent node should write nothing; give it the chance to
    const logs = { a: tallies.a.snapshot(), b: tallies.b.snapshot() };
    const audit = checkAudit(variant, sent, counters, logs);
    for (const problem of audit.problems) say(`AUDIT: ${problem}`);
    if (audit.ok && variant === 'info')
      say(
        `audit: A ${audit.lines.a} user-message lines, B ${audit.lines.b} peer-message lines, as sent (${sent})`,
      );
    const idle = (/** @type {Which} */ node) => {
      const { body: _body, ...sample } = final[node];
      return sample;
    };
    return {
      ...fanout,
      audit,
      logs,
      scrapes: scrapes ?? null,
      idleScrape: { a: idle('a'), b: idle('b') },
    };
  });
  return { variant, ...run };
}

/** @typedef {Awaited<ReturnType<typeof measureOnce>>} Round */
/** @typedef {Exclude<Round, Failed>} Measured a round that ran */

/**
 * @param {Sample} s
 * @returns {s is Extract<Sample, { bytes: number }>}
 */
function answered(s) {
  return !('error' in s && s.error);
}

/**
 * Scrape timings and sizes over every round of the info variant, per node; `underLoad` only when the variant
 * was scraped while measuring (null otherwise).
 * @param {Round[]} rounds
 * @param {boolean} scrapedUnderLoad
 */
function summarizeScrapes(rounds, scrapedUnderLoad) {
  const good = rounds.filter(ran);
  const under = good.flatMap((r) => r.scrapes?.samples ?? []);
  const idle = good.flatMap((r) => NODES.map((node) => ({ node, ...r.idleScrape[node] })));
  /**
   * @template T
   * @param {Sample[]} samples
   * @param {(values: Extract<Sample, { bytes: number }>[]) => T} f
   */
  const perNode = (samples, f) => {
    /** @type {Partial<Record<Which, T | null>>} */
    const out = {};
    for (const node of NODES) {
      const values = samples.filter(answered).filter((s) => s.node === node);
      out[node] = values.length ? f(values) : null;
    }
    return out;
  };
  return {
    everyMs: SCRAPE_EVERY_MS,
    underLoad: scrapedUnderLoad
      ? {
          count: under.length,
          errors: under.length - under.filter(answered).length,
          skipped: good.reduce((n, r) => n + (r.scrapes?.skipped ?? 0), 0),
          ms: summarize(under.filter(answered).map((s) => s.ms)),
          medianMs: perNode(under, (v) => median(v.map((s) => s.ms))),
          maxMs: perNode(under, (v) => Math.max(...v.map((s) => s.ms))),
          bytes: perNode(under, (v) => median(v.map((s) => s.bytes))),
        }
      : null,
    idle: {
      count: idle.length,
      errors: idle.length - idle.filter(answered).length,
      medianMs: perNode(idle, (v) => median(v.map((s) => s.ms))),
      bytes: perNode(idle, (v) => median(v.map((s) => s.bytes))),
    },
  };
}

/** @param {Round[]} rounds */
function summarizeLogs(rounds) {
  const good = rounds.filter(ran);
  /** @param {(r: Measured) => number} f */
  const sum = (f) => good.reduce((n, r) => n + f(r), 0);
  const sent = sum((r) => r.audit.sent);
  const bytes = { a: sum((r) => r.logs.a.bytes), b: sum((r) => r.logs.b.bytes) };
  /** @type {Record<Which, Record<string, number>>} */
  const membership = { a: {}, b: {} };
  for (const node of NODES) {
    const ops = membership[node];
    for (const r of good)
      for (const [op, n] of Object.entries(r.logs[node].membershipLines)) ops[op] = (ops[op] ?? 0) + n;
  }
  return {
    sent,
    auditLines: { a: sum((r) => r.audit.lines.a ?? 0), b: sum((r) => r.audit.lines.b ?? 0) },
    counters: {
      a: sum((r) => r.audit.counters.a?.user ?? 0),
      b: sum((r) => r.audit.counters.b?.peer ?? 0),
    },
    lines: { a: sum((r) => r.logs.a.lines), b: sum((r) => r.logs.b.lines) },
    membershipLines: membership,
    bytes,
    bytesPerMessage: sent > 0 ? Math.round(((bytes.a + bytes.b) / sent) * 10) / 10 : null,
    auditProblems: good.flatMap((r, i) => r.audit.problems.map((p) => `round ${i + 1}: ${p}`)),
  };
}

/**
 * Every problem of one variant's summary, as strings (empty: none).
 * @param {{ fanout: FanoutSummary, logs: ReturnType<typeof summarizeLogs>, scrapes: ReturnType<typeof summarizeScrapes> }} summary
 */
function problems(summary) {
  const f = summary.fanout ?? {};
  const list = fanoutProblems(f, { 'scrape errors': summary.scrapes?.underLoad?.errors });
  for (const p of summary.logs?.auditProblems ?? []) list.push(`audit mismatch, ${p}`);
  return list;
}

/** @param {{ options: BenchOptions, log: (line: string) => void }} context */
export async function run({ options, log }) {
  const { variants, failures, ratios } = await compareVariants(
    VARIANTS,
    options.rounds,
    (variant, label) => measureOnce(label, variant, options, log),
    (runs, variant) => ({
      fanout: summarizeFanoutRounds(runs),
      logs: summarizeLogs(runs),
      scrapes: summarizeScrapes(runs, variant === 'info'), // silent: not scraped while measuring
    }),
    problems,
  );
  return {
    params: fanoutParams(options, {
      setup: { scrapeEveryMs: SCRAPE_EVERY_MS, meshchatMode: 'process', storage: 'disk' },
    }),
    variants,
    ratios,
    ok: failures.length === 0,
    failures,
  };
}

/**
 * The human-readable report of `run`'s result.
 * @param {Awaited<ReturnType<typeof run>>} result
 */
export function report(result) {
  const { variants, ratios, params } = result;
  const i = variants.info.summary;
  const s = variants.silent.summary;
  /** @type {[string, string]} */
  const labels = ['info', 'silent'];
  const { text } = comparisonRows(i, s, labels);
  /**
   * @param {Partial<Record<Which, unknown>> | undefined} o
   * @param {number} [decimals]
   */
  const pair = (o, decimals = 0) => (o ? `${fixed(o.a, decimals)} / ${fixed(o.b, decimals)}` : '-');
  const under = i.scrapes.underLoad;
  const rows = [
    ...fanoutRows(i.fanout, s.fanout, ratios, params, labels),
    [
      `/metrics scrape under load, median ms A / B (every ${params.scrapeEveryMs / 1000} s)`,
      pair(under?.medianMs, 2),
      'not scraped',
      '',
    ],
    [
      '  max ms A / B; scrapes (errors)',
      `${pair(under?.maxMs, 2)}; ${under?.count ?? 0} (${under?.errors ?? 0})`,
      '',
      '',
    ],
    text('/metrics scrape after the run, median ms A / B', (v) => pair(v.scrapes.idle.medianMs, 2)),
    text('  exposition size A / B (bytes)', (v) => pair(v.scrapes.idle.bytes)),
    text('audit lines: A user msgs / B peer msgs / sent', (v) =>
      v.fanout.error ? '-' : `${v.logs.auditLines.a} / ${v.logs.auditLines.b} / ${v.logs.sent}`,
    ),
    text('  membership audit lines A / B', (v) => {
      const count = (/** @type {Record<string, number>} */ o) => Object.values(o).reduce((a, b) => a + b, 0);
      return `${count(v.logs.membershipLines.a)} / ${count(v.logs.membershipLines.b)}`;
    }),
    text(
      '  stderr lines A / B; bytes per msg (A + B)',
      (v) => `${v.logs.lines.a} / ${v.logs.lines.b}; ${fixed(v.logs.bytesPerMessage, 0)}`,
    ),
  ];
  const lines = [table(rows)];
  for (const variant of VARIANTS) {
    lines.push(...failedRoundNotes(variant, variants[variant].rounds));
    lines.push(...stoppedEarlyNotes(variant, variants[variant].summary.fanout));
  }
  const audit = VARIANTS.flatMap((v) => variants[v].summary.logs.auditProblems.map((p) => `${v} ${p}`));
  lines.push(
    audit.length > 0
      ? `  AUDIT MISMATCH: ${audit.join('; ')}`
      : "  audit check: every run's audit lines match what the bench sent and each node's accepted counter.",
  );
  const others = result.failures.filter((f) => !f.includes(': audit mismatch, '));
  if (others.length > 0) lines.push(`  PROBLEMS: ${others.join('; ')}`);
  lines.push(
    `  ${roundsNote(params)}ratios info/silent: ` +
      'throughput < 1 = info slower; latency and CPU > 1 = info slower. ' +
      'info = audit log on stderr + /metrics scrapes during the throughput phase.',
  );
  return lines.join('\n');
}
