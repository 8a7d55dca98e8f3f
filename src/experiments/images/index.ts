// The image experiments (paper Section 6, Appendix H) as an Experiment: patch-augmented and clean
// training of an image model with each method's lr and pre-activation noise schedules.
import { checkDevice } from '../../engine/index.js';
import type { MeanStd } from '../../util/stats.js';
import type { SummaryEnvelope } from '../../runs/format.js';
import { disposeSeedSetup, setupImageSeed, type ImageData, type ImageSeedSetup } from '../../train/imageTrainer.js';
import type { Experiment } from '../experiment.js';
import { imagesSchedule } from './schedule.js';
import { runParts, type RunHooks } from '../partRunner.js';
import { imageConfigSchema, imageTrainerConfig, validateImageConfig, type ImageExperimentConfig } from './config.js';
import { IMAGE_PRESETS, imagePreset } from './presets.js';
import { checkImageData, loadImageData } from './data.js';
import { ImagePart, imageResumeAt } from './part.js';
import { imagePartConfig } from './identity.js';
import { summarizeImages } from './summary.js';
import { imagesView } from './view.js';
import { imagesCli } from './cli.js';

/** Problems that would stop the config from running here (its data, its device), as messages. */
function environmentProblems(c: ImageExperimentConfig): string[] {
  const problems: string[] = [];
  for (const check of [() => checkImageData(c), () => checkDevice(c.train.device)]) {
    try { check(); } catch (e) { problems.push((e as Error).message); }
  }
  return problems;
}

export const images: Experiment<ImageExperimentConfig, ImageData, ImageSeedSetup> = {
  kind: 'images',
  // rebuilt on each use from the model and data-set registries (a model registered later validates too)
  get schema() { return imageConfigSchema(); },
  validate: (c) => validateImageConfig(c as ImageExperimentConfig),
  presets: Object.fromEntries(Object.entries(IMAGE_PRESETS).map(([name, p]) => [name, { description: p.description, config: () => imagePreset(name) }])),
  defaultPreset: 'patch-fmnist',
  methods: (c) => c.methods.map((m) => m.name),
  partConfig: imagePartConfig,
  environmentProblems,
  prepare(c) {
    checkDevice(c.train.device);
    return loadImageData(c);
  },
  setupSeed: (c, data, seed) => setupImageSeed(imageTrainerConfig(c), data, seed),
  disposeSeed: disposeSeedSetup,
  opSize: (c) => (c.train.device === 'cpu' && c.model.arch === 'mlp' ? 'small-ops' : 'large-ops'), // measured: docs/RESULTS.md
  createPart: (c, _data, setup, key) => new ImagePart(c, setup, key.method),
  resumeAt: imageResumeAt,
  summarize: (c, parts) => summarizeImages(c, parts) as unknown as SummaryEnvelope,
  schedule: imagesSchedule,
  view: imagesView,
  cli: imagesCli,
  sweep: {
    columns: ['clean', 'mixed', 'patch_only', 'clean_last5'],
    shown: ['clean', 'patch_only'],
    what: 'validation',
    finals: (s) => Object.fromEntries(Object.entries(s.methods).map(([m, r]) => {
      const acc = { ...(r.val_acc as Record<string, MeanStd>), clean_last5: (r.val_acc_last5_mean as Record<string, MeanStd> | undefined)?.clean };
      return [m, Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, v?.mean ?? null]))];
    })),
    gap: { first: null, second: null, column: 'clean_last5' },
    notes: ['clean_last5: the clean validation accuracy averaged over the last 5 evaluated epochs (in a run of 5 epochs or fewer, over all of them,'
      + ' the epochs before an anneal included, so it can rank the methods otherwise than the final accuracy)'],
  },
};

/** Run (or continue) an image config in `dir` (the part runner with this kind). */
export const runImages = (cfg: ImageExperimentConfig, dir: string, hooks: RunHooks = {}) => runParts(images, cfg, dir, hooks);
