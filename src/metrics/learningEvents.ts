// Per-example learning events (the learning order of the paper's Section 6, measured example by
// example): from a sequence of observations of one example — at each epoch, whether the model
// classified it correctly — the first epoch it is learned, the epoch from which it stays learned, and
// its forgetting events (Toneva et al., ICLR 2019: a transition from correct to incorrect between two
// consecutive observations). The bulk forms work on bit-packed planes (one bit per example per
// observation, see eventLog.ts) and summarize groups of examples (patched / unpatched, a class).

/** What one example's observations say. Epochs are those of the observations; null: never. */
export interface ExampleEvents {
  /** The epoch of the first correct observation. */
  firstLearned: number | null;
  /** The epoch from which every later observation is correct (null when the last one is incorrect). */
  learnedFrom: number | null;
  /** Correct -> incorrect transitions between consecutive observations. */
  forgetting: number;
}

/** The events of one example observed at `epochs` (increasing), correct[i] at epochs[i]. */
export function exampleEvents(epochs: readonly number[], correct: ArrayLike<boolean | number>): ExampleEvents {
  if (epochs.length !== correct.length) throw new Error(`exampleEvents: ${epochs.length} epochs but ${correct.length} observations`);
  let firstLearned: number | null = null, learnedFrom: number | null = null, forgetting = 0, prev = false;
  for (let i = 0; i < epochs.length; i++) {
    const c = Boolean(correct[i]);
    if (c && firstLearned === null) firstLearned = epochs[i]!;
    if (c && !prev) learnedFrom = epochs[i]!;
    if (!c) { if (prev) forgetting++; learnedFrom = null; }
    prev = c;
  }
  return { firstLearned, learnedFrom, forgetting };
}

/** Bit i of a packed plane (LSB first within each byte). */
export const getBit = (plane: Uint8Array, i: number): boolean => ((plane[i >> 3]! >> (i & 7)) & 1) === 1;
export function setBit(plane: Uint8Array, i: number, v: boolean): void {
  if (v) plane[i >> 3]! |= 1 << (i & 7); else plane[i >> 3]! &= ~(1 << (i & 7));
}
/** Bytes of a plane of n bits. */
export const planeBytes = (n: number) => Math.ceil(n / 8);
/** Pack 0/1 values (one per example) into a plane. */
export function packBits(values: ArrayLike<boolean | number>): Uint8Array {
  const out = new Uint8Array(planeBytes(values.length));
  for (let i = 0; i < values.length; i++) if (values[i]) setBit(out, i, true);
  return out;
}
export function unpackBits(plane: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = getBit(plane, i) ? 1 : 0;
  return out;
}

/** The events of n examples as arrays; -1 stands for never (null). */
export interface EventArrays { firstLearned: Int32Array; learnedFrom: Int32Array; forgetting: Int32Array; observed: Int32Array }

/**
 * The events of n examples from packed planes: correct[t] is observation t (at epochs[t]) of every
 * example. With `include`, observation t of example i counts only where include[t] has its bit set
 * (e.g. only the epochs on which it was loaded patch-only); observed counts the observations used.
 */
export function eventArrays(n: number, epochs: readonly number[], correct: readonly Uint8Array[], include?: readonly Uint8Array[]): EventArrays {
  if (correct.length !== epochs.length || (include && include.length !== epochs.length)) throw new Error('eventArrays: one plane per epoch');
  const firstLearned = new Int32Array(n).fill(-1), learnedFrom = new Int32Array(n).fill(-1);
  const forgetting = new Int32Array(n), observed = new Int32Array(n);
  const prev = new Uint8Array(n);
  for (let t = 0; t < epochs.length; t++) {
    const e = epochs[t]!, plane = correct[t]!, inc = include?.[t];
    for (let i = 0; i < n; i++) {
      if (inc && !getBit(inc, i)) continue;
      observed[i]!++;
      const c = getBit(plane, i);
      if (c) {
        if (firstLearned[i] === -1) firstLearned[i] = e;
        if (!prev[i]) learnedFrom[i] = e;
      } else {
        if (prev[i]) forgetting[i]!++;
        learnedFrom[i] = -1;
      }
      prev[i] = c ? 1 : 0;
    }
  }
  return { firstLearned, learnedFrom, forgetting, observed };
}

/** A group of examples (indices 0..n-1 where member is set) and what their events say. */
export interface GroupEvents {
  /** Examples in the group with at least one observation. */
  n: number;
  /** Fraction learned (first-learned epoch <= e) after each epoch e of `epochs`. */
  learnedBy: number[];
  /** Fraction ever learned, fraction learned for good by the last observation. */
  learned: number | null;
  stays: number | null;
  /** Median first-learned epoch of the examples learned (null: none was). */
  medianFirstLearned: number | null;
  /** Mean forgetting events per example, and the fraction never forgotten though learned ('unforgettable'). */
  meanForgetting: number | null;
  unforgettable: number | null;
}

/**
 * Summarize the events of the examples where member(i) over the observation epochs. Members without
 * an observation are left out, unless `unobserved` (then they count as not learned yet: e.g. the
 * patched examples not yet loaded patch-only, so that the fraction learned never falls).
 */
export function groupEvents(ev: EventArrays, epochs: readonly number[], member: (i: number) => boolean, unobserved = false): GroupEvents {
  const first: number[] = [];
  let n = 0, learned = 0, stays = 0, forget = 0, unforgettable = 0;
  for (let i = 0; i < ev.firstLearned.length; i++) {
    if (!member(i) || (ev.observed[i] === 0 && !unobserved)) continue;
    n++;
    forget += ev.forgetting[i]!;
    if (ev.firstLearned[i]! >= 0) { learned++; first.push(ev.firstLearned[i]!); if (ev.forgetting[i] === 0) unforgettable++; }
    if (ev.learnedFrom[i]! >= 0) stays++;
  }
  first.sort((a, b) => a - b);
  const frac = (k: number) => (n > 0 ? k / n : null);
  let j = 0;
  const learnedBy = epochs.map((e) => { while (j < first.length && first[j]! <= e) j++; return n > 0 ? j / n : 0; });
  const mid = first.length ? (first.length % 2 ? first[(first.length - 1) / 2]! : (first[first.length / 2 - 1]! + first[first.length / 2]!) / 2) : null;
  return { n, learnedBy, learned: frac(learned), stays: frac(stays), medianFirstLearned: mid, meanForgetting: frac(forget), unforgettable: frac(unforgettable) };
}
