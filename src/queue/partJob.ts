// What travels through the queue: one job per part, carrying data only — the experiment kind, the
// run's validated config restricted to that part's seed, the method, the seed, the part identity and
// the code version — never a command. Both ends check it: the coordinator builds it from a validated
// config, the worker validates it again (the job's shape, the kind's schema, the code version, and
// the part identity recomputed from the config) before it trains anything; the coordinator checks
// what comes back (partResultSchema) before it writes a file.
import { hostname } from 'node:os';
import { z } from '../util/schema.js';
import { CODE_VERSION } from '../util/version.js';
import { partFileSchema, metricsRowSchema, type PartFile } from '../runs/format.js';
import type { AnyExperiment, BaseConfig, PartKey } from '../experiments/experiment.js';
import { findExperiment, experimentKinds } from '../experiments/registry.js';
import { partId } from '../experiments/partId.js';
import { partName } from '../experiments/partRunner.js';
import { getDotted } from '../experiments/configTools.js';

/** BullMQ's key prefix in Redis: lrlab's keys are lrlab:* and nothing else. */
export const KEY_PREFIX = 'lrlab';
/** The queue a part goes to: one per device, so a CPU worker never takes a CUDA part. */
export const queueName = (device: string) => `parts-${device}`;
export const DEVICES = ['cpu', 'cuda'] as const;

/** A part's device: its config's train.device where the kind has one, else the CPU. */
export function partDevice(cfg: unknown): string {
  const d = getDotted(cfg, 'train.device');
  return typeof d === 'string' && (DEVICES as readonly string[]).includes(d) ? d : 'cpu';
}

const RUN_TOKEN = /^[0-9a-f]{16}$/;

export const partJobSchema = z.strictObject({
  format: z.literal(1),
  kind: z.string().regex(/^[a-z][a-z0-9-]*$/),
  config: z.record(z.string(), z.unknown()),
  method: z.string().min(1).max(200),
  seed: z.int().min(0),
  part: z.string().min(1).max(250),
  partId: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  codeVersion: z.string().min(1).max(100),
  /** The run's token (queueRecord.ts): two run folders with an equal part get two jobs. */
  run: z.string().regex(RUN_TOKEN),
  /** The run folder on the coordinator's machine; a worker with --shared-dir keeps its checkpoints there. */
  runDir: z.string().min(1).max(4096),
});
export type PartJob = z.infer<typeof partJobSchema>;

/** A job's id: the run's token and the part identity, so adding a part again is a no-op (BullMQ ignores a duplicate id). */
export const jobIdOf = (run: string, id: string) => `${run}.${id.replace(/^sha256:/, '')}`;

/** Build the job of one part of a validated run config. */
export function makePartJob(exp: AnyExperiment, cfg: BaseConfig, key: PartKey, run: string, runDir: string): PartJob {
  const id = partId(exp.kind, exp.partConfig(cfg, key.method), key.seed);
  const config = exp.validate({ ...cfg, seed: key.seed, seeds: 1 }) as BaseConfig;
  // the restricted config must be the same part (a kind whose part config depended on `seeds` would not be)
  if (partId(exp.kind, exp.partConfig(config, key.method), key.seed) !== id) throw new Error(`part ${partName(key)}: its identity changes when its config is restricted to its seed`);
  return partJobSchema.parse({
    format: 1, kind: exp.kind, config, method: key.method, seed: key.seed, part: partName(key), partId: id,
    codeVersion: CODE_VERSION, run, runDir,
  });
}

/** A job this worker will not run: the message says why (one line). */
export class JobRefused extends Error {
  /** True when the part is fine but this worker's lrlab is another version (the part waits for another worker). */
  constructor(message: string, readonly otherVersion = false) { super(message); }
}

/** Check a job as a worker receives it; returns its kind, validated config and part. Throws JobRefused. */
export function validatePartJob(data: unknown): { exp: AnyExperiment; cfg: BaseConfig; key: PartKey; job: PartJob } {
  const p = partJobSchema.safeParse(data);
  if (!p.success) {
    const iss = p.error.issues[0]!;
    throw new JobRefused(`not an lrlab part job (${iss.path.join('.') || 'job'}: ${iss.message})`);
  }
  const job = p.data;
  if (job.codeVersion !== CODE_VERSION) {
    throw new JobRefused(`part ${job.part} is of lrlab code version ${job.codeVersion}, this worker runs ${CODE_VERSION}: run workers of the coordinator's version`, true);
  }
  const exp = findExperiment(job.kind);
  if (!exp) throw new JobRefused(`part ${job.part}: unknown experiment kind '${job.kind}' (this worker knows ${experimentKinds().join(', ')})`);
  let cfg: BaseConfig;
  try { cfg = exp.validate(job.config) as BaseConfig; } catch (e) { throw new JobRefused(`part ${job.part}: ${(e as Error).message}`); }
  const key = { method: job.method, seed: job.seed };
  if (cfg.seed !== job.seed || cfg.seeds !== 1 || !exp.methods(cfg).includes(job.method) || partName(key) !== job.part) {
    throw new JobRefused(`part ${job.part}: its config is not that of method '${job.method}' on seed ${job.seed}`);
  }
  if (partId(exp.kind, exp.partConfig(cfg, job.method), job.seed) !== job.partId) {
    throw new JobRefused(`part ${job.part}: its identity does not match its config`);
  }
  return { exp, cfg, key, job };
}

/** What a worker sends back for a finished part: its part file, its metrics rows (JSON lines, in order), who ran it. */
export const partResultSchema = z.strictObject({
  partFile: partFileSchema,
  rows: z.array(z.string()),
  /** The part's other files (PartWork.sideFiles: parts/<part>.<suffix>), base64, by suffix. */
  sideFiles: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/), z.base64()),
  worker: z.string(),
});
export interface PartResult { partFile: PartFile & Record<string, unknown>; rows: string[]; sideFiles: Record<string, string>; worker: string }

/** Check a finished part's result against its job (coordinator side); throws a one-line Error. */
export function checkPartResult(value: unknown, job: PartJob): PartResult {
  const p = partResultSchema.safeParse(value);
  if (!p.success) throw new Error(`part ${job.part}: the worker's result is malformed (${p.error.issues[0]?.message ?? 'invalid'})`);
  const r = p.data as PartResult;
  if (r.partFile.partId !== job.partId || r.partFile.method !== job.method || r.partFile.seed !== job.seed) {
    throw new Error(`part ${job.part}: the worker's result belongs to another part`);
  }
  for (const line of r.rows) {
    let row: unknown;
    try { row = JSON.parse(line); } catch { throw new Error(`part ${job.part}: a metrics row from the worker is not JSON`); }
    const m = metricsRowSchema.safeParse(row);
    if (!m.success || m.data.method !== job.method || m.data.seed !== job.seed || line.includes('\n')) {
      throw new Error(`part ${job.part}: a metrics row from the worker is not one of this part`);
    }
  }
  return r;
}

/** This worker process, as named in progress lines and messages: host:pid. */
export const workerName = () => `${hostname()}:${process.pid}`;
