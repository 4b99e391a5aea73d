// Every scenario `bench/run.js` knows, in the order it runs them. A scenario module exports:
//   name    short id (the key in the JSON line, and what --scenario selects)
//   group   a family of scenarios (--scenario GROUP selects all of them)
//   title   one line for the report
//   run({ options, log })  -> a JSON-ready result; set `ok: false` when something failed
//   report(result)         -> the text (table) printed for it
//   budgetMs(options)      -> optional: the longest it may take, for the bench's hard time limit
import * as bounds from './bounds.js';
import * as catalog from './catalog.js';
import * as delivery from './delivery.js';
import * as directory from './directory.js';
import * as fanout1x10 from './fanout-1x10.js';
import * as files from './files.js';
import * as idleUsers from './idle-users.js';
import * as logins from './logins.js';
import * as membershipCrash from './membership-crash.js';
import * as membershipJoin from './membership-join.js';
import * as membershipRest from './membership-rest.js';
import * as openLoop from './open-loop.js';
import * as ops from './ops.js';
import * as peerRequests from './peer-requests.js';
import * as signatures from './signatures.js';

/** @import { BenchOptions } from '../run.js' */

/**
 * What every scenario's result has: `ok: false` when something failed, `error` when it could not run at all.
 * @typedef {{ ok?: boolean, error?: string }} ScenarioResult
 */

/**
 * A scenario as run.js sees it. `report` is declared as a method, so a scenario's own (narrower) result type
 * is accepted: run.js hands `report` only what that scenario's `run` returned.
 * @typedef {{
 *   name: string,
 *   group: string,
 *   title: string,
 *   run(context: { options: BenchOptions, log: (line: string) => void }): Promise<ScenarioResult>,
 *   report(result: ScenarioResult): string,
 *   budgetMs?: (options: BenchOptions) => number,
 * }} Scenario
 */

/** @type {Scenario[]} */
export const scenarios = [
  { ...fanout1x10, group: 'fanout', budgetMs: () => 180_000 },
  delivery,
  signatures,
  openLoop,
  ops,
  membershipJoin,
  membershipCrash,
  membershipRest,
  directory,
  catalog,
  peerRequests,
  idleUsers,
  logins,
  files,
  bounds,
];

export const groups = [...new Set(scenarios.map((s) => s.group))];
