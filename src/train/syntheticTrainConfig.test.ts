import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../util/schema.js';
import { syntheticTrainSchema, type SyntheticTrainConfig } from './syntheticTrainConfig.js';

const T: SyntheticTrainConfig = {
  update: 'noisy-gd', batchSize: 10, lambda: 1e-3, tauXi: 0.1, tau0: null, eta1: 0.1, eta2: 0.01, eps1: 0.05, eps2: 0.01, eps2S: 0.01,
  stopAtLoss: true, maxSteps: 100, annealAtStep: null, noiseStd: 0.5, noiseAnnealAtLoss: null, noiseAnnealAtStep: 20,
  lossCheckEvery: 10, evalEvery: 10, checkpointEvery: 0,
};
const parse = (over: Record<string, unknown>) => parseConfig(syntheticTrainSchema, { ...T, ...over }, 'train');

test('the train section: nullable triggers and init, positive learning rates, integer cadences', () => {
  assert.deepEqual(parse({}), T);
  assert.doesNotThrow(() => parse({ tau0: 0.2, annealAtStep: 0, noiseAnnealAtLoss: 0.3, noiseAnnealAtStep: null }));
  assert.throws(() => parse({ eta2: 0 }), { message: "config key 'train.eta2' must be a finite number > 0, got 0" });
  assert.throws(() => parse({ annealAtStep: 2.5 }), { message: "config key 'train.annealAtStep' must be an integer >= 0, got 2.5" });
  assert.throws(() => parse({ update: 'adam' }), { message: 'config key \'train.update\' must be one of "noisy-gd", "sgd", got "adam"' });
  assert.throws(() => parse({ checkpointEvery: -1 }), { message: "config key 'train.checkpointEvery' must be an integer >= 0, got -1" });
  assert.throws(() => parse({ etaa: 5 }), (e: Error) => e.message.startsWith("unknown config key 'train.etaa' (known keys of 'train': update, batchSize, lambda, "));
});

test('the stationary init (tau0 null) needs eta1 * lambda < 1; an explicit tau0 does not', () => {
  assert.throws(() => parse({ eta1: 10, lambda: 0.1 }), { message: "config key 'train.lambda' must satisfy eta1 * lambda < 1 for the stationary init (set train.tau0 instead), got 0.1" });
  assert.doesNotThrow(() => parse({ eta1: 10, lambda: 0.1, tau0: 0.01 }));
  assert.doesNotThrow(() => parse({ eta1: 10, lambda: 0.0999 }));
});
