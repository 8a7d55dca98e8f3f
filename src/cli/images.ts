// `lrlab images`: the image experiments of paper Section 6 (patch-augmented and clean data, large
// vs small learning rate vs small learning rate with pre-activation noise), over seeds.
import { alignedTable } from './textTable.js';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, REUSE_CONFIG, RUN_OPTIONS, UsageError, parseSets, printDryRun } from './command.js';
import { runWithProgress } from './progress.js';
import { applySets, deepMerge } from '../experiments/configTools.js';
import { IMAGE_PRESETS, imagePreset } from '../experiments/imagePresets.js';
import { type ImageExperimentConfig, validateImageConfig } from '../experiments/imageConfig.js';
import { checkDevice } from '../engine/index.js';
import { checkImageData, runImages, type ImageProgress, type ImageSummary } from '../experiments/runImages.js';
import { createRunDir, defaultRunDir, readJson } from '../runs/runFolder.js';
import { fmtMeanStd } from '../util/stats.js';

const USAGE = `usage: lrlab images --preset NAME [--data DIR] [--config FILE] [--seeds N] [--set key=value ...] [--out DIR] [--force] [--quiet] [--dry-run]

Runs an image experiment of the paper (Section 6, Appendix H): each method (a learning-rate schedule,
a pre-activation noise schedule and a training subset) on each seed, evaluating every epoch on the
clean, mixed and patch-only validation sets; prints the final validation accuracies (mean ± std over
seeds) and the first epoch at which patch-only accuracy passes 50%.

options:
  --preset NAME     one of: ${Object.keys(IMAGE_PRESETS).join(', ')} (default: patch-fmnist)
  --data DIR        the data folder (Fashion-MNIST default: /usr/share/datasets/fashion-mnist;
                    CIFAR-10: the folder holding data_batch_1.bin ... test_batch.bin, required)
  --config FILE     a JSON config (whole or partial; merged over the preset)
  --seeds N         number of seeds (seed, seed+1, ...)
  --set key=value   override any config key, dotted; methods by index
                    (e.g. --set train.epochs=1 --set methods.0.lr.lr=0.05 --set train.device=cuda)
  --out DIR         run folder (default: runs/images-<preset>-<time>)
  --force           overwrite an existing run folder
  --quiet           no progress bar
  --dry-run         print the resolved config (JSON, on stdout) and what would run, then exit

presets:
${Object.entries(IMAGE_PRESETS).map(([k, v]) => `  ${k.padEnd(24)} ${v.description}`).join('\n')}

Data: Fashion-MNIST comes with Debian's dataset-fashion-mnist package (apt-get install
dataset-fashion-mnist) or from https://github.com/zalandoresearch/fashion-mnist; CIFAR-10 (binary
version) from https://www.cs.toronto.edu/~kriz/cifar.html. The CIFAR-10 presets are GPU-size.

The run folder holds config.json, metrics.jsonl, parts/, summary.json and checkpoints; resume an
interrupted run with \`lrlab resume DIR\`.`;

/** For --dry-run: whether the config's data and device are there, as lines. */
export function environmentNotes(cfg: ImageExperimentConfig): string[] {
  const problems = environmentProblems(cfg);
  return problems.length ? ['but it cannot run here:', ...problems.map((p) => `  - ${p}`)] : ['data and device: found'];
}

/** Problems that would stop the config from running here (its data, its device), as messages. */
function environmentProblems(cfg: ImageExperimentConfig): string[] {
  const problems: string[] = [];
  for (const check of [() => checkImageData(cfg), () => checkDevice(cfg.train.device)]) {
    try { check(); } catch (e) { problems.push((e as Error).message); }
  }
  return problems;
}

/**
 * Build the config from --preset, --config, --data, --seeds and --set; unless `checkEnvironment` is
 * false, also require its data and device to be there.
 */
