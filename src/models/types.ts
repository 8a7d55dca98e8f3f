// What every image model of Section 6 / Appendix H is to the rest of lrlab, and what an
// architecture gives the model registry (registry.ts). Model files import these types only, so
// that they never depend on the registry or on each other's factories.
import type { Device, Generator, Tensor } from '../engine/index.js';
import type { Parameters } from '../nn/parameters.js';
import type { z } from '../util/schema.js';

/** Options of one forward pass. */
export interface ImageForwardOptions {
  /** Training mode: BatchNorm uses (and updates) batch statistics, noise is on. Eval: running statistics, no noise. */
  training: boolean;
  /**
   * Std of the pre-activation noise (Appendix H.1): Gaussian noise added after every BatchNorm and
   * before every ReLU, in training only. One H x W map per batch for conv layers (shape [1,1,H,W],
   * shared across the batch and channels), one feature vector per batch for the MLP ([1,F]); a
   * fresh draw at every site and every call. 0 or absent: no noise (and nothing is drawn).
   */
  noiseStd?: number;
  /** Generator of the noise; required when training with noiseStd > 0. */
  gen?: Generator;
  /**
   * Factor of the BatchNorm running-statistics update in training (default 0.1, as PyTorch):
   * running = (1 - m) running + m batch. recalibrateBatchNorm passes 1/k on its k-th batch, which
   * makes the running statistics the plain average of the batch statistics (PyTorch momentum=None).
   */
  bnMomentum?: number;
  /** Use these tensors in place of the named trainable parameters (for gradient checks). */
  weights?: Record<string, Tensor>;
  /** Debug hook: called with every noise map drawn (site = the BatchNorm's name); freed after the call. */
  onNoise?: (site: string, noise: Tensor) => void;
}

/**
 * The model section of a config: `arch` names the architecture, the other keys are that
 * architecture's own (e.g. { arch: 'wrn', depth: 16, widen: 10 }); its schema says which.
 */
export type ImageModelSection = { arch: string; [key: string]: unknown };

/** What the data set fixes about a model: its input images and its number of classes. */
export interface ImageShape { inChannels: number; height: number; width: number; classes: number }

/** Where and in which precision the weights live (inputs must match). */
export interface ImageModelOptions { dtype: 'float32' | 'float64'; device: Device }

/** The interface shared by the image models. */
export interface ImageModel<C extends ImageModelSection = ImageModelSection> {
  /** Trainable weights, and BatchNorm running_mean / running_var as buffers. */
  readonly params: Parameters;
  /** The model section it was built from. */
  readonly config: Readonly<C>;
  readonly shape: Readonly<ImageShape>;
  readonly dtype: ImageModelOptions['dtype'];
  readonly device: Device;
  /** Names of the BatchNorm layers (their tensors are `${name}.weight|bias|running_mean|running_var`). */
  readonly batchNorms: readonly string[];
  /** Logits [N, classes] from images x [N, C, H, W] (the MLP also takes [N, C*H*W]). */
  forward(x: Tensor, opts: ImageForwardOptions): Tensor;
  dispose(): void;
}

/**
 * One architecture, as registered with registerImageModel (as tfjs-layers' registerClass): its
 * name, the zod schema of its model section (an object with `arch: z.literal(arch)` and every
 * value check of its own keys), how to build it and how to name it.
 */
export interface ImageModelEntry<C extends ImageModelSection = ImageModelSection> {
  readonly arch: C['arch'];
  readonly schema: z.ZodType<C>;
  /** Build the model from a section that passed `schema`; initial weights are drawn from gen. */
  create(config: C, shape: ImageShape, opts: ImageModelOptions, gen: Generator): ImageModel<C>;
  /** A short name in the literature's style, e.g. 'WRN-16-10'. */
  describe(config: C): string;
}
