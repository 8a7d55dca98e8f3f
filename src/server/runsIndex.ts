// The runs index: an embedded SQLite database (<runs>/.lrlab-index.sqlite) with one row per run
// folder (kind, preset, methods, seeds, status, times, final numbers as JSON) so that listing and
// filtering stay fast with thousands of runs. The folders stay the source of truth: sync() re-reads
// only the folders whose config/status/summary/metrics mtime or size changed, and reads a growing
// metrics.jsonl from where it stopped last time.
import Database from 'better-sqlite3';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findRunDirs, runSignature } from '../runs/runScan.js';
import { readAppended } from './jsonlTail.js';
import { isMetricsRow, methodNames, readRunConfig, readRunStatus, type RunKind, type RunSummary } from '../report/runData.js';
import { clockOf } from '../report/finals.js';
import { finalsFromSummary, pick, type FinalStats } from '../viz/finals.js';
import { findExperiment, getExperiment } from '../experiments/registry.js';
import type { ExperimentView } from '../experiments/experiment.js';
import { meanStd, type MeanStd } from '../util/stats.js';

export const INDEX_FILE = '.lrlab-index.sqlite';
const SCHEMA_VERSION = '2';

export interface IndexedRun {
  /** The folder's path relative to the runs folder ('/'-separated): the run's id in URLs. */
  id: string;
  kind: RunKind;
  preset: string;
  methods: string[];
  seeds: number[];
  status: string;
  created: string;
  updated: string;
  /** Headline numbers per method (mean ± std over seeds): from summary.json, else the latest metrics rows. */
  final: { source: FinalStats['source']; methods: Record<string, Record<string, MeanStd>> };
  /** Metrics rows read, and the latest epoch or step (the kind's clock). */
  progress: { rows: number; last: number; clock: 'epoch' | 'step' };
  /** The number the runs list shows per method (the kind's listColumn). */
  column: ExperimentView['listColumn'] | null;
}

export interface RunFilter { kind?: string; preset?: string; status?: string; q?: string; limit?: number; offset?: number }
export interface SyncResult { added: number; updated: number; removed: number; errors: string[] }

/** Per (method, seed): the latest row's clock and headline values; stored so that a growing file is read incrementally. */
interface TailState { offset: number; lines: number; rows: number; last: number; latest: Record<string, { c: number; v: (number | null)[] }> }

const iso = (ms: number) => new Date(ms).toISOString();

export class RunsIndex {
  readonly db: Database.Database;
  readonly root: string;
  /** Errors of the last sync (unreadable configs), one line each. */
  errors: string[] = [];
  private lastSync = 0;

  /** Open (creating) the index of `runsDir`; `dbPath` ':memory:' keeps it in memory (the default when the folder is read-only). */
  constructor(runsDir: string, dbPath?: string) {
    this.root = resolve(runsDir);
    if (!existsSync(this.root)) throw new Error(`runs folder ${runsDir} does not exist`);
    let db: Database.Database;
    try { db = new Database(dbPath ?? join(this.root, INDEX_FILE)); } catch { db = new Database(':memory:'); }
    this.db = db;
    db.pragma('busy_timeout = 5000');
    try { db.pragma('journal_mode = WAL'); } catch { /* in-memory or read-only */ }
    db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
    const v = db.prepare('SELECT value FROM meta WHERE key = ?').get('schema') as { value: string } | undefined;
    if (v?.value !== SCHEMA_VERSION) db.exec('DROP TABLE IF EXISTS runs;');
    db.exec(`
      CREATE TABLE IF NOT EXISTS runs (
        dir TEXT PRIMARY KEY, kind TEXT NOT NULL, preset TEXT NOT NULL, methods TEXT NOT NULL, seeds TEXT NOT NULL,
        status TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL, final TEXT NOT NULL, progress TEXT NOT NULL,
        sig TEXT NOT NULL, tail TEXT NOT NULL, config TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS runs_kind_preset ON runs(kind, preset);
      CREATE INDEX IF NOT EXISTS runs_updated ON runs(updated);`);
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('schema', SCHEMA_VERSION);
  }

  close(): void { this.db.close(); }

