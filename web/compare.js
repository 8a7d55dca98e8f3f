// Comparing runs: hyperparameter columns from any config key (sorted and filtered in the runs list),
// a run's whole config, and the diff of two runs' configs.
import { el, show } from './util.js';

/** Every leaf of a config as [dotted key, value] (array items by index). */
export function flatten(v, at = '', out = []) {
  if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) flatten(x, at ? `${at}.${k}` : k, out);
  else if (at) out.push([at, v]);
  return out;
}

/** The keys whose values differ between configs `a` and `b` (a key only one has counts), sorted. */
export function configDiff(a, b) {
  const fa = new Map(flatten(a)), fb = new Map(flatten(b));
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  return keys.filter((k) => JSON.stringify(fa.get(k)) !== JSON.stringify(fb.get(k))).map((k) => [k, fa.get(k), fb.get(k)]);
}

/** The diff of two runs' configs as a table (only the keys that differ). */
export function diffTable(idA, a, idB, b) {
  const rows = configDiff(a, b);
  if (rows.length === 0) return el('p', { class: 'muted', id: 'diff-none' }, `The configs of ${idA} and ${idB} are identical.`);
  return el('div', { class: 'table', id: 'diff' },
    el('table', {},
      el('caption', {}, `Config diff: ${rows.length} key${rows.length === 1 ? '' : 's'} differ`),
      el('thead', {}, el('tr', {}, el('th', {}, 'key'), el('th', {}, idA), el('th', {}, idB))),
      el('tbody', {}, rows.map(([k, x, y]) => el('tr', { 'data-key': k }, el('th', {}, k), el('td', { class: 'wrap' }, show(x)), el('td', { class: 'wrap' }, show(y)))))));
}

/** A run's whole config, folded. */
export function configBlock(cfg) {
  return el('details', { class: 'config', id: 'config' }, el('summary', {}, 'config (every key)'), el('pre', {}, JSON.stringify(cfg, null, 2)));
}

/**
 * Whether a value passes a column filter: '>0.01', '<=5', '=0.1', '!=x', or text it contains.
 * An empty filter passes everything.
 */
export function passes(value, filter) {
  const f = filter.trim();
  if (!f) return true;
  const m = /^(>=|<=|!=|>|<|=)\s*(.+)$/.exec(f);
  if (m) {
    const [, op, rhs] = m;
    const a = Number(value), b = Number(rhs);
    const numeric = typeof value === 'number' && Number.isFinite(b);
    const s = show(value);
    switch (op) {
      case '>': return numeric && a > b;
      case '<': return numeric && a < b;
      case '>=': return numeric && a >= b;
      case '<=': return numeric && a <= b;
      case '=': return numeric ? a === b : s === rhs;
      case '!=': return numeric ? a !== b : s !== rhs;
    }
  }
  return show(value).toLowerCase().includes(f.toLowerCase());
}

/** Sort runs by a param column (numbers numerically, missing values last). */
export function sortRuns(runs, key, dir) {
  const val = (r) => r.params?.[key];
  return [...runs].sort((x, y) => {
    const a = val(x), b = val(y);
    if (a === null || a === undefined) return 1;
    if (b === null || b === undefined) return -1;
    const c = typeof a === 'number' && typeof b === 'number' ? a - b : show(a).localeCompare(show(b));
    return dir * c;
  });
}
