// The image experiments' config (paper Section 6, Appendix H) as one zod schema composed of the
// layers' sections: the data set (a registered name), the model (the registered architectures'
// discriminated union), the patch augmentation (data/patch.ts), the SGD and evaluation settings,
// and the compared methods (each an lr schedule and a noise schedule from train/schedules.ts, and
// a training subset). Each section checks its own values; what needs two sections (the patch on
// the data set's image size, method subsets without a patch) is checked here. The TypeScript
// types are the schema's (z.infer) and its JSON Schema comes from util/schema's toJsonSchema.
import { methodFileName } from '../partRunner.js';
import { refuseEventsPastEnd } from '../scheduleCheck.js';
import { imagesSchedule } from './schedule.js';
import { TRAIN_SUBSETS } from '../../data/imageDataset.js';
import { getImageDataset, imageDatasetNames } from '../../data/imageDatasets.js';
import { patchConfigFor, patchPlacementProblem, patchSectionSchema, type PatchConfig } from '../../data/patch.js';
import { imageModelSchema, type ImageModelConfig, type ImageShape } from '../../models/index.js';
import { lrScheduleSchema, noiseScheduleSchema } from '../../train/schedules.js';
import type { ImageTrainerConfig } from '../../train/imageTrainer.js';
import { fail, nonNegative, nonNegativeInt, num, object, parseConfig, positiveInt, seedInt, z } from '../../util/schema.js';
import { deepMerge } from '../configTools.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const MOMENTUM = 'must be in [0, 1)';
/** Refinements across keys run only on a config whose keys are each valid (the first error is the one reported). */
const whenValid = { when: (p: { issues: unknown[] }) => p.issues.length === 0 };

// A method's name as used in file names ('+' -> 'plus'): the part runner's, which names the part files.
export { methodFileName };

/** The data-set section: a registered data set, where its files are, and how many images are used. */
function datasetSchema() {
  const names = imageDatasetNames();
  return object({
    name: z.enum(names as [string, ...string[]]),
    /** Folder with the files; null: the data set's default folder (CIFAR-10 has none). */
    dir: z.string({ error: 'must be null or a folder path' }).min(1, { error: 'must be null or a folder path' }).nullable(),
    /** Train on a random subset of this many training images, drawn from the seed (null: all). */
    trainSize: positiveInt().nullable(),
    /** Evaluate on the first testSize test images (null: all). */
    testSize: positiveInt().nullable(),
  });
}

/** SGD (Nesterov momentum, weight decay), BatchNorm recalibration, and the evaluation / checkpoint cadence. */
const trainSchema = object({
  epochs: positiveInt(),
  batchSize: positiveInt(),
  momentum: num(MOMENTUM).min(0, { error: MOMENTUM }).lt(1, { error: MOMENTUM }),
  nesterov: z.boolean(),
  weightDecay: nonNegative(),
  /** Recalibrate the BatchNorm running statistics on training batches before each evaluation. */
  recalibrateBn: z.boolean(),
  /** Batches used by the recalibration (at most one epoch's). */
  recalibrateBatches: positiveInt(),
  device: z.enum(['cpu', 'cuda']),
  /** Evaluate every this many epochs (and after the last). */
  evalEvery: positiveInt(),
  /** Checkpoint every this many epochs (0: only when interrupted). */
  checkpointEvery: nonNegativeInt(),
  /** Batch size of the evaluation passes. */
  evalBatchSize: positiveInt(),
}).superRefine((t, ctx) => {
  if (t.nesterov && t.momentum === 0) fail(ctx, ['nesterov'], 'needs train.momentum > 0', t.nesterov);
}, whenValid);

/** What is measured besides the metrics rows' accuracies. */
const metricsSchema = object({
  /**
   * Per-example learning events: each training example's correctness as trained (every epoch) and,
   * at each evaluation, on its clean and patched versions (an extra eval pass over the training set).
   */
  exampleEvents: z.boolean(),
});

/** The image trainer follows its schedules by epoch and step; an event-triggered kind ('annealAtLoss') has no event here. */
const clocked = (kind: string) => kind !== 'annealAtLoss';

/** One compared method: its learning-rate and noise schedules, and the training images it sees. */
const methodSchema = object({
  /** Letters, digits and . _ + - (used in file names, '+' as 'plus'). */
  name: z.string({ error: 'must be a string' }).regex(NAME_RE, { error: 'must be letters, digits and . _ + - (starting with a letter or digit)' }),
  lr: lrScheduleSchema,
  noise: noiseScheduleSchema,
  subset: z.enum(TRAIN_SUBSETS),
}).superRefine((m, ctx) => {
  for (const k of ['lr', 'noise'] as const) {
    if (!clocked(m[k].kind)) fail(ctx, [k, 'kind'], "cannot be 'annealAtLoss' in the image experiments (use 'step', 'multistep' or a 'sequence')", m[k].kind);
  }
}, whenValid);

