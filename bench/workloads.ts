// Reference workloads for `npm run bench`, mirrored exactly in bench/torch_ref.py.
import {
  Generator, Tensor, type OpSize, adaptiveAvgPool2d, batchNorm, conv2d, crossEntropy, keep, linear, maxPool2d, noGrad, ones,
  randint, randn, tidy, zeros,
} from '../src/engine/index.js';
import { SGD } from '../src/train/sgd.js';
import { syntheticPreset } from '../src/experiments/synthetic/presets.js';
import { SyntheticTrainer, setupSynthetic } from '../src/train/syntheticTrainer.js';
import { createImageModel } from '../src/models/index.js';
import { imagePreset } from '../src/experiments/images/presets.js';
import { findExperiment } from '../src/experiments/registry.js';
import { imageModelShape, imageTrainerConfig, type ImageExperimentConfig } from '../src/experiments/images/config.js';
import { loadImageData } from '../src/experiments/images/data.js';
import { ImageTrainer, setupImageSeed, type ImageData } from '../src/train/imageTrainer.js';
import { channelStats, type RawImages } from '../src/data/normalize.js';

/**
 * A reference workload. `flops`: the float operations of one step's matrix products and convolutions
 * (for the matmul-bound workloads: the bench prints GFLOP/s and the fraction of the measured peak);
 * `ops`: what its ops are like, which sets the threads both engines get (engine/runtime.ts threadsFor).
 */
export interface Workload { name: string; description: string; flops?: number; ops: OpSize; setup(): () => void }

/** W1: f(x) = u^T relu(U x), U 2048x400, N = 4096, logistic loss, one full-batch GD step. */
export const W1: Workload = {
  name: 'W1',
  description: 'two-layer ReLU net, U 2048x400, N=4096, full-batch logistic-loss step',
  flops: 4 * 4096 * 400 * 2048, // x U^T forward, the gradient of U backward
  ops: 'large-ops',
  setup() {
    const g = new Generator(0);
    const [n, d, m] = [4096, 400, 2048];
    const x = keep(randn([n, d], g));
    const y = keep(tidy(() => randint(0, 2, [n], g).float().mul(2).sub(1)));
    const u = keep(tidy(() => randint(0, 2, [m], g).float().mul(2).sub(1).div(Math.sqrt(m))));
    const U = keep(tidy(() => randn([m, d], g).mul(0.01))).requiresGrad_();
    return () => {
      tidy(() => {
        const f = x.matmul(U.T).relu().matmul(u);
        const loss = y.mul(f).neg().softplus().mean();
        loss.backward();
        noGrad(() => { const gr = U.grad!; U.add_(gr, -0.1); });
        U.zeroGrad();
      });
    };
  },
};

