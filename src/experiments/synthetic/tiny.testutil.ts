// The tiny synthetic run the run and batch tests share, and a temporary folder for its run folder.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepMerge } from '../configTools.js';
import { baseSyntheticConfig, validateSyntheticConfig, type SyntheticExperimentConfig } from './config.js';

/** A tiny run: d = 12, N = 50, m = 12, 2 seeds, all three methods, 200 steps each (about 0.1 s per part), a checkpoint every 40 steps. */
export function tiny(patch: unknown = {}): SyntheticExperimentConfig {
  const base = deepMerge(baseSyntheticConfig(), {
    preset: 'test', seed: 3, seeds: 2,
    data: { d: 12, n: 50, qSupport: 12, gamma: 1, qScale: 10, aMin: 0.5, testSizes: { pOnly: 30, qOnly: 20, both: 25 } },
    model: { m: 12 },
    train: {
      update: 'noisy-gd', lambda: 1e-3, tauXi: 0.02, tau0: 0.5, eta1: 4, eta2: 1, eps1: 0.1, eps2: 0.01, eps2S: 0.01,
      stopAtLoss: false, maxSteps: 200, noiseStd: 0.3, noiseAnnealAtStep: 100, noiseAnnealAtLoss: null,
      lossCheckEvery: 5, evalEvery: 50, checkpointEvery: 40,
    },
  });
  return validateSyntheticConfig(deepMerge(base, patch));
}

/** A temporary folder, on a RAM disk where there is one (the run folder fsyncs every file it writes). */
export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'lrlab-run-'): string {
  const d = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), prefix));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
