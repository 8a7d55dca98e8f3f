// An image run's part files and summary.json: each method's final and last-5-epoch validation
// accuracy per validation set (over the seeds that finished; diverged ones are counted apart), and
// when the patch was memorized (patch-only accuracy above 50%).
import { meanStd, type MeanStd } from '../../util/stats.js';
import type { PartFile } from '../../runs/format.js';
import { seedList } from '../partRunner.js';
import { VAL_SETS, type ImageMetricsRow, type PerValSet, type ValSet } from '../../metrics/imageMetrics.js';
import type { ImageRunStatus } from '../../train/imageTrainer.js';
import type { ImageExperimentConfig } from './config.js';

export interface ImagePartResult extends PartFile {
  subset: string;
  status: Exclude<ImageRunStatus, 'running'>;
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

/** Mean and std over seeds of every part's results. */
export function summarizeImages(cfg: ImageExperimentConfig, parts: PartFile[]): ImageSummary {
  const results = parts as ImagePartResult[];
  const methods: ImageSummary['methods'] = {};
  for (const m of cfg.methods) {
    const rs = results.filter((r) => r.method === m.name).sort((a, b) => a.seed - b.seed);
    const ok = rs.filter((r) => r.status === 'done');
    const per = (f: (r: ImagePartResult, s: ValSet) => number | null) =>
      Object.fromEntries(VAL_SETS.map((s) => [s, meanStd(ok.map((r) => f(r, s)))])) as Record<ValSet, MeanStd>;
    const statuses: Record<string, number> = {};
    for (const r of rs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const above = ok.map((r) => r.patch_only_above_50_epoch).filter((v): v is number => v !== null);
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
