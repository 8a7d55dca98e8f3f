// The image experiments' typed, JSON-serializable config (paper Section 6, Appendix H): the data
// set, the model, the patch augmentation, the SGD settings and the compared methods (each a
// learning-rate schedule, a pre-activation noise schedule and a training subset).
import type { TrainSubset } from '../data/imageDataset.js';
import { defaultPatchConfigFor, type PatchConfig } from '../data/patch.js';
import { resolveImageModelConfig, type ImageArch, type ImageModelConfig } from '../models/imageModel.js';
import { validateLrSchedule, validateNoiseSchedule, type LrSchedule, type NoiseSchedule } from '../train/schedules.js';
import { checkAgainstTemplate } from './configTools.js';

export const IMAGE_DATASETS = ['fashion-mnist', 'cifar10'] as const;
export type ImageDatasetName = (typeof IMAGE_DATASETS)[number];
export const TRAIN_SUBSETS: readonly TrainSubset[] = ['patch', 'cleanOnly', 'noPatch'];

export interface ImageDatasetConfig {
  name: ImageDatasetName;
  /** Folder with the files; null: Fashion-MNIST's Debian folder (CIFAR-10 needs one). */
  dir: string | null;
  /** Train on a random subset of this many training images, drawn from the seed (null: all). */
  trainSize: number | null;
  /** Evaluate on the first testSize test images (null: all). */
  testSize: number | null;
}

/** The model; null fields take createImageModel's defaults; fields that do not apply to `arch` must be null. */
export interface ImageModelSection {
  arch: ImageArch;
  depth: number | null;
  widen: number | null;
  baseWidth: number | null;
  hidden: number[] | null;
}

/** The patch geometry, where null means: centred, size scaled to the image (defaultPatchConfigFor). */
type PatchGeometry = 'patchSize' | 'top' | 'left';
/** The patch augmentation: PatchConfig without what the data set fixes (image shape, classes), geometry nullable. */
export type ImagePatchSection = { enabled: boolean }
  & Omit<PatchConfig, 'channels' | 'height' | 'width' | 'numClasses' | PatchGeometry>
  & { [K in PatchGeometry]: PatchConfig[K] | null };

export interface ImageTrainSection {
  epochs: number;
  batchSize: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  /** Recalibrate the BatchNorm running statistics on training batches before each evaluation. */
  recalibrateBn: boolean;
  /** Batches used by the recalibration (at most one epoch's). */
  recalibrateBatches: number;
  device: 'cpu' | 'cuda';
  /** Evaluate every this many epochs (and after the last). */
  evalEvery: number;
  /** Checkpoint every this many epochs (0: only when interrupted). */
  checkpointEvery: number;
  /** Batch size of the evaluation passes. */
  evalBatchSize: number;
}

/** One compared method: its learning-rate and noise schedules, and the training images it sees. */
export interface ImageMethodConfig {
  /** Letters, digits and . _ + - (used in file names, '+' as 'plus'). */
  name: string;
  lr: LrSchedule;
  noise: NoiseSchedule;
  subset: TrainSubset;
}

export interface ImageExperimentConfig {
  kind: 'images';
  preset: string;
  /** Base seed; seed i of a multi-seed run is seed + i. */
  seed: number;
  seeds: number;
  dataset: ImageDatasetConfig;
  model: ImageModelSection;
  patch: ImagePatchSection;
  train: ImageTrainSection;
  methods: ImageMethodConfig[];
}

/** Image shape and classes of each data set. */
export function datasetShape(name: ImageDatasetName): { channels: number; height: number; width: number; classes: number } {
  return name === 'cifar10' ? { channels: 3, height: 32, width: 32, classes: 10 } : { channels: 1, height: 28, width: 28, classes: 10 };
}

