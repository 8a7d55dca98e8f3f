// How a local sweep (`lrlab sweep` without --queue) splits its point runs into groups, each run by
// one worker process (`lrlab run-group`, src/cli/group.ts) whose runs' parts train together as one
// batched program (experiments/runGroup.ts). Point runs whose configs have one batchKey
// (Experiment.batchKey: the same shapes) can share a group.
//   Reuse comes first (sweepPlan.ts): a part identity is trained by one point run only, its owner,
// and the runs that need it wait until the owner's process has ended, then get a copy, before their
// own process starts (nothing is copied into a folder a worker runs). A group's runs start and end
// together, so a run never shares a group with a run it waits for (it would train that part a second
// time, or wait for itself): runs are put in WAVES, a run's wave one after the last wave of the runs
// it waits for (wave 0: runs that wait for none), and only runs of one wave and one batchKey share
// a group. A sweep over L-S's eta1 thus trains each seed's S and S+noise (and the first point's L-S)
// in wave 0, and every other point's L-S, batched, in wave 1.
//   Both cores busy: the groups of a wave are as many as the workers where there are enough runs (a
// batchKey's runs split into several groups, the one with the most work per group first), each
// group's work (parts it trains x the training length) about even; a wave's group starts as soon as
// the runs it waits for have ended, so waves overlap where they can.
import type { AnyExperiment, BaseConfig } from '../experiments/experiment.js';

/** What the grouping needs to know about a point run. */
export interface GroupJob { cfg: BaseConfig; waitsFor: Set<number>; trains: number }

/** The point runs with what the reuse plan (sweepPlan.ts) decided for each: the runs it waits for, the parts it trains. */
export function groupJobs(jobs: { cfg: BaseConfig }[], plan: { waitsFor: Set<number>[]; trains: number[] }): GroupJob[] {
  return jobs.map((j, i) => ({ cfg: j.cfg, waitsFor: plan.waitsFor[i]!, trains: plan.trains[i]! }));
}

/** Each job's wave: 0 when it waits for none, else one after the latest wave of the jobs it waits for. */
export function waves(jobs: GroupJob[]): number[] {
  const w: (number | undefined)[] = jobs.map(() => undefined);
  const of = (i: number, seen: Set<number>): number => {
    if (w[i] !== undefined) return w[i]!;
    if (seen.has(i)) throw new Error(`sweep plan: run ${i} waits for itself`);
    seen.add(i);
    const v = Math.max(-1, ...[...jobs[i]!.waitsFor].map((o) => of(o, seen))) + 1;
    seen.delete(i);
    return (w[i] = v);
  };
  return jobs.map((_, i) => of(i, new Set()));
}

/**
 * The groups (lists of job indices, each in grid order; groups in the order they should start: by
 * wave, then by their first job). With `batch` false, or for a kind or config without a batchKey,
 * every job is a group of its own.
 */
export function sweepGroups(exp: AnyExperiment, jobs: GroupJob[], workers: number, batch: boolean): number[][] {
  const wave = waves(jobs);
  const cost = jobs.map((j) => Math.max(j.trains, 0) * exp.schedule.length(j.cfg));
  const groups: number[][] = [];
  for (const w of [...new Set(wave)].sort((a, b) => a - b)) {
    const buckets = new Map<string, number[]>();
    let units = 0;
    jobs.forEach((j, i) => {
      if (wave[i] !== w) return;
      const key = batch ? exp.batchKey?.(j.cfg) ?? null : null;
      if (key === null) { groups.push([i]); units++; return; }
      if (!buckets.has(key)) { buckets.set(key, []); units++; }
      buckets.get(key)!.push(i);
    });
    const list = [...buckets.values()];
    const total = (b: number[]) => b.reduce((s, i) => s + cost[i]!, 0);
    const chunks = list.map(() => 1);
    // more groups (smaller batches) while there are fewer than workers: split the bucket with the most work per group
    while (units < workers) {
      let best = -1;
      list.forEach((b, k) => { if (chunks[k]! < b.length && (best < 0 || total(b) / chunks[k]! > total(list[best]!) / chunks[best]!)) best = k; });
      if (best < 0) break;
      chunks[best]!++;
      units++;
    }
    list.forEach((b, k) => groups.push(...balanced(b, chunks[k]!, cost)));
  }
  const first = (g: number[]) => g[0]!;
  return groups.filter((g) => g.length > 0).sort((a, b) => wave[first(a)]! - wave[first(b)]! || first(a) - first(b));
}

/**
 * Split jobs into n groups of about equal cost: the costliest first (grid order among equals), each
 * to the group with the least so far (the first of equals); each group in grid order.
 */
function balanced(jobs: number[], n: number, cost: number[]): number[][] {
  const out: number[][] = Array.from({ length: n }, () => []);
  const sum = out.map(() => 0);
  for (const i of [...jobs].sort((a, b) => cost[b]! - cost[a]! || a - b)) {
    const k = sum.indexOf(Math.min(...sum));
    out[k]!.push(i);
    sum[k]! += cost[i]!;
  }
  return out.map((g) => g.sort((a, b) => a - b));
}
