// Named synthetic presets. Each is a complete, validated config; see docs/RESULTS.md for what each shows.
import { deepMerge } from './configTools.js';
import { baseSyntheticConfig, type SyntheticExperimentConfig } from './syntheticConfig.js';

type Patch = { [k: string]: unknown };

/**
 * The FACTS lead setting with a gap: d = 100, N = 120, Q inputs scaled by 60, a ~ U[0.5, 1],
 * minibatch SGD (batch 10), large lr 0.0125 (just under the Q block's stability limit), small lr 0.004.
 */
const GAP: Patch = {
  data: { d: 100, n: 120, p0: 0.05, q0: 0.2, r: 100 ** -0.75, aMin: 0.5, qScale: 60, testSizes: { pOnly: 2000, qOnly: 1000, both: 1000 } },
  model: { arch: 'block', m: 100 },
  train: {
    update: 'sgd', batchSize: 10, lambda: 1e-4, eta1: 0.0125, eta2: 0.004, tau0: 0.01,
    stopAtLoss: false, maxSteps: 120000, annealAtStep: 60000, eps1: 0, noiseStd: 3, noiseAnnealAtStep: 60000,
    noiseAnnealAtLoss: null, evalEvery: 1000,
  },
};

export const SYNTHETIC_PRESETS: Record<string, { description: string; patch: Patch }> = {
  default: {
    description: 'quick look (about a minute): the gap setting at 20k steps, 1 seed',
    patch: deepMerge(GAP, { train: { maxSteps: 20000, annealAtStep: 10000, noiseAnnealAtStep: 10000, evalEvery: 500 } }),
  },
  order: {
    description: 'learning order: which component each algorithm fits first, and when (noisy GD, paper-style)',
    patch: {
      data: { d: 100, n: 400, p0: 0.125, q0: 0.2, r: 0.1, aMin: 0, qScale: 1 },
      model: { arch: 'block', m: 100 },
      train: {
        update: 'noisy-gd', lambda: 0.01, tauXi: 0.05, tau0: null, eta1: 1.0, eta2: 0.05,
        eps1: 0.02, eps2: 0.01, eps2S: 0.01, stopAtLoss: true, maxSteps: 30000, noiseStd: 0.3,
        noiseAnnealAtLoss: null, noiseAnnealAtStep: 10000, evalEvery: 100,
      },
    },
  },
  gap: { description: 'the largest P-only test-accuracy gap of L-S over S found on a CPU (see docs/RESULTS.md)', patch: GAP },
  paper: {
    description: "the paper's algorithm and scalings (Assumption 3.3) at d = 100: noisy GD (3.1), loss-based annealing and stopping",
    patch: {},
  },
};

export function syntheticPreset(name: string): SyntheticExperimentConfig {
  const p = SYNTHETIC_PRESETS[name];
  if (!p) throw new Error(`unknown synthetic preset '${name}' (available: ${Object.keys(SYNTHETIC_PRESETS).join(', ')})`);
  const cfg = deepMerge(baseSyntheticConfig(), p.patch);
  cfg.preset = name;
  return cfg;
}
