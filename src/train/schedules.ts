// Learning-rate and noise-level schedules as plain JSON config objects plus pure functions that
// evaluate them at a point of training, so that a resumed run gets exactly the same values.
//
// Clock conventions: `epoch` is the 0-based index of the current epoch and `step` the 0-based index
// of the current iteration (= number of optimizer steps already taken, counted over the whole run).
// An epoch-based change "at epoch 60" takes effect at the START of epoch 60: epochs 0..59 use the old
// value, epoch 60 onwards the new one (the paper's "x0.2 at epochs 60/120/150"). Likewise a
// step-based change "at step s" first applies to iteration s.

export type ScheduleUnit = 'epoch' | 'step';

/**
 * Linear warmup, multiplied onto any learning-rate schedule (the main schedule's clock is not
 * shifted): factor = startFactor + (1 - startFactor) * min(t, n) / n, i.e. startFactor at t = 0 and 1
 * from t = n on. With `steps: n`, t is the step. With `epochs: n`, t is the step and the length is
 * n * stepsPerEpoch when the position gives stepsPerEpoch (a per-iteration ramp), else t is the epoch.
 */
export type Warmup = { steps: number; epochs?: never; startFactor: number } | { epochs: number; steps?: never; startFactor: number };

/** Learning-rate schedules (a discriminated union on `kind`); each may add a linear `warmup`. */
export type LrSchedule = (
  /** eta constant. */
  | { kind: 'constant'; lr: number }
  /** eta multiplied by `factor` at each epoch/step listed in `at` (strictly increasing). */
  | { kind: 'step'; lr: number; factor: number; at: number[]; unit: ScheduleUnit }
  /** torch.optim.lr_scheduler.MultiStepLR: lr * gamma^(number of milestones <= t); repeats count twice. */
  | { kind: 'multistep'; lr: number; milestones: number[]; gamma: number; unit?: ScheduleUnit }
  /** Cosine annealing from lr (t = 0) to minLr (t >= total, held there); t in `unit`s (default epoch). */
  | { kind: 'cosine'; lr: number; total: number; minLr?: number; unit?: ScheduleUnit }
  /** Algorithm 1 (L-S): eta1 until the training loss first falls below `threshold`, then eta2 (see AnnealAtLoss). */
  | AnnealAtLossSpec
) & { warmup?: Warmup };

/** The event-triggered anneal of Algorithm 1: lr1 = eta1, lr2 = eta2, threshold = eps1 + q log 2. */
export interface AnnealAtLossSpec { kind: 'annealAtLoss'; lr1: number; lr2: number; threshold: number }

/** Noise-level (standard deviation) schedules for the noise-mitigation runs. */
export type NoiseSchedule =
  /** No noise (std 0). */
  | { kind: 'off' }
  | { kind: 'constant'; std: number }
  /** std multiplied by `factor` at each epoch/step in `at` (e.g. 0.4 x 1e-5 at epoch 30). */
  | { kind: 'step'; std: number; factor: number; at: number[]; unit: ScheduleUnit }
  /** std * rate^t, t the step (or epoch): e.g. 0.2 x 0.995 per iteration (Table 1). */
  | { kind: 'exponential'; std: number; rate: number; every: ScheduleUnit };

/** Where in training a schedule is evaluated. */
export interface SchedulePosition {
  /** 0-based epoch index. */
  epoch: number;
  /** 0-based global iteration index. */
  step: number;
  /** Iterations per epoch; only used by an epoch-long warmup (to ramp per iteration). */
  stepsPerEpoch?: number;
  /** For 'annealAtLoss': the step at which the anneal fired (AnnealAtLoss.state()), or null if not yet. */
  annealedAtStep?: number | null;
}

// ------------------------------------------------------------------ validation

type Obj = Record<string, unknown>;

function fail(what: string, msg: string): never { throw new Error(`${what}: ${msg}`); }
const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? `[${v.join(', ')}]` : String(v));

