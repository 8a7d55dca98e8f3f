// A synthetic part's own resolved config: the keys that can change one method's result on a seed.
// The data, the model, the update rule and the step budget matter to every method; eta1, eps1,
// eps2 and annealAtStep only to L-S (Algorithm 1); eps2S to S and S+noise (Algorithm 2); the
// pre-activation noise settings only to S+noise (Appendix F.1). eta1 also sets everyone's initial
// scale when tau0 is null (the stationary init of Assumption 3.1). Checkpoint cadence and the preset
// name never change a result.
import type { SyntheticExperimentConfig, SyntheticMethod } from './config.js';

export function syntheticPartConfig(c: SyntheticExperimentConfig, method: SyntheticMethod): Record<string, unknown> {
  const t = c.train;
  const train: Record<string, unknown> = {
    update: t.update, lambda: t.lambda, eta2: t.eta2, tau0: t.tau0, stopAtLoss: t.stopAtLoss, maxSteps: t.maxSteps,
    lossCheckEvery: t.lossCheckEvery, evalEvery: t.evalEvery,
  };
  if (t.update === 'sgd') train.batchSize = t.batchSize;
  if (t.update === 'noisy-gd' || t.tau0 === null) train.tauXi = t.tauXi;
  if (method === 'L-S' || t.tau0 === null) train.eta1 = t.eta1;
  if (method === 'L-S') {
    Object.assign(train, { eps1: t.eps1, annealAtStep: t.annealAtStep });
    if (t.stopAtLoss) train.eps2 = t.eps2;
  } else if (t.stopAtLoss) train.eps2S = t.eps2S;
  if (method === 'S+noise') Object.assign(train, { noiseStd: t.noiseStd, noiseAnnealAtLoss: t.noiseAnnealAtLoss, noiseAnnealAtStep: t.noiseAnnealAtStep });
  return { method, data: c.data, model: c.model, train };
}