/**
 * The schema of an image experiment's config. Built from the registries on each call, so that a
 * data set or model registered at any time (a test's, a plug-in's) is part of it.
 */
export function imageConfigSchema() {
  return object({
    kind: z.literal('images'),
    preset: z.string({ error: 'must be a string' }),
    /** Base seed; seed i of a multi-seed run is seed + i. */
    seed: seedInt(),
    seeds: positiveInt(),
    dataset: datasetSchema(),
    model: imageModelSchema(),
    patch: patchSectionSchema,
    train: trainSchema,
    metrics: metricsSchema,
    methods: z.array(methodSchema, { error: 'must be an array of methods { name, lr, noise, subset }' }).min(1, { error: 'must list at least one method' }),
  }).superRefine((c, ctx) => {
    // The patch must fit the data set's images (also when disabled: a config that is switched on stays valid).
    const bad = patchPlacementProblem(patchConfigFor(c.patch, getImageDataset(c.dataset.name).shape));
    if (bad) fail(ctx, ['patch', bad.key], bad.message, bad.value);
    const files = new Map<string, string>();
    c.methods.forEach((m, i) => {
      const file = methodFileName(m.name).toLowerCase();
      const other = files.get(file);
      if (other !== undefined) fail(ctx, ['methods', i, 'name'], `must be unique (clashes with '${other}')`, m.name);
      files.set(file, m.name);
      if (!c.patch.enabled && m.subset !== 'noPatch') fail(ctx, ['methods', i, 'subset'], "must be 'noPatch' when patch.enabled is false", m.subset);
    });
    refuseEventsPastEnd(imagesSchedule, c, ctx);
  }, whenValid);
}

export type ImageExperimentConfig = z.infer<ReturnType<typeof imageConfigSchema>>;
export type ImageDatasetConfig = ImageExperimentConfig['dataset'];
export type ImagePatchSection = ImageExperimentConfig['patch'];
export type ImageTrainSection = z.infer<typeof trainSchema>;
export type ImageMethodConfig = z.infer<typeof methodSchema>;

/** Validate a full config; returns it (parsed) or throws a one-line ConfigError naming the dotted key. */
export function validateImageConfig(c: ImageExperimentConfig): ImageExperimentConfig {
  return parseConfig(imageConfigSchema(), c);
}

/**
 * Merge a partial config over a full one (deepMerge), except that a model section naming another
 * arch replaces the model section whole: the keys of one architecture never carry over to another.
 */
export function mergeImageConfig(base: ImageExperimentConfig, patch: unknown): ImageExperimentConfig {
  const out = deepMerge(base, patch);
  const model = (patch as { model?: { arch?: unknown } } | null)?.model;
  if (model && typeof model === 'object' && model.arch !== undefined && model.arch !== base.model.arch) {
    out.model = structuredClone(model) as ImageModelConfig;
  }
  return out;
}

/** The paper's patch experiment (Appendix H.2) as a base: WRN-16-10 on CIFAR-10, the three methods, 60 epochs. */
export function baseImageConfig(): ImageExperimentConfig {
  return {
    kind: 'images', preset: 'custom', seed: 0, seeds: 1,
    dataset: { name: 'cifar10', dir: null, trainSize: null, testSize: null },
    model: { arch: 'wrn', depth: 16, widen: 10 },
    patch: {
      enabled: true, patchSize: null, top: null, left: null, patchedFraction: 0.8, patchOnlyProb: 0.2,
      zStd: 1.25, zetaRange: 0.1, alpha: 1.75, mode: 'replace', patchOnlyValSize: 1000,
    },
    train: {
      epochs: 60, batchSize: 128, momentum: 0.9, nesterov: true, weightDecay: 5e-4, recalibrateBn: false,
      recalibrateBatches: 50, device: 'cpu', evalEvery: 1, checkpointEvery: 1, evalBatchSize: 500,
    },
    metrics: { exampleEvents: true },
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

/** The image shape and classes the model is built for: the data set's. */
export function imageModelShape(c: ImageExperimentConfig): ImageShape {
  const s = getImageDataset(c.dataset.name).shape;
  return { inChannels: s.channels, height: s.height, width: s.width, classes: s.classes };
}

/** The full PatchConfig for the data set's image shape, or null when the patch is disabled. */
export function imagePatchConfig(c: ImageExperimentConfig): PatchConfig | null {
  return c.patch.enabled ? patchConfigFor(c.patch, getImageDataset(c.dataset.name).shape) : null;
}

/** What the image trainer takes of a config: the sizes, the model and its shape, the resolved patch, the settings. */
export function imageTrainerConfig(c: ImageExperimentConfig): ImageTrainerConfig {
  return { dataset: c.dataset, model: c.model, shape: imageModelShape(c), patch: imagePatchConfig(c), train: c.train, exampleEvents: c.metrics.exampleEvents };
}
