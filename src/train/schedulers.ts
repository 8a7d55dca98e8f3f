// Schedules as a trainer holds them: a validated spec plus, for the event-triggered kinds, the
// state of their event. An 'annealAtLoss' schedule switches when something happens in training
// (the clean training loss first falls below a threshold, or a given step is reached) rather than at
// a point fixed in advance, so its value depends on the run's history; that history is one number,
// the step at which the event fired, which state() saves and restore() puts back, so a resumed run
// gets exactly the values an uninterrupted one would (the checkpoint holds no other schedule state:
// the clock-driven kinds are pure functions of the position).
import {
  lrOfValid, noiseOfValid, validateLrSchedule, validateNoiseSchedule,
  type AnnealAtLossSpec, type LrSchedule, type NoiseAnnealAtLossSpec, type NoiseSchedule, type SchedulePosition,
} from './schedules.js';

/** The serializable state of a scheduler: the step from which its event's value applies, or null (not yet, or no event). */
export interface AnnealAtLossState { annealedAtStep: number | null }

/** A schedule (of the learning rate or of the noise std) during training. */
export interface Scheduler {
  /** The value in force at a position (the position's annealedAtStep is this scheduler's own). */
  at(pos: Omit<SchedulePosition, 'annealedAtStep'>): number;
  /**
   * Record the clean training loss of the iterate after `step` updates, before update `step` is
   * taken; an event-triggered schedule fires here, so update `step` already uses the new value.
   */
  observe(loss: number, step: number): void;
  /** true while an event can still change the value (an event-triggered schedule that has not fired). */
  readonly waiting: boolean;
  /** The step at which the event fired (null: not yet, or no event). */
  readonly annealedAtStep: number | null;
  state(): AnnealAtLossState;
  restore(s: AnnealAtLossState): void;
}

function fail(where: string, msg: string): never { throw new Error(`${where}: ${msg}`); }
const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));

function checkObserve(where: string, loss: number, step: number): void {
  if (typeof loss !== 'number') fail(where, `loss must be a number, got ${show(loss)}`);
  if (!Number.isSafeInteger(step) || step < 0) fail(where, `step must be a non-negative integer, got ${show(step)}`);
}

function checkState(where: string, s: AnnealAtLossState): number | null {
  const at = s?.annealedAtStep;
  if (at !== null && (!Number.isSafeInteger(at) || (at as number) < 0)) fail(where, `annealedAtStep must be a non-negative integer or null, got ${show(at)}`);
  return at;
}

/** A clock-driven schedule: no event, no state. */
class ClockScheduler implements Scheduler {
  readonly waiting = false;
  readonly annealedAtStep = null;
  constructor(private readonly value: (pos: SchedulePosition) => number, private readonly name: string) {}
  at(pos: Omit<SchedulePosition, 'annealedAtStep'>): number { return this.value(pos); }
  observe(loss: number, step: number): void { checkObserve(`${this.name}.observe`, loss, step); }
  state(): AnnealAtLossState { return { annealedAtStep: null }; }
  restore(s: AnnealAtLossState): void {
    if (checkState(`${this.name}.restore`, s) !== null) fail(`${this.name}.restore`, 'this schedule has no event, so annealedAtStep must be null');
  }
}

/**
 * The one-shot event shared by the 'annealAtLoss' kinds: it fires at the first observe() whose loss
 * is strictly below `threshold` or whose step is >= `atStep` (an absent trigger never fires), and
 * never un-fires.
 */
abstract class EventScheduler implements Scheduler {
  private firedAt: number | null = null;

  protected constructor(private readonly trigger: { threshold?: number | undefined; atStep?: number | undefined }, private readonly name: string) {}

  abstract at(pos: Omit<SchedulePosition, 'annealedAtStep'>): number;

  observe(loss: number, step: number): void {
    checkObserve(`${this.name}.observe`, loss, step);
    const { threshold, atStep } = this.trigger;
    if (this.firedAt === null && ((threshold !== undefined && loss < threshold) || (atStep !== undefined && step >= atStep))) this.firedAt = step;
  }
  get annealed(): boolean { return this.firedAt !== null; }
  get waiting(): boolean { return this.firedAt === null; }
  get annealedAtStep(): number | null { return this.firedAt; }
  state(): AnnealAtLossState { return { annealedAtStep: this.firedAt }; }
  restore(s: AnnealAtLossState): void { this.firedAt = checkState(`${this.name}.restore`, s); }
}

/**
 * Algorithm 1 (L-S): train with lr1 (eta1) until the training loss first falls strictly below
 * `threshold` (eps1 + q log 2) or the step reaches `atStep` (the config's annealAtStep), then with
 * lr2 (eta2) for good. observe() returns the lr of the update about to be taken.
 */
export class AnnealAtLoss extends EventScheduler {
  readonly spec: AnnealAtLossSpec;

  constructor(spec: AnnealAtLossSpec, state?: AnnealAtLossState) {
    const parsed = validateLrSchedule(spec);
    if (parsed.kind !== 'annealAtLoss') fail('AnnealAtLoss', `spec.kind must be 'annealAtLoss', got ${show(parsed.kind)}`);
    super(parsed, 'AnnealAtLoss');
    this.spec = parsed;
    if (state) this.restore(state);
  }

  override observe(loss: number, step: number): number {
    super.observe(loss, step);
    return this.lr;
  }
  /** The lr currently in force. */
  get lr(): number { return this.annealed ? this.spec.lr2 : this.spec.lr1; }
  at(pos: Omit<SchedulePosition, 'annealedAtStep'>): number { return lrOfValid(this.spec, { ...pos, annealedAtStep: this.annealedAtStep }); }
}

/**
 * Appendix F.1 (S+noise): pre-activation noise of std `std` until the training loss first falls
 * strictly below `threshold` or the step reaches `atStep`, then none (the noise is annealed to 0).
 * observe() returns the std of the update about to be taken.
 */
export class NoiseAnnealAtLoss extends EventScheduler {
  readonly spec: NoiseAnnealAtLossSpec;

  constructor(spec: NoiseAnnealAtLossSpec, state?: AnnealAtLossState) {
    const parsed = validateNoiseSchedule(spec);
    if (parsed.kind !== 'annealAtLoss') fail('NoiseAnnealAtLoss', `spec.kind must be 'annealAtLoss', got ${show(parsed.kind)}`);
    super(parsed, 'NoiseAnnealAtLoss');
    this.spec = parsed;
    if (state) this.restore(state);
  }

  override observe(loss: number, step: number): number {
    super.observe(loss, step);
    return this.std;
  }
  /** The noise std currently in force. */
  get std(): number { return this.annealed ? 0 : this.spec.std; }
  at(pos: Omit<SchedulePosition, 'annealedAtStep'>): number { return noiseOfValid(this.spec, { ...pos, annealedAtStep: this.annealedAtStep }); }
}

/** The scheduler of a learning-rate schedule (validated once here, not at every step). */
export function lrScheduler(spec: LrSchedule): Scheduler {
  const s = validateLrSchedule(spec);
  return s.kind === 'annealAtLoss' ? new AnnealAtLoss(s) : new ClockScheduler((pos) => lrOfValid(s, pos), 'lrScheduler');
}

/** The scheduler of a noise schedule. */
export function noiseScheduler(spec: NoiseSchedule): Scheduler {
  const s = validateNoiseSchedule(spec);
  return s.kind === 'annealAtLoss' ? new NoiseAnnealAtLoss(s) : new ClockScheduler((pos) => noiseOfValid(s, pos), 'noiseScheduler');
}
