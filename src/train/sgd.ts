// Stochastic gradient descent with momentum, Nesterov momentum and weight decay, with exactly
// the semantics of torch.optim.SGD, and a state dict so that a resumed run continues bit-identically.
import { Tensor, keep, noGrad, tidy } from '../engine/index.js';
import { Parameters, deserializeTensor, serializeTensor, type SerializedTensor } from '../nn/parameters.js';

export interface SGDOptions {
  /** Learning rate eta (>= 0). */
  lr: number;
  /** Momentum factor in [0, 1); 0 (the default) is plain SGD. */
  momentum?: number;
  /** Dampening of the gradient added to the momentum buffer, in [0, 1]; default 0. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0); default false. */
  nesterov?: boolean;
  /** L2 weight decay added to the gradient (grad + weightDecay * p); default 0. */
  weightDecay?: number;
}

/** The optimizer's resumable state: hyperparameters, step count and momentum buffers by parameter key. */
export interface SGDState {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  /** Number of step() calls taken. */
  steps: number;
  /** Momentum buffer per parameter key (parameter name, or list index); absent until it first had a gradient. */
  momentumBuffers: Record<string, SerializedTensor>;
}

function checkLr(where: string, lr: number): number {
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) throw new Error(`${where}: lr must be a finite number >= 0, got ${lr}`);
  return lr;
}

function checkOptions(o: SGDOptions): Required<SGDOptions> {
  if (o === null || typeof o !== 'object') throw new Error('SGD: options must be an object with at least { lr }');
  const known = new Set(['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new Error(`SGD: unknown option '${k}'`);
  const lr = checkLr('SGD', o.lr);
  const momentum = o.momentum ?? 0;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1)) throw new Error(`SGD: momentum must be in [0, 1), got ${momentum}`);
  const dampening = o.dampening ?? 0;
  if (typeof dampening !== 'number' || !(dampening >= 0 && dampening <= 1)) throw new Error(`SGD: dampening must be in [0, 1], got ${dampening}`);
  const weightDecay = o.weightDecay ?? 0;
  if (typeof weightDecay !== 'number' || !Number.isFinite(weightDecay) || weightDecay < 0) {
    throw new Error(`SGD: weightDecay must be a finite number >= 0, got ${weightDecay}`);
  }
  const nesterov = o.nesterov ?? false;
  if (typeof nesterov !== 'boolean') throw new Error(`SGD: nesterov must be a boolean, got ${String(nesterov)}`);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new Error(`SGD: nesterov requires momentum > 0 and dampening 0 (got momentum ${momentum}, dampening ${dampening})`);
  }
  return { lr, momentum, dampening, nesterov, weightDecay };
}

/**
 * SGD as torch.optim.SGD. For each parameter p with a gradient (those whose grad is null are skipped):
 *   g = grad + weightDecay * p
 *   buf = g at p's first step, else momentum * buf + (1 - dampening) * g      (only if momentum > 0)
 *   g = nesterov ? g + momentum * buf : buf
 *   p -= lr * g
 */
export class SGD {
  private readonly params: Tensor[];
  private readonly keys: string[];
  private readonly opts: Required<SGDOptions>;
  private readonly buffers = new Map<number, Tensor>();
  private stepCount = 0;

  /** `params`: a list of parameter tensors (keyed by index) or a Parameters container (keyed by name). */
  constructor(params: Tensor[] | Parameters, options: SGDOptions) {
    if (params instanceof Parameters) {
      const named = params.named();
      this.params = named.map(([, t]) => t);
      this.keys = named.map(([k]) => k);
    } else if (Array.isArray(params)) {
      params.forEach((t, i) => { if (!(t instanceof Tensor)) throw new Error(`SGD: params[${i}] is not a Tensor`); });
      this.params = [...params];
      this.keys = params.map((_, i) => String(i));
    } else {
      throw new Error('SGD: params must be a Tensor[] or a Parameters');
    }
    if (this.params.length === 0) throw new Error('SGD: params is empty (nothing to optimize)');
    if (new Set(this.params).size !== this.params.length) throw new Error('SGD: params contains the same tensor twice');
    this.opts = checkOptions(options);
  }

