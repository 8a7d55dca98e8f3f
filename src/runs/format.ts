// The files of a run folder that more than one layer reads, as schemas shared by their writer (the
// part runner) and their readers (report, index, dashboard): status.json, the summary.json envelope,
// a metrics.jsonl row's common keys and a part file's common keys. Each experiment kind adds its own
// keys (its summary's per-method numbers, its rows' metrics); readers that do not know the kind use
// only what is here.
import { z } from '../util/schema.js';

/** A run's (or sweep's) state in status.json. */
export const RUN_STATES = ['running', 'interrupted', 'done', 'failed'] as const;
export type RunState = (typeof RUN_STATES)[number];

export const runStatusSchema = z.looseObject({
  state: z.enum(RUN_STATES),
  /** The process that wrote it (a 'running' status whose process is gone was killed). */
  pid: z.int().optional(),
  /** The processes that train a run's parts side by side for `pid` (they may outlive it by a moment). */
  workers: z.array(z.int()).optional(),
  /**
   * When each of those processes started, by pid (Linux: /proc/<pid>/stat's start time, clock ticks
   * since boot): a pid the system has since given to another process no longer counts as the run's.
   */
  starts: z.record(z.string(), z.number()).optional(),
  updated: z.string().optional(),
  /** A finished sweep's parts: trained, and copied from runs already done (same part identity). */
  parts_run: z.int().optional(),
  parts_reused: z.int().optional(),
});
export type RunStatusFile = z.infer<typeof runStatusSchema>;

/** Mean ± sample std over seeds, and how many seeds gave a value. */
export const meanStdSchema = z.object({ mean: z.number().nullable(), std: z.number().nullable(), n: z.int() });

/** summary.json: what every kind writes; `methods` holds each kind's per-method numbers. */
export const summaryEnvelopeSchema = z.looseObject({
  kind: z.string(),
  preset: z.string(),
  seeds: z.array(z.int()),
  methods: z.record(z.string(), z.record(z.string(), z.unknown())),
});
export type SummaryEnvelope = z.infer<typeof summaryEnvelopeSchema>;

/** A metrics.jsonl row's common keys: which part wrote it and when (step: optimizer steps so far). */
export const metricsRowSchema = z.looseObject({ method: z.string(), seed: z.int(), step: z.int(), epoch: z.int().optional() });
export type MetricsRow = z.infer<typeof metricsRowSchema>;

/** A part file's (parts/<method>-seed<i>.json) common keys. */
export const partFileSchema = z.looseObject({
  method: z.string(),
  seed: z.int(),
  /** The part identity (src/experiments/partId.ts); absent in parts written before it existed. */
  partId: z.string().optional(),
  status: z.string(),
  message: z.string().nullable(),
  weightsSha256: z.string(),
  seconds: z.number(),
});
/** A part file's common keys (the kind's own fields are there too, typed by the kind). */
export interface PartFile { method: string; seed: number; partId?: string; status: string; message: string | null; weightsSha256: string; seconds: number }

/** Parse a file's JSON with one of these schemas; null when it does not fit (readers skip such files). */
export function parseOrNull<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> | null {
  const r = schema.safeParse(value);
  return r.success ? r.data : null;
}
