// What an image part's per-example learning events (metrics/eventLog.ts) give its rows, part file
// and summary, grouped by what the paper's story is about (Section 6): the patched and unpatched
// training examples, the patch-only loads of the patched ones, and each class.
//   Signals: 'as_trained' (correct on the input shown in that epoch's training pass), 'clean' and
//   'patched' (correct, at an evaluation, on its clean image / on its image with its patch).
//   Row fields learned_<signal>: per group the fraction of its examples learned so far (first-learned
//   epoch <= this epoch), the curves of "fraction learned vs epoch".
//   The final row's order_sample: first-learned epochs of a fixed sample of examples (the first
//   ORDER_SAMPLE of each group, the same for every method of a seed), for the learning-order map.
import { eventArrays, groupEvents, getBit, type EventArrays, type GroupEvents } from '../../metrics/learningEvents.js';
import type { EventLog } from '../../metrics/eventLog.js';
import { spearman } from '../../util/stats.js';

export const SIGNALS = ['as_trained', 'clean', 'patched'] as const;
export type Signal = (typeof SIGNALS)[number];
export const GROUPS = ['all', 'unpatched', 'patched', 'patch_only_loads'] as const;
export type Group = (typeof GROUPS)[number];
/** Examples per group in the final row's learning-order sample. */
export const ORDER_SAMPLE = 200;

interface Derived {
  epochs: number[];
  ev: EventArrays;
  /** The patched examples' events on the epochs they were loaded patch-only (as trained; null: no such load). */
  poEv: EventArrays | null;
  member: (g: Exclude<Group, 'patch_only_loads'>) => (i: number) => boolean;
}

/** A signal's events, and who belongs to each group for it (null: the group does not apply). */
function derive(log: EventLog, s: Signal): Derived | null {
  const patched = (i: number) => getBit(log.patched, i);
  if (s === 'as_trained') {
    const epochs = log.trainEpochs;
    const trained = (i: number) => getBit(log.trained, i);
    const ev = eventArrays(log.n, epochs, log.trainPlanes('correct'));
    const po = log.trainPlanes('patch_only');
    const anyPatchOnly = po.some((p) => p.some((b) => b !== 0));
    const poEv = anyPatchOnly ? eventArrays(log.n, epochs, log.trainPlanes('correct'), po) : null;
    return { epochs, ev, poEv, member: (g) => g === 'all' ? trained : g === 'unpatched' ? (i) => trained(i) && !patched(i) : (i) => trained(i) && patched(i) };
  }
  const planes = log.evalPlanesOf(s);
  if (!planes) return null;
  const epochs = log.evalEpochs;
  return { epochs, ev: eventArrays(log.n, epochs, planes), poEv: null, member: (g) => g === 'all' ? () => true : g === 'unpatched' ? (i) => !patched(i) : patched };
}

/** The group summaries of one signal (null for a group with no examples). */
function signalGroups(log: EventLog, s: Signal): { d: Derived; groups: Partial<Record<Group, GroupEvents>> } | null {
  const d = derive(log, s);
  if (!d) return null;
  const groups: Partial<Record<Group, GroupEvents>> = {};
  for (const g of GROUPS) {
    if (g === 'patch_only_loads') {
      // the patched examples' observations on the epochs they were loaded patch-only (all patched examples count)
      if (d.poEv) { const r = groupEvents(d.poEv, d.epochs, (i) => getBit(log.patched, i) && getBit(log.trained, i), true); if (r.n > 0) groups[g] = r; }
      continue;
    }
    const r = groupEvents(d.ev, d.epochs, d.member(g));
    if (r.n > 0) groups[g] = r;
  }
  return { d, groups };
}

/** The row fields learned_<signal>: per group the fraction learned by now (null: no such group). */
export function learnedFractions(log: EventLog): Record<string, Record<Group, number | null>> {
  const out: Record<string, Record<Group, number | null>> = {};
  for (const s of SIGNALS) {
    const r = signalGroups(log, s);
    if (!r) continue;
    out[`learned_${s}`] = Object.fromEntries(GROUPS.map((g) => {
      const ge = r.groups[g];
      return [g, ge && ge.learnedBy.length ? ge.learnedBy[ge.learnedBy.length - 1]! : null];
    })) as Record<Group, number | null>;
  }
  return out;
}

