// Learning-rate and noise-level schedules as plain JSON config objects (zod schemas, so that they
// type, validate and document themselves like every config section) plus pure functions that
// evaluate them at a point of training, so that a resumed run gets exactly the same values.
//
// Clock conventions: `epoch` is the 0-based index of the current epoch and `step` the 0-based index
// of the current iteration (= number of optimizer steps already taken, counted over the whole run).
// An epoch-based change "at epoch 60" takes effect at the START of epoch 60: epochs 0..59 use the old
// value, epoch 60 onwards the new one (the paper's "x0.2 at epochs 60/120/150"). Likewise a
// step-based change "at step s" first applies to iteration s.
//
// A 'sequence' (torch.optim.lr_scheduler.SequentialLR) runs schedules one after the other: child i
// applies from milestone i on (child 0 from 0) and its clock restarts there, so a child sees t - m_i
// where the sequence sees t. In a sequence counted in epochs a child that counts steps sees the steps
// since its milestone began, step - m_i * stepsPerEpoch (the position must give stepsPerEpoch); in a
// sequence counted in steps every child must count steps (an epoch clock cannot restart mid-epoch).
// The event-triggered kinds ('annealAtLoss') depend on the training loss, not on a clock: they are
// evaluated with the step at which their event fired (see schedulers.ts) and cannot be in a sequence.
import { fail, nonNegative, nonNegativeInt, num, object, parseConfig, positive, positiveInt, z } from '../util/schema.js';

export const scheduleUnitSchema = z.enum(['epoch', 'step']);
export type ScheduleUnit = z.infer<typeof scheduleUnitSchema>;

/** Epochs/steps at which a value changes: integers >= `min`, increasing (strictly unless `repeats`). */
function points(repeats: boolean, min = 0) {
  const item = min === 0 ? nonNegativeInt() : positiveInt();
  return z.array(item).superRefine((v, ctx) => {
    for (let i = 1; i < v.length; i++) {
      if (repeats ? v[i]! < v[i - 1]! : v[i]! <= v[i - 1]!) {
        fail(ctx, [], `must be sorted ${repeats ? 'non-decreasing' : 'strictly increasing'}`, v);
        return;
      }
    }
  });
}
const factor01 = () => num('must be a number in [0, 1]').min(0, { error: 'must be a number in [0, 1]' }).max(1, { error: 'must be a number in [0, 1]' });

/**
 * The one-shot event of the 'annealAtLoss' kinds (Algorithm 1's anneal): it fires at the first
 * observed training loss strictly below `threshold`, or at step `atStep` if that comes first.
 */
const lossThreshold = () => num('must be a finite number');
const eventStep = () => nonNegativeInt();

/**
 * The cross-field rules of a sequence: one milestone per child after the first; in a sequence
 * counted in steps every child counts steps; no event-triggered child (its event is not restarted).
 */
function checkSequence(s: { schedules: { kind: string }[]; milestones: number[]; unit: ScheduleUnit }, ctx: z.core.$RefinementCtx): void {
  if (s.milestones.length !== s.schedules.length - 1) {
    fail(ctx, ['milestones'], `must list ${s.schedules.length - 1} milestone(s), one per schedule after the first`, s.milestones);
    return;
  }
  s.schedules.forEach((c, i) => {
    if (c.kind === 'annealAtLoss') fail(ctx, ['schedules', i, 'kind'], 'cannot be an event-triggered kind inside a sequence', c.kind);
    const child = c as LrSchedule | NoiseSchedule;
    if (s.unit === 'step' && countsIn(child) === 'epoch') {
      fail(ctx, ['schedules', i, child.kind === 'exponential' ? 'every' : 'unit'], "must be 'step' inside a sequence counted in steps (an epoch clock cannot restart mid-epoch)", 'epoch');
    }
  });
}

