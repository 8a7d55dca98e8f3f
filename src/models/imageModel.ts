// The image models of Section 6 / Appendix H behind one interface, and a factory that builds
// them from a plain config: the authors' WideResNet-16-k ('wrn'), a CPU-size pre-activation
// ResNet of the same design ('resnet') and an MLP with BatchNorm ('mlp').
//
// Every model keeps its trainable weights in a Parameters container (add) and its BatchNorm
// running mean/var as buffers (addBuffer), so a checkpoint of params.stateDict() holds all of it.
import type { Device, Generator, Tensor } from '../engine/index.js';
import type { Parameters } from '../nn/parameters.js';
import { PreActResNet, validateWideResNetConfig, wideResNetWidths } from './preActResNet.js';
import { smallResNetWidths, validateSmallResNetConfig } from './smallResNet.js';
import { MlpBn, validateMlpBnConfig } from './mlpBn.js';

export { recalibrateBatchNorm } from './batchNorm.js';

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

export type ImageArch = 'wrn' | 'resnet' | 'mlp';

/** What createImageModel takes. */
export interface ImageModelConfig {
  arch: ImageArch;
  /** ResNets: depth with (depth - 4) % 6 === 0 (default 16 for 'wrn', 10 for 'resnet'). */
  depth?: number;
  /** 'wrn': widening factor k, widths 16, 16k, 32k, 64k (default 10). */
  widen?: number;
  /** 'resnet': base width b, widths b, b, 2b, 4b (default 16). */
  baseWidth?: number;
  /** 'mlp': hidden layer sizes (default [512, 512]). */
  hidden?: number[];
  inChannels: number;
  height: number;
  width: number;
  classes: number;
  /** Weights' dtype (default float32); inputs must match. */
  dtype?: 'float32' | 'float64';
  /** Where the weights live (default cpu). */
  device?: Device;
}

/** The config with every default filled in (what model.config holds). */
export interface ResolvedImageModelConfig {
  arch: ImageArch;
  /** ResNets only (0 for the MLP). */
  depth: number;
  /** 'wrn' only (0 otherwise). */
  widen: number;
  /** 'resnet' only (0 otherwise). */
  baseWidth: number;
  /** 'mlp' only ([] otherwise). */
  hidden: number[];
  inChannels: number;
  height: number;
  width: number;
  classes: number;
  dtype: 'float32' | 'float64';
  device: Device;
}

/** The interface shared by the image models. */
export interface ImageModel {
  /** Trainable weights, and BatchNorm running_mean / running_var as buffers. */
  readonly params: Parameters;
  readonly config: Readonly<ResolvedImageModelConfig>;
  /** Names of the BatchNorm layers (their tensors are `${name}.weight|bias|running_mean|running_var`). */
  readonly batchNorms: readonly string[];
  /** Logits [N, classes] from images x [N, C, H, W] (the MLP also takes [N, C*H*W]). */
  forward(x: Tensor, opts: ImageForwardOptions): Tensor;
  dispose(): void;
}

const ARCHS: ImageArch[] = ['wrn', 'resnet', 'mlp'];

function fail(key: string, msg: string, v: unknown): never {
  throw new Error(`createImageModel: ${key} ${msg}, got ${JSON.stringify(v)}`);
}
function posInt(key: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) fail(key, 'must be a positive integer', v);
  return v as number;
}

/** Check a config and fill in the defaults; one-line errors name the offending key. */
export function resolveImageModelConfig(cfg: ImageModelConfig): ResolvedImageModelConfig {
  if (cfg === null || typeof cfg !== 'object') fail('config', 'must be an object', cfg);
  if (!ARCHS.includes(cfg.arch)) fail('arch', `must be one of ${ARCHS.join(', ')}`, cfg.arch);
  const known = ['arch', 'depth', 'widen', 'baseWidth', 'hidden', 'inChannels', 'height', 'width', 'classes', 'dtype', 'device'];
  for (const k of Object.keys(cfg)) if (!known.includes(k)) fail(k, `is not a known key (known: ${known.join(', ')})`, (cfg as unknown as Record<string, unknown>)[k]);
  const base = {
    arch: cfg.arch,
    inChannels: posInt('inChannels', cfg.inChannels),
    height: posInt('height', cfg.height),
    width: posInt('width', cfg.width),
    classes: posInt('classes', cfg.classes),
    dtype: cfg.dtype ?? 'float32',
    device: cfg.device ?? 'cpu',
  } as const;
  if (base.classes < 2) fail('classes', 'must be at least 2', cfg.classes);
  if (base.dtype !== 'float32' && base.dtype !== 'float64') fail('dtype', "must be 'float32' or 'float64'", cfg.dtype);
  const unused = (key: keyof ImageModelConfig) => { if (cfg[key] !== undefined) fail(key, `does not apply to arch '${cfg.arch}'`, cfg[key]); };
  if (cfg.arch === 'mlp') {
    unused('depth'); unused('widen'); unused('baseWidth');
    const hidden = cfg.hidden ?? [512, 512];
    validateMlpBnConfig({ hidden, inFeatures: base.inChannels * base.height * base.width, classes: base.classes }, 'createImageModel');
    return { ...base, depth: 0, widen: 0, baseWidth: 0, hidden: [...hidden] };
  }
  unused('hidden');
  if (cfg.arch === 'wrn') {
    unused('baseWidth');
    const depth = cfg.depth ?? 16, widen = cfg.widen ?? 10;
    validateWideResNetConfig({ depth, widen }, 'createImageModel');
    return { ...base, depth, widen, baseWidth: 0, hidden: [] };
  }
  unused('widen');
  const depth = cfg.depth ?? 10, baseWidth = cfg.baseWidth ?? 16;
  validateSmallResNetConfig({ depth, baseWidth }, 'createImageModel');
  return { ...base, depth, widen: 0, baseWidth, hidden: [] };
}

/** Build an image model; initial weights are drawn from gen. */
export function createImageModel(cfg: ImageModelConfig, gen: Generator): ImageModel {
  const c = resolveImageModelConfig(cfg);
  if (c.arch === 'mlp') return new MlpBn(c, gen);
  const widths = c.arch === 'wrn' ? wideResNetWidths(c.depth, c.widen) : smallResNetWidths(c.depth, c.baseWidth);
  return new PreActResNet(c, widths, gen);
}

/** One-line description, e.g. 'WRN-16-10 (17,116,634 parameters)'. */
export function describeImageModel(m: ImageModel): string {
  const c = m.config;
  const name = c.arch === 'wrn' ? `WRN-${c.depth}-${c.widen}` : c.arch === 'resnet' ? `PreActResNet-${c.depth} (base width ${c.baseWidth})`
    : `MLP ${[c.inChannels * c.height * c.width, ...c.hidden, c.classes].join('-')} with BatchNorm`;
  return `${name} (${m.params.count().toLocaleString('en-US')} parameters)`;
}
