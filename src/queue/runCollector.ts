// The coordinator's writer of one run folder whose parts run on the queue. It writes the files the
// local part runner writes, in the same format, so that report, summary, resume and the dashboard
// work unchanged:
//   metrics.jsonl: each part's rows as they arrive (interleaved while parts run side by side; a row
//     that a continued part sends again is not written twice); when a part finishes, its rows are
//     replaced by the complete list the worker sends back, and when the run is done the file is put
//     in the local runner's order (seeds outer, methods inner), so it is byte for byte the local one;
//   parts/<method>-seed<i>.json: the worker's part file, as the part runner wrote it;
//   summary.json and status.json once every part is there.
// The coordinator is the only writer of these files (workers send, it writes), so no two processes
// append to one file, whatever the filesystem.
import { appendFileSync, existsSync, openSync, readFileSync, readSync, closeSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyExperiment, BaseConfig, PartKey } from '../experiments/experiment.js';
import { dropPartRows, partName, partRows, partsOf, readPartFiles } from '../experiments/partRunner.js';
import { writeFileAtomic, writeJsonAtomic, writeRunStatus } from '../runs/runFolder.js';
import type { PartResult } from './partJob.js';

/** Cut a torn last line (a coordinator killed mid-append) so that the next row starts on a line of its own. */
function cutTornTail(path: string): void {
  if (!existsSync(path)) return;
  const size = statSync(path).size;
  if (size === 0) return;
  const buf = Buffer.alloc(Math.min(size, 1 << 20));
  const fd = openSync(path, 'r');
  try { readSync(fd, buf, 0, buf.length, size - buf.length); } finally { closeSync(fd); }
  if (buf[buf.length - 1] === 0x0a) return;
  const nl = buf.lastIndexOf(0x0a);
  truncateSync(path, nl < 0 ? (buf.length === size ? 0 : size - buf.length) : size - buf.length + nl + 1);
}

export class RunCollector {
  readonly parts: PartKey[];
  private readonly metricsPath: string;
  /** Rows of each part in metrics.jsonl so far. */
  private readonly counts = new Map<string, number>();
  failed = false;

  constructor(readonly exp: AnyExperiment, readonly cfg: BaseConfig, readonly dir: string) {
    this.parts = partsOf(exp, cfg);
    this.metricsPath = join(dir, 'metrics.jsonl');
    cutTornTail(this.metricsPath);
    for (const k of this.parts) this.counts.set(partName(k), partRows(this.metricsPath, k).length);
  }

  hasPart(k: PartKey): boolean { return existsSync(join(this.dir, 'parts', `${partName(k)}.json`)); }
  todo(): PartKey[] { return this.parts.filter((k) => !this.hasPart(k)); }
  get complete(): boolean { return this.todo().length === 0; }

  /** Rows `from`, `from + 1`, ... of part `k` (JSON lines) as a worker sent them: only the next ones are written. */
  addRows(k: PartKey, from: number, rows: string[]): void {
    if (this.hasPart(k)) return;
    const name = partName(k);
    let n = this.counts.get(name) ?? 0;
    const fresh: string[] = [];
    rows.forEach((line, i) => { if (from + i === n) { fresh.push(line); n++; } });
    if (fresh.length === 0) return;
    appendFileSync(this.metricsPath, fresh.map((l) => l + '\n').join(''));
    this.counts.set(name, n);
  }

  /**
   * A finished part (checked by checkPartResult): its complete rows, then its part file (with
   * `reusedFrom` when another run of the sweep trained it).
   */
  finishPart(k: PartKey, r: PartResult, reusedFrom?: { run: string; method: string }): void {
    const name = partName(k);
    dropPartRows(this.metricsPath, k);
    appendFileSync(this.metricsPath, r.rows.map((l) => l + '\n').join(''));
    this.counts.set(name, r.rows.length);
    // side files first: a part file's presence means the part is complete (as the part runner writes them)
    for (const [suffix, b64] of Object.entries(r.sideFiles)) writeFileAtomic(join(this.dir, 'parts', `${name}.${suffix}`), Buffer.from(b64, 'base64'));
    writeJsonAtomic(join(this.dir, 'parts', `${name}.json`), reusedFrom ? { ...r.partFile, reusedFrom } : r.partFile);
  }

  /** Every part is there: metrics.jsonl in the local runner's order, summary.json, status 'done'. */
  finishRun(): void {
    const order = new Map(this.parts.map((k, i) => [`${k.method}\u0000${k.seed}`, i]));
    const lines = existsSync(this.metricsPath) ? readFileSync(this.metricsPath, 'utf8').split('\n') : [];
    const rows: { line: string; at: number }[] = [];
    for (const line of lines) {
      if (line === '') continue;
      try {
        const r = JSON.parse(line) as { method?: unknown; seed?: unknown };
        rows.push({ line, at: order.get(`${String(r.method)}\u0000${String(r.seed)}`) ?? this.parts.length });
      } catch { /* a torn line: dropped, as the local runner drops it */ }
    }
    rows.sort((a, b) => a.at - b.at); // stable: each part's rows keep their order
    writeFileAtomic(this.metricsPath, rows.map((r) => r.line + '\n').join(''));
    writeJsonAtomic(join(this.dir, 'summary.json'), this.exp.summarize(this.cfg, readPartFiles(this.dir)));
    writeRunStatus(this.dir, 'done');
  }
}
