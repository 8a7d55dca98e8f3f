// What an experiment kind is: one value per kind (src/experiments/<kind>/index.ts) that says how to
// check its configs, which presets it has, which parts a config consists of, how to train one part,
// how parts are summarized, what a sweep compares, and what the CLI, the report and the dashboard
// show for it. Everything outside a kind's folder works through this interface only (looked up in
// the registry by the config's `kind`), so adding an experiment is one folder plus one line in
// registry.ts (docs/EXTENDING.md).
//
// The unit of work is the PART: one method on one seed of one resolved config. The part runner
// (partRunner.ts) drives a part's PartWork: it advances it, appends its evaluation rows to
// metrics.jsonl, checkpoints it, stops it on a signal, resumes it, and writes its part file.
import type { z } from '../util/schema.js';
import type { OpSize } from '../engine/runtime.js';
import type { MeanStd } from '../util/stats.js';
import type { MetricsRow, PartFile, SummaryEnvelope } from '../runs/format.js';
import type { ChartContext, ChartSpec } from '../viz/charts.js';
import type { FinalStats, Headline } from '../viz/finals.js';
import type { Table } from '../viz/table.js';
import type { ScheduleView } from './scheduleCheck.js';

/** What every experiment config holds besides its own sections. */
export interface BaseConfig { kind: string; preset: string; seed: number; seeds: number }

/**
 * A config as read back from any run folder (possibly written by another version, so not validated):
 * the common keys, and whatever else the kind put there.
 */
export interface LooseConfig { kind: string; preset?: unknown; seed?: unknown; seeds?: unknown; methods?: unknown; [key: string]: unknown }

export interface Preset<C> { description: string; config(): C }

/** One part of a config. */
export interface PartKey { method: string; seed: number }

/** What happened in one call of PartWork.advance. */
export type Advance =
  /** Time to give the event loop a turn (signal handlers); call again to continue. */
  | 'paused'
  /** shouldStop() said so in the middle of the unit; checkpoint and stop. */
  | 'stopped'
  /** A unit (a step, an epoch) ended: whether to append an evaluation row, then to checkpoint. */
  | { evaluate: boolean; checkpoint: boolean };

/** One part being trained: the kind's trainer behind the part runner's interface. */
export interface PartWork {
  /** True once training has ended (finished, converged, diverged). */
  readonly done: boolean;
  /** Train up to the end of the next unit (or a pause / a stop). */
  advance(ctl: { shouldStop: () => boolean; pauseAfterMs: number }): Advance;
  /** Evaluate now: the metrics row to append (`seconds`: wall-clock time of the part so far). */
  evaluate(seconds: number): MetricsRow;
  /** The whole training state (JSON), restored exactly by restore(). */
  state(): unknown;
  restore(state: unknown): void;
  /** The kind's fields of the finished part's file; `rows`: this part's metrics rows, in order. */
  result(rows: MetricsRow[]): { status: string; message: string | null; [key: string]: unknown };
  /** SHA-256 of the final weights (equal only for identical weights). */
  fingerprint(): string;
  /** How far the part is, in the kind's clock unit (`of`: the planned total), and a one-line status. */
  progress(): { at: number; of: number; info: string };
  /**
   * Optional: files of the finished part besides its part file, by suffix: { 'events.bin': bytes }
   * becomes parts/<part>.events.bin (written atomically before the part file). What a resume needs
   * belongs in state(), which the checkpoint holds.
   */
  sideFiles?(): Record<string, Uint8Array>;
  dispose(): void;
}

/**
 * One part of a batch (Experiment.createBatch): its run's config, what that run's parts share
 * (Experiment.prepare of that config), and which part it is. The parts of one batch may come from
 * several runs (the points of a sweep), each with its own config.
 */
export interface BatchItem<C = BaseConfig, Ctx = unknown> { cfg: C; ctx: Ctx; key: PartKey }

/**
 * Parts trained together as ONE batched program and advanced in lockstep (Experiment.createBatch):
 * each part's results equal those of training it alone.
 */
export interface PartBatch {
  /** One PartWork per key, in the order given: each evaluates, saves, restores and reports its own part (its advance is not called). */
  readonly parts: PartWork[];
  /** One unit of every part not yet done; per part, what its advance would have said (null: it was done before this call). */
  advance(): ({ evaluate: boolean; checkpoint: boolean } | null)[];
  dispose(): void;
}

/** The report's and dashboard's side of a kind. Functions take loose configs (any version's run folder). */
export interface ExperimentView {
  /** The x axis of its curves: optimizer steps or epochs. */
  clock: 'step' | 'epoch';
  /** The headline accuracy group and subsets of its rows (runs list, live tables). */
  headline: Headline;
  /** The one number per method the runs list shows. */
  listColumn: { key: string; label: string; format: 'pct' | 'frac' };
  /** Final figures besides the headline ones that the runs index keeps (e.g. 'annealed_at_step'). */
  indexKeys: string[];
  /** Method names in config order. */
  methodNames(config: LooseConfig): string[];
  /** Extra final figures derived from one method's rows (one array per seed), for unfinished runs. */
  rowFinals(seeds: MetricsRow[][]): Record<string, MeanStd>;
  tables(config: LooseConfig, methods: string[], f: FinalStats): Table[];
  charts(ctx: ChartContext, configs: LooseConfig[], seriesOf: (run: number, method: string) => string): ChartSpec[];
  /** Facts about a run for the report's and dashboard's header: [label, value]. */
  facts(run: { config: LooseConfig; rows: MetricsRow[]; summary: SummaryEnvelope | null }): [string, string][];
}

