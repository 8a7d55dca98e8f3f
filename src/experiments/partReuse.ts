// No wasted runs: before a run trains anything, each of its parts whose identity (partId.ts: kind,
// the part's own config, seed, code version) matches a finished part of another run folder under
// the same runs folder is copied instead of trained: its part file and its metrics rows, renamed to
// this run's method name when the kind's identity leaves the name out (images). Two parts with one
// identity train the same weights and write the same rows, so a reused part equals a rerun one (up
// to its wall-clock `seconds`). The part runner calls reuseParts once, before its loop; the sweep
// command uses findFinishedParts to decide which point runs must wait for which.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findRunDirs } from '../runs/runScan.js';
import { JsonlWriter, prepareRunFolder, readJsonl, writeFileAtomic, writeJsonAtomic } from '../runs/runFolder.js';
import { sweepOfRun } from '../runs/sweepFile.js';
import { partFileSchema, type MetricsRow, type PartFile } from '../runs/format.js';
import type { AnyExperiment, BaseConfig, PartKey } from './experiment.js';
import { partId } from './partId.js';
import { dropPartRows, partName } from './partFiles.js';

/** Where a finished part lies: its run folder and its part file. */
export interface PartSource { dir: string; file: PartFile & Record<string, unknown> }

/** A part copied into a run: which, and from which run folder. */
export interface ReusedPart { key: PartKey; partId: string; from: string }

export interface ReuseOptions {
  /** The runs folder to search (every run folder under it); default: reuseRoot(dir); null: search only `sources`. */
  root?: string | null;
  /** Already found finished parts (by identity), e.g. the sweep's; searched before `root`. */
  sources?: Map<string, PartSource>;
  /** Told which parts were copied (not called when none were). */
  onReuse?: (parts: ReusedPart[]) => void;
}

const INDEX_FILE = '.lrlab-index.sqlite';

/**
 * The runs folder that holds a run folder: the nearest folder above it (up to 4 levels above the run,
 * or its sweep) that holds the runs index (`lrlab index`), else the folder that holds the run (for a
 * sweep's point run: the folder that holds the sweep).
 */
export function reuseRoot(runDir: string): string {
  const abs = resolve(runDir);
  const top = sweepOfRun(abs)?.dir ?? abs;
  let d = dirname(top);
  for (let i = 0; i < 4; i++, d = dirname(d)) {
    if (existsSync(join(d, INDEX_FILE))) return d;
    if (dirname(d) === d) break;
  }
  return dirname(top);
}

/** The identity of a part of a config. */
export const partIdOf = (exp: AnyExperiment, cfg: BaseConfig, key: PartKey) => partId(exp.kind, exp.partConfig(cfg, key.method), key.seed);

/**
 * The finished parts of kind `kind` in every run folder under `root` (but `exclude`), by identity:
 * part files that carry a partId and fit the part-file schema. The first found (in folder order) wins.
 */
export function findFinishedParts(root: string, kind: string, exclude: string[] = []): Map<string, PartSource> {
  const out = new Map<string, PartSource>();
  if (!existsSync(root) || !statSync(root).isDirectory()) return out;
  const skip = new Set(exclude.map((d) => resolve(d)));
  for (const rel of findRunDirs(root)) {
    const dir = resolve(root, rel);
    if (skip.has(dir)) continue;
    const partsDir = join(dir, 'parts');
    if (!existsSync(partsDir)) continue;
    try {
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { kind?: unknown };
      if (cfg.kind !== kind) continue;
    } catch { continue; }
    for (const f of readdirSync(partsDir).filter((x) => x.endsWith('.json')).sort()) {
      let v: unknown;
      try { v = JSON.parse(readFileSync(join(partsDir, f), 'utf8')); } catch { continue; }
      const p = partFileSchema.safeParse(v);
      if (!p.success || !p.data.partId || out.has(p.data.partId)) continue;
      out.set(p.data.partId, { dir, file: v as PartSource['file'] });
    }
  }
  return out;
}

/** A copy of `v` with method `from` renamed to `to` in it and in any top-level row it holds (an image part's `final`). */
function renamed<T extends Record<string, unknown>>(v: T, from: string, to: string): T {
  if (from === to) return v;
  const out: Record<string, unknown> = { ...v, method: to };
  for (const [k, x] of Object.entries(v)) {
    if (k !== 'method' && x !== null && typeof x === 'object' && !Array.isArray(x) && (x as { method?: unknown }).method === from) out[k] = { ...(x as object), method: to };
  }
  return out as T;
}

/** A finished part's other files (parts/<part>.<suffix>, e.g. an image part's events.bin), copied under the new part's name. */
function copySideFiles(fromDir: string, fromName: string, toDir: string, toName: string): void {
  for (const f of readdirSync(fromDir)) {
    if (!f.startsWith(`${fromName}.`) || f === `${fromName}.json` || /\.tmp-\d+-[0-9a-f]{8}$/.test(f)) continue;
    writeFileAtomic(join(toDir, `${toName}${f.slice(fromName.length)}`), readFileSync(join(fromDir, f)));
  }
}

/**
 * Copy into `dir` every part of `cfg` that is not finished there and that a finished part of another
 * run folder has the identity of. Skipped altogether while the run has a checkpoint (an interrupted
 * part continues as it was: its checkpoint's byte offset in metrics.jsonl must stay valid). Writes
 * the rows first, then the part file (which marks the part finished): a crash in between leaves rows
 * that the part runner drops when it trains that part.
 */
export function reuseParts(exp: AnyExperiment, cfg: BaseConfig, dir: string, parts: PartKey[], o: ReuseOptions = {}): ReusedPart[] {
  const partFile = (k: PartKey) => join(dir, 'parts', `${partName(k)}.json`);
  const todo = parts.filter((k) => !existsSync(partFile(k)));
  if (todo.length === 0) return [];
  const ck = join(dir, 'checkpoints');
  if (existsSync(ck) && readdirSync(ck).some((f) => f.endsWith('.json'))) return [];
  let found: Map<string, PartSource> | null = null;
  const lookup = (id: string): PartSource | undefined => {
    const s = o.sources?.get(id);
    if (s && resolve(s.dir) !== resolve(dir)) return s;
    if (o.root === null) return undefined;
    found ??= findFinishedParts(o.root ?? reuseRoot(dir), exp.kind, [dir]);
    return found.get(id);
  };
  const reused: ReusedPart[] = [];
  const metricsPath = join(dir, 'metrics.jsonl');
  for (const key of todo) {
    const id = partIdOf(exp, cfg, key);
    const src = lookup(id);
    if (!src) continue;
    const rows = readJsonl<MetricsRow>(join(src.dir, 'metrics.jsonl')).rows
      .filter((r) => r.method === src.file.method && r.seed === src.file.seed);
    if (rows.length === 0) continue; // a part file without its rows: train it instead
    if (reused.length === 0) prepareRunFolder(dir, cfg);
    dropPartRows(metricsPath, key);
    const w = new JsonlWriter(metricsPath);
    try {
      for (const r of rows) w.write(renamed(r, src.file.method, key.method));
      w.sync();
    } finally { w.close(); }
    copySideFiles(join(src.dir, 'parts'), partName({ method: src.file.method, seed: src.file.seed }), join(dir, 'parts'), partName(key));
    writeJsonAtomic(partFile(key), { ...renamed(src.file, src.file.method, key.method), partId: id, reusedFrom: { run: src.dir, method: src.file.method } });
    reused.push({ key, partId: id, from: src.dir });
  }
  if (reused.length > 0) o.onReuse?.(reused);
  return reused;
}
