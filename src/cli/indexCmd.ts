// `lrlab index`: the runs index (<runs>/.lrlab-index.sqlite): sync or rebuild it from the run
// folders and list the runs, filtered by kind, preset or status.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { commandOf, indexHead } from './help.js';
import { RunsIndex, type IndexedRun } from '../server/runsIndex.js';
import { experimentKinds, findExperiment } from '../experiments/registry.js';
import { RUN_STATES } from '../runs/format.js';

/** The states --status takes: a run folder's (status.json), and 'unknown' for a folder without a readable status.json. */
const STATES: readonly string[] = [...RUN_STATES, 'unknown'];

/** One line per run: id, kind, preset, status, seeds and the first method's headline numbers. */
export function formatRunLine(r: IndexedRun): string {
  const view = findExperiment(r.kind)?.view;
  const { group, keys } = view?.headline ?? { group: '', keys: [] };
  const asPct = view?.listColumn.format === 'pct';
  const nums = Object.entries(r.final.methods).map(([m, s]) => `${m}: ${keys.map((k) => {
    const v = s[`${group}.${k}`];
    return v && v.mean !== null ? `${k} ${(v.mean * (asPct ? 100 : 1)).toFixed(asPct ? 1 : 3)}` : null;
  }).filter(Boolean).join(' ')}`).join('; ');
  return `${r.id}  ${r.kind}  ${r.preset}  ${r.status}  seeds ${r.seeds.length}  ${r.progress.clock} ${r.progress.last}  ${nums}`;
}

export const indexCommand: Command = commandOf(indexHead, {
  async run(argv) {
    let v;
    try {
      v = parseArgs({ args: argv, strict: true, options: {
        rebuild: { type: 'boolean' }, runs: { type: 'string' }, kind: { type: 'string' }, preset: { type: 'string' },
        status: { type: 'string' }, json: { type: 'boolean' },
      } }).values;
    } catch (e) { throw new UsageError((e as Error).message); }
    const runs = v.runs ?? 'runs';
    if (v.kind && !findExperiment(v.kind)) throw new UsageError(`--kind must be one of ${experimentKinds().join(', ')}, got '${v.kind}'`);
    if (v.status !== undefined && !STATES.includes(v.status)) {
      throw new UsageError(`--status must be one of ${STATES.join(', ')}, got '${v.status}'`);
    }
    if (!existsSync(runs)) throw new UsageError(`runs folder ${runs} does not exist (give it with --runs DIR)`);
    const index = new RunsIndex(runs);
    try {
      const r = v.rebuild ? index.rebuild() : index.sync();
      for (const e of r.errors) console.error(`lrlab index: skipped ${e}`);
      const list = index.list({ kind: v.kind, preset: v.preset, status: v.status, limit: 10000 });
      if (v.json) for (const run of list) console.log(JSON.stringify(run));
      else {
        console.error(`index ${index.root}/.lrlab-index.sqlite: ${index.count()} runs (${r.added} added, ${r.updated} updated, ${r.removed} removed)${v.rebuild ? ', rebuilt' : ''}`);
        for (const run of list) console.log(formatRunLine(run));
        const filters = [['--kind', v.kind], ['--preset', v.preset], ['--status', v.status]].filter(([, x]) => x !== undefined).map(([k, x]) => `${k} ${x}`);
        if (list.length === 0) console.error(filters.length ? `no run matches ${filters.join(' ')}` : r.errors.length ? 'no readable run (the folders above were skipped)' : 'no runs in this folder yet');
      }
      return 0;
    } finally { index.close(); }
  },
});
