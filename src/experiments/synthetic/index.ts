// The synthetic P/Q experiment (paper Sections 2-5, Appendix F) as an Experiment: L-S, S and S+noise
// on a two-layer ReLU net trained by noisy gradient descent (3.1) or minibatch SGD.
import { parseConfig } from '../../util/schema.js';
import type { MeanStd } from '../../util/stats.js';
import type { SummaryEnvelope } from '../../runs/format.js';
import type { Experiment } from '../experiment.js';
import { syntheticSchedule } from './schedule.js';
import { runParts } from '../partRunner.js';
import type { BatchHooks } from '../batchRunner.js';
import { syntheticConfigSchema, type SyntheticExperimentConfig, type SyntheticMethod } from './config.js';
import { SYNTHETIC_PRESETS, syntheticPreset } from './presets.js';
import { SyntheticPart, createSyntheticBatch } from './part.js';
import { batchKey } from '../../train/batchedSyntheticTrainer.js';
import { syntheticPartConfig } from './identity.js';
import { summarizeSynthetic } from './summary.js';
import { syntheticView } from './view.js';
import { syntheticCli } from './cli.js';

export const synthetic: Experiment<SyntheticExperimentConfig, null, number> = {
  kind: 'synthetic',
  schema: syntheticConfigSchema,
  validate: (c) => parseConfig(syntheticConfigSchema, c),
  presets: Object.fromEntries(Object.entries(SYNTHETIC_PRESETS).map(([name, p]) => [name, { description: p.description, config: () => syntheticPreset(name) }])),
  defaultPreset: 'default',
  methods: (c) => [...c.methods],
  partConfig: (c, method) => syntheticPartConfig(c, method as SyntheticMethod),
  environmentProblems: () => [],
  prepare: () => null,
  setupSeed: (_c, _ctx, seed) => seed,
  disposeSeed: () => {},
  opSize: (c) => (c.data.n * c.data.d * c.model.m <= 2.5e7 ? 'small-ops' : 'large-ops'), // one thread below ~1 ms per product (docs/RESULTS.md)
  createPart: (c, _ctx, seed, key) => new SyntheticPart(c, key.method as SyntheticMethod, seed),
  createBatch: (items) => createSyntheticBatch(items),
  batchKey: (c) => batchKey(c),
  summarize: (c, parts) => summarizeSynthetic(c, parts) as unknown as SummaryEnvelope,
  schedule: syntheticSchedule,
  view: syntheticView,
  cli: syntheticCli,
  sweep: {
    columns: ['p_only', 'q_only', 'both', 'all', 'p_first', 'q_first'],
    shown: ['p_only', 'q_only', 'p_first'],
    what: 'test',
    // the learning order at each point: of its seeds, how many learn P strictly before Q (and Q before P)
    fractions: { p_first: 'P before Q', q_first: 'Q before P' },
    finals: (s) => Object.fromEntries(Object.entries(s.methods).map(([m, r]) => {
      const order = (r as { order?: Partial<Record<'p_before_q_test' | 'q_before_p_test', MeanStd>> }).order;
      return [m, {
        ...Object.fromEntries(Object.entries((r.test_acc ?? {}) as Record<string, MeanStd>).map(([k, v]) => [k, v.mean])),
        p_first: order?.p_before_q_test?.mean ?? null, q_first: order?.q_before_p_test?.mean ?? null,
      }];
    })),
    gap: { first: 'L-S', second: 'S', column: 'p_only' },
  },
};

/** Run (or continue) a synthetic config in `dir` (the part runner with this kind). */
export const runSynthetic = (cfg: SyntheticExperimentConfig, dir: string, hooks: BatchHooks = {}) => runParts(synthetic, cfg, dir, hooks);