const constantLr = object({ kind: z.literal('constant'), lr: nonNegative() });
/** lr multiplied by `factor` at each epoch/step listed in `at` (strictly increasing). */
const stepLr = object({ kind: z.literal('step'), lr: nonNegative(), factor: positive(), at: points(false), unit: scheduleUnitSchema });
/** torch.optim.lr_scheduler.MultiStepLR: lr * gamma^(number of milestones <= t); repeats count twice. */
const multistepLr = object({ kind: z.literal('multistep'), lr: nonNegative(), milestones: points(true), gamma: positive(), unit: scheduleUnitSchema.optional() });
/** Cosine annealing from lr (t = 0) to minLr (t >= total, held there); t in `unit`s (default epoch). */
const cosineLr = object({ kind: z.literal('cosine'), lr: nonNegative(), total: positiveInt(), minLr: nonNegative().optional(), unit: scheduleUnitSchema.optional() })
  .superRefine((s, ctx) => { if ((s.minLr ?? 0) > s.lr) fail(ctx, ['minLr'], `must be <= lr (${s.lr})`, s.minLr); });
/**
 * torch.optim.lr_scheduler.LinearLR: lr * (startFactor + (endFactor - startFactor) * min(t, total) / total),
 * endFactor default 1: a linear warmup from lr * startFactor to lr over `total` units, then lr.
 */
const linearLr = object({ kind: z.literal('linear'), lr: nonNegative(), startFactor: factor01(), endFactor: factor01().optional(), total: positiveInt(), unit: scheduleUnitSchema });
/** Algorithm 1 (L-S): lr1 (eta1) until the event (loss < eps1 + q log 2, or annealAtStep), then lr2 (eta2). */
const annealAtLossLr = object({ kind: z.literal('annealAtLoss'), lr1: nonNegative(), lr2: nonNegative(), threshold: lossThreshold(), atStep: eventStep().optional() });
/**
 * torch.optim.lr_scheduler.SequentialLR (see the header). `schedules` is recursive: its real schema is
 * a getter added by extend (zod's way to type a recursive schema); util/schema's object() cannot take
 * the getter itself (its shape constraint would need the getter's type while inferring it), so the
 * base shape holds a stand-in for it that extend replaces, keeping object()'s known-keys message.
 */
const sequenceLr = object({ kind: z.literal('sequence'), schedules: z.array(z.unknown()), milestones: points(false, 1), unit: scheduleUnitSchema }).extend({
  get schedules(): z.ZodArray<typeof lrScheduleSchema> { return z.array(lrScheduleSchema).min(1); },
});

/** Learning-rate schedules, a discriminated union on `kind`. */
export const lrScheduleSchema = z.discriminatedUnion('kind', [constantLr, stepLr, multistepLr, cosineLr, linearLr, annealAtLossLr, sequenceLr])
  .superRefine((s, ctx) => { if (s.kind === 'sequence') checkSequence(s, ctx); });
export type LrSchedule = z.infer<typeof lrScheduleSchema>;
export type AnnealAtLossSpec = z.infer<typeof annealAtLossLr>;

/** No noise (std 0). */
const offNoise = object({ kind: z.literal('off') });
const constantNoise = object({ kind: z.literal('constant'), std: nonNegative() });
/** std multiplied by `factor` at each epoch/step in `at` (e.g. 0.4 x 1e-5 at epoch 30). */
const stepNoise = object({ kind: z.literal('step'), std: nonNegative(), factor: positive(), at: points(false), unit: scheduleUnitSchema });
/** std * rate^t, t the step (or epoch): e.g. 0.2 x 0.995 per iteration (Table 1). */
const exponentialNoise = object({ kind: z.literal('exponential'), std: nonNegative(), rate: positive(), every: scheduleUnitSchema });
/** Appendix F.1 (S+noise): std until the event (loss < threshold, or atStep; neither: never), then 0. */
const annealAtLossNoise = object({ kind: z.literal('annealAtLoss'), std: nonNegative(), threshold: lossThreshold().optional(), atStep: eventStep().optional() });
/** SequentialLR for noise levels (see sequenceLr). */
const sequenceNoise = object({ kind: z.literal('sequence'), schedules: z.array(z.unknown()), milestones: points(false, 1), unit: scheduleUnitSchema }).extend({
  get schedules(): z.ZodArray<typeof noiseScheduleSchema> { return z.array(noiseScheduleSchema).min(1); },
});

