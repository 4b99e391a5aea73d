// Every scenario `bench/run.js` knows, in the order it runs them. A scenario module exports:
//   name    short id (the key in the JSON line, and what --scenario selects)
//   title   one line for the report
//   run({ options, log })  -> a JSON-ready result; set `ok: false` when something failed
//   report(result)         -> the text (table) printed for it
import * as fanout1x10 from './fanout-1x10.js';

export const scenarios = [fanout1x10];