  /** Re-read the folders whose files changed since the last sync, add new ones, drop vanished ones. */
  sync(): SyncResult {
    this.lastSync = Date.now();
    const dirs = findRunDirs(this.root);
    const known = new Map((this.db.prepare('SELECT dir, sig, tail, status FROM runs').all() as { dir: string; sig: string; tail: string; status: string }[]).map((r) => [r.dir, r]));
    const res: SyncResult = { added: 0, updated: 0, removed: 0, errors: [] };
    const upsert = this.db.prepare(`INSERT OR REPLACE INTO runs (dir, kind, preset, methods, seeds, status, created, updated, final, progress, sig, tail, config)
      VALUES (@dir, @kind, @preset, @methods, @seeds, @status, @created, @updated, @final, @progress, @sig, @tail, @config)`);
    const del = this.db.prepare('DELETE FROM runs WHERE dir = ?');
    this.db.transaction(() => {
      for (const id of dirs) {
        const abs = join(this.root, id);
        const sig = runSignature(abs);
        const prev = known.get(id);
        known.delete(id);
        // a running run whose process died reads as interrupted although no file changed
        if (prev && prev.sig === sig && (prev.status !== 'running' || readRunStatus(abs).state === 'running')) continue;
        try {
          const sameConfig = prev !== undefined && prev.sig.split('|')[0] === sig.split('|')[0];
          upsert.run(this.readRun(id, abs, sig, sameConfig ? (JSON.parse(prev.tail) as TailState) : null));
          if (prev) res.updated++; else res.added++;
        } catch (e) {
          res.errors.push(`${id}: ${(e as Error).message}`);
          if (prev) { del.run(id); res.removed++; }
        }
      }
      for (const id of known.keys()) { del.run(id); res.removed++; }
    })();
    this.errors = res.errors;
    return res;
  }

  /** sync() unless the last one was less than `minIntervalMs` ago. */
  maybeSync(minIntervalMs = 1000): void {
    if (Date.now() - this.lastSync >= minIntervalMs) this.sync();
  }

  /** Empty the index and read every folder again. */
  rebuild(): SyncResult {
    this.db.exec('DELETE FROM runs');
    return this.sync();
  }

  private readRun(id: string, abs: string, sig: string, prevTail: TailState | null) {
    const cfg = readRunConfig(abs, id);
    const kind = cfg.kind;
    const view = getExperiment(kind).view;
    const methods = methodNames(cfg);
    const status = readRunStatus(abs);
    let summary: RunSummary | null = null;
    try { summary = existsSync(join(abs, 'summary.json')) ? JSON.parse(readFileSync(join(abs, 'summary.json'), 'utf8')) as RunSummary : null; } catch { summary = null; }
    const tail = this.readTail(kind, join(abs, 'metrics.jsonl'), prevTail);
    const final = summary && typeof summary.methods === 'object' ? finalsFromSummary(summary) : this.finalsFromTail(kind, tail, methods);
    const { group, keys } = view.headline;
    const headline = new Set([...keys.map((k) => `${group}.${k}`), ...view.indexKeys]);
    const slim = Object.fromEntries(Object.entries(final.methods).map(([m, s]) => [m, Object.fromEntries(Object.entries(s).filter(([k]) => headline.has(k)))]));
    const base = Number(cfg.seed ?? 0);
    const seeds = summary?.seeds ?? Array.from({ length: Number(cfg.seeds ?? 1) }, (_, i) => base + i);
    const cst = statSync(join(abs, 'config.json'));
    const mtimes = sig.split('|').map((s) => Number(s.split(':')[0])).filter((x) => Number.isFinite(x));
    return {
      dir: id, kind, preset: String(cfg.preset ?? 'custom'), methods: JSON.stringify(methods), seeds: JSON.stringify(seeds),
      status: status.state, created: iso(cst.birthtimeMs || cst.mtimeMs),
      updated: iso(Math.max(...mtimes, Date.parse(status.updated ?? '') || 0)), // metrics grow while status.json stays
      final: JSON.stringify({ source: final.source, methods: slim }),
      progress: JSON.stringify({ rows: tail.rows, last: tail.last, clock: view.clock }),
      sig, tail: JSON.stringify(tail), config: JSON.stringify(cfg),
    };
  }

