// A synthetic run's part files and summary.json: each method's final test/train numbers per
// component as mean ± std over seeds, the steps, the anneal step and the learning order: when P-only
// and Q-only test accuracy first reached LEARNED_ACC and the P and Q margins MARGIN_LEARNED, and over
// the population of seeds the fraction that learn P before Q (95% Wilson intervals) and the
// distribution of those steps (learned.ts).
import { meanStd, type MeanStd } from '../../util/stats.js';
import type { PartFile } from '../../runs/format.js';
import { seedList } from '../partRunner.js';
import { SUBSETS, type SyntheticMetrics } from '../../metrics/syntheticMetrics.js';
import type { SyntheticExperimentConfig, SyntheticMethod } from './config.js';
import { orderStats, type OrderStats } from './learned.js';

/** parts/<method>-seed<i>.json of a synthetic run. */
export interface SyntheticPartResult extends PartFile {
  method: SyntheticMethod;
  steps: number;
  annealedAtStep: number | null;
  noiseOffAtStep: number | null;
  /** First evaluated step at which the test accuracy on P-only / Q-only inputs reached LEARNED_ACC (null: never). */
  learnedAtStep: { p_only: number | null; q_only: number | null };
  /** First evaluated step at which the mean margin of the P / Q part on the mixed training examples reached MARGIN_LEARNED (absent in older part files). */
  marginLearnedAtStep?: { p: number | null; q: number | null };
  final: SyntheticMetrics;
  /** Problems that did not stop training (e.g. the loss grew absurdly but stayed finite). */
  warnings?: string[];
}

export interface SyntheticSummary {
  kind: 'synthetic';
  preset: string;
  seeds: number[];
  methods: Record<string, {
    test_acc: Record<string, MeanStd>;
    test_loss: Record<string, MeanStd>;
    train_acc: Record<string, MeanStd>;
    steps: MeanStd;
    annealed_at_step: MeanStd | null;
    /** The learning order: when P-only / Q-only test accuracy first reached LEARNED_ACC, over the seeds that reached it. */
    learned_at_step: { p_only: MeanStd; q_only: MeanStd };
    /** The margin crossings (when the P / Q part's mean margin on the mixed training examples reached MARGIN_LEARNED), over the seeds that reached them. */
    margin_learned_at_step: { p: MeanStd; q: MeanStd };
    /** Over the seeds that did not diverge: which component is learned first (fractions with Wilson intervals) and the steps' distribution. */
    order: OrderStats;
    statuses: Record<string, number>;
    /** Seeds that diverged (left out of every mean above) and their number. */
    diverged_seeds: number[];
  }>;
  /** Per part: warnings that did not stop it ('L-S seed 0: ...'). */
  warnings: string[];
}


/** Mean and std over seeds of every part's final numbers. */
export function summarizeSynthetic(cfg: SyntheticExperimentConfig, parts: PartFile[]): SyntheticSummary {
  const results = parts as SyntheticPartResult[];
  const methods: SyntheticSummary['methods'] = {};
  for (const m of cfg.methods) {
    const all = results.filter((r) => r.method === m).sort((a, b) => a.seed - b.seed);
    // a diverged seed's numbers are those of NaN weights: counted, never averaged
    const rs = all.filter((r) => r.status !== 'diverged');
    const per = (key: 'test_acc' | 'test_loss' | 'train_acc') =>
      Object.fromEntries(SUBSETS.map((s) => [s, meanStd(rs.map((r) => r.final[key][s]))]));
    const statuses: Record<string, number> = {};
    for (const r of all) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const ann = rs.map((r) => r.annealedAtStep).filter((v): v is number => v !== null);
    methods[m] = {
      test_acc: per('test_acc'), test_loss: per('test_loss'), train_acc: per('train_acc'),
      steps: meanStd(rs.map((r) => r.steps)), annealed_at_step: ann.length ? meanStd(ann) : null,
      learned_at_step: { p_only: meanStd(rs.map((r) => r.learnedAtStep?.p_only)), q_only: meanStd(rs.map((r) => r.learnedAtStep?.q_only)) },
      margin_learned_at_step: { p: meanStd(rs.map((r) => r.marginLearnedAtStep?.p)), q: meanStd(rs.map((r) => r.marginLearnedAtStep?.q)) },
      order: orderStats(rs.map((r) => ({
        p_only: r.learnedAtStep?.p_only ?? null, q_only: r.learnedAtStep?.q_only ?? null,
        ...(r.marginLearnedAtStep ? { margin_p: r.marginLearnedAtStep.p, margin_q: r.marginLearnedAtStep.q } : {}),
      }))),
      statuses, diverged_seeds: all.filter((r) => r.status === 'diverged').map((r) => r.seed),
    };
  }
  const warnings = results.flatMap((r) => (r.warnings ?? []).map((w) => `${r.method} seed ${r.seed}: ${w}`));
  return { kind: 'synthetic', preset: cfg.preset, seeds: seedList(cfg), methods, warnings };
}
