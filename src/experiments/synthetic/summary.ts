// A synthetic run's part files and summary.json: each method's final test/train numbers per
// component as mean ± std over seeds, the steps, the anneal step and the learning order (when P-only
// and Q-only test accuracy first reached LEARNED_ACC).
import { meanStd, type MeanStd } from '../../util/stats.js';
import type { PartFile } from '../../runs/format.js';
import { SUBSETS, type SyntheticMetrics } from '../../metrics/syntheticMetrics.js';
import type { SyntheticExperimentConfig, SyntheticMethod } from './config.js';

/** parts/<method>-seed<i>.json of a synthetic run. */
export interface SyntheticPartResult extends PartFile {
  method: SyntheticMethod;
  steps: number;
  annealedAtStep: number | null;
  noiseOffAtStep: number | null;
  /** First evaluated step at which the test accuracy on P-only / Q-only inputs reached LEARNED_ACC (null: never). */
  learnedAtStep: { p_only: number | null; q_only: number | null };
  final: SyntheticMetrics;
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
    statuses: Record<string, number>;
  }>;
}

export const seedList = (cfg: { seed: number; seeds: number }) => Array.from({ length: cfg.seeds }, (_, i) => cfg.seed + i);

/** Mean and std over seeds of every part's final numbers. */
export function summarizeSynthetic(cfg: SyntheticExperimentConfig, parts: PartFile[]): SyntheticSummary {
  const results = parts as SyntheticPartResult[];
  const methods: SyntheticSummary['methods'] = {};
  for (const m of cfg.methods) {
    const rs = results.filter((r) => r.method === m).sort((a, b) => a.seed - b.seed);
    const per = (key: 'test_acc' | 'test_loss' | 'train_acc') =>
      Object.fromEntries(SUBSETS.map((s) => [s, meanStd(rs.map((r) => r.final[key][s]))]));
    const statuses: Record<string, number> = {};
    for (const r of rs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const ann = rs.map((r) => r.annealedAtStep).filter((v): v is number => v !== null);
    methods[m] = {
      test_acc: per('test_acc'), test_loss: per('test_loss'), train_acc: per('train_acc'),
      steps: meanStd(rs.map((r) => r.steps)), annealed_at_step: ann.length ? meanStd(ann) : null,
      learned_at_step: { p_only: meanStd(rs.map((r) => r.learnedAtStep?.p_only)), q_only: meanStd(rs.map((r) => r.learnedAtStep?.q_only)) },
      statuses,
    };
  }
  return { kind: 'synthetic', preset: cfg.preset, seeds: seedList(cfg), methods };
}