export function buildImageConfig(o: { preset?: string; config?: string; data?: string; seeds?: string; set?: string[] }, checkEnvironment = true): ImageExperimentConfig {
  let cfg: ImageExperimentConfig;
  try { cfg = imagePreset(o.preset ?? 'patch-fmnist'); } catch (e) { throw new UsageError((e as Error).message); }
  if (o.config) {
    let patch: unknown;
    try { patch = JSON.parse(readFileSync(o.config, 'utf8')); } catch (e) { throw new UsageError(`cannot read --config ${o.config}: ${(e as Error).message}`); }
    cfg = deepMerge(cfg, patch);
  }
  if (o.data !== undefined) cfg.dataset.dir = resolve(o.data); // absolute: the saved config works from any folder
  if (o.seeds !== undefined) {
    const n = Number(o.seeds);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--seeds must be a positive integer, got '${o.seeds}'`);
    cfg.seeds = n;
  }
  try {
    cfg = applySets(cfg, parseSets(o.set ?? []));
    validateImageConfig(cfg);
  } catch (e) { throw new UsageError((e as Error).message); }
  const problems = checkEnvironment ? environmentProblems(cfg) : [];
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return cfg;
}

const pct = (v: number | null | undefined) => (typeof v === 'number' ? (100 * v).toFixed(1) : '-');

/** The summary as a table: final val acc (and mean of the last 5 epochs) per set, and when patch-only passes 50%. */
export function formatImageTable(s: ImageSummary): string {
  const sets = ['clean', 'mixed', 'patch_only'] as const;
  const head = ['method', ...sets.map((c) => `val acc ${c}`), ...sets.map((c) => `last-5 ${c}`), 'patch-only > 50% at epoch'];
  const rows = Object.entries(s.methods).map(([m, r]) => [
    m, ...sets.map((c) => fmtMeanStd(r.val_acc[c])), ...sets.map((c) => fmtMeanStd(r.val_acc_last5_mean[c])),
    r.patch_only_above_50_epoch ? `${fmtMeanStd(r.patch_only_above_50_epoch, 1)} (${r.patch_only_above_50_seeds}/${s.seeds.length} seeds)` : 'never',
  ]);
  const notes = [
    `images preset '${s.preset}', seeds ${s.seeds.join(', ')} (accuracy as a fraction, mean ± std over seeds)`,
    `patch: ${s.patchMode ?? 'none'}; BatchNorm statistics ${s.recalibratedBn ? 'recalibrated on training batches before each evaluation' : 'as trained (running averages)'}`,
  ];
  const bad = Object.entries(s.methods).filter(([, r]) => (r.statuses['diverged'] ?? 0) > 0).map(([m, r]) => `${m}: ${r.statuses['diverged']} seed(s) diverged (left out of the accuracies)`);
  return [...notes, ...alignedTable(head, rows), ...bad].join('\n');
}

function progressInfo(p: ImageProgress): string {
  const val = p.last ? `  val after epoch ${p.last.epoch}: clean ${pct(p.last.val_acc.clean)} mixed ${pct(p.last.val_acc.mixed)} patch ${pct(p.last.val_acc.patch_only)}` : '';
  const tr = p.loss !== null ? ` loss ${p.loss.toPrecision(3)} acc ${pct(p.acc)}` : '';
  return `${p.method} seed ${p.seed} epoch ${Math.min(p.epoch + 1, p.epochs)}/${p.epochs}${tr}${val}`;
}

/** Run a config into a folder with a progress bar; print the table. Shared by `images` and `resume`. */
export async function executeImages(cfg: ImageExperimentConfig, dir: string, quiet: boolean): Promise<number> {
  const perPart = cfg.train.epochs;
  return runWithProgress({
    label: 'images', total: cfg.seeds * cfg.methods.length * perPart, dir, quiet,
    run: (shouldStop, bar) => runImages(cfg, dir, {
      shouldStop,
      onProgress: (p) => bar.update(p.part * perPart + p.epoch + (p.batches ? p.batch / p.batches : 0), progressInfo(p)),
    }),
    table: () => formatImageTable(readJson<ImageSummary>(join(dir, 'summary.json'))),
  });
}

export const imagesCommand: Command = {
  name: 'images',
  summary: 'the image experiments: patch-augmented / clean data, large vs small lr vs small lr + noise (paper Section 6)',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: { ...RUN_OPTIONS, data: { type: 'string' } },
    });
    const dryRun = values['dry-run'] ?? false;
    const cfg = buildImageConfig(values, !dryRun);
    const out = values.out ?? defaultRunDir('images', cfg.preset);
    if (dryRun) {
      const plan = `would run ${cfg.methods.map((m) => m.name).join(', ')} on ${cfg.seeds} seed(s) from seed ${cfg.seed}: ${cfg.seeds * cfg.methods.length} part(s) of ${cfg.train.epochs} epochs on ${cfg.train.device}`;
      return printDryRun(cfg, { plan, dir: out, force: values.force ?? false, notes: environmentNotes(cfg), reuse: REUSE_CONFIG });
    }
    const dir = createRunDir(out, values.force ?? false);
    return executeImages(cfg, dir, values.quiet ?? false);
  },
};
