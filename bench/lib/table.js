/** Formats rows (arrays of cells) as an aligned text table; the first row is the header. */
export function table(rows, { indent = '  ' } = {}) {
  const text = rows.map((row) =>
    row.map((cell) => (cell === undefined || cell === null ? '-' : String(cell))),
  );
  const widths = [];
  for (const row of text) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  const line = (row) =>
    indent + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ');
  const [header, ...body] = text;
  return [line(header), indent + widths.map((w) => '-'.repeat(w)).join('   '), ...body.map(line)].join('\n');
}

/** A number with a fixed count of decimals, or '-' when missing. */
export function fixed(value, decimals = 2) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(decimals) : '-';
}
