// `lrlab synthetic`: the command's help, the --dry-run plan and the final table.
import { alignedTable } from '../../util/textTable.js';
import { fmtMeanStd, type MeanStd } from '../../util/stats.js';
import type { SummaryEnvelope } from '../../runs/format.js';
import type { ExperimentCli } from '../experiment.js';
import { LEARNED_ACC } from './learned.js';
import type { SyntheticExperimentConfig } from './config.js';
import { SYNTHETIC_PRESETS } from './presets.js';
import type { SyntheticSummary } from './summary.js';

export function formatSyntheticTable(s: SyntheticSummary): string {
  const cols = ['p_only', 'q_only', 'both', 'all'];
  const head = ['method', ...cols.map((c) => `test acc ${c}`), 'P learned at', 'Q learned at', 'annealed at', 'steps'];
  const learned = (m: MeanStd | undefined) => (m && m.mean !== null ? `${fmtMeanStd(m, 0)} (${m.n})` : 'never');
  const rows = Object.entries(s.methods).map(([m, r]) => [
    (r.diverged_seeds ?? []).length ? `${m} (${r.diverged_seeds.length} diverged)` : m, ...cols.map((c) => fmtMeanStd(r.test_acc[c])), learned(r.learned_at_step?.p_only), learned(r.learned_at_step?.q_only),
    r.annealed_at_step ? fmtMeanStd(r.annealed_at_step, 0) : '-', fmtMeanStd(r.steps, 0),
  ]);
  // L-S is the large lr *then annealed* (Algorithm 1): a run that ended before its anneal is not that method
  const ls = s.methods['L-S'];
  const lsSeeds = ls ? s.seeds.length - (ls.diverged_seeds ?? []).length : 0;
  const lsAnnealed = ls?.annealed_at_step?.n ?? 0;
  const unannealed = ls && lsAnnealed < lsSeeds
    ? [`note: L-S annealed in ${lsAnnealed} of ${lsSeeds} seed(s); ${lsAnnealed === 0 ? 'in each' : `in the other ${lsSeeds - lsAnnealed}`} the run ended before its anneal (train.annealAtStep, or the training loss below its threshold), so it trained at eta1 throughout (in a shortened run, set train.annealAtStep)`]
    : [];
  // Q-only accuracy exactly 0 (below chance): on Q-only examples x1 = 0, so f = v^T relu(V x2), and a
  // Q block whose neurons are all inactive outputs f = 0, which counts as wrong
  const deadQ = Object.entries(s.methods).filter(([, r]) => r.test_acc?.q_only?.mean === 0).map(([m]) => m);
  const deadNote = deadQ.length
    ? [`note: Q-only accuracy 0 (${deadQ.join(', ')}) is below chance; with the block net it usually means an output of exactly 0 on every Q-only example: x1 = 0 there, so the output is the Q block's alone, a block whose neurons are all inactive outputs 0, and 0 counts as wrong (docs/RESULTS.md)`]
    : [];
  const diverged = Object.entries(s.methods).filter(([, r]) => (r.diverged_seeds ?? []).length > 0)
    .map(([m, r]) => `${m}: ${r.diverged_seeds.length} of ${s.seeds.length} seed(s) diverged (seed ${r.diverged_seeds.join(', ')}; left out of the means)`);
  return [`synthetic preset '${s.preset}', seeds ${s.seeds.join(', ')} (mean ± std over seeds)`, ...alignedTable(head, rows),
    `(P/Q learned at: first evaluated step with P-only / Q-only test accuracy >= ${LEARNED_ACC}, over the (n) seeds that got there)`,
    // what the preset is known to show (docs/RESULTS.md), so that one run is read against it
    ...(Object.hasOwn(SYNTHETIC_PRESETS, s.preset) ? [`about the preset '${s.preset}' (as defined, without your --set): ${SYNTHETIC_PRESETS[s.preset]!.description}`] : []),
    ...unannealed, ...deadNote, ...diverged, ...(s.warnings ?? []).map((w) => `warning: ${w}`)].join('\n');
}

export const syntheticCli: ExperimentCli<SyntheticExperimentConfig> = {
  summary: 'the synthetic P/Q experiment: L-S vs S vs S+noise (paper Sections 2-5)',
  help: `Runs the synthetic experiment of the paper (Sections 2-5): L-S (large lr, annealed), S (small lr) and
S+noise (small lr with annealed pre-activation noise) on the P/Q distribution, over seeds, and prints
the final test accuracy on each component (mean ± std over seeds).
Config keys, e.g.: --set train.eta1=0.02 --set data.d=200 --set 'methods=["L-S","S"]'`,
  options: {},
  applyOptions: (c) => c,
  plan: (c) => `would run ${c.methods.join(', ')} on ${c.seeds} seed(s) from seed ${c.seed}: ${c.seeds * c.methods.length} part(s) of up to ${c.train.maxSteps} steps`,
  table: (s: SummaryEnvelope) => formatSyntheticTable(s as unknown as SyntheticSummary),
};
