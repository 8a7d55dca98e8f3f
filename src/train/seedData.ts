// A seed's synthetic data (its problem and splits), drawn once per process and shared by the parts
// that train on it: the methods of a seed (and the sweep points whose data section is the same) draw
// the very same data from the seed (setupSynthetic), so drawing it again for each of them is work
// thrown away (a third of a side-by-side worker's start-up on the `order` preset, 4 seeds x 3 methods).
// The data is read only (training and evaluation never write into it), so the parts can hold the same
// tensors; each holder releases it once, and the last release frees it. A batch's parts finish at
// different steps, hence the count.
import { Generator, deriveSeed, keep } from '../engine/index.js';
import { makeSplits, makeSyntheticProblem, splitsTensors, type SyntheticDataConfig, type SyntheticProblem, type SyntheticSplits } from '../data/synthetic.js';

export interface SeedData { problem: SyntheticProblem; splits: SyntheticSplits }

interface Entry { data: SeedData; holders: number; key: string }
const live = new Map<string, Entry>();
const bySplits = new WeakMap<SyntheticSplits, Entry>();

/** The key of a seed's data: the data section (what the draws depend on) and the seed. */
const keyOf = (cfg: SyntheticDataConfig, seed: number) => JSON.stringify([cfg, seed]);

/** Draw the problem, then the splits, from the seed's data generator (in this order), keeping their tensors out of any tidy scope. */
function draw(cfg: SyntheticDataConfig, seed: number): SeedData {
  const gen = new Generator(deriveSeed(seed, 'data'));
  const problem = makeSyntheticProblem(cfg, gen);
  const splits = makeSplits(problem, gen);
  for (const t of splitsTensors(splits)) keep(t);
  return { problem, splits };
}

function free({ problem, splits }: SeedData): void {
  problem.dispose();
  for (const t of splitsTensors(splits)) t.dispose();
}

/** The seed's data under `cfg`: the copy another holder in this process has, or a fresh draw. Release it once with releaseSeedData. */
export function acquireSeedData(cfg: SyntheticDataConfig, seed: number): SeedData {
  const key = keyOf(cfg, seed);
  let e = live.get(key);
  if (!e) {
    e = { data: draw(cfg, seed), holders: 0, key };
    live.set(key, e);
    bySplits.set(e.data.splits, e);
  }
  e.holders++;
  return e.data;
}

/** Release one hold on the data whose splits these are (freed at the last); data not from acquireSeedData is freed at once. */
export function releaseSeedData(data: SeedData): void {
  const e = bySplits.get(data.splits);
  if (!e || e.data.problem !== data.problem) { free(data); return; }
  if (e.holders <= 0) throw new Error('releaseSeedData: released more often than acquired');
  if (--e.holders > 0) return;
  live.delete(e.key); // (bySplits keeps the entry at 0 holders: one more release throws instead of freeing twice)
  free(e.data);
}

/** How many seeds' data this process holds (for tests). */
export function seedDataHeld(): number { return live.size; }
