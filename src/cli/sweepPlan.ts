// Which parts a sweep trains and which it reuses, decided by the sweep process before it starts any
// worker: a part whose identity (experiments/partId.ts) is finished somewhere under the runs folder
// is copied into the point run that needs it; of the parts to train, the first point run (in grid
// order) that needs an identity owns it, and every later point run that needs it waits until its
// owner has finished, then gets a copy. So a sweep over L-S's eta1 trains S and S+noise once per
// seed, and no part is trained twice at the same time. Only the sweep process writes into a point
// run's folder before its worker starts, and never while one runs, so nothing is written twice.
// A local sweep's groups (sweepGroups.ts: several point runs per worker process, batched) keep a run
// out of the group of any run it waits for: it comes in a later wave.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { AnyExperiment, BaseConfig } from '../experiments/experiment.js';
import { partsOf, runParts } from '../experiments/partRunner.js';
import { findFinishedParts, partIdOf, reuseParts, reuseRoot, type PartSource } from '../experiments/partReuse.js';
import { partFileSchema, type PartFile } from '../runs/format.js';
import { readJson } from '../runs/runFolder.js';

export interface PlanJob { cfg: BaseConfig; out: string }

const finished = (out: string) => existsSync(join(out, 'summary.json'));
const hasCheckpoint = (out: string) => existsSync(join(out, 'checkpoints')) && readdirSync(join(out, 'checkpoints')).some((f) => f.endsWith('.json'));

export class ReusePlan {
  /** For each job: the jobs whose parts it waits for. */
  readonly waitsFor: Set<number>[];
  /** For each job: how many parts it trains itself (0 for a finished job; with reuse, the parts it owns). */
  readonly trains: number[];
  /** Parts to train and parts copied so far (over the jobs not finished when the plan was made). */
  toTrain = 0;
  reused = 0;
  private readonly sources: Map<string, PartSource>;
  private readonly ids: string[][];

  /** `sweepDir`: the sweep's folder (its runs folder is searched too). With `enabled` false, nothing is reused and nobody waits. */
  constructor(private readonly exp: AnyExperiment, private readonly jobs: PlanJob[], sweepDir: string, private readonly enabled: boolean) {
    this.ids = jobs.map((j) => partsOf(exp, j.cfg).map((k) => partIdOf(exp, j.cfg, k)));
    this.waitsFor = jobs.map(() => new Set<number>());
    this.sources = enabled ? findFinishedParts(reuseRoot(sweepDir), exp.kind) : new Map();
    this.trains = jobs.map((j, i) => (finished(j.out) ? 0 : enabled ? 0 : this.ids[i]!.length));
    if (!enabled) return;
    const owner = new Map<string, number>();
    jobs.forEach((j, i) => {
      if (finished(j.out)) return;
      if (!hasCheckpoint(j.out)) this.reused += this.copyInto(i).length;
      const have = new Set(this.partIdsIn(j.out));
      for (const id of new Set(this.ids[i])) {
        if (have.has(id)) continue;
        const o = owner.get(id);
        if (o === undefined) {
          owner.set(id, i);
          const n = this.ids[i]!.filter((x) => x === id).length;
          this.toTrain += n;
          this.trains[i] = this.trains[i]! + n;
        } else this.waitsFor[i]!.add(o);
      }
    });
  }

  /**
   * What a sweep in `sweepDir` (not yet made) would train and reuse (for --dry-run), touching
   * nothing: the parts to train and to copy, and per job what the constructor decides (the parts it
   * trains itself, the jobs whose parts it waits for).
   */
  static preview(exp: AnyExperiment, jobs: PlanJob[], sweepDir: string, enabled: boolean): { train: number; reused: number; trains: number[]; waitsFor: Set<number>[] } {
    // (a sweep is never planned over a folder of its own that exists: it is refused, or --force deletes it first)
    const own = resolve(sweepDir);
    const done = new Set(enabled ? [...findFinishedParts(reuseRoot(sweepDir), exp.kind)].filter(([, src]) => !`${resolve(src.dir)}${sep}`.startsWith(`${own}${sep}`)).map(([id]) => id) : []);
    const owner = new Map<string, number>();
    const trains = jobs.map(() => 0), waitsFor = jobs.map(() => new Set<number>());
    let train = 0, reused = 0;
    jobs.forEach((j, i) => {
      for (const k of partsOf(exp, j.cfg)) {
        const id = partIdOf(exp, j.cfg, k);
        const o = owner.get(id);
        if (enabled && done.has(id)) reused++;
        else if (enabled && o !== undefined && o !== i) { reused++; waitsFor[i]!.add(o); } else { train++; trains[i]!++; owner.set(id, i); }
      }
    });
    return { train, reused, trains, waitsFor };
  }

  /** The identities of the finished parts in a run folder. */
  private partIdsIn(out: string): string[] {
    const d = join(out, 'parts');
    if (!existsSync(d)) return [];
    return readdirSync(d).filter((f) => f.endsWith('.json')).flatMap((f) => {
      try { const p = partFileSchema.safeParse(readJson(join(d, f))); return p.success && p.data.partId ? [p.data.partId] : []; } catch { return []; }
    });
  }

  private copyInto(i: number): string[] {
    const j = this.jobs[i]!;
    return reuseParts(this.exp, j.cfg, j.out, partsOf(this.exp, j.cfg), { sources: this.sources, root: null }).map((r) => r.partId);
  }

  /** Whether job i may start now: every job it waits for has ended (`ended`). */
  ready(i: number, ended: Set<number>): boolean {
    return [...this.waitsFor[i]!].every((o) => ended.has(o));
  }

  /**
   * Before job i starts: copy the parts that the jobs it waited for have trained. Returns true when
   * the job then has every part, and finishes it here (its summary.json, no worker needed).
   */
  async prepare(i: number): Promise<boolean> {
    const j = this.jobs[i]!;
    if (!this.enabled || finished(j.out) || hasCheckpoint(j.out)) return false;
    for (const o of this.waitsFor[i]!) this.addSources(this.jobs[o]!.out);
    if (this.waitsFor[i]!.size > 0) this.reused += this.copyInto(i).length;
    const have = new Set(this.partIdsIn(j.out));
    if (!this.ids[i]!.every((id) => have.has(id))) return false;
    await runParts(this.exp, j.cfg, j.out); // every part is there: summary.json and status only
    return true;
  }

  private addSources(out: string): void {
    const d = join(out, 'parts');
    if (!existsSync(d)) return;
    for (const f of readdirSync(d).filter((x) => x.endsWith('.json'))) {
      try {
        const v = readJson<PartFile & Record<string, unknown>>(join(d, f));
        if (v.partId && !this.sources.has(v.partId)) this.sources.set(v.partId, { dir: out, file: v });
      } catch { /* a part file being written: not a source */ }
    }
  }
}