/** The CLI's side of a kind (`lrlab <kind>`, resume, sweep). */
export interface ExperimentCli<C> {
  /** One line for `lrlab --help`. */
  summary: string;
  /** The command's help text after the usage line: what it runs and its kind-specific options. */
  help: string;
  /** Options beyond the common run options (parseArgs format), and how they change the config. */
  options: Record<string, { type: 'string' | 'boolean'; description: string }>;
  applyOptions(c: C, values: Record<string, string | boolean | undefined>): C;
  /** Merge a partial config (--config FILE) over a preset; default: a deep merge. */
  merge?(base: C, patch: unknown): C;
  /** What a run of this config would do, for --dry-run. */
  plan(c: C): string;
  /** The --dry-run line when environmentProblems finds nothing missing (e.g. 'data and device: found'), if any. */
  ready?: string;
  /** The finished run's table (from summary.json). */
  table(summary: SummaryEnvelope): string;
}

/** What a sweep reports for a kind: per method the columns of each run's summary, and the headline gap. */
export interface SweepView {
  columns: string[];
  /** The columns shown in the sweep table. */
  shown: string[];
  /**
   * Columns that are per-seed yes/no (1/0) answers, such as "P learned before Q": the table shows
   * each as the count of seeds over those answered, with a 95% Wilson interval; each one's label.
   */
  fractions?: Record<string, string>;
  /** 'test' or 'validation' (the table's caption). */
  what: string;
  /** {method: {column: value}} of one finished run. */
  finals(summary: SummaryEnvelope): Record<string, Record<string, number | null>>;
  /** The headline comparison: `first` − `second` on `column` (methods by name, or null: the config's first two). */
  gap: { first: string | null; second: string | null; column: string };
  /** What columns that are not plain final accuracies mean (printed under the table). */
  notes?: string[];
}

export interface Experiment<C extends BaseConfig = BaseConfig, Ctx = unknown, Seed = unknown> {
  kind: string;
  /** The config schema (zod): TypeScript type, JSON Schema and validation. */
  schema: z.ZodType<C>;
  /** Parse a complete config; throws a one-line ConfigError naming the key. */
  validate(config: unknown): C;
  presets: Record<string, Preset<C>>;
  defaultPreset: string;
  /** Method names of a config, in order. */
  methods(c: C): string[];
  /**
   * The part's own resolved config: only the keys that can change that method's result on that seed
   * (L-S's eta1 is in L-S's, not in S's). Hashed into the part identity (partId.ts).
   */
  partConfig(c: C, method: string): unknown;
  /** What stops the config from running here (missing data, a device that is not there), as messages. */
  environmentProblems(c: C): string[];
  /** Load what all parts of a run share (the data set); called once, and only when some part must train. */
  prepare(c: C): Ctx;
  /** What the parts of one seed share (the seed's data, patch masks); consecutive parts of a seed reuse it. */
  setupSeed(c: C, ctx: Ctx, seed: number): Seed;
  disposeSeed(s: Seed): void;
  /**
   * Optional: what this config's ops are like, for the intra-op thread count of its run
   * (engine/runtime.ts threadsFor: 'small-ops' -> 1 thread, 'large-ops' -> all cores; LRLAB_NUM_THREADS wins).
   */
  opSize?(c: C): OpSize;
  createPart(c: C, ctx: Ctx, seed: Seed, key: PartKey): PartWork;
  /**
   * Optional: where a part's checkpointed state (its PartWork.state()) stands, in words, for the
   * resume line ('step 363: in epoch 10, after 3 of 40 batches'); null when the state does not say.
   * Default: its step, and the epochs done where the state counts them (partFiles.resumePoints).
   */
  resumeAt?(c: C, state: unknown): string | null;
  /**
   * Optional: parts as one batched program (the part runner's default; `--no-batch` runs them one by
   * one), in the order given: the parts still to do of a run (seeds outer, methods inner), or of
   * several runs whose configs have one batchKey (a run group: runGroup.ts). Null when these parts
   * do not batch (their configs do not, their batchKeys differ, or there is one). It sets up its
   * seeds itself.
   */
  createBatch?(items: BatchItem<C, Ctx>[]): PartBatch | null;
  /**
   * Optional (with createBatch): what the parts of a config must share with other parts to train in
   * one batch with them (shapes, dtype, the update), as a string; configs with equal keys batch
   * together (their other settings stay their own). Null: this config's parts do not batch. Runners
   * and the sweep group runs by it without knowing the kind.
   */
  batchKey?(c: C): string | null;
  /** summary.json from the part files (which may include diverged parts). */
  summarize(c: C, parts: PartFile[]): SummaryEnvelope;
  /** The length of training and its schedule events (checked against the end, moved by --scale-schedule). */
  schedule: ScheduleView<C>;
  view: ExperimentView;
  cli: ExperimentCli<C>;
  sweep: SweepView;
}

/** A kind's Experiment as the registry holds it (its config type erased). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyExperiment = Experiment<any, any, any>;
