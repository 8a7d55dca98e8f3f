// An image run's part files and summary.json: each method's final and last-5-epoch validation
// accuracy per validation set (over the seeds that finished; diverged ones are counted apart), and
// when the patch was memorized (patch-only accuracy above 50%).
import { meanStd, type MeanStd } from '../../util/stats.js';
import type { PartFile } from '../../runs/format.js';
import { seedList } from '../partRunner.js';
import { VAL_SETS, type ImageMetricsRow, type PerValSet, type ValSet } from '../../metrics/imageMetrics.js';
import type { ImageRunStatus } from '../../train/imageTrainer.js';
import type { ImageExperimentConfig } from './config.js';
import { SIGNALS, decodeFirstLearned, orderAgreement, type GroupFinal, type PartEvents } from './events.js';

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
  /** The per-example learning events' figures (absent when metrics.exampleEvents is off). */
  events?: PartEvents;
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
    /**
     * 'events.<signal>.<group>' (group: all, unpatched, patched, patch_only_loads, class<c>): each
     * figure of GroupFinal as mean ± std over seeds; 'order_agreement.<signal>': per other method
     * the Spearman rank correlation of first-learned epochs, mean ± std over seeds.
     */
    [events: `events.${string}` | `order_agreement.${string}`]: Record<string, MeanStd>;
  }>;
}

const GROUP_FIGURES: (keyof GroupFinal)[] = ['learned', 'stays', 'median_first_learned', 'mean_forgetting', 'unforgettable'];

/** A method's event figures over its seeds, and the agreement of its learning order with every other method's (same seed). */
function eventStats(ok: ImagePartResult[], all: ImagePartResult[], method: string): Record<string, Record<string, MeanStd>> {
  const out: Record<string, Record<string, MeanStd>> = {};
  const withEv = ok.filter((r) => r.events);
  if (withEv.length === 0) return out;
  for (const s of SIGNALS) {
    const sig = withEv.map((r) => r.events!.signals[s]).filter((v) => v !== undefined);
    if (sig.length === 0) continue;
    const groups = new Set(sig.flatMap((v) => [...Object.keys(v.groups), ...Object.keys(v.classes).map((c) => `class${c}`)]));
    for (const g of groups) {
      const pick = (v: (typeof sig)[number]) => (g.startsWith('class') ? v.classes[g.slice(5)] : v.groups[g as keyof typeof v.groups]);
      out[`events.${s}.${g}`] = Object.fromEntries(GROUP_FIGURES.map((k) => [k, meanStd(sig.map((v) => pick(v)?.[k] ?? null))]));
    }
    const agree: Record<string, MeanStd> = {};
    for (const other of [...new Set(all.map((r) => r.method))].filter((m) => m !== method)) {
      const rho = withEv.map((r) => {
        const o = all.find((x) => x.method === other && x.seed === r.seed && x.status === 'done' && x.events?.signals[s]);
        const mine = r.events!.signals[s];
        return o && mine ? orderAgreement(decodeFirstLearned(mine.first_learned), decodeFirstLearned(o.events!.signals[s]!.first_learned)) : null;
      });
      if (rho.some((v) => v !== null)) agree[other] = meanStd(rho);
    }
    if (Object.keys(agree).length) out[`order_agreement.${s}`] = agree;
  }
  return out;
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
      ...eventStats(ok, results, m.name),
    };
  }
  return {
    kind: 'images', preset: cfg.preset, seeds: seedList(cfg), recalibratedBn: cfg.train.recalibrateBn,
    patchMode: cfg.patch.enabled ? cfg.patch.mode : null, methods,
  };
}
