// Training on the synthetic P/Q problem: the paper's update (3.1) (full-batch gradient plus Gaussian
// gradient noise, weight decay) or minibatch SGD, driven by one of the three algorithms:
//   L-S (Algorithm 1): eta1 until the training loss is below eps1 + q log 2, then eta2 until eps2;
//   S   (Algorithm 2): eta2 until eps2';
//   S+noise (Appendix F.1): eta2 with pre-activation noise tau, annealed to 0 at a loss or a step.
// The trainer is a state machine whose whole state can be saved and restored (exact resume).
import { Generator, Tensor, deriveSeed, keep, logisticLoss, noGrad, randn, randperm, tensor, tidy } from '../engine/index.js';
import type { SyntheticDataset, SyntheticProblem, SyntheticSplits } from '../data/synthetic.js';
import { makeSplits, makeSyntheticProblem } from '../data/synthetic.js';
import { TwoLayerRelu, stationaryInitStd, type SyntheticModel } from '../models/twoLayerRelu.js';
import { TwoLayerConv } from '../models/twoLayerConv.js';
import { SGD, type SGDState } from './sgd.js';
import type { StateDict } from '../nn/parameters.js';
import type { SyntheticExperimentConfig, SyntheticMethod } from '../experiments/syntheticConfig.js';

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
export function setupSynthetic(cfg: SyntheticExperimentConfig, seed: number): SyntheticSetup {
  const dataGen = new Generator(deriveSeed(seed, 'data'));
  const problem = makeSyntheticProblem(cfg.data, dataGen);
  const splits = makeSplits(problem, dataGen);
  for (const ds of [splits.train, ...Object.values(splits.test)]) for (const t of Object.values(ds)) keep(t as Tensor);
  const t = cfg.train;
  const tau0 = t.tau0 ?? (t.tauXi > 0 && t.lambda > 0 ? stationaryInitStd(t.eta1, t.lambda, t.tauXi) : 0.01);
  const initGen = new Generator(deriveSeed(seed, 'init'));
  const dtype = cfg.data.dtype;
  const model: SyntheticModel = cfg.model.arch === 'conv'
    ? new TwoLayerConv({ d: cfg.data.d, k: cfg.model.convK, channels: cfg.model.m, tau0, dtype }, initGen)
    : new TwoLayerRelu({ d: cfg.data.d, m: cfg.model.m, form: cfg.model.arch, tau0, dtype }, initGen);
  const comp = splits.train.component.toInt32Array();
  const qFraction = comp.filter((c) => c === 1).length / Math.max(1, comp.length);
  return { problem, splits, model, qFraction, tau0 };
}

export function disposeSetup(s: SyntheticSetup): void {
  s.model.dispose();
  s.problem.dispose();
  for (const ds of [s.splits.train, ...Object.values(s.splits.test)]) for (const t of Object.values(ds)) (t as Tensor).dispose();
}

/** Mean logistic loss of the model on a dataset (no noise, no regularizer). */
export function datasetLoss(model: SyntheticModel, ds: SyntheticDataset): number {
  return noGrad(() => tidy(() => logisticLoss(model.forward(ds.x1, ds.x2), ds.y).item()));
}

export class SyntheticTrainer {
  readonly method: SyntheticMethod;
  private readonly cfg: SyntheticExperimentConfig;
  private readonly setup: SyntheticSetup;
  private readonly gens: Record<'gradNoise' | 'batches' | 'preact', Generator>;
  private readonly sgd: SGD | null;
  private st: Omit<SyntheticTrainerState, 'model' | 'sgd' | 'gens'>;

  constructor(cfg: SyntheticExperimentConfig, method: SyntheticMethod, seed: number, setup: SyntheticSetup) {
    this.cfg = cfg;
    this.method = method;
    this.setup = setup;
    this.gens = {
      gradNoise: new Generator(deriveSeed(seed, 'grad-noise')),
      batches: new Generator(deriveSeed(seed, 'batches')),
      preact: new Generator(deriveSeed(seed, 'preact-noise')),
    };
    this.sgd = cfg.train.update === 'sgd'
      ? new SGD(setup.model.params, { lr: this.lr0(), weightDecay: cfg.train.lambda })
      : null;
    this.st = {
      method, seed, step: 0, annealedAtStep: null, noiseOffAtStep: null, status: 'running', message: null,
      trainLoss: datasetLoss(setup.model, setup.splits.train), batchCursor: 0, batchOrder: [],
    };
  }

  private lr0(): number { return this.method === 'L-S' ? this.cfg.train.eta1 : this.cfg.train.eta2; }

  get step(): number { return this.st.step; }
  get status(): RunStatus { return this.st.status; }
  get message(): string | null { return this.st.message; }
  get annealedAtStep(): number | null { return this.st.annealedAtStep; }
  get noiseOffAtStep(): number | null { return this.st.noiseOffAtStep; }
  get trainLoss(): number { return this.st.trainLoss; }
  get model(): SyntheticModel { return this.setup.model; }
  get done(): boolean { return this.st.status !== 'running'; }

  /** The L-S annealing threshold eps1 + q log 2. */
  get annealThreshold(): number { return this.cfg.train.eps1 + this.setup.qFraction * Math.log(2); }