/** The paper's patch experiment (Appendix H.2) as a base: WRN-16-10 on CIFAR-10, the three methods, 60 epochs. */
export function baseImageConfig(): ImageExperimentConfig {
  return {
    kind: 'images', preset: 'custom', seed: 0, seeds: 1,
    dataset: { name: 'cifar10', dir: null, trainSize: null, testSize: null },
    model: { arch: 'wrn', depth: 16, widen: 10, baseWidth: null, hidden: null },
    patch: {
      enabled: true, patchSize: null, top: null, left: null, patchedFraction: 0.8, patchOnlyProb: 0.2,
      zStd: 1.25, zetaRange: 0.1, alpha: 1.75, mode: 'replace', patchOnlyValSize: 1000,
    },
    train: {
      epochs: 60, batchSize: 128, momentum: 0.9, nesterov: true, weightDecay: 5e-4, recalibrateBn: false,
      recalibrateBatches: 50, device: 'cpu', evalEvery: 1, checkpointEvery: 1, evalBatchSize: 500,
    },
    methods: [
      { name: 'large-lr', lr: { kind: 'step', lr: 0.1, factor: 0.04, at: [30], unit: 'epoch' }, noise: { kind: 'off' }, subset: 'patch' },
      { name: 'small-lr', lr: { kind: 'constant', lr: 0.004 }, noise: { kind: 'off' }, subset: 'patch' },
      {
        name: 'small-lr+noise', lr: { kind: 'constant', lr: 0.004 },
        noise: { kind: 'step', std: 0.4, factor: 1e-5, at: [30], unit: 'epoch' }, subset: 'patch',
      },
    ],
  };
}

/** A template with a value of the right type at every nullable key, for checkAgainstTemplate. */
function template(): ImageExperimentConfig {
  const t = baseImageConfig();
  t.dataset = { ...t.dataset, dir: '', trainSize: 0, testSize: 0 };
  t.model = { ...t.model, baseWidth: 0, hidden: [] };
  t.patch = { ...t.patch, patchSize: 0, top: 0, left: 0 };
  t.methods = [];
  return t;
}
const NULLABLE = new Set(['dataset.dir', 'dataset.trainSize', 'dataset.testSize', 'model.depth', 'model.widen', 'model.baseWidth',
  'model.hidden', 'patch.patchSize', 'patch.top', 'patch.left']);
const METHOD_TEMPLATE = { name: '', lr: {}, noise: {}, subset: '' };
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

function fail(key: string, msg: string, v: unknown): never {
  throw new Error(`config key '${key}' ${msg}, got ${JSON.stringify(v)}`);
}
const posInt = (key: string, v: unknown) => { if (!Number.isSafeInteger(v) || (v as number) < 1) fail(key, 'must be a positive integer', v); };
const nullOrPosInt = (key: string, v: unknown) => { if (v !== null) posInt(key, v); };

/** The model config createImageModel takes (shape from the data set). */
export function imageModelConfig(c: ImageExperimentConfig): ImageModelConfig {
  const s = datasetShape(c.dataset.name);
  const m: ImageModelConfig = { arch: c.model.arch, inChannels: s.channels, height: s.height, width: s.width, classes: s.classes, device: c.train.device };
  if (c.model.depth !== null) m.depth = c.model.depth;
  if (c.model.widen !== null) m.widen = c.model.widen;
  if (c.model.baseWidth !== null) m.baseWidth = c.model.baseWidth;
  if (c.model.hidden !== null) m.hidden = [...c.model.hidden];
  return m;
}

/** The full PatchConfig for the data set's image shape, or null when the patch is disabled. */
export function imagePatchConfig(c: ImageExperimentConfig): PatchConfig | null {
  if (!c.patch.enabled) return null;
  const s = datasetShape(c.dataset.name);
  const { enabled: _e, patchSize, top, left, ...rest } = c.patch;
  const o: Partial<PatchConfig> = { ...rest, numClasses: s.classes };
  if (patchSize !== null) o.patchSize = patchSize;
  if (top !== null) o.top = top;
  if (left !== null) o.left = left;
  return defaultPatchConfigFor(s.height, s.width, s.channels, o);
}

/** A method's name as used in file names ('+' -> 'plus'). */
export function methodFileName(name: string): string { return name.replace(/\+/g, 'plus'); }

