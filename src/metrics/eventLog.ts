// The per-example learning-event log of one image part: for every training example, one bit per
// plane per observation, bit-packed (ceil(n/8) bytes a plane).
//   Training pass, every epoch e = 1, 2, ... (collected from the batches as trained, no extra
//   forward): 'correct' (classified correctly on the input it was shown, augmented as in that epoch)
//   and 'patch_only' (that load was patch-only).
//   Each evaluation at epoch e (0: the initial model; eval mode, no noise): 'clean' (correct on its
//   clean image) and, when the run has a patch, 'patched' (correct on its image with its class's
//   patch, one fixed draw per example).
// So an epoch with an evaluation costs 4 bits (0.5 byte) per example with a patch, 2 without.
// The file (parts/<part>.events.bin; also inside a checkpoint, base64) is
//   "LRLEVT01" | u32 LE header length | header JSON | labels (n bytes) | static planes | train records | eval records
// with the static planes 'patched' (the fixed training mask) and 'trained' (in the method's training
// subset), each train record its planes in header.trainPlanes order, each eval record in header.evalPlanes order.
import { packBits as pack, planeBytes, setBit } from './learningEvents.js';

const MAGIC = 'LRLEVT01';
export const TRAIN_PLANES = ['correct', 'patch_only'] as const;
export type TrainPlane = (typeof TRAIN_PLANES)[number];
export const EVAL_PLANES = ['clean', 'patched'] as const;
export type EvalPlane = (typeof EVAL_PLANES)[number];

export interface EventLogHeader {
  version: 1;
  n: number;
  trainPlanes: TrainPlane[];
  evalPlanes: EvalPlane[];
  /** The epochs of the train records and of the eval records, in file order. */
  train: number[];
  eval: number[];
}

/** What the log is about: the examples' labels, which carry the patch, which the method trains on. */
export interface EventLogInit { labels: Uint8Array; patched: Uint8Array; trained: Uint8Array; evalPatched: boolean }

export class EventLog {
  readonly n: number;
  readonly labels: Uint8Array;
  /** Static planes (packed): the patch mask and the method's training subset. */
  readonly patched: Uint8Array;
  readonly trained: Uint8Array;
  readonly evalPlanes: EvalPlane[];
  private readonly trainRecs: { epoch: number; planes: Uint8Array[] }[] = [];
  private readonly evalRecs: { epoch: number; planes: Uint8Array[] }[] = [];

  constructor(init: EventLogInit) {
    const n = init.labels.length;
    if (init.patched.length !== n || init.trained.length !== n) throw new Error(`EventLog: ${n} labels but ${init.patched.length} mask and ${init.trained.length} subset entries`);
    this.n = n;
    this.labels = Uint8Array.from(init.labels);
    this.patched = pack(init.patched);
    this.trained = pack(init.trained);
    this.evalPlanes = init.evalPatched ? ['clean', 'patched'] : ['clean'];
  }

  get trainEpochs(): number[] { return this.trainRecs.map((r) => r.epoch); }
  get evalEpochs(): number[] { return this.evalRecs.map((r) => r.epoch); }
  /** The packed plane of every train record (in epoch order). */
  trainPlanes(p: TrainPlane): Uint8Array[] { const k = TRAIN_PLANES.indexOf(p); return this.trainRecs.map((r) => r.planes[k]!); }
  /** The packed plane of every eval record, or null when the log has no such plane. */
  evalPlanesOf(p: EvalPlane): Uint8Array[] | null {
    const k = this.evalPlanes.indexOf(p);
    return k < 0 ? null : this.evalRecs.map((r) => r.planes[k]!);
  }

