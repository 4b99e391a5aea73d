// docs/operations.md's table of `meshchat node` flags against the flags the node takes (`NODE_USAGE`, what
// `meshchat node --help` prints): an operator reading either finds the same flags, each with its variable.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_USAGE } from '../../src/cli/node-flags.js';

const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
const tableRows = doc.split('\n').filter((line) => /^\| `--[a-z-]+/.test(line));
const flagOf = (row: string) => row.match(/^\| `(--[a-z-]+)/)?.[1] ?? '';

describe("docs/operations.md's flag table", () => {
  it('lists every flag of meshchat node --help, and only those', () => {
    const helpFlags = [...NODE_USAGE.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]).sort();
    expect(tableRows.map(flagOf).sort()).toEqual(helpFlags);
  });

  it('names the same environment variable as the help for each flag', () => {
    for (const row of tableRows) {
      const flag = flagOf(row);
      const help = NODE_USAGE.slice(NODE_USAGE.indexOf(`  ${flag}`)).split(/\n {2}--/)[0] ?? '';
      const variable = help.match(/env\s+([A-Z_]+)/)?.[1];
      expect(variable, flag).toBeDefined();
      expect(row, flag).toContain(`\`${variable}`);
    }
  });
});