function validateMethods(c: ImageExperimentConfig): void {
  if (c.methods.length === 0) fail('methods', 'must list at least one method', c.methods);
  const files = new Map<string, string>();
  c.methods.forEach((m, i) => {
    const key = `methods.${i}`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) fail(key, 'must be an object { name, lr, noise, subset }', m);
    checkAgainstTemplate(m, METHOD_TEMPLATE, key, { free: new Set([`${key}.lr`, `${key}.noise`]) });
    if (m.lr === undefined) fail(`${key}.lr`, 'is missing', m.lr);
    if (m.noise === undefined) fail(`${key}.noise`, 'is missing', m.noise);
    if (!NAME_RE.test(m.name)) fail(`${key}.name`, 'must be letters, digits and . _ + - (starting with a letter or digit)', m.name);
    const file = methodFileName(m.name).toLowerCase();
    if (files.has(file)) fail(`${key}.name`, `must be unique (clashes with '${files.get(file)}')`, m.name);
    files.set(file, m.name);
    try {
      validateLrSchedule(m.lr);
      validateNoiseSchedule(m.noise);
    } catch (e) {
      const which = (e as Error).message.startsWith('lr') ? 'lr' : 'noise';
      throw new Error(`config key '${key}.${which}': ${(e as Error).message}`);
    }
    if (m.lr.kind === 'annealAtLoss') fail(`${key}.lr.kind`, "cannot be 'annealAtLoss' in the image experiments (use 'step' or 'multistep')", m.lr.kind);
    if (!TRAIN_SUBSETS.includes(m.subset)) fail(`${key}.subset`, `must be one of ${TRAIN_SUBSETS.join(', ')}`, m.subset);
    if (!c.patch.enabled && m.subset !== 'noPatch') fail(`${key}.subset`, "must be 'noPatch' when patch.enabled is false", m.subset);
  });
}

/** Validate a full config; throws a one-line error naming the offending key. Returns the config. */
export function validateImageConfig(c: ImageExperimentConfig): ImageExperimentConfig {
  checkAgainstTemplate(c, template(), '', { nullable: NULLABLE });
  if (c.kind !== 'images') fail('kind', "must be 'images'", c.kind);
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) fail('seed', 'must be a non-negative integer', c.seed);
  posInt('seeds', c.seeds);
  const d = c.dataset;
  if (!IMAGE_DATASETS.includes(d.name)) fail('dataset.name', `must be one of ${IMAGE_DATASETS.join(', ')}`, d.name);
  if (d.dir !== null && (typeof d.dir !== 'string' || d.dir === '')) fail('dataset.dir', 'must be null or a folder path', d.dir);
  nullOrPosInt('dataset.trainSize', d.trainSize);
  nullOrPosInt('dataset.testSize', d.testSize);

  const m = c.model;
  for (const k of ['depth', 'widen', 'baseWidth'] as const) nullOrPosInt(`model.${k}`, m[k]);
  if (m.hidden !== null && !Array.isArray(m.hidden)) fail('model.hidden', 'must be null or an array of positive integers', m.hidden);
  try { resolveImageModelConfig(imageModelConfig(c)); } catch (e) {
    const msg = (e as Error).message;
    const named = msg.replace(/^createImageModel: (\w+) /, (_, k: string) => `config key 'model.${k}' `);
    throw new Error(named !== msg ? named : `config key 'model': ${msg}`);
  }

  const p = c.patch;
  for (const k of ['patchSize', 'top', 'left'] as const) if (p[k] !== null && (!Number.isSafeInteger(p[k]) || p[k]! < (k === 'patchSize' ? 1 : 0))) {
    fail(`patch.${k}`, `must be null or an integer >= ${k === 'patchSize' ? 1 : 0}`, p[k]);
  }
  const shape = datasetShape(d.name);
  if (p.patchSize !== null && p.patchSize > Math.min(shape.height, shape.width)) {
    fail('patch.patchSize', `must be at most ${Math.min(shape.height, shape.width)} (the image is ${shape.height} x ${shape.width})`, p.patchSize);
  }
  try { imagePatchConfig({ ...c, patch: { ...p, enabled: true } }); } catch (e) {
    throw new Error((e as Error).message.replace(/^PatchConfig\.(\w+)(:)? /, (_, k: string) => `config key 'patch.${k}' `));
  }

  const t = c.train;
  for (const k of ['epochs', 'batchSize', 'recalibrateBatches', 'evalEvery', 'evalBatchSize'] as const) posInt(`train.${k}`, t[k]);
  if (!Number.isSafeInteger(t.checkpointEvery) || t.checkpointEvery < 0) fail('train.checkpointEvery', 'must be an integer >= 0', t.checkpointEvery);
  if (!(t.momentum >= 0 && t.momentum < 1)) fail('train.momentum', 'must be in [0, 1)', t.momentum);
  if (t.nesterov && t.momentum === 0) fail('train.nesterov', 'needs train.momentum > 0', t.nesterov);
  if (!Number.isFinite(t.weightDecay) || t.weightDecay < 0) fail('train.weightDecay', 'must be a finite number >= 0', t.weightDecay);
  if (t.device !== 'cpu' && t.device !== 'cuda') fail('train.device', "must be 'cpu' or 'cuda'", t.device);
  validateMethods(c);
  return c;
}
