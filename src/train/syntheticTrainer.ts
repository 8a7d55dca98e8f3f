// Training on the synthetic P/Q problem: the paper's update (3.1) (full-batch gradient plus Gaussian
// gradient noise, weight decay) or minibatch SGD, with the learning rate and the pre-activation
// noise of each update taken from the method's schedules (syntheticAlgorithms.ts: L-S, S, S+noise).
// After every update the trainer tells the schedules the clean training loss, which is what fires
// L-S's anneal and S+noise's noise switch-off (schedulers.ts), and decides when to stop.
// The trainer is a state machine whose whole state can be saved and restored (exact resume).
//   The step: on the block net, the closed-form program of the batched trainer with this part alone
// (its forward in a few ops, its gradient in closed form by the backward kernels autograd runs:
// blockNetProgram.ts), whose stacks are views of this part's own tensors, so its updates land in the
// model's parameters; elsewhere (the full and conv nets, or when asked) autograd's backward. Both give
// the same numbers bit for bit (syntheticTrainerClosedForm.test.ts, the golden test).
import { Generator, Tensor, deriveSeed, logisticLoss, noGrad, randn, randperm, tensor, tidy } from '../engine/index.js';
import type { SyntheticDataConfig, SyntheticDataset, SyntheticProblem, SyntheticSplits } from '../data/synthetic.js';
import { acquireSeedData, releaseSeedData } from './seedData.js';
import { stationaryInitStd, type SyntheticModel, type UpdateInfo } from '../models/twoLayerRelu.js';
import { createSyntheticModel, type SyntheticModelConfig } from '../models/syntheticModel.js';
import { SGD, type SGDState } from './sgd.js';
import type { StateDict } from '../nn/parameters.js';
import { lrScheduler, noiseScheduler, type Scheduler } from './schedulers.js';
import type { SchedulePosition } from './schedules.js';
import { methodSchedules, stopLoss, type SyntheticMethod } from './syntheticAlgorithms.js';
import type { SyntheticTrainConfig } from './syntheticTrainConfig.js';
import { BatchedSyntheticTrainer, batchable } from './batchedSyntheticTrainer.js';

/**
 * The part of a synthetic experiment's config the trainer reads: the data and model sections, and
 * the train section without the cadences of evaluation and checkpoints (the runner's business). A
 * whole SyntheticExperimentConfig fits it.
 */
export interface SyntheticTrainerConfig {
  data: SyntheticDataConfig;
  model: SyntheticModelConfig;
  train: Omit<SyntheticTrainConfig, 'evalEvery' | 'checkpointEvery'>;
}

export type RunStatus = 'running' | 'converged' | 'step-cap' | 'diverged';

export interface SyntheticTrainerState {
  method: SyntheticMethod;
  seed: number;
  step: number;
  /** Step at which L-S switched eta1 -> eta2 (null: not yet). */
  annealedAtStep: number | null;
  /** Step at which S+noise turned its pre-activation noise off (null: not yet). */
  noiseOffAtStep: number | null;
  status: RunStatus;
  message: string | null;
  /** Last measured clean full-batch training loss. */
  trainLoss: number;
  model: StateDict;
  sgd: SGDState | null;
  gens: Record<string, string>;
  /** Position in the current epoch's minibatch order (update 'sgd'). */
  batchCursor: number;
  batchOrder: number[];
}

/** Everything a run of one method on one seed needs: data, model and generators, all from the seed. */
export interface SyntheticSetup {
  problem: SyntheticProblem;
  splits: SyntheticSplits;
  model: SyntheticModel;
  /** Fraction q of Q-only training examples (for the L-S annealing threshold eps1 + q log 2). */
  qFraction: number;
  tau0: number;
}

/**
 * Draw the problem, the splits and the initial model from a seed. The same seed gives the same data
 * and the same initialization to every method, so methods are compared on equal terms.
 */