function keysOnly(what: string, o: Obj, allowed: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(what, `unknown key '${k}' (allowed: ${allowed.join(', ')})`);
}
function nonNeg(what: string, o: Obj, key: string, optional = false): void {
  const v = o[key];
  if (optional && v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(what, `${key} must be a finite number >= 0, got ${show(v)}`);
}
function positive(what: string, o: Obj, key: string): void {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(what, `${key} must be a finite number > 0, got ${show(v)}`);
}
function positiveInt(what: string, o: Obj, key: string): void {
  const v = o[key];
  if (!Number.isSafeInteger(v) || (v as number) <= 0) fail(what, `${key} must be a positive integer, got ${show(v)}`);
}
function unit(what: string, o: Obj, key: string, optional = false): void {
  const v = o[key];
  if (optional && v === undefined) return;
  if (v !== 'epoch' && v !== 'step') fail(what, `${key} must be 'epoch' or 'step', got ${show(v)}`);
}
/** A list of non-negative integer epochs/steps, increasing (strictly unless `repeats`). */
function points(what: string, o: Obj, key: string, repeats: boolean): void {
  const v = o[key];
  if (!Array.isArray(v) || v.some((x) => !Number.isSafeInteger(x) || x < 0)) {
    fail(what, `${key} must be an array of non-negative integers, got ${show(v)}`);
  }
  for (let i = 1; i < v.length; i++) {
    if (repeats ? v[i] < v[i - 1] : v[i] <= v[i - 1]) fail(what, `${key} must be sorted ${repeats ? 'non-decreasing' : 'strictly increasing'}, got ${show(v)}`);
  }
}
function object(what: string, spec: unknown): Obj {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) fail(what, `expected an object with a 'kind', got ${show(spec)}`);
  return spec as Obj;
}

function validateWarmup(w: unknown): void {
  const what = 'lr schedule: warmup';
  const o = object(what, w);
  keysOnly(what, o, ['steps', 'epochs', 'startFactor']);
  if ((o.steps === undefined) === (o.epochs === undefined)) fail(what, 'give exactly one of steps or epochs');
  positiveInt(what, o, o.steps !== undefined ? 'steps' : 'epochs');
  const f = o.startFactor;
  if (typeof f !== 'number' || !(f >= 0 && f <= 1)) fail(what, `startFactor must be in [0, 1], got ${show(f)}`);
}

/** Check a learning-rate schedule (e.g. parsed from JSON); throws a one-line error naming the bad key. */
export function validateLrSchedule(spec: unknown): LrSchedule {
  const o = object('lr schedule', spec);
  const what = `lr schedule (${show(o.kind)})`;
  const common = ['kind', 'warmup'];
  switch (o.kind) {
    case 'constant':
      keysOnly(what, o, [...common, 'lr']); nonNeg(what, o, 'lr'); break;
    case 'step':
      keysOnly(what, o, [...common, 'lr', 'factor', 'at', 'unit']);
      nonNeg(what, o, 'lr'); positive(what, o, 'factor'); points(what, o, 'at', false); unit(what, o, 'unit'); break;
    case 'multistep':
      keysOnly(what, o, [...common, 'lr', 'milestones', 'gamma', 'unit']);
      nonNeg(what, o, 'lr'); positive(what, o, 'gamma'); points(what, o, 'milestones', true); unit(what, o, 'unit', true); break;
    case 'cosine':
      keysOnly(what, o, [...common, 'lr', 'total', 'minLr', 'unit']);
      nonNeg(what, o, 'lr'); positiveInt(what, o, 'total'); nonNeg(what, o, 'minLr', true); unit(what, o, 'unit', true);
      if ((o.minLr as number | undefined ?? 0) > (o.lr as number)) fail(what, `minLr must be <= lr, got ${show(o.minLr)} > ${show(o.lr)}`);
      break;
    case 'annealAtLoss':
      keysOnly(what, o, [...common, 'lr1', 'lr2', 'threshold']);
      nonNeg(what, o, 'lr1'); nonNeg(what, o, 'lr2');
      if (typeof o.threshold !== 'number' || !Number.isFinite(o.threshold)) fail(what, `threshold must be a finite number, got ${show(o.threshold)}`);
      break;
    default:
      fail('lr schedule', `unknown kind ${show(o.kind)} (expected constant, step, multistep, cosine or annealAtLoss)`);
  }
  if (o.warmup !== undefined) validateWarmup(o.warmup);
  return spec as LrSchedule;
}

