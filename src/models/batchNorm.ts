// BatchNorm layers of the image models (the engine's batchNorm over dim 1) and the recalibration
// of their running statistics.
//
// A layer named `n` owns the trainable `${n}.weight` (gamma = 1) and `${n}.bias` (beta = 0), and
// the buffers `${n}.running_mean` (0) and `${n}.running_var` (1), PyTorch's names and init.
// Training normalizes with the batch statistics and updates the running ones with the context's
// momentum (running_var from the unbiased batch variance, as PyTorch); eval uses the running ones.
import { Tensor, batchNorm, noGrad, ones, tidy, zeros, type Device, type DType } from '../engine/index.js';
import type { Parameters } from '../nn/parameters.js';
import type { ImageModel } from './types.js';
import { addPreActivationNoise, type ForwardContext } from './layers.js';

/** PyTorch's BatchNorm eps. */
export const BN_EPS = 1e-5;

export function addBatchNorm(params: Parameters, name: string, features: number, dtype: DType, device: Device): void {
  params.add(`${name}.weight`, ones([features], { dtype, device }));
  params.add(`${name}.bias`, zeros([features], { dtype, device }));
  params.addBuffer(`${name}.running_mean`, zeros([features], { dtype, device }));
  params.addBuffer(`${name}.running_var`, ones([features], { dtype, device }));
}

export function batchNormForward(ctx: ForwardContext, name: string, x: Tensor): Tensor {
  return batchNorm(x, {
    weight: ctx.get(`${name}.weight`), bias: ctx.get(`${name}.bias`),
    runningMean: ctx.get(`${name}.running_mean`), runningVar: ctx.get(`${name}.running_var`),
    training: ctx.training, momentum: ctx.momentum, eps: BN_EPS,
  });
}

/** relu(BN(x) + noise): the pre-activation unit, with the noise site named after the BatchNorm. */
export function bnNoiseRelu(ctx: ForwardContext, name: string, x: Tensor): Tensor {
  return addPreActivationNoise(ctx, name, batchNormForward(ctx, name, x)).relu();
}

/** Reset running statistics to mean 0, var 1 (PyTorch's reset_running_stats). */
export function resetRunningStats(params: Parameters, names: readonly string[]): void {
  noGrad(() => {
    for (const n of names) {
      params.get(`${n}.running_mean`).zero_();
      params.get(`${n}.running_var`).fill_(1);
    }
  });
}

/**
 * Recalibrate the BatchNorm running statistics: reset them, then run the model forward in
 * training mode (no gradient, no noise) over `batches`, with momentum 1/k on the k-th batch, so
 * that each running mean/var ends as the plain average of its per-batch statistics (PyTorch's
 * momentum=None cumulative average; var unbiased per batch). Weights are untouched; the batches
 * stay owned by the caller. Returns the number of batches used. Throws on an empty iterable,
 * leaving the statistics unchanged.
 */
export function recalibrateBatchNorm(model: ImageModel, batches: Iterable<Tensor>): number {
  let k = 0;
  for (const x of batches) {
    if (k === 0) resetRunningStats(model.params, model.batchNorms);
    k++;
    noGrad(() => tidy(() => { model.forward(x, { training: true, bnMomentum: 1 / k }); }));
  }
  if (k === 0) throw new Error('recalibrateBatchNorm: batches is empty (running statistics left unchanged)');
  return k;
}
