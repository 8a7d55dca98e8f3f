// Plain-text tables for the terminal: columns padded to their widest cell, two spaces apart.

/** The header line, a line of dashes under each column, then one line per row. */
export function alignedTable(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join('  ');
  return [line(head), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)];
}
