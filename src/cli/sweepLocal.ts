// A local sweep's worker processes (`lrlab sweep` without --queue): at most `workers` at a time, each
// single-threaded. By default the point runs are grouped (sweepGroups.ts: runs whose configs share a
// batchKey, in waves that respect the reuse plan) and each group is one process, `lrlab run-group`,
// whose runs' parts train as one batched program and which reports its progress on stdout; with
// --no-batch each point run is a process of its own (`lrlab <kind>`, or `lrlab resume` for a folder
// already started), its parts one by one. A group starts once every run its runs wait for (their
// parts they reuse) has ended; just before, the sweep copies those parts in (ReusePlan.prepare) and
// leaves out runs that are then complete. SIGINT/SIGTERM: no new process starts, the signal is passed
// on (each process checkpoints and stops), and the sweep waits for them.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { interruptFlag } from './signals.js';
import { Progress } from './progress.js';
import { parseProgressLine, runJob } from './childRun.js';
import type { ReusePlan } from './sweepPlan.js';
import { groupJobs, sweepGroups } from './sweepGroups.js';
import type { BaseConfig } from '../experiments/experiment.js';
import { experimentOf } from '../experiments/registry.js';
import { readJson, writeJsonAtomic } from '../runs/runFolder.js';

/** A point run of a sweep: its label (`p001/seed3`), its config and its run folder. */
export interface LocalJob { label: string; values: Record<string, unknown>; seed: number; cfg: BaseConfig; out: string }

export interface LocalSweep { dir: string; jobs: LocalJob[]; plan: ReusePlan; workers: number; batch: boolean; quiet: boolean }

/** The arguments of the process that runs point run `j` alone (--no-batch): a new run, or the resume of a folder already started. */
function singleArgs(j: LocalJob): string[] {
  // (the sweep has copied what can be reused: its workers do not search again)
  if (existsSync(join(j.out, 'config.json'))) return ['resume', j.out, '--quiet', '--no-reuse', '--no-batch'];
  mkdirSync(j.out, { recursive: true });
  const file = join(j.out, '..', `config-seed${j.seed}.json`);
  writeJsonAtomic(file, j.cfg);
  return [j.cfg.kind, '--config', file, '--out', j.out, '--force', '--quiet', '--no-reuse', '--no-batch'];
}

/** The arguments of the process that runs the point runs `js` as one group; its list lies in the sweep folder (.group-<first run>.json) while it runs. */
function groupArgs(dir: string, js: LocalJob[]): string[] {
  // a folder already started is continued with the config it holds (as `lrlab resume` would)
  const runs = js.map((j) => ({ config: existsSync(join(j.out, 'config.json')) ? readJson(join(j.out, 'config.json')) : j.cfg, out: j.out }));
  const file = join(dir, `.group-${js[0]!.label.replace('/', '-')}.json`);
  writeJsonAtomic(file, runs);
  return ['run-group', file, '--quiet', '--progress'];
}

/** Run the sweep's point runs not yet done. `done`: the runs finished (before or now); `failures`: one line per failed run. */
export async function runLocalSweep(s: LocalSweep): Promise<{ interrupted: boolean; done: number; failures: string[] }> {
  const { jobs, plan } = s;
  const exp = experimentOf(jobs[0]!.cfg);
  const groups = sweepGroups(exp, groupJobs(jobs, plan), s.workers, s.batch);
  const bar = new Progress(jobs.length, 'sweep', process.stderr, s.quiet);
  let done = 0;
  const failures: string[] = [];
  // progress: the runs done, plus each running group's fraction of its runs
  const running = new Map<number, { runs: number; fraction: number; info: string }>();
  const show = () => {
    const partly = [...running.values()].reduce((x, r) => x + r.fraction * r.runs, 0);
    const info = [...running.values()].find((r) => r.info)?.info;
    bar.update(done + partly, `${done}/${jobs.length} runs${failures.length ? `, ${failures.length} failed` : ''}${info ? `; ${info}` : ''}`);
  };
  const children = new Set<ChildProcess>();
  const ended = new Set<number>(), pending = groups.map((_, g) => g);
  let waiters: (() => void)[] = [];
  const wakeAll = () => { const w = waiters; waiters = []; for (const f of w) f(); };
  const stop = interruptFlag((sig) => { for (const c of children) c.kill(sig); wakeAll(); });
  const summarized = (j: LocalJob) => existsSync(join(j.out, 'summary.json'));
  const worker = async () => {
    while (pending.length > 0 && !stop.get()) {
      const at = pending.findIndex((g) => groups[g]!.every((i) => plan.ready(i, ended)));
      if (at < 0) { await new Promise<void>((r) => waiters.push(r)); continue; }
      const g = pending.splice(at, 1)[0]!;
      try {
        const todo: LocalJob[] = [];
        for (const i of groups[g]!) {
          if (summarized(jobs[i]!) || await plan.prepare(i)) done++; else todo.push(jobs[i]!);
        }
        show();
        // (a Ctrl-C while the group was being prepared: nothing to pass it to; the group waits for the resume)
        if (todo.length === 0 || stop.get()) continue;
        const runTodo = async (list: LocalJob[]) => {
          const onLine = (line: string) => {
            const p = parseProgressLine(line);
            if (!p) return;
            running.set(g, { runs: list.length, ...p });
            show();
          };
          let r: { code: number; stderr: string };
          if (s.batch) {
            const args = groupArgs(s.dir, list);
            try { r = await runJob(args, children, onLine); } finally { rmSync(args[1]!, { force: true }); }
          } else r = await runJob(singleArgs(list[0]!), children);
          running.delete(g);
          return r;
        };
        let r = await runTodo(todo);
        const interrupted = () => stop.get() && r.code === 130; // its unfinished runs continue on resume
        const failed = (j: LocalJob) => `${j.label} ${JSON.stringify(j.values)} seed ${j.seed}: ${r.code === 0 ? 'no summary.json' : r.stderr.trim().split('\n').pop()}`;
        const left = todo.filter((j) => !summarized(j));
        done += todo.length - left.length;
        if (left.length > 1 && r.code !== 0 && !interrupted()) {
          // a group that failed (one run refused, e.g. a checkpoint of another code version, or one that
          // threw): its runs not done again one by one, so that only the culprit fails, with its own message
          for (const j of left) {
            if (stop.get()) break;
            r = await runTodo([j]);
            if (summarized(j)) done++;
            else if (!interrupted()) { done++; failures.push(failed(j)); }
          }
        } else if (!interrupted()) for (const j of left) { done++; failures.push(failed(j)); }
        show();
      } finally { for (const i of groups[g]!) ended.add(i); wakeAll(); }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(s.workers, groups.length) }, worker));
  } finally { stop.release(); }
  if (!stop.get()) bar.done();
  return { interrupted: stop.get(), done, failures };
}