/** A group's final figures as the part file keeps them. */
export interface GroupFinal { n: number; learned: number | null; stays: number | null; median_first_learned: number | null; mean_forgetting: number | null; unforgettable: number | null }
const finalOf = (g: GroupEvents): GroupFinal => ({
  n: g.n, learned: g.learned, stays: g.stays, median_first_learned: g.medianFirstLearned, mean_forgetting: g.meanForgetting, unforgettable: g.unforgettable,
});

/** The part file's `events`: per signal the groups' and classes' final figures, and every example's first-learned epoch (base64 Int16, -1 never). */
export interface PartEvents {
  n: number;
  bytes: number;
  signals: Partial<Record<Signal, { groups: Partial<Record<Group, GroupFinal>>; classes: Record<string, GroupFinal>; first_learned: string }>>;
}

export function partEvents(log: EventLog, bytes: number): PartEvents {
  const signals: PartEvents['signals'] = {};
  const classes = [...new Set(log.labels)].sort((a, b) => a - b);
  for (const s of SIGNALS) {
    const r = signalGroups(log, s);
    if (!r) continue;
    const { d } = r;
    const all = d.member('all');
    const cls: Record<string, GroupFinal> = {};
    for (const c of classes) {
      const g = groupEvents(d.ev, d.epochs, (i) => all(i) && log.labels[i] === c);
      if (g.n > 0) cls[String(c)] = finalOf(g);
    }
    const groups: Partial<Record<Group, GroupFinal>> = {};
    for (const g of GROUPS) if (r.groups[g]) groups[g] = finalOf(r.groups[g]);
    const first = Int16Array.from(d.ev.firstLearned, (e, i) => (all(i) ? e : -2));
    signals[s] = { groups, classes: cls, first_learned: Buffer.from(first.buffer).toString('base64') };
  }
  return { n: log.n, bytes, signals };
}

/** Decode a part file's first_learned (-1: never learned, -2: not observed). */
export function decodeFirstLearned(b64: string): Int16Array {
  const b = Buffer.from(b64, 'base64');
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/**
 * The final row's learning-order sample: the first ORDER_SAMPLE unpatched and patched examples (by
 * index) the method trains on, with their first-learned epochs as trained (never learned: the
 * number of epochs + 1) and on their clean image.
 */
export function orderSample(log: EventLog): { example: number[]; patched: number[]; as_trained: number[]; clean: number[] } {
  const tr = derive(log, 'as_trained')!;
  const cl = derive(log, 'clean')!;
  const never = (d: Derived) => (d.epochs.length ? d.epochs[d.epochs.length - 1]! + 1 : 1);
  const out = { example: [] as number[], patched: [] as number[], as_trained: [] as number[], clean: [] as number[] };
  const counts = [0, 0];
  for (let i = 0; i < log.n && (counts[0]! < ORDER_SAMPLE || counts[1]! < ORDER_SAMPLE); i++) {
    if (!getBit(log.trained, i)) continue;
    const p = getBit(log.patched, i) ? 1 : 0;
    if (counts[p]! >= ORDER_SAMPLE) continue;
    counts[p]!++;
    out.example.push(i);
    out.patched.push(p);
    out.as_trained.push(tr.ev.firstLearned[i]! >= 0 ? tr.ev.firstLearned[i]! : never(tr));
    out.clean.push(cl.ev.firstLearned[i]! >= 0 ? cl.ev.firstLearned[i]! : never(cl));
  }
  return out;
}

/**
 * Agreement of two methods' learning orders: Spearman's rank correlation of the first-learned epochs
 * of the examples both observed (never learned ranks last, tied). null when undefined.
 */
export function orderAgreement(a: Int16Array, b: Int16Array): number | null {
  if (a.length !== b.length) return null;
  const x: number[] = [], y: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < -1 || b[i]! < -1) continue;
    x.push(a[i]! < 0 ? Infinity : a[i]!);
    y.push(b[i]! < 0 ? Infinity : b[i]!);
  }
  return spearman(x, y);
}
