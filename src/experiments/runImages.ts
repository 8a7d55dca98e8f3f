// Runs an image experiment (every method on every seed) into a run folder:
//   config.json, metrics.jsonl (one ImageMetricsRow per method/seed/evaluated epoch),
//   parts/<method>-seed<i>.json (each finished part), checkpoints/, status.json and summary.json.
// Finished parts are skipped and interrupted ones continue from their checkpoint on resume, with
// metrics.jsonl cut back to the checkpoint's byte offset, so that a resumed run writes the same rows.
import { existsSync, readFileSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { checkDevice } from '../engine/index.js';
import { FASHION_MNIST_DIR, FASHION_MNIST_FILES, loadFashionMnist } from '../data/idx.js';
import { CIFAR10_TEST_FILES, CIFAR10_TRAIN_FILES, loadCifar10, resolveCifar10Dir } from '../data/cifar10.js';
import { CIFAR10_STATS, channelStats } from '../data/normalize.js';
import { JsonlWriter, loadCheckpointFile, readJson, prepareRunFolder, refuseIfRunningElsewhere, writeFileAtomic, writeJsonAtomic, writeRunStatus } from '../runs/runFolder.js';
import { methodFileName, validateImageConfig, type ImageExperimentConfig } from './imageConfig.js';
import {
  ImageTrainer, disposeSeedSetup, setupImageSeed, type ImageData, type ImageRunStatus, type ImageSeedSetup, type ImageTrainerState,
} from '../train/imageTrainer.js';
import { VAL_SETS, firstEpochAbove, lastRowsMean, type ImageMetricsRow, type PerValSet, type ValSet } from '../metrics/imageMetrics.js';
import { meanStd, type MeanStd } from '../util/stats.js';
import { CODE_VERSION } from '../util/version.js';

export interface ImagePartResult {
  method: string;
  seed: number;
  subset: string;
  status: Exclude<ImageRunStatus, 'running'>;
  message: string | null;
  /** Finished epochs and optimizer steps. */
  epochs: number;
  steps: number;
  recalibratedBn: boolean;
  /** The last metrics row (null if none was written). */
  final: ImageMetricsRow | null;
  /** Mean validation accuracy over the last 5 evaluated epochs. */
  val_acc_last5_mean: PerValSet;
  /** First epoch whose patch-only validation accuracy is above 50% (null: never). */
  patch_only_above_50_epoch: number | null;
  /** SHA-256 (hex) of the final weights and BatchNorm buffers (the serialized state dict): equal only for equal weights. */
  weightsSha256: string;
  seconds: number;
}

export interface ImageSummary {
  kind: 'images';
  preset: string;
  seeds: number[];
  recalibratedBn: boolean;
  /** The patch mode, or null when the patch is disabled. */
  patchMode: 'replace' | 'add' | null;
  methods: Record<string, {
    /** Final validation accuracy over the seeds that finished (not diverged). */
    val_acc: Record<ValSet, MeanStd>;
    val_acc_last5_mean: Record<ValSet, MeanStd>;
    /** Over the seeds that reached it (null if none did). */
    patch_only_above_50_epoch: MeanStd | null;
    patch_only_above_50_seeds: number;
    statuses: Record<string, number>;
  }>;
}

export interface ImageProgress {
  part: number; parts: number; method: string; seed: number;
  epoch: number; epochs: number; batch: number; batches: number;
  loss: number | null; acc: number | null;
  /** The last metrics row of this part, if any. */
  last: ImageMetricsRow | null;
}

export interface ImageRunHooks {
  /** Called after each training batch and each metrics row. */
  onProgress?: (p: ImageProgress) => void;
  /** Polled before each batch: return true to checkpoint and stop (SIGINT/SIGTERM). */
  shouldStop?: () => boolean;
  /** Let the event loop run (signal handlers, output) at least this often, in ms (default 100). */
  yieldEveryMs?: number;
}

/** Let pending events (a SIGINT handler setting the stop flag) run. */
const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface ImageCheckpoint { codeVersion: string; config: ImageExperimentConfig; metricsBytes: number; seconds: number; trainer: ImageTrainerState }

export const partName = (method: string, seed: number) => `${methodFileName(method)}-seed${seed}`;
export function seedList(cfg: ImageExperimentConfig): number[] { return Array.from({ length: cfg.seeds }, (_, i) => cfg.seed + i); }

const FMNIST_HINT = `install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist, files in ${FASHION_MNIST_DIR}) ` +
  'or download the four .gz files from https://github.com/zalandoresearch/fashion-mnist and pass --data DIR';
const CIFAR_HINT = 'download the binary version (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html, ' +
  'unpack it and pass --data DIR (the folder holding data_batch_1.bin ... test_batch.bin, or cifar-10-batches-bin above it)';

/** Check that the data set's files exist (without reading them); throws a one-line error saying how to get them. */
export function checkImageData(cfg: ImageExperimentConfig): void {
  const d = cfg.dataset;
  if (d.name === 'cifar10') {
    if (d.dir === null) throw new Error(`preset '${cfg.preset}' uses CIFAR-10, which lrlab cannot download: ${CIFAR_HINT}`);
    let dir: string;
    try { dir = resolveCifar10Dir(d.dir); } catch { throw new Error(`CIFAR-10 folder not found: ${d.dir} (${CIFAR_HINT})`); }
    const missing = [...CIFAR10_TRAIN_FILES, ...CIFAR10_TEST_FILES].filter((f) => !existsSync(join(dir, f)));
    if (missing.length) throw new Error(`CIFAR-10: missing file(s) in ${dir}: ${missing.join(', ')} (${CIFAR_HINT})`);
    return;
  }
  const dir = d.dir ?? FASHION_MNIST_DIR;
  if (!existsSync(dir)) throw new Error(`Fashion-MNIST folder not found: ${dir} (${FMNIST_HINT})`);
  const missing = Object.values(FASHION_MNIST_FILES).filter((f) => !existsSync(join(dir, f)) && !existsSync(join(dir, f + '.gz')));
  if (missing.length) throw new Error(`Fashion-MNIST: missing file(s) in ${dir}: ${missing.map((f) => f + '.gz').join(', ')} (${FMNIST_HINT})`);
}

/** Load the data set (test set cut to testSize) and its normalization statistics. */
export function loadImageData(cfg: ImageExperimentConfig): ImageData {
  checkImageData(cfg);
  const d = cfg.dataset;
  const limitTest = d.testSize ?? undefined;
  if (d.name === 'cifar10') {
    const raw = loadCifar10({ dir: d.dir!, limitTest });
    return { ...raw, stats: CIFAR10_STATS };
  }
  const raw = loadFashionMnist({ dir: d.dir ?? undefined, limitTest });
  if (d.trainSize !== null && d.trainSize > raw.train.n) {
    throw new Error(`config key 'dataset.trainSize' is ${d.trainSize} but ${d.dir ?? FASHION_MNIST_DIR} has only ${raw.train.n} training images`);
  }
  // Fashion-MNIST has no standard constants: the statistics of its full training set
  return { ...raw, stats: channelStats(raw.train) };
}

/**
 * Run (or continue) the experiment in `dir`. Resolves to 'done' or 'interrupted'. Async only to let
 * signal handlers run between batches: the results do not depend on the timing.
 */
export async function runImages(cfg: ImageExperimentConfig, dir: string, hooks: ImageRunHooks = {}): Promise<'done' | 'interrupted'> {
  validateImageConfig(cfg);
  refuseIfRunningElsewhere(dir);
  const parts = seedList(cfg).flatMap((seed) => cfg.methods.map((method) => ({ seed, method })));
  // refuse another config or a bad checkpoint before touching any file
  const cfgPath = join(dir, 'config.json');
  if (existsSync(cfgPath) && !isDeepStrictEqual(readJson(cfgPath), cfg)) {
    throw new Error(`run folder ${dir} holds a different config (${cfgPath}); refusing to continue it with this one`);
  }
  const todo = parts.filter(({ seed, method }) => !existsSync(join(dir, 'parts', `${partName(method.name, seed)}.json`)));
  for (const { seed, method } of todo) {
    const ck = join(dir, 'checkpoints', `${partName(method.name, seed)}.json`);
    if (existsSync(ck)) loadImageCheckpoint(ck, cfg);
  }
  let data: ImageData | null = null;
  if (todo.length > 0) {
    checkDevice(cfg.train.device);
    data = loadImageData(cfg);
  }
  prepareRunFolder(dir, cfg);
  // 'running' once a part has started (a checkpoint that does not fit leaves the folder as it was)
  let marked = false;
  const markRunning = () => { if (!marked) writeRunStatus(dir, 'running'); marked = true; };

  let setup: ImageSeedSetup | null = null;
  try {
    for (let pi = 0; pi < parts.length; pi++) {
      const { seed, method } = parts[pi]!;
      const name = partName(method.name, seed);
      if (existsSync(join(dir, 'parts', `${name}.json`))) continue;
      if (setup?.seed !== seed) {
        if (setup) disposeSeedSetup(setup);
        setup = null; // (if the next setup throws, nothing is disposed twice)
        setup = setupImageSeed(cfg, data!, seed);
      }
      if (await runPart(cfg, dir, pi, parts.length, method.name, setup, hooks, markRunning) === 'interrupted') {
        writeRunStatus(dir, 'interrupted');
        return 'interrupted';
      }
    }
  } finally { if (setup) disposeSeedSetup(setup); }
  writeJsonAtomic(join(dir, 'summary.json'), summarizeImages(dir, cfg));
  writeRunStatus(dir, 'done');
  return 'done';
}

/** Train one method on one seed to its end (or until stopped), writing its rows, checkpoints and part file. */
async function runPart(cfg: ImageExperimentConfig, dir: string, pi: number, nParts: number, methodName: string, setup: ImageSeedSetup,
  hooks: ImageRunHooks, markRunning: () => void): Promise<'done' | 'interrupted'> {
  const method = cfg.methods.find((m) => m.name === methodName)!;
  const seed = setup.seed;
  const name = partName(method.name, seed);
  const ckptPath = join(dir, 'checkpoints', `${name}.json`);
  const metricsPath = join(dir, 'metrics.jsonl');
  const t = cfg.train;
  const trainer = new ImageTrainer(cfg, method, setup);
  let metrics: JsonlWriter | null = null;
  try {
    let before = 0;
    const resumed = existsSync(ckptPath);
    if (resumed) {
      const ck = loadImageCheckpoint(ckptPath, cfg);
      try { trainer.restore(ck.trainer); } catch (e) {
        throw new Error(`checkpoint ${ckptPath} does not fit this run (${(e as Error).message}); remove it to restart that part from scratch`);
      }
      before = ck.seconds;
      markRunning();
      // drop rows written after the checkpoint (and any torn line)
      if (existsSync(metricsPath) && statSync(metricsPath).size > ck.metricsBytes) truncateSync(metricsPath, ck.metricsBytes);
    } else markRunning();
    if (!resumed) dropPartRows(metricsPath, method.name, seed); // rows of a crash before the part's first checkpoint
    metrics = new JsonlWriter(metricsPath);
    const w = metrics;
    const t0 = Date.now();
    const seconds = () => before + (Date.now() - t0) / 1000;
    let last: ImageMetricsRow | null = null;
    const progress = (loss: number | null, acc: number | null, batch: number) => hooks.onProgress?.({
      part: pi, parts: nParts, method: method.name, seed, epoch: trainer.epoch, epochs: t.epochs,
      batch, batches: trainer.batchesPerEpoch, loss, acc, last,
    });
    const record = () => { last = trainer.evaluate(seconds()); w.write(last); progress(null, null, 0); };
    const checkpoint = () => {
      w.sync();
      const ck: ImageCheckpoint = { codeVersion: CODE_VERSION, config: cfg, metricsBytes: statSync(metricsPath).size, seconds: seconds(), trainer: trainer.state() };
      writeFileAtomic(ckptPath, JSON.stringify(ck));
    };
    if (!resumed) record();
    while (!trainer.done) {
      await yieldToEvents();
      const r = trainer.trainEpoch({ shouldStop: hooks.shouldStop, onBatch: (b) => progress(b.loss, b.acc, b.batch), pauseAfterMs: hooks.yieldEveryMs ?? 100 });
      if (r === 'paused') continue;
      if (r === 'stopped') { checkpoint(); return 'interrupted'; }
      if (r === 'diverged') break;
      const e = trainer.epoch;
      if (e % t.evalEvery === 0 || e >= t.epochs) record();
      if (e >= t.epochs) trainer.finish();
      else if (t.checkpointEvery > 0 && e % t.checkpointEvery === 0) checkpoint();
    }
    const history = [...trainer.history];
    const result: ImagePartResult = {
      method: method.name, seed, subset: method.subset, status: trainer.status as ImagePartResult['status'], message: trainer.message,
      epochs: trainer.epoch, steps: trainer.step, recalibratedBn: t.recalibrateBn, final: last ?? lastRowOf(metricsPath, method.name, seed),
      val_acc_last5_mean: lastRowsMean(history, 5), patch_only_above_50_epoch: firstEpochAbove(history, 0.5),
      weightsSha256: trainer.model.params.fingerprint(), seconds: seconds(),
    };
    w.sync();
    writeJsonAtomic(join(dir, 'parts', `${name}.json`), result);
    rmSync(ckptPath, { force: true }); // a finished part is never resumed (WRN checkpoints are ~200 MB)
    return 'done';
  } finally {
    metrics?.close();
    trainer.dispose();
  }
}

/** The last metrics row of a part in a metrics file (a part that diverged right after a resume wrote none itself). */
function lastRowOf(path: string, method: string, seed: number): ImageMetricsRow | null {
  if (!existsSync(path)) return null;
  let last: ImageMetricsRow | null = null;
  for (const l of readFileSync(path, 'utf8').split('\n')) {
    try { const r = JSON.parse(l) as ImageMetricsRow; if (r.method === method && r.seed === seed) last = r; } catch { /* torn or empty line */ }
  }
  return last;
}

/** Remove the rows of one part (method, seed) and any line that does not parse from a metrics file. */
export function dropPartRows(path: string, method: string, seed: number): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, 'utf8').split('\n');
  const tail = lines.pop(); // '' after the last newline, else a torn line
  const keep = lines.filter((l) => {
    try { const r = JSON.parse(l) as { method?: unknown; seed?: unknown }; return !(r.method === method && r.seed === seed); } catch { return false; }
  });
  if (keep.length === lines.length && !tail) return;
  writeFileAtomic(path, keep.map((l) => l + '\n').join(''));
}