  /**
   * A training batch of epoch `epoch` (1-based; records start in epoch order): the examples'
   * dataset indices, whether each was classified correctly, whether its load was patch-only.
   */
  recordTrain(epoch: number, index: ArrayLike<number>, correct: ArrayLike<number>, patchOnly: ArrayLike<number>): void {
    let rec = this.trainRecs[this.trainRecs.length - 1];
    if (!rec || rec.epoch !== epoch) {
      if (rec && epoch < rec.epoch) throw new Error(`EventLog.recordTrain: epoch ${epoch} after epoch ${rec.epoch}`);
      rec = { epoch, planes: TRAIN_PLANES.map(() => new Uint8Array(planeBytes(this.n))) };
      this.trainRecs.push(rec);
    }
    const [c, po] = rec.planes as [Uint8Array, Uint8Array];
    for (let j = 0; j < index.length; j++) {
      const i = index[j]!;
      if (!(i >= 0 && i < this.n)) throw new Error(`EventLog.recordTrain: example index ${i} out of range 0..${this.n - 1}`);
      setBit(c, i, correct[j] !== 0);
      setBit(po, i, patchOnly[j] !== 0);
    }
  }

  /** An evaluation at epoch `epoch`: per example (0/1) correct on its clean and (with a patch) patched version. */
  recordEval(epoch: number, clean: Uint8Array, patched: Uint8Array | null): void {
    const last = this.evalRecs[this.evalRecs.length - 1];
    if (last && epoch <= last.epoch) throw new Error(`EventLog.recordEval: epoch ${epoch} after epoch ${last.epoch}`);
    const planes = [clean, ...(this.evalPlanes.length > 1 ? [patched] : [])];
    if (planes.some((p) => !p || p.length !== this.n)) throw new Error(`EventLog.recordEval: need ${this.evalPlanes.join(' and ')} results for ${this.n} examples`);
    this.evalRecs.push({ epoch, planes: planes.map((p) => pack(p!)) });
  }

  header(): EventLogHeader {
    return { version: 1, n: this.n, trainPlanes: [...TRAIN_PLANES], evalPlanes: [...this.evalPlanes], train: this.trainEpochs, eval: this.evalEpochs };
  }

  /** The file's bytes. */
  encode(): Uint8Array {
    const head = Buffer.from(JSON.stringify(this.header()), 'utf8');
    const chunks: Uint8Array[] = [Buffer.from(MAGIC, 'latin1'), u32(head.length), head, this.labels, this.patched, this.trained];
    for (const r of this.trainRecs) chunks.push(...r.planes);
    for (const r of this.evalRecs) chunks.push(...r.planes);
    return Buffer.concat(chunks);
  }

  /** Read a file's bytes (throws a one-line error on anything that is not an intact event log). */
  static decode(bytes: Uint8Array): EventLog {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bad = (why: string) => new Error(`not an lrlab event log: ${why}`);
    if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw bad('wrong magic');
    const len = buf.readUInt32LE(8);
    let h: EventLogHeader;
    try { h = JSON.parse(buf.toString('utf8', 12, 12 + len)) as EventLogHeader; } catch { throw bad('unreadable header'); }
    if (h.version !== 1 || !Number.isInteger(h.n) || !Array.isArray(h.train) || !Array.isArray(h.eval)) throw bad('unknown header');
    const pb = planeBytes(h.n);
    const expected = 12 + len + h.n + 2 * pb + (h.train.length * h.trainPlanes.length + h.eval.length * h.evalPlanes.length) * pb;
    if (buf.length !== expected) throw bad(`${buf.length} bytes, expected ${expected}`);
    let at = 12 + len;
    const take = (k: number) => { const s = Uint8Array.from(buf.subarray(at, at + k)); at += k; return s; };
    const labels = take(h.n);
    const patched = take(pb), trained = take(pb);
    const log = new EventLog({ labels, patched: new Uint8Array(h.n), trained: new Uint8Array(h.n), evalPatched: h.evalPlanes.includes('patched') });
    log.patched.set(patched); log.trained.set(trained);
    for (const epoch of h.train) log.trainRecs.push({ epoch, planes: h.trainPlanes.map(() => take(pb)) });
    for (const epoch of h.eval) log.evalRecs.push({ epoch, planes: h.evalPlanes.map(() => take(pb)) });
    return log;
  }

  /** For checkpoints (JSON). */
  toBase64(): string { return Buffer.from(this.encode()).toString('base64'); }
  static fromBase64(s: string): EventLog { return EventLog.decode(Buffer.from(s, 'base64')); }
}

function u32(v: number): Uint8Array { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; }
