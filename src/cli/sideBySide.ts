// A run's parts trained side by side (issue: threads that fit the work): where the run's ops are
// small (one thread: Experiment.opSize), the parts still to do are split into shares of consecutive
// parts, one per core, and each share trains in a process of its own (`lrlab run-share`) at one
// thread, as one batched program where the kind batches the config (two parts a share at least),
// else one part after the other, all appending to the run's metrics.jsonl. Each part's numbers equal
// those of training it alone at one thread (the batched program's promise, for any set of parts);
// only the order of the rows of different parts in metrics.jsonl depends on timing.
// SIGINT/SIGTERM reach this process (the workers have process groups of their own): it passes one
// signal on to each worker, which checkpoints its parts, and the run is 'interrupted'. A worker
// outlives a killed run process only until its next check (it stops once its parent is gone), and
// status.json names the workers, so a resume in between is refused.
import { availableParallelism } from 'node:os';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { UsageError } from './command.js';
import { parseProgressLine, runJob } from './childRun.js';
import { threadsFor } from '../engine/index.js';
import type { AnyExperiment, BaseConfig, PartKey } from '../experiments/experiment.js';
import { batchesParts, type RunHooks } from '../experiments/partRunner.js';
import { writeJsonAtomic, writeRunStatus } from '../runs/runFolder.js';

/** Whether the parts of `cfg` can train side by side: a process of them runs at one thread (small ops). */
export function sideBySideFits(exp: AnyExperiment, cfg: BaseConfig): boolean {
  return threadsFor(exp.opSize?.(cfg), {}).threads === 1;
}

/**
 * How many processes train the run side by side: --workers N as given (refused where the parts do
 * not fit side by side), else one per core where they fit and LRLAB_NUM_THREADS is not set (a thread
 * count the user set keeps the run in one process), else 1.
 */
export function sideBySideWorkers(exp: AnyExperiment, cfg: BaseConfig, given: string | undefined, o: { batch?: boolean; queue?: boolean } = {}): number {
  if (given !== undefined) {
    const n = Number(given);
    if (!/^\d+$/.test(given) || !Number.isInteger(n) || n < 1) throw new UsageError(`--workers must be a positive integer, got '${given}'`);
    if (n > 1 && o.queue) throw new UsageError(`--workers ${n} is for a run trained here: with --queue the queue's workers train the parts (lrlab worker --concurrency)`);
    if (n > 1 && o.batch === false && batchesParts(exp, cfg)) throw new UsageError(`--workers ${n} trains shares of the parts as batched programs side by side; --no-batch trains them one by one in one process`);
    if (n > 1 && !sideBySideFits(exp, cfg)) {
      throw new UsageError(`--workers ${n}: this config's parts do not train side by side (their ops are large: ${exp.kind} runs them on all cores, in one process); use --workers 1`);
    }
    const threads = process.env.LRLAB_NUM_THREADS;
    if (n > 1 && threads !== undefined && threads !== '1') throw new UsageError(`--workers ${n} runs one thread per process, but LRLAB_NUM_THREADS=${threads} asks for ${threads}: unset it, or use --workers 1`);
    return n;
  }
  // (--no-batch: the parts one by one in one process, where they would batch)
  return process.env.LRLAB_NUM_THREADS === undefined && (o.batch !== false || !batchesParts(exp, cfg)) && !o.queue && sideBySideFits(exp, cfg) ? availableParallelism() : 1;
}

/**
 * runParts' sideBySide for the run of `cfg` in `dir` with `workers` processes: `onProgress` gets the
 * fraction of the whole run done (parts finished before count as done) and a status line.
 */
export function sideBySide(cfg: BaseConfig, dir: string, workers: number, totalParts: number, shouldStop: () => boolean,
  onProgress: (fraction: number, info: string) => void): NonNullable<RunHooks['sideBySide']> {
  return {
    workers,
    async train(shares: PartKey[][]) {
      const todo = shares.reduce((n, s) => n + s.length, 0);
      const fractions = shares.map(() => 0), infos = shares.map(() => '');
      const show = () => {
        const done = totalParts - todo + shares.reduce((x, s, i) => x + fractions[i]! * s.length, 0);
        onProgress(done / totalParts, `${shares.length} processes side by side: ${sideBySideInfo(fractions, infos)}`);
      };
      const children = new Set<ChildProcess>();
      for (const f of readdirSync(dir)) if (/^\.share-\d+\.json$/.test(f)) rmSync(join(dir, f), { force: true }); // (left by a killed run)
      const files = shares.map((parts, i) => {
        const f = join(dir, `.share-${i}.json`);
        writeJsonAtomic(f, { config: cfg, out: dir, parts, recordRuntime: i === 0 });
        return f;
      });
      let stopped = false;
      const stopAll = () => { if (!stopped) { stopped = true; for (const c of children) c.kill('SIGINT'); } };
      const poll = setInterval(() => { if (shouldStop()) stopAll(); }, 50);
      try {
        const runs = shares.map((_, i) => runJob(['run-share', files[i]!, '--progress'], children, (line) => {
          const p = parseProgressLine(line);
          if (p) { fractions[i] = p.fraction; infos[i] = p.info; show(); }
        }).then((r) => {
          if (r.code !== 0) stopAll(); // one failed (or was stopped): the others checkpoint and stop too
          return r;
        }));
        writeRunStatus(dir, 'running', { workers: [...children].flatMap((c) => (c.pid === undefined ? [] : [c.pid])) });
        show();
        const ends = await Promise.all(runs);
        const failed = ends.findIndex((r) => r.code !== 0 && r.code !== 130);
        if (failed >= 0) {
          const { code, stderr } = ends[failed]!;
          const why = stderr.trim().split('\n').filter((l) => l.trim() !== '' && !/^\s+at /.test(l)).pop()
            || (code > 128 ? `killed by signal ${code - 128}` : 'no message');
          throw new Error(`the process training parts ${shares[failed]!.map((k) => `${k.method} seed ${k.seed}`).join(', ')} side by side failed (exit ${code}): ${why}; `
            + `the other processes checkpointed their parts: lrlab resume ${dir} continues the run`);
        }
        return ends.some((r) => r.code === 130) ? 'interrupted' : 'done';
      } finally {
        clearInterval(poll);
        for (const f of files) rmSync(f, { force: true });
      }
    },
  };
}

/** The status of the processes of a side-by-side run, each as its last progress line says (or starting / done). */
export function sideBySideInfo(fractions: number[], infos: string[]): string {
  if (fractions.every((f) => f >= 1)) return 'done';
  return infos.map((info, i) => `[${i + 1}] ${fractions[i]! >= 1 ? 'done' : info || 'starting'}`).join(' | ');
}