export function setupSynthetic(cfg: SyntheticTrainerConfig, seed: number): SyntheticSetup {
  // (the data of a seed is drawn once per process and shared by the setups that hold it: seedData.ts)
  const { problem, splits } = acquireSeedData(cfg.data, seed);
  const t = cfg.train;
  const tau0 = t.tau0 ?? (t.tauXi > 0 && t.lambda > 0 ? stationaryInitStd(t.eta1, t.lambda, t.tauXi) : 0.01);
  const initGen = new Generator(deriveSeed(seed, 'init'));
  let model: SyntheticModel;
  try { model = createSyntheticModel(cfg.model, { d: cfg.data.d, tau0, dtype: cfg.data.dtype, zv: problem.zv, zeta: problem.zeta }, initGen); } catch (e) { releaseSeedData({ problem, splits }); throw e; }
  const comp = splits.train.component.toInt32Array();
  const qFraction = comp.filter((c) => c === 1).length / Math.max(1, comp.length);
  return { problem, splits, model, qFraction, tau0 };
}

export function disposeSetup(s: SyntheticSetup): void {
  s.model.dispose();
  releaseSeedData(s);
}

/** Mean logistic loss of the model on a dataset (no noise, no regularizer), with the V block on x2's rays where the dataset has them (X2Rays), as training computes it. */
export function datasetLoss(model: SyntheticModel, ds: SyntheticDataset): number {
  return noGrad(() => tidy(() => logisticLoss(model.forward(ds.x1, ds.x2, ds.rays ? { x2Rays: ds.rays } : {}), ds.y).item()));
}


export interface SyntheticTrainerOptions {
  /** true: train by autograd even where the closed-form step applies (the reference it is tested against). */
  autograd?: boolean;
}

/** The trainer's own state besides the weights, the optimizer and the generators (the schedules' events live in their schedulers). */
type TrainerFields = Omit<SyntheticTrainerState, 'model' | 'sgd' | 'gens' | 'annealedAtStep' | 'noiseOffAtStep'>;

export class SyntheticTrainer {
  readonly method: SyntheticMethod;
  private readonly cfg: SyntheticTrainerConfig;
  private readonly setup: SyntheticSetup;
  private readonly gens: Record<'gradNoise' | 'batches' | 'preact', Generator>;
  private readonly sgd: SGD | null;
  /** The learning rate of each update (L-S: Algorithm 1's anneal, an event of the training loss). */
  private readonly lrSchedule: Scheduler;
  /** The pre-activation noise std of each update (S+noise: switched off at a loss or a step). */
  private readonly noiseSchedule: Scheduler;
  /** Updates per epoch: one pass over the minibatch order (update 'sgd'), or 1 (full batch). */
  private readonly stepsPerEpoch: number;
  private st: TrainerFields;
  /** Whether advance() runs the closed-form step (the block net, unless opts.autograd). */
  private readonly closedForm: boolean;
  /** The closed-form step: the batched trainer of this part alone (made at the first advance). */
  private program: BatchedSyntheticTrainer | null = null;
  private weightChanges = 0;

  constructor(cfg: SyntheticTrainerConfig, method: SyntheticMethod, seed: number, setup: SyntheticSetup, opts: SyntheticTrainerOptions = {}) {
    this.cfg = cfg;
    this.method = method;
    this.setup = setup;
    this.gens = {
      gradNoise: new Generator(deriveSeed(seed, 'grad-noise')),
      batches: new Generator(deriveSeed(seed, 'batches')),
      preact: new Generator(deriveSeed(seed, 'preact-noise')),
    };
    const schedules = methodSchedules(method, cfg.train, this.annealThreshold);
    this.lrSchedule = lrScheduler(schedules.lr);
    this.noiseSchedule = noiseScheduler(schedules.noise);
    const n = setup.splits.train.y.shape[0]!;
    this.stepsPerEpoch = this.minibatched ? Math.floor(n / cfg.train.batchSize) : 1;
    this.st = {
      method, seed, step: 0, status: 'running', message: null,
      trainLoss: datasetLoss(setup.model, setup.splits.train), batchCursor: 0, batchOrder: [],
    };
    this.sgd = cfg.train.update === 'sgd'
      ? new SGD(setup.model.params, { lr: this.lr, weightDecay: cfg.train.lambda })
      : null;
    this.closedForm = !opts.autograd && batchable(cfg);
  }