/** W2: CNN on 128 28x28x1 images: 2x[conv3x3-BN-ReLU] maxpool, 2x[...] maxpool, GAP, linear, CE, SGD momentum. */
export const W2: Workload = {
  name: 'W2',
  description: 'CNN 4x(conv3x3-BN-ReLU)+2 maxpool+GAP+linear on 128x1x28x28, SGD momentum step',
  // direct-convolution flops: 2 B H W Cin Cout 9 per conv forward, as much for the weight gradients, and the input gradients of convs 2-4
  flops: 2 * 128 * 9 * (2 * (784 * 32 + 784 * 32 * 32 + 196 * 32 * 64 + 196 * 64 * 64) + (784 * 32 * 32 + 196 * 32 * 64 + 196 * 64 * 64)),
  ops: 'large-ops',
  setup() {
    const g = new Generator(0);
    const x = keep(randn([128, 1, 28, 28], g));
    const y = keep(randint(0, 10, [128], g));
    const chans: [number, number][] = [[1, 32], [32, 32], [32, 64], [64, 64]];
    const convs = chans.map(([i, o]) => keep(tidy(() => randn([o, i, 3, 3], g).mul(Math.sqrt(2 / (9 * o))))).requiresGrad_());
    const bns = chans.map(([, o]) => ({
      gamma: keep(ones([o])).requiresGrad_(), beta: keep(zeros([o])).requiresGrad_(),
      mean: keep(zeros([o])), var: keep(ones([o])),
    }));
    const fcW = keep(tidy(() => randn([10, 64], g).mul(0.1))).requiresGrad_();
    const fcB = keep(zeros([10])).requiresGrad_();
    const params: Tensor[] = [...convs, ...bns.flatMap((b) => [b.gamma, b.beta]), fcW, fcB];
    const opt = new SGD(params, { lr: 0.01, momentum: 0.9 });
    return () => {
      tidy(() => {
        let h = x;
        convs.forEach((w, k) => {
          const b = bns[k]!;
          h = conv2d(h, w, null, { padding: 1 });
          h = batchNorm(h, { weight: b.gamma, bias: b.beta, runningMean: b.mean, runningVar: b.var, training: true }).relu();
          if (k === 1 || k === 3) h = maxPool2d(h, 2, 2);
        });
        h = adaptiveAvgPool2d(h, 1).flatten(1);
        const loss = crossEntropy(linear(h, fcW, fcB), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
      });
    };
  },
};

function synthetic(update: 'sgd' | 'noisy-gd'): Workload {
  return {
    name: update === 'sgd' ? 'SYN-sgd' : 'SYN-gd',
    description: update === 'sgd'
      ? "a synthetic step as the 'default' preset but with minibatch SGD, batch 10 (the sgd-lead update)"
      : "one step of the synthetic 'default' preset (d=100, N=120, m=100, float64, full-batch noisy GD (3.1))",
    ops: 'small-ops',
    setup() {
      const cfg = syntheticPreset('default'); // the order-gd data and model
      cfg.train.update = update;
      cfg.train.tauXi = 0.01;
      cfg.train.maxSteps = 1e9;
      cfg.methods = ['S'];
      const trainer = new SyntheticTrainer(cfg, 'S', 0, setupSynthetic(cfg, 0));
      return () => { trainer.advance(); };
    },
  };
}
export const SYN_SGD = synthetic('sgd');
export const SYN_GD = synthetic('noisy-gd');

/** The patch-fmnist preset's ops, as its experiment says (src/experiments/images/index.ts). */
const IMAGE_OPS: OpSize = findExperiment('images')!.opSize?.(imagePreset('patch-fmnist')) ?? 'large-ops';

/**
 * IMG: one training step of the patch-fmnist model (MLP 784-512-512-10 with BatchNorm) on batch 128
 * of 28x28x1 images, cycling over 10 fixed batches: forward in training mode (noise off), cross-entropy,
 * backward, Nesterov SGD (momentum 0.9, weight decay 5e-4), and the loss read back (as the trainer does).
 * An epoch of the preset (5,000 images) is 40 such steps.
 */
export const IMG: Workload = {
  name: 'IMG',
  description: 'patch-fmnist MLP 784-512-512-10 + BN, batch 128 of 1x28x28, Nesterov SGD step (10 fixed batches)',
  // forward, weight gradients, input gradients of layers 2 and 3
  flops: 2 * 128 * (2 * (784 * 512 + 512 * 512 + 512 * 10) + (512 * 512 + 512 * 10)),
  ops: IMAGE_OPS,
  setup() {
    const g = new Generator(0);
    const xs = Array.from({ length: 10 }, () => keep(randn([128, 1, 28, 28], g)));
    const ys = Array.from({ length: 10 }, () => keep(randint(0, 10, [128], g)));
    const model = createImageModel({ arch: 'mlp', hidden: [512, 512] }, { inChannels: 1, height: 28, width: 28, classes: 10 }, {}, g);
    const opt = new SGD(model.params, { lr: 0.004, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
    let i = 0;
    return () => {
      const k = i++ % 10;
      tidy(() => {
        const loss = crossEntropy(model.forward(xs[k]!, { training: true }), ys[k]!);
        loss.item();
        loss.backward();
        opt.step();
        opt.zeroGrad();
      });
    };
  },
};

/** Fashion-MNIST as the preset loads it, or random bytes of the same shape when the data set is absent. */
function fashionMnistOrRandom(): ImageData {
  const cfg = imagePreset('patch-fmnist');
  try {
    return loadImageData(cfg);
  } catch (e) {
    if (!/Fashion-MNIST (folder not found|: missing file)/.test((e as Error).message)) throw e;
    const g = new Generator(0);
    const raw = (n: number): RawImages => ({
      n, channels: 1, height: 28, width: 28,
      images: Uint8Array.from(randint(0, 256, [n * 784], g).toInt32Array()),
      labels: Uint8Array.from(randint(0, 10, [n], g).toInt32Array()),
    });
    const train = raw(60000);
    return { train, test: raw(10000), stats: channelStats(train) };
  }
}

/**
 * The matrix-product flops of one epoch of an MLP image preset, as the trainer runs it: the training
 * steps (forward, weight gradients, and input gradients of all but the first layer), BatchNorm
 * recalibration where the preset recalibrates (a forward on recalibrateBatches batches), the
 * validation sets (the clean test set; with a patch also the mixed test set and the patch-only set)
 * and, where the preset records per-example events, a forward of every training image (clean, and
 * patched where there is a patch). Throws where the sizes need the data set (trainSize null).
 */
export function imageEpochFlops(cfg: ImageExperimentConfig): number {
  if (cfg.model.arch !== 'mlp') throw new Error(`imageEpochFlops: an MLP preset only (got model.arch '${cfg.model.arch}')`);
  if (cfg.dataset.trainSize === null) throw new Error('imageEpochFlops: dataset.trainSize must be set (the whole data set\'s size is not known without loading it)');
  const sh = imageModelShape(cfg);
  const sizes = [sh.inChannels * sh.height * sh.width, ...cfg.model.hidden, sh.classes];
  const macs = sizes.slice(1).map((o, i) => sizes[i]! * o);
  const forward = macs.reduce((a, b) => a + b, 0), inputGrads = forward - macs[0]!;
  const n = cfg.dataset.trainSize, bs = cfg.train.batchSize;
  const patched = cfg.patch.enabled;
  const recal = cfg.train.recalibrateBn ? Math.min(n, cfg.train.recalibrateBatches * bs) : 0;
  const test = cfg.dataset.testSize ?? 10000;
  const evalImages = (patched ? 2 * test + cfg.patch.patchOnlyValSize : test) + (cfg.metrics.exampleEvents ? (patched ? 2 : 1) * n : 0);
  return 2 * (n * (2 * forward + inputGrads) + (recal + evalImages) * forward);
}

/**
 * IMG-epoch: one whole epoch of the patch-fmnist preset's small LR + noise method through lrlab's
 * trainer (data subsample of 5,000, patch per load, 40 Nesterov SGD steps with noise, per-kind sums,
 * BatchNorm recalibration on 40 batches, evaluation on the clean, mixed and patch-only sets). One
 * "step" of this workload is an epoch; bench/torch_epoch.py does the same in PyTorch.
 */
export const IMG_EPOCH: Workload = {
  name: 'IMG-epoch',
  description: 'one epoch of patch-fmnist (small LR + noise): 40 patched batches, BN recalibration, 3 validation sets',
  flops: imageEpochFlops(imagePreset('patch-fmnist')),
  ops: IMAGE_OPS,
  setup() {
    const cfg = imagePreset('patch-fmnist');
    const data = fashionMnistOrRandom();
    const setup = setupImageSeed(imageTrainerConfig(cfg), data, 0);
    const trainer = new ImageTrainer(imageTrainerConfig(cfg), cfg.methods.find((m) => m.name === 'small-lr+noise')!, setup);
    return () => {
      trainer.trainEpoch();
      trainer.evaluate(0);
    };
  },
};
