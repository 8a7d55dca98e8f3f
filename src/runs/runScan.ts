// Finding run folders under a runs folder (any depth up to a limit: sweeps nest theirs as
// points/<p>/seed<i>) and a cheap stat signature of the files that change while a run trains.
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Folders never searched for runs: a run's own subfolders and hidden ones (the index lives in .lrlab-index.sqlite). */
const SKIP = new Set(['checkpoints', 'parts', 'node_modules']);

/** Run ids (paths relative to `root`, '/'-separated) of every folder with a config.json, sorted. */
export function findRunDirs(root: string, maxDepth = 6): string[] {
  const out: string[] = [];
  const walk = (rel: string, depth: number) => {
    let entries;
    try { entries = readdirSync(rel ? join(root, rel) : root, { withFileTypes: true }); } catch { return; }
    if (rel && entries.some((e) => e.isFile() && e.name === 'config.json')) { out.push(rel.split(sep).join('/')); return; }
    if (depth >= maxDepth) return;
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.') || SKIP.has(e.name)) continue; // symlinked folders are not followed
      walk(rel ? join(rel, e.name) : e.name, depth + 1);
    }
  };
  walk('', 0);
  return out.sort();
}

export const WATCHED = ['config.json', 'status.json', 'summary.json', 'metrics.jsonl'] as const;

/** 'mtime:size' of each watched file ('-' when missing), joined: changes whenever any of them changes. */
export function runSignature(dir: string): string {
  return WATCHED.map((f) => {
    try { const s = statSync(join(dir, f)); return `${s.mtimeMs}:${s.size}`; } catch { return '-'; }
  }).join('|');
}
