// Export: one row per recorded value (counted independently from metrics.jsonl), the wide form, CSV
// quoting, and a Parquet file that an independent reader (hyparquet; pandas + pyarrow when python3
// has them) reads back with the same rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { encodeTable, exportRuns, rowValues, tidyTable } from './export.js';
import { writeImageRun, writeSyntheticRun, writeSyntheticSweep } from './fixtures.testutil.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'lrlab-export-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Recorded values in a metrics.jsonl, counted with JSON.parse's reviver: non-string leaves, less the top-level ids. */
function recordedValues(path: string): number {
  let n = 0;
  for (const line of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
    let leaves = 0;
    const row = JSON.parse(line, (_k, v: unknown) => { if (v === null || typeof v === 'number' || typeof v === 'boolean') leaves++; return v; }) as Record<string, unknown>;
    n += leaves - ['seed', 'step', 'epoch'].filter((k) => k in row).length;
  }
  return n;
}

test('export: one tidy row per recorded value of every run (a run, a sweep), with run, point, swept value, method, seed, step, epoch', (t) => {
  const d = tempDir(t);
  const img = writeImageRun(join(d, 'runs', 'img'), { seeds: 2, epochs: 3 });
  const sw = writeSyntheticSweep(join(d, 'runs', 'sw'), { over: [['train.eta1', [0.01, 0.1]]], seeds: 1 });
  const t1 = tidyTable([join(d, 'runs')]);
  const want = recordedValues(join(img, 'metrics.jsonl'))
    + ['p000', 'p001'].reduce((a, p) => a + recordedValues(join(sw, 'points', p, 'seed0', 'metrics.jsonl')), 0);
  assert.equal(t1.rows, want);
  assert.deepEqual(t1.columns, ['run', 'point', 'train.eta1', 'method', 'seed', 'step', 'epoch', 'metric', 'value']);
  for (const c of t1.columns) assert.equal(t1.data[c]!.length, t1.rows, c);
  const i = t1.data.run!.indexOf('sw/points/p001/seed0');
  assert.ok(i >= 0);
  assert.equal(t1.data.point![i], 'p001');
  assert.equal(t1.data['train.eta1']![i], 0.1);
  assert.equal(t1.data.epoch![i], null, 'synthetic rows have no epoch');
  const j = t1.data.metric!.indexOf('val_acc.clean');
  assert.equal(t1.data.run![j], 'img');
  assert.equal(t1.data.point![j], null);
  assert.equal(typeof t1.data.value![j], 'number');
  assert.ok(t1.data.metric!.includes('annealed'), 'booleans are values (1/0)');

  const wide = tidyTable([img], { wide: true });
  const rowsInFile = readFileSync(join(img, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).length;
  assert.equal(wide.rows, rowsInFile, 'wide: one row per evaluation');
  assert.ok(wide.columns.includes('val_acc.clean') && wide.columns.includes('train_loss.patch_only'));
  assert.equal(wide.data.run![0], 'img');
});

test('export formats: CSV (quoted, null as empty), JSON lines, and Parquet read back by hyparquet', async (t) => {
  const d = tempDir(t);
  const run = writeSyntheticRun(join(d, 'a,"b"'), { seeds: 1, steps: 200, every: 100 });
  const r = exportRuns([run], 'csv');
  const lines = Buffer.from(r.bytes).toString('utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'run,point,method,seed,step,epoch,metric,value');
  assert.equal(lines.length, r.rows + 1);
  assert.match(lines[1]!, /^"a,""b""",,L-S,0,0,,lr,0\.0125$/);
  const jl = Buffer.from(exportRuns([run], 'jsonl').bytes).toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(jl.length, r.rows);
  assert.deepEqual(jl[0], { run: 'a,"b"', point: null, method: 'L-S', seed: 0, step: 0, epoch: null, metric: 'lr', value: 0.0125 });

  const img = writeImageRun(join(d, 'img'), { seeds: 2, epochs: 4 });
  for (const wide of [false, true]) {
    const table = tidyTable([img], { wide });
    const pq = encodeTable(table, 'parquet');
    const back = await parquetReadObjects({ file: pq.buffer.slice(pq.byteOffset, pq.byteOffset + pq.byteLength) as ArrayBuffer });
    assert.equal(back.length, table.rows);
    assert.deepEqual(Object.keys(back[0]!), table.columns);
    for (const k of [0, Math.floor(table.rows / 2), table.rows - 1]) {
      for (const c of table.columns) assert.deepEqual(back[k]![c], table.data[c]![k], `row ${k} column ${c}`);
    }
  }
});

test('export parquet: pandas (with pyarrow) reads it as it is', (t) => {
  const probe = spawnSync('python3', ['-c', 'import pandas, pyarrow'], { encoding: 'utf8' });
  if (probe.status !== 0) { t.skip('python3 with pandas and pyarrow is not installed here'); return; }
  const d = tempDir(t);
  const img = writeImageRun(join(d, 'img'), { seeds: 1, epochs: 3 });
  const r = exportRuns([img], 'parquet', { wide: true });
  const file = join(d, 'x.parquet');
  writeFileSync(file, r.bytes);
  const py = spawnSync('python3', ['-c', `import pandas as pd; df = pd.read_parquet(${JSON.stringify(file)}); print(len(df), df['val_acc.clean'].dtype)`], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  assert.equal(py.stdout.trim(), `${r.rows} float64`);
});

test('rowValues: scalars of nested groups are metrics; per-example arrays (order_sample) are left out', () => {
  const row = { method: 'large-lr', seed: 0, epoch: 3, step: 120, val_acc: { clean: 0.5, mixed: null }, diverged: false,
    order_sample: { example: [4, 17, 230], as_trained: [1, 2, null], patched: [1, 0, 1] }, learned: { first: [1, 2], fraction: 0.25 } };
  assert.deepEqual(rowValues(row), [['val_acc.clean', 0.5], ['val_acc.mixed', null], ['diverged', 0], ['learned.fraction', 0.25]]);
});