  /** The learning rate of the next update. */
  get lr(): number {
    if (this.method === 'L-S' && this.st.annealedAtStep === null) return this.cfg.train.eta1;
    return this.cfg.train.eta2;
  }
  /** The pre-activation noise std of the next update (S+noise only). */
  get noise(): number {
    return this.method === 'S+noise' && this.st.noiseOffAtStep === null ? this.cfg.train.noiseStd : 0;
  }

  /** The training loss at which this method stops. */
  private get stopLoss(): number { return this.method === 'L-S' ? this.cfg.train.eps2 : this.cfg.train.eps2S; }

  private nextBatch(): SyntheticDataset | null {
    const t = this.cfg.train;
    const train = this.setup.splits.train;
    const n = train.y.shape[0]!;
    if (t.update === 'noisy-gd' || t.batchSize >= n) return null;
    if (this.st.batchCursor + t.batchSize > this.st.batchOrder.length) {
      this.st.batchOrder = Array.from(tidy(() => randperm(n, this.gens.batches).toInt32Array()));
      this.st.batchCursor = 0;
    }
    const idx = this.st.batchOrder.slice(this.st.batchCursor, this.st.batchCursor + t.batchSize);
    this.st.batchCursor += t.batchSize;
    const it = tensor(Int32Array.from(idx), { dtype: 'int64' });
    const pick = (x: Tensor) => x.indexSelect(0, it);
    return { x1: pick(train.x1), x2: pick(train.x2), y: pick(train.y), component: pick(train.component) };
  }

  /** One update. Returns false once the run has stopped. */
  advance(): boolean {
    if (this.done) return false;
    const t = this.cfg.train;
    const model = this.setup.model;
    const lr = this.lr;
    const noise = this.noise;
    const train = this.setup.splits.train;
    let lossValue = NaN;
    tidy(() => {
      const batch = this.nextBatch() ?? train;
      const out = model.forward(batch.x1, batch.x2, noise > 0 ? { preActivationNoise: noise, gen: this.gens.preact } : {});
      const loss = logisticLoss(out, batch.y);
      lossValue = loss.item();
      if (!Number.isFinite(lossValue)) return;
      loss.backward();
      if (this.sgd) {
        this.sgd.setLr(lr);
        this.sgd.step();
        this.sgd.zeroGrad();
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
      }
    });
    this.st.step += 1;
    // the clean full-batch training loss decides annealing and stopping
    const free = t.update === 'noisy-gd' && noise === 0;
    if (free || this.st.step % t.lossCheckEvery === 0 || !Number.isFinite(lossValue)) {
      this.st.trainLoss = datasetLoss(model, train);
    }
    if (!Number.isFinite(lossValue) || !Number.isFinite(this.st.trainLoss)) {
      this.st.status = 'diverged';
      this.st.message = `training diverged at step ${this.st.step} (loss ${lossValue}) with lr ${lr}: lower the learning rate`;
      return false;
    }
    this.afterStep();
    return !this.done;
  }

  private afterStep(): void {
    const t = this.cfg.train;
    const loss = this.st.trainLoss;
    if (this.method === 'L-S' && this.st.annealedAtStep === null &&
      (loss < this.annealThreshold || (t.annealAtStep !== null && this.st.step >= t.annealAtStep))) {
      this.st.annealedAtStep = this.st.step;
    }
    if (this.method === 'S+noise' && this.st.noiseOffAtStep === null &&
      ((t.noiseAnnealAtLoss !== null && loss < t.noiseAnnealAtLoss) || (t.noiseAnnealAtStep !== null && this.st.step >= t.noiseAnnealAtStep))) {
      this.st.noiseOffAtStep = this.st.step;
    }
    const annealed = this.method !== 'L-S' || this.st.annealedAtStep !== null;
    const noiseOff = this.method !== 'S+noise' || this.st.noiseOffAtStep !== null;
    if (t.stopAtLoss && annealed && noiseOff && loss < this.stopLoss) {
      this.st.status = 'converged';
      this.st.message = `training loss ${loss.toPrecision(3)} < ${this.stopLoss} at step ${this.st.step}`;
    } else if (this.st.step >= t.maxSteps) {
      this.st.status = 'step-cap';
      this.st.message = `reached the step cap (${t.maxSteps}) at training loss ${loss.toPrecision(3)}`;
    }
  }

  state(): SyntheticTrainerState {
    return {
      ...structuredClone(this.st),
      model: this.setup.model.params.stateDict(),
      sgd: this.sgd ? this.sgd.stateDict() : null,
      gens: Object.fromEntries(Object.entries(this.gens).map(([k, g]) => [k, g.serialize()])),
    };
  }

  restore(s: SyntheticTrainerState): void {
    if (s.method !== this.method) throw new Error(`checkpoint is for method ${s.method}, not ${this.method}`);
    const { model, sgd, gens, ...rest } = s;
    this.setup.model.params.loadStateDict(model);
    if (this.sgd && sgd) this.sgd.loadStateDict(sgd);
    for (const [k, g] of Object.entries(this.gens)) {
      const v = gens[k];
      if (v === undefined) throw new Error(`checkpoint lacks the state of generator '${k}'`);
      g.restore(v);
    }
    this.st = structuredClone(rest);
  }

  dispose(): void { this.sgd?.dispose(); }
}