/** Noise-level (standard deviation) schedules for the noise-mitigation runs. */
export const noiseScheduleSchema = z.discriminatedUnion('kind', [offNoise, constantNoise, stepNoise, exponentialNoise, annealAtLossNoise, sequenceNoise])
  .superRefine((s, ctx) => { if (s.kind === 'sequence') checkSequence(s, ctx); });
export type NoiseSchedule = z.infer<typeof noiseScheduleSchema>;
export type NoiseAnnealAtLossSpec = z.infer<typeof annealAtLossNoise>;

/** Where in training a schedule is evaluated. */
export interface SchedulePosition {
  /** 0-based epoch index. */
  epoch: number;
  /** 0-based global iteration index. */
  step: number;
  /** Iterations per epoch: a step-counting child of an epoch sequence restarts at milestone * stepsPerEpoch. */
  stepsPerEpoch?: number;
  /** For an 'annealAtLoss' schedule: the step at which its event fired (its scheduler's state()), or null if not yet. */
  annealedAtStep?: number | null;
}

// ------------------------------------------------------------------ validation

/** Check a learning-rate schedule (e.g. parsed from JSON); returns it parsed or throws a one-line ConfigError naming the dotted key under `prefix`. */
export function validateLrSchedule(spec: unknown, prefix = 'lr'): LrSchedule {
  return parseConfig(lrScheduleSchema, spec, prefix);
}

/** Check a noise schedule (e.g. parsed from JSON); returns it parsed or throws a one-line ConfigError naming the dotted key under `prefix`. */
export function validateNoiseSchedule(spec: unknown, prefix = 'noise'): NoiseSchedule {
  return parseConfig(noiseScheduleSchema, spec, prefix);
}

function positionError(where: string, msg: string): never { throw new Error(`${where}: ${msg}`); }
const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));

/** Throw unless pos is { epoch, step } of non-negative integers (and stepsPerEpoch, annealedAtStep well-formed). */
function checkPosition(where: string, pos: SchedulePosition): void {
  if (pos === null || typeof pos !== 'object') positionError(where, 'position must be an object { epoch, step }');
  for (const k of ['epoch', 'step'] as const) {
    if (!Number.isSafeInteger(pos[k]) || pos[k] < 0) positionError(where, `position.${k} must be a non-negative integer, got ${show(pos[k])}`);
  }
  const spe = pos.stepsPerEpoch;
  if (spe !== undefined && (!Number.isSafeInteger(spe) || spe <= 0)) positionError(where, `position.stepsPerEpoch must be a positive integer, got ${show(spe)}`);
  const at = pos.annealedAtStep;
  if (at !== undefined && at !== null && (!Number.isSafeInteger(at) || at < 0)) {
    positionError(where, `position.annealedAtStep must be a non-negative integer or null, got ${show(at)}`);
  }
}

// ------------------------------------------------------------------ evaluation

/** The unit whose clock a schedule reads (null: none, a constant or event-triggered value). */
function countsIn(spec: LrSchedule | NoiseSchedule): ScheduleUnit | null {
  switch (spec.kind) {
    case 'step': case 'linear': case 'sequence': return spec.unit;
    case 'multistep': case 'cosine': return spec.unit ?? 'epoch';
    case 'exponential': return spec.every;
    default: return null;
  }
}

/**
 * The clocks a schedule reads: inside a sequence they are restarted at the child's milestone; null
 * where a clock cannot be restarted (see the header).
 */
interface Clock { epoch: number | null; step: number | null; stepsPerEpoch: number | undefined; annealedAtStep: number | null | undefined; where: string }

function read(c: Clock, u: ScheduleUnit): number {
  const t = c[u];
  if (t === null) {
    positionError(c.where, u === 'step' ? 'a schedule counted in steps inside a sequence counted in epochs needs position.stepsPerEpoch'
      : 'a schedule counted in epochs cannot be inside a sequence counted in steps');
  }
  return t;
}

/** Number of entries of a sorted list that are <= t (bisect_right). */
function passed(list: number[], t: number): number {
  let n = 0;
  for (const x of list) if (x <= t) n++;
  return n;
}

