// `lrlab export`: a sweep folder to CSV, Parquet (read back by hyparquet) and JSON lines, one row per
// recorded value (counted against metrics.jsonl); --help lists it; bad input is a one-line usage error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { inProcess, tempDir } from './runCli.testutil.js';
import { writeSyntheticSweep } from '../report/fixtures.testutil.js';
import { exportFormat } from './export.js';


/** Numbers, booleans and nulls in a metrics.jsonl's rows, less each row's seed and step. */
function valuesIn(path: string): number {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).reduce((n, l) => {
    let k = 0;
    JSON.parse(l, (_key, v: unknown) => { if (v === null || typeof v === 'number' || typeof v === 'boolean') k++; return v; });
    return n + k - 2;
  }, 0);
}

test('lrlab export: a sweep as CSV, Parquet and JSON lines, one row per recorded value', async (t) => {
  const d = tempDir(t, 'lrlab-export-cli-');
  const sw = writeSyntheticSweep(join(d, 'sw'), { over: [['train.eta2', [0.5, 1]]], seeds: 2 });
  const want = ['p000', 'p001'].flatMap((p) => ['seed0', 'seed1'].map((s) => valuesIn(join(sw, 'points', p, s, 'metrics.jsonl')))).reduce((a, b) => a + b, 0);
  const csv = await inProcess(['export', sw, '--out', join(d, 'm.csv')]);
  assert.equal(csv.code, 0, csv.err);
  assert.match(csv.out, new RegExp(`m\\.csv: ${want} row\\(s\\) x 9 column\\(s\\) \\(csv\\)`));
  const lines = readFileSync(join(d, 'm.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'run,point,train.eta2,method,seed,step,epoch,metric,value');
  assert.equal(lines.length - 1, want);
  assert.match(lines[1]!, /^points\/p000\/seed0,p000,0\.5,L-S,0,0,,/);
  const pq = await inProcess(['export', sw, '--out', join(d, 'm.parquet'), '--wide']);
  assert.equal(pq.code, 0, pq.err);
  const buf = readFileSync(join(d, 'm.parquet'));
  const rows = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer });
  assert.equal(rows.length, ['p000', 'p001'].length * 2 * 3 * 3, 'wide: one row per evaluation (2 points x 2 seeds x 3 methods x 3 evaluations)');
  assert.equal(rows[0]!['train.eta2'], 0.5);
  assert.equal(typeof rows[0]!['test_acc.p_only'], 'number');
  const jl = await inProcess(['export', sw, '--out', join(d, 'm.txt'), '--format', 'jsonl']);
  assert.equal(jl.code, 0, jl.err);
  assert.equal(readFileSync(join(d, 'm.txt'), 'utf8').trimEnd().split('\n').length, want);
});

test('lrlab export: listed in --help; missing folders, --out or a bad --format are one-line usage errors', async (t) => {
  const d = tempDir(t, 'lrlab-export-cli-');
  const help = await inProcess(['--help']);
  assert.match(help.out, /^ {2}export +the metrics of runs/m);
  const usage = await inProcess(['export', '--help']);
  assert.match(usage.out, /^usage: lrlab export RUN_DIR\.\.\. --out FILE/);
  for (const [argv, re] of [
    [['export', '--out', join(d, 'x.csv')], /give at least one run folder/],
    [['export', d], /give the file to write with --out FILE/],
    [['export', d, '--out', 'x', '--format', 'xlsx'], /--format must be one of csv, parquet, jsonl, got 'xlsx'/],
    [['export', join(d, 'nowhere'), '--out', join(d, 'x.csv')], /nowhere does not exist/],
    [['export', d, '--out', join(d, 'x.csv')], /is not an lrlab run folder/],
  ] as const) {
    const r = await inProcess([...argv]);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.split('\n').length, 1, r.err);
  }
  assert.equal(exportFormat(undefined, 'a.parquet'), 'parquet');
  assert.equal(exportFormat(undefined, 'a.ndjson'), 'jsonl');
  assert.equal(exportFormat(undefined, 'a.CSV'), 'csv');
  assert.equal(exportFormat(undefined, 'runs/all'), 'csv', 'no extension: CSV');
  for (const f of ['results.v2', 'out-2026.06', 'runs/v1.2/out']) assert.equal(exportFormat(undefined, f), 'csv', f);
  assert.equal(exportFormat('csv', 'a.tsv'), 'csv', '--format wins over the name');
  // a name whose extension it does not write: refused, not a CSV under another name
  for (const f of ['a.tsv', 'a.xlsx']) assert.throws(() => exportFormat(undefined, f), /lrlab export writes \.csv, \.parquet, \.pq, \.jsonl, \.ndjson .*give --format/);
});