  get step(): number { return this.st.step; }
  get status(): RunStatus { return this.st.status; }
  get message(): string | null { return this.st.message; }
  /** The step from which L-S uses eta2 (null: not annealed, or not L-S). */
  get annealedAtStep(): number | null { return this.lrSchedule.annealedAtStep; }
  /** The step from which S+noise has no noise (null: still on, or not S+noise). */
  get noiseOffAtStep(): number | null { return this.noiseSchedule.annealedAtStep; }
  get trainLoss(): number { return this.st.trainLoss; }
  get model(): SyntheticModel { return this.setup.model; }
  get done(): boolean { return this.st.status !== 'running'; }
  /** The part's own generators (a batched trainer draws this part's noise from them, in the same order). */
  get generators(): Readonly<Record<'gradNoise' | 'batches' | 'preact', Generator>> { return this.gens; }
  /** The train section the trainer follows. */
  get trainConfig(): SyntheticTrainerConfig['train'] { return this.cfg.train; }
  /** The seed's setup (data, splits, model) this trainer trains. */
  get seedSetup(): SyntheticSetup { return this.setup; }
  /** Counts the changes of the weights (updates, restore()): a cache of them (the closed-form step's pre-activations) is stale once it moves. */
  get weightsVersion(): number { return this.weightChanges; }

  /** The L-S annealing threshold eps1 + q log 2. */
  get annealThreshold(): number { return this.cfg.train.eps1 + this.setup.qFraction * Math.log(2); }

  /**
   * The position of the next update: its step, and its epoch counted in passes over the training
   * set (each pass of update 'sgd' draws a new order of floor(n / batchSize) minibatches).
   */
  private position(): SchedulePosition {
    return { epoch: Math.floor(this.st.step / this.stepsPerEpoch), step: this.st.step, stepsPerEpoch: this.stepsPerEpoch };
  }

  /** The learning rate of the next update. */
  get lr(): number { return this.scheduled('lr', this.lrSchedule); }
  /** The pre-activation noise std of the next update. */
  get noise(): number { return this.scheduled('noise', this.noiseSchedule); }

  /**
   * A schedule's value at the next update, computed once per step (a batched step reads each part's
   * lr and noise several times): kept until the step moves or restore() sets the schedules' events
   * and drops it (the events otherwise fire only in a step's bookkeeping, after the step is counted).
   */
  private scheduled(which: 'lr' | 'noise', s: Scheduler): number {
    if (this.memo.step !== this.st.step) this.memo = { step: this.st.step };
    return this.memo[which] ??= s.at(this.position());
  }
  private memo: { step: number; lr?: number; noise?: number } = { step: -1 };

  /** Whether updates use minibatches (update 'sgd' with a batch smaller than the training set). */
  get minibatched(): boolean {
    const t = this.cfg.train;
    return t.update === 'sgd' && t.batchSize < this.setup.splits.train.y.shape[0]!;
  }

  /**
   * The training-set indices of the next minibatch, the cursor moved past it (update 'sgd'; null: the
   * full batch). Each epoch's order is drawn with randperm from the batches generator when the
   * current one has no whole minibatch left. The one place minibatches are drawn (advance(), and a
   * batched trainer for its parts), so the generator, cursor and order in state() are the same either way.
   */
  nextBatchIndices(): number[] | null {
    if (!this.minibatched) return null;
    const b = this.cfg.train.batchSize;
    if (this.st.batchCursor + b > this.st.batchOrder.length) {
      const n = this.setup.splits.train.y.shape[0]!;
      this.st.batchOrder = Array.from(tidy(() => randperm(n, this.gens.batches).toInt32Array()));
      this.st.batchCursor = 0;
    }
    const idx = this.st.batchOrder.slice(this.st.batchCursor, this.st.batchCursor + b);
    this.st.batchCursor += b;
    return idx;
  }