/** Check a noise schedule (e.g. parsed from JSON); throws a one-line error naming the bad key. */
export function validateNoiseSchedule(spec: unknown): NoiseSchedule {
  const o = object('noise schedule', spec);
  const what = `noise schedule (${show(o.kind)})`;
  switch (o.kind) {
    case 'off': keysOnly(what, o, ['kind']); break;
    case 'constant': keysOnly(what, o, ['kind', 'std']); nonNeg(what, o, 'std'); break;
    case 'step':
      keysOnly(what, o, ['kind', 'std', 'factor', 'at', 'unit']);
      nonNeg(what, o, 'std'); positive(what, o, 'factor'); points(what, o, 'at', false); unit(what, o, 'unit'); break;
    case 'exponential':
      keysOnly(what, o, ['kind', 'std', 'rate', 'every']);
      nonNeg(what, o, 'std'); positive(what, o, 'rate'); unit(what, o, 'every'); break;
    default:
      fail('noise schedule', `unknown kind ${show(o.kind)} (expected off, constant, step or exponential)`);
  }
  return spec as NoiseSchedule;
}

function checkPosition(where: string, pos: SchedulePosition): void {
  if (pos === null || typeof pos !== 'object') fail(where, 'position must be an object { epoch, step }');
  for (const k of ['epoch', 'step'] as const) {
    if (!Number.isSafeInteger(pos[k]) || pos[k] < 0) fail(where, `position.${k} must be a non-negative integer, got ${show(pos[k])}`);
  }
  const spe = pos.stepsPerEpoch;
  if (spe !== undefined && (!Number.isSafeInteger(spe) || spe <= 0)) fail(where, `position.stepsPerEpoch must be a positive integer, got ${show(spe)}`);
}

// ------------------------------------------------------------------ evaluation

/** Number of entries of a sorted list that are <= t (bisect_right). */
function passed(list: number[], t: number): number {
  let n = 0;
  for (const x of list) if (x <= t) n++;
  return n;
}
const clock = (u: ScheduleUnit, pos: SchedulePosition) => (u === 'epoch' ? pos.epoch : pos.step);

function warmupFactor(w: Warmup, pos: SchedulePosition): number {
  let t: number;
  let n: number;
  if (w.steps !== undefined) { t = pos.step; n = w.steps; }
  else if (pos.stepsPerEpoch !== undefined) { t = pos.step; n = w.epochs * pos.stepsPerEpoch; }
  else { t = pos.epoch; n = w.epochs; }
  return t >= n ? 1 : w.startFactor + (1 - w.startFactor) * (t / n);
}

