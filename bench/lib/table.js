/** @typedef {string | number | boolean | null | undefined} Cell */

/**
 * Formats rows (arrays of cells) as an aligned text table; the first row is the header.
 * @param {readonly (readonly Cell[])[]} rows
 * @param {{ indent?: string }} [options]
 */
export function table(rows, { indent = '  ' } = {}) {
  const text = rows.map((row) =>
    row.map((cell) => (cell === undefined || cell === null ? '-' : String(cell))),
  );
  /** @type {number[]} */
  const widths = [];
  for (const row of text) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  /** @param {string[]} row */
  const line = (row) =>
    indent +
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('   ');
  const [header = [], ...body] = text;
  return [line(header), indent + widths.map((w) => '-'.repeat(w)).join('   '), ...body.map(line)].join('\n');
}

/**
 * A number with a fixed count of decimals, or '-' when missing.
 * @param {unknown} value
 */
export function fixed(value, decimals = 2) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(decimals) : '-';
}