  /** Read the metrics appended since `prev` (from the start when the file shrank or there is no state). */
  private readTail(kind: RunKind, path: string, prev: TailState | null): TailState {
    let st: TailState = prev ? structuredClone(prev) : { offset: 0, lines: 0, rows: 0, last: 0, latest: {} };
    let r = readAppended(path, st.offset, st.lines + 1);
    if (r.truncated) { st = { offset: 0, lines: 0, rows: 0, last: 0, latest: {} }; r = readAppended(path, 0, 1); }
    const exp = getExperiment(kind);
    const { group, keys } = exp.view.headline;
    const clock = clockOf(exp);
    for (const row of r.rows) {
      if (!isMetricsRow(row)) continue;
      const c = clock(row);
      const k = `${row.method}\u0000${row.seed}`;
      const cur = st.latest[k];
      if (!cur || c >= cur.c) st.latest[k] = { c, v: keys.map((key) => pick(row, group, key)) };
      st.rows++;
      st.last = Math.max(st.last, c);
    }
    st.offset = r.offset;
    st.lines += r.lines;
    return st;
  }

  private finalsFromTail(kind: RunKind, tail: TailState, methods: string[]): FinalStats {
    const { group, keys } = getExperiment(kind).view.headline;
    const out: FinalStats['methods'] = {};
    const entries = Object.entries(tail.latest).map(([k, v]) => ({ method: k.split('\u0000')[0]!, v: v.v }));
    const names = [...methods, ...new Set(entries.map((e) => e.method).filter((m) => !methods.includes(m)))];
    for (const m of names) {
      const es = entries.filter((e) => e.method === m);
      if (es.length) out[m] = Object.fromEntries(keys.map((key, i) => [`${group}.${key}`, meanStd(es.map((e) => e.v[i]))]));
    }
    return { source: 'metrics', methods: out, statuses: {} };
  }

  /** Runs matching the filter, most recently updated first. */
  list(f: RunFilter = {}): IndexedRun[] {
    const { sql, args } = whereClause(f);
    const limit = Math.max(1, Math.min(10000, Math.floor(f.limit ?? 500)));
    const offset = Math.max(0, Math.floor(f.offset ?? 0));
    return (this.db.prepare(`SELECT * FROM runs ${sql} ORDER BY updated DESC, dir LIMIT ${limit} OFFSET ${offset}`).all(args) as Record<string, string>[]).map(toRun);
  }

  /** Number of runs matching the filter (without limit/offset). */
  count(f: RunFilter = {}): number {
    const { sql, args } = whereClause(f);
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM runs ${sql}`).get(args) as { n: number }).n;
  }

  /** The stored config.json of each run id that is indexed (for hyperparameter columns and config keys). */
  configs(ids?: string[]): Map<string, Record<string, unknown>> {
    const rows = (ids === undefined
      ? this.db.prepare('SELECT dir, config FROM runs').all()
      : ids.map((id) => this.db.prepare('SELECT dir, config FROM runs WHERE dir = ?').get(id)).filter(Boolean)) as { dir: string; config: string }[];
    return new Map(rows.map((r) => [r.dir, JSON.parse(r.config) as Record<string, unknown>]));
  }

  get(id: string): IndexedRun | null {
    const r = this.db.prepare('SELECT * FROM runs WHERE dir = ?').get(id) as Record<string, string> | undefined;
    return r ? toRun(r) : null;
  }

  /** Distinct kinds and presets with their run counts (for the dashboard's filters). */
  facets(): { kind: string; preset: string; n: number }[] {
    return this.db.prepare('SELECT kind, preset, COUNT(*) AS n FROM runs GROUP BY kind, preset ORDER BY kind, preset').all() as { kind: string; preset: string; n: number }[];
  }
}

function whereClause(f: RunFilter): { sql: string; args: Record<string, unknown> } {
  const where: string[] = [];
  const args: Record<string, unknown> = {};
  if (f.kind) { where.push('kind = @kind'); args.kind = f.kind; }
  if (f.preset) { where.push('preset = @preset'); args.preset = f.preset; }
  if (f.status) { where.push('status = @status'); args.status = f.status; }
  if (f.q) {
    where.push("(dir LIKE @q ESCAPE '\\' OR preset LIKE @q ESCAPE '\\' OR methods LIKE @q ESCAPE '\\')");
    args.q = `%${f.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', args };
}

function toRun(r: Record<string, string>): IndexedRun {
  return {
    id: r.dir!, kind: r.kind as RunKind, preset: r.preset!, methods: JSON.parse(r.methods!), seeds: JSON.parse(r.seeds!),
    status: r.status!, created: r.created!, updated: r.updated!, final: JSON.parse(r.final!), progress: JSON.parse(r.progress!),
    column: findExperiment(r.kind)?.view.listColumn ?? null,
  };
}