  /** The next minibatch's inputs and labels (update 'sgd'), or null for the full batch. */
  private nextBatch(): Pick<SyntheticDataset, 'x1' | 'x2' | 'y' | 'rays'> | null {
    const idx = this.nextBatchIndices();
    if (!idx) return null;
    const train = this.setup.splits.train;
    const it = tensor(Int32Array.from(idx), { dtype: 'int64' });
    const pick = (x: Tensor) => x.indexSelect(0, it);
    // (no rays: a minibatch's V block runs on its rows, see BatchedSyntheticTrainer.gather)
    return { x1: pick(train.x1), x2: pick(train.x2), y: pick(train.y) };
  }

  /** What the model's afterUpdate is told of an update at learning rate lr (weight decay; noisy GD's gradient noise and its generator). */
  private updateInfo(lr: number): UpdateInfo {
    const t = this.cfg.train;
    return { lr, weightDecay: t.lambda, gradNoiseStd: this.sgd ? 0 : t.tauXi, gen: this.sgd ? null : this.gens.gradNoise };
  }

  /**
   * What advance() does after it updated the weights, for an update that a batched trainer made on
   * this part's weights with advance()'s ops at learning rate lr: the SGD optimizer's learning rate and
   * step count (update 'sgd', as its step() leaves them) and the model's afterUpdate (the reduced Q
   * block's complement), with the arguments advance() passes.
   */
  updatedElsewhere(lr: number): void {
    this.weightChanges++;
    this.sgd?.countStep(lr);
    this.setup.model.afterUpdate?.(this.updateInfo(lr));
  }

  /** One update. Returns false once the run has stopped. */
  advance(): boolean {
    if (this.done) return false;
    if (this.closedForm) {
      (this.program ??= new BatchedSyntheticTrainer([this])).advance();
      return !this.done;
    }
    const t = this.cfg.train;
    const model = this.setup.model;
    const lr = this.lr;
    const noise = this.noise;
    const train = this.setup.splits.train;
    let lossValue = NaN;
    tidy(() => {
      const batch = this.nextBatch() ?? train;
      // (without noise a block net's V block runs on the rays: x2Unit)
      const out = model.forward(batch.x1, batch.x2, noise > 0 ? { preActivationNoise: noise, gen: this.gens.preact } : batch.rays ? { x2Rays: batch.rays } : {});
      const loss = logisticLoss(out, batch.y);
      lossValue = loss.item();
      if (!Number.isFinite(lossValue)) return;
      loss.backward();
      this.weightChanges++;
      if (this.sgd) {
        this.sgd.setLr(lr);
        this.sgd.step();
        this.sgd.zeroGrad();
        model.afterUpdate?.(this.updateInfo(lr));
      } else {
        noGrad(() => {
          for (const p of model.params.list()) {
            const g = p.grad!;
            if (t.lambda > 0) g.add_(p, t.lambda);
            if (t.tauXi > 0) g.add_(randn(p.shape, this.gens.gradNoise, { dtype: p.dtype, device: p.device }), t.tauXi);
            p.add_(g, -lr);
          }
        });
        model.params.zeroGrad();
        model.afterUpdate?.(this.updateInfo(lr));
      }
    });
    return this.finishStep(lr, noise, lossValue, () => datasetLoss(model, train));
  }

