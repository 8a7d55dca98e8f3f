// The tables of the per-example learning events (events.ts) for the report and the dashboard: per
// group (patched, unpatched, patch-only loads) when the examples are learned and forgotten, per
// class when they are learned, and how much the methods agree on the order (Spearman).
import { fmtMeanStd, type MeanStd } from '../../util/stats.js';
import type { FinalStats } from '../../viz/finals.js';
import { pct, type Table } from '../../viz/table.js';

const GROUP_LABEL: Record<string, string> = { patched: 'patched', unpatched: 'unpatched', patch_only_loads: 'patch-only loads' };
const num = (m: MeanStd | undefined, digits = 1) => fmtMeanStd(m, digits);

/** Whether the run's summary has the learning events (runs without them, or unfinished runs, show no event tables). */
export const hasEvents = (methods: string[], f: FinalStats) => methods.some((m) => Object.keys(f.methods[m] ?? {}).some((k) => k.startsWith('events.')));

/** Per method and group: learned, median first-learned epoch, learned for good, forgetting events; first-learned on the clean / patched image. */
export function learningEventsTable(methods: string[], f: FinalStats): Table {
  const rows: string[][] = [];
  for (const m of methods) {
    const s = f.methods[m] ?? {};
    for (const g of Object.keys(GROUP_LABEL)) {
      const k = (sig: string, fig: string) => s[`events.${sig}.${g}.${fig}`];
      if (!k('as_trained', 'learned') && !k('clean', 'learned')) continue;
      rows.push([m, GROUP_LABEL[g]!, pct(k('as_trained', 'learned')), num(k('as_trained', 'median_first_learned')), pct(k('as_trained', 'stays')),
        num(k('as_trained', 'mean_forgetting'), 2), num(k('clean', 'median_first_learned')), num(k('patched', 'median_first_learned'))]);
    }
  }
  return {
    caption: 'Per-example learning events (mean ± std over seeds). As trained: on the input shown in each epoch\'s training pass; learned: classified correctly at least once; first learned: the median over the group of the first epoch it was; learned for good: correct from some epoch to the end; forgetting events: correct -> incorrect transitions per example (Toneva et al., 2019). Clean / with patch: the same on the example\'s clean image and on its image with its class\'s patch, at each evaluation.',
    header: ['method', 'group', 'learned (as trained)', 'first learned at epoch', 'learned for good', 'forgetting events / example', 'first learned: clean image', 'first learned: with patch'],
    paperCols: [], rows, notes: [],
  };
}

/** Per method and class: the median epoch at which the class's examples are first learned as trained. */
export function classEventsTable(methods: string[], f: FinalStats): Table {
  const classes = [...new Set(methods.flatMap((m) => Object.keys(f.methods[m] ?? {})
    .map((k) => /^events\.as_trained\.class(\d+)\.learned$/.exec(k)?.[1]).filter((c): c is string => c !== undefined)))].sort((a, b) => Number(a) - Number(b));
  return {
    caption: 'Median epoch at which the examples of each class are first classified correctly as trained (mean ± std over seeds)',
    header: ['method', ...classes.map((c) => `class ${c}`)], paperCols: [],
    rows: methods.map((m) => [m, ...classes.map((c) => num(f.methods[m]?.[`events.as_trained.class${c}.median_first_learned`]))]), notes: [],
  };
}

/** Agreement between methods: Spearman rank correlation of the examples' first-learned epochs (as trained / clean image). */
export function orderAgreementTable(methods: string[], f: FinalStats): Table {
  const cell = (a: string, b: string) => {
    if (a === b) return '1';
    const s = f.methods[a] ?? {};
    return `${num(s[`order_agreement.as_trained.${b}`], 2)} / ${num(s[`order_agreement.clean.${b}`], 2)}`;
  };
  return {
    caption: 'Agreement of the learning orders: Spearman rank correlation, over the training examples, of the epoch each is first learned (as trained / on the clean image; never learned ranks last), per seed, mean ± std over seeds',
    header: ['method', ...methods], paperCols: [], rows: methods.map((a) => [a, ...methods.map((b) => cell(a, b))]), notes: [],
  };
}