/** Which child of a sequence applies at clock c, and that child's restarted clock. */
function sequenceChild(s: { milestones: number[]; unit: ScheduleUnit }, c: Clock): { index: number; clock: Clock } {
  const index = passed(s.milestones, read(c, s.unit));
  const m = index === 0 ? 0 : s.milestones[index - 1]!;
  if (s.unit === 'step') return { index, clock: { ...c, epoch: null, step: c.step! - m } };
  const step = c.step === null || c.stepsPerEpoch === undefined ? null : c.step - m * c.stepsPerEpoch;
  return { index, clock: { ...c, epoch: c.epoch! - m, step } };
}

/** The step from which an event-triggered schedule's second value applies (null: its event has not fired). */
function firedAt(c: Clock): number | null {
  if (c.annealedAtStep === undefined) positionError(c.where, "an 'annealAtLoss' schedule needs position.annealedAtStep (number or null; see schedulers.ts)");
  return c.annealedAtStep;
}

function lrOn(spec: LrSchedule, c: Clock): number {
  switch (spec.kind) {
    case 'constant': return spec.lr;
    case 'step': return spec.lr * spec.factor ** passed(spec.at, read(c, spec.unit));
    case 'multistep': return spec.lr * spec.gamma ** passed(spec.milestones, read(c, spec.unit ?? 'epoch'));
    case 'cosine': {
      const t = Math.min(read(c, spec.unit ?? 'epoch'), spec.total);
      const w = t === spec.total ? 0 : (1 + Math.cos((Math.PI * t) / spec.total)) / 2;
      return spec.lr * w + (spec.minLr ?? 0) * (1 - w); // exact lr at t = 0 and exact minLr at t = total
    }
    case 'linear': {
      const t = read(c, spec.unit);
      const end = spec.endFactor ?? 1;
      // exactly lr * endFactor from t = total on (torch's closed form rounds there, e.g. 1 + (0.2 - 1) = 0.19999999999999996)
      return t >= spec.total ? spec.lr * end : spec.lr * (spec.startFactor + ((end - spec.startFactor) * t) / spec.total);
    }
    case 'annealAtLoss': {
      const at = firedAt(c);
      return at !== null && c.step! >= at ? spec.lr2 : spec.lr1;
    }
    case 'sequence': {
      const { index, clock } = sequenceChild(spec, c);
      return lrOn(spec.schedules[index]!, clock);
    }
  }
}

function noiseOn(spec: NoiseSchedule, c: Clock): number {
  switch (spec.kind) {
    case 'off': return 0;
    case 'constant': return spec.std;
    case 'step': return spec.std * spec.factor ** passed(spec.at, read(c, spec.unit));
    case 'exponential': return spec.std * spec.rate ** read(c, spec.every);
    case 'annealAtLoss': {
      const at = firedAt(c);
      return at !== null && c.step! >= at ? 0 : spec.std;
    }
    case 'sequence': {
      const { index, clock } = sequenceChild(spec, c);
      return noiseOn(spec.schedules[index]!, clock);
    }
  }
}

const clockAt = (where: string, pos: SchedulePosition): Clock => {
  checkPosition(where, pos);
  return { epoch: pos.epoch, step: pos.step, stepsPerEpoch: pos.stepsPerEpoch, annealedAtStep: pos.annealedAtStep, where };
};

/** The learning rate of a schedule already validated (no re-validation: for per-step use by schedulers). */
export function lrOfValid(spec: LrSchedule, pos: SchedulePosition): number { return lrOn(spec, clockAt('lrAt', pos)); }
/** The noise std of a schedule already validated. */
export function noiseOfValid(spec: NoiseSchedule, pos: SchedulePosition): number { return noiseOn(spec, clockAt('noiseAt', pos)); }

/** The learning rate in force at a position (see the clock conventions at the top of this file). */
export function lrAt(spec: LrSchedule, pos: SchedulePosition): number {
  return lrOfValid(validateLrSchedule(spec), pos);
}

/** The noise standard deviation in force at a position. */
export function noiseAt(spec: NoiseSchedule, pos: SchedulePosition): number {
  return noiseOfValid(validateNoiseSchedule(spec), pos);
}