  get lr(): number { return this.opts.lr; }
  /** Set the learning rate used by the following steps (e.g. from a schedule). */
  setLr(lr: number): void { this.opts.lr = checkLr('SGD.setLr', lr); }
  get momentum(): number { return this.opts.momentum; }
  get nesterov(): boolean { return this.opts.nesterov; }
  get weightDecay(): number { return this.opts.weightDecay; }
  /** Number of step() calls taken so far. */
  get steps(): number { return this.stepCount; }

  /** One update of every parameter that has a gradient. */
  step(): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = this.opts;
    noGrad(() => tidy(() => {
      this.params.forEach((p, i) => {
        const grad = p.grad;
        if (grad === null) return;
        // torch's grad.add(p, alpha=weightDecay): one kernel
        let g = weightDecay !== 0 ? grad.addScaled(p, weightDecay) : grad;
        if (momentum !== 0) {
          let buf = this.buffers.get(i);
          if (buf === undefined) {
            buf = keep(g.clone());
            this.buffers.set(i, buf);
          } else {
            buf.mul_(momentum).add_(g, 1 - dampening);
          }
          g = nesterov ? (g === grad ? g.clone() : g).add_(buf, momentum) : buf;
        }
        p.add_(g, -lr);
      });
    }));
    this.stepCount++;
  }

  /**
   * Count a step that another program made on these parameters with this optimizer's rule at
   * learning rate lr (a batched trainer updating many parts' copies at once), so that stateDict()
   * reads as after step(). Without momentum only: such a program keeps no momentum buffers.
   */
  countStep(lr: number): void {
    if (this.opts.momentum !== 0) throw new Error('SGD.countStep: only without momentum (the momentum buffers would not follow the step)');
    this.setLr(lr);
    this.stepCount++;
  }

  /** Clear every parameter's gradient (set it to null, as PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void { for (const p of this.params) p.zeroGrad(); }

  /** Hyperparameters, step count and momentum buffers (exact bytes), for checkpoints. */
  stateDict(): SGDState {
    const momentumBuffers: Record<string, SerializedTensor> = {};
    for (const [i, buf] of this.buffers) momentumBuffers[this.keys[i]!] = serializeTensor(buf);
    const { lr, momentum, dampening, nesterov, weightDecay } = this.opts;
    return { lr, momentum, dampening, nesterov, weightDecay, steps: this.stepCount, momentumBuffers };
  }

  /**
   * Restore a state from stateDict(): the learning rate, step count and momentum buffers. The other
   * hyperparameters must equal this optimizer's, and buffer keys, shapes and dtypes must match.
   */
  loadStateDict(s: SGDState): void {
    if (s === null || typeof s !== 'object') throw new Error('SGD.loadStateDict: state must be an object');
    for (const k of ['momentum', 'dampening', 'nesterov', 'weightDecay'] as const) {
      if (s[k] !== this.opts[k]) throw new Error(`SGD.loadStateDict: ${k} is ${String(this.opts[k])} here but ${String(s[k])} in the state`);
    }
    checkLr('SGD.loadStateDict', s.lr);
    if (!Number.isSafeInteger(s.steps) || s.steps < 0) throw new Error(`SGD.loadStateDict: steps must be a non-negative integer, got ${s.steps}`);
    const bufs = s.momentumBuffers ?? {};
    const index = new Map(this.keys.map((k, i) => [k, i]));
    for (const [k, st] of Object.entries(bufs)) {
      const i = index.get(k);
      if (i === undefined) throw new Error(`SGD.loadStateDict: momentumBuffers has '${k}', which is not a parameter of this optimizer`);
      const p = this.params[i]!;
      if (st.shape.join(',') !== p.shape.join(',')) {
        throw new Error(`SGD.loadStateDict: momentumBuffers '${k}' is [${st.shape}] but the parameter is [${p.shape}]`);
      }
    }
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
    for (const [k, st] of Object.entries(bufs)) {
      const i = index.get(k)!;
      const p = this.params[i]!;
      const t = deserializeTensor(st);
      const onDevice = t.device === p.device ? t : t.to({ device: p.device });
      if (onDevice !== t) t.dispose();
      this.buffers.set(i, keep(onDevice));
    }
    this.opts.lr = s.lr;
    this.stepCount = s.steps;
  }

  /** Free the momentum buffers (the parameters belong to the caller). */
  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