/** The learning rate in force at a position (see the clock conventions at the top of this file). */
export function lrAt(spec: LrSchedule, pos: SchedulePosition): number {
  validateLrSchedule(spec);
  checkPosition('lrAt', pos);
  let lr: number;
  switch (spec.kind) {
    case 'constant': lr = spec.lr; break;
    case 'step': lr = spec.lr * spec.factor ** passed(spec.at, clock(spec.unit, pos)); break;
    case 'multistep': lr = spec.lr * spec.gamma ** passed(spec.milestones, clock(spec.unit ?? 'epoch', pos)); break;
    case 'cosine': {
      const t = Math.min(clock(spec.unit ?? 'epoch', pos), spec.total);
      const w = t === spec.total ? 0 : (1 + Math.cos((Math.PI * t) / spec.total)) / 2;
      lr = spec.lr * w + (spec.minLr ?? 0) * (1 - w); // exact lr at t = 0 and exact minLr at t = total
      break;
    }
    case 'annealAtLoss': {
      const at = pos.annealedAtStep;
      if (at === undefined) fail('lrAt', "an 'annealAtLoss' schedule needs position.annealedAtStep (number or null; see AnnealAtLoss)");
      if (at !== null && (!Number.isSafeInteger(at) || at < 0)) fail('lrAt', `position.annealedAtStep must be a non-negative integer or null, got ${show(at)}`);
      lr = at !== null && pos.step >= at ? spec.lr2 : spec.lr1;
      break;
    }
  }
  return spec.warmup ? lr * warmupFactor(spec.warmup, pos) : lr;
}

/** The noise standard deviation in force at a position. */
export function noiseAt(spec: NoiseSchedule, pos: SchedulePosition): number {
  validateNoiseSchedule(spec);
  checkPosition('noiseAt', pos);
  switch (spec.kind) {
    case 'off': return 0;
    case 'constant': return spec.std;
    case 'step': return spec.std * spec.factor ** passed(spec.at, clock(spec.unit, pos));
    case 'exponential': return spec.std * spec.rate ** clock(spec.every, pos);
  }
}

// ------------------------------------------------------------------ Algorithm 1's anneal

/** The serializable state of an AnnealAtLoss: the step at which it switched to lr2, or null. */
export interface AnnealAtLossState { annealedAtStep: number | null }

/**
 * Algorithm 1 (L-S): train with lr1 (eta1) until the training loss first falls strictly below
 * `threshold` (eps1 + q log 2), then with lr2 (eta2) for good. Call observe(loss, step) with the loss
 * at the current iterate before the update of iteration `step`; it returns the lr for that update,
 * so the first step whose loss is below the threshold already uses lr2. The switch never reverts.
 */
export class AnnealAtLoss {
  readonly spec: AnnealAtLossSpec;
  private annealedAt: number | null = null;

  constructor(spec: AnnealAtLossSpec, state?: AnnealAtLossState) {
    if (validateLrSchedule(spec).kind !== 'annealAtLoss') fail('AnnealAtLoss', `spec.kind must be 'annealAtLoss', got ${show(spec.kind)}`);
    if ((spec as LrSchedule).warmup !== undefined) fail('AnnealAtLoss', 'warmup is not supported for annealAtLoss');
    this.spec = { ...spec };
    if (state) this.restore(state);
  }

  /** Record the loss at `step` and return the lr for that step's update. */
  observe(loss: number, step: number): number {
    if (typeof loss !== 'number') fail('AnnealAtLoss.observe', `loss must be a number, got ${show(loss)}`);
    if (!Number.isSafeInteger(step) || step < 0) fail('AnnealAtLoss.observe', `step must be a non-negative integer, got ${show(step)}`);
    if (this.annealedAt === null && loss < this.spec.threshold) this.annealedAt = step;
    return this.lr;
  }
  /** The lr currently in force. */
  get lr(): number { return this.annealedAt === null ? this.spec.lr1 : this.spec.lr2; }
  get annealed(): boolean { return this.annealedAt !== null; }
  /** The step at which the anneal fired, or null. */
  get annealedAtStep(): number | null { return this.annealedAt; }

  state(): AnnealAtLossState { return { annealedAtStep: this.annealedAt }; }
  restore(s: AnnealAtLossState): void {
    const at = s?.annealedAtStep;
    if (at !== null && (!Number.isSafeInteger(at) || (at as number) < 0)) {
      fail('AnnealAtLoss.restore', `annealedAtStep must be a non-negative integer or null, got ${show(at)}`);
    }
    this.annealedAt = at;
  }
}