  /**
   * Whether the step about to finish measures the clean full-batch training loss (which decides
   * annealing and stopping): every step of noisy GD without pre-activation noise (it costs a forward
   * pass the next update reuses), every lossCheckEvery steps otherwise, and after a non-finite loss.
   */
  measuresLoss(noise: number, lossValue: number): boolean {
    const t = this.cfg.train;
    return (t.update === 'noisy-gd' && noise === 0) || (this.st.step + 1) % t.lossCheckEvery === 0 || !Number.isFinite(lossValue);
  }

  /**
   * The bookkeeping of an update made with learning rate `lr` and noise `noise` whose training loss
   * was `lossValue` (by advance(), or by a batched trainer that updated this part's weights with the
   * same ops): count the step, measure the clean loss where measuresLoss says so (`measureLoss`, at
   * the updated weights), detect divergence, fire the schedules' events and decide when to stop.
   */
  finishStep(lr: number, noise: number, lossValue: number, measureLoss: () => number): boolean {
    if (this.measuresLoss(noise, lossValue)) this.st.trainLoss = measureLoss();
    this.st.step += 1;
    if (!Number.isFinite(lossValue) || !Number.isFinite(this.st.trainLoss)) {
      this.st.status = 'diverged';
      this.st.message = `training diverged at step ${this.st.step} (loss ${lossValue}) with lr ${lr}: lower the learning rate`;
      return false;
    }
    this.afterStep();
    return !this.done;
  }

  /**
   * Tell the schedules the training loss (the last one measured: between loss checks it is the
   * previous one, which was already above every threshold), so an event fires at this step and the
   * next update uses the new value; then stop once every event has fired and the loss is below the
   * method's stopping loss, or at the step cap.
   */
  private afterStep(): void {
    const t = this.cfg.train;
    const loss = this.st.trainLoss;
    this.lrSchedule.observe(loss, this.st.step);
    this.noiseSchedule.observe(loss, this.st.step);
    const stop = stopLoss(this.method, t);
    if (t.stopAtLoss && !this.lrSchedule.waiting && !this.noiseSchedule.waiting && loss < stop) {
      this.st.status = 'converged';
      this.st.message = `training loss ${loss.toPrecision(3)} < ${stop} at step ${this.st.step}`;
    } else if (this.st.step >= t.maxSteps) {
      this.st.status = 'step-cap';
      this.st.message = `reached the step cap (${t.maxSteps}) at training loss ${loss.toPrecision(3)}`;
    }
  }

  state(): SyntheticTrainerState {
    const { method, seed, step, ...rest } = structuredClone(this.st);
    return {
      method, seed, step,
      annealedAtStep: this.lrSchedule.state().annealedAtStep,
      noiseOffAtStep: this.noiseSchedule.state().annealedAtStep,
      ...rest,
      model: this.setup.model.params.stateDict(),
      sgd: this.sgd ? this.sgd.stateDict() : null,
      gens: Object.fromEntries(Object.entries(this.gens).map(([k, g]) => [k, g.serialize()])),
    };
  }

  restore(s: SyntheticTrainerState): void {
    if (s.method !== this.method) throw new Error(`checkpoint is for method ${s.method}, not ${this.method}`);
    const { model, sgd, gens, annealedAtStep, noiseOffAtStep, ...rest } = s;
    this.memo = { step: -1 };
    this.lrSchedule.restore({ annealedAtStep });
    this.noiseSchedule.restore({ annealedAtStep: noiseOffAtStep });
    this.setup.model.params.loadStateDict(model);
    if (this.sgd && sgd) this.sgd.loadStateDict(sgd);
    for (const [k, g] of Object.entries(this.gens)) {
      const v = gens[k];
      if (v === undefined) throw new Error(`checkpoint lacks the state of generator '${k}'`);
      g.restore(v);
    }
    this.st = structuredClone(rest);
    this.weightChanges++;
  }

  dispose(): void {
    this.program?.dispose();
    this.program = null;
    this.sgd?.dispose();
  }
}