/** Read and check a checkpoint: intact, same code version, same config. */
export function loadImageCheckpoint(path: string, cfg: ImageExperimentConfig): ImageCheckpoint {
  return loadCheckpointFile<ImageCheckpoint>(path, cfg, CODE_VERSION,
    (ck) => !!ck.trainer && typeof ck.trainer === 'object' && typeof ck.seconds === 'number');
}

/** Mean and std over seeds of every part's results. */
export function summarizeImages(dir: string, cfg: ImageExperimentConfig): ImageSummary {
  const results = readdirSync(join(dir, 'parts')).filter((f) => f.endsWith('.json')).map((f) => readJson<ImagePartResult>(join(dir, 'parts', f)));
  const methods: ImageSummary['methods'] = {};
  for (const m of cfg.methods) {
    const rs = results.filter((r) => r.method === m.name).sort((a, b) => a.seed - b.seed);
    const ok = rs.filter((r) => r.status === 'done');
    const per = (f: (r: ImagePartResult, s: ValSet) => number | null) =>
      Object.fromEntries(VAL_SETS.map((s) => [s, meanStd(ok.map((r) => f(r, s)))])) as Record<ValSet, MeanStd>;
    const statuses: Record<string, number> = {};
    for (const r of rs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const above = rs.map((r) => r.patch_only_above_50_epoch).filter((v): v is number => v !== null);
    methods[m.name] = {
      val_acc: per((r, s) => r.final?.val_acc[s] ?? null),
      val_acc_last5_mean: per((r, s) => r.val_acc_last5_mean[s]),
      patch_only_above_50_epoch: above.length ? meanStd(above) : null,
      patch_only_above_50_seeds: above.length,
      statuses,
    };
  }
  return {
    kind: 'images', preset: cfg.preset, seeds: seedList(cfg), recalibratedBn: cfg.train.recalibrateBn,
    patchMode: cfg.patch.enabled ? cfg.patch.mode : null, methods,
  };
}
