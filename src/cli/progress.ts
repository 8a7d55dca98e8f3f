// A progress bar on stderr with elapsed time and ETA; on a non-terminal it prints a line every few seconds.
import { interruptFlag } from './signals.js';

/** Set by a sweep for its worker processes: the sweep's pid. */
export const SWEEP_PARENT_ENV = 'LRLAB_SWEEP_PARENT';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

export class Progress {
  private readonly start = Date.now();
  private lastPrint = 0;
  private printedComplete = false;
  /** The fraction done at the first update (work done before this process) and when it came. */
  private first: { frac: number; at: number } | undefined;
  private readonly tty: boolean;
  constructor(private total: number, private readonly label = '', private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false) {
    this.tty = !!stream.isTTY;
  }

  setTotal(total: number): void { this.total = total; }

  /** Report that `done` of `total` units are finished; `info` is shown after the bar. */
  update(done: number, info = ''): void {
    if (this.quiet) return;
    const now = Date.now();
    const finished = done >= this.total;
    if (!finished && now - this.lastPrint < (this.tty ? 100 : 5000)) return;
    this.lastPrint = now;
    this.printedComplete = finished;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 0;
    const elapsed = now - this.start;
    // the pace of the work done since the first report (a resumed run starts part-way, and what was
    // done before, or the set-up before the first report, took no training time here)
    this.first ??= { frac, at: now };
    const since = frac - this.first.frac;
    const eta = finished ? 0 : since > 0 ? ((now - this.first.at) / since) * (1 - frac) : NaN;
    const width = 24;
    const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
    const line = `${this.label} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${formatDuration(elapsed)} elapsed, ETA ${formatDuration(eta)}${info ? '  ' + info : ''}`;
    if (this.tty) {
      const cols = this.stream.columns || 120;
      this.stream.write('\r' + line.slice(0, cols - 1).padEnd(cols - 1));
    } else this.stream.write(line + '\n');
  }

  done(info = ''): void {
    if (this.quiet || (!this.tty && this.printedComplete)) return;
    this.lastPrint = 0;
    this.update(this.total, info);
    if (this.tty) this.stream.write('\n');
  }
}

/**
 * SIGINT/SIGTERM as a stop flag (release() removes the handlers), which also turns true once the
 * sweep or run that started this process is gone (killed, machine lost): a sweep's worker, or a
 * run's process side by side, then checkpoints and stops instead of running on alone.
 */
export function stopFlag(): { shouldStop: () => boolean; release: () => void } {
  const stop = interruptFlag();
  const sweep = Number(process.env[SWEEP_PARENT_ENV] ?? 0);
  return { shouldStop: () => stop.get() || (sweep > 0 && process.ppid !== sweep), release: () => stop.release() };
}

/**
 * A run command's body (shared by synthetic, images and resume): a progress bar of `total` units,
 * SIGINT/SIGTERM asking the run to checkpoint and stop (handlers released however it ends), then
 * finishRun. `run` gets the stop flag to poll and the bar to update.
 */
export async function runWithProgress(o: {
  label: string; total: number; dir: string; quiet: boolean;
  run: (shouldStop: () => boolean, bar: Progress) => Promise<'done' | 'interrupted'>;
  table: () => string;
}): Promise<number> {
  const bar = new Progress(o.total, o.label, process.stderr, o.quiet);
  const stop = stopFlag();
  if (!o.quiet) console.error(`run folder: ${o.dir}`);
  const { shouldStop } = stop;
  let result: 'done' | 'interrupted';
  try {
    result = await o.run(shouldStop, bar);
  } finally { stop.release(); }
  return finishRun(result, bar, o.dir, o.quiet, o.table);
}

/**
 * The end of a run command: an interrupted run says how to resume it (exit 130); a finished one
 * closes the progress bar and prints its table and folder (exit 0).
 */
function finishRun(result: 'done' | 'interrupted', bar: Progress, dir: string, quiet: boolean, table: () => string): number {
  if (result === 'interrupted') {
    console.error(`${quiet ? '' : '\n'}interrupted: checkpoint saved. Continue with: lrlab resume ${dir}`);
    return 130;
  }
  bar.done();
  console.log(table());
  console.log(`\nrun folder: ${dir}`);
  return 0;
}
