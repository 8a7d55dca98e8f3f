// The sweep table and charts from fixture sweep folders: one row per point, means ± std over seeds,
// the gap, the reused-parts count, and charts that name the swept key and render.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepCharts, sweepHtmlTable, sweepSummary, sweepTable, sweepText } from './sweepTable.js';
import { renderSvg } from './render.js';
import { accOf, writeSyntheticSweep } from './fixtures.testutil.js';
import { meanStd } from '../util/stats.js';
import { pointRunDir } from '../runs/sweepFile.js';
import { images } from '../experiments/images/index.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'lrlab-sweeptable-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('sweep table: one row per grid point, each method mean ± std over seeds, the gap with its std and seed count', (t) => {
  const dir = writeSyntheticSweep(join(tempDir(t), 'sw'), { over: [['train.eta1', [0.01, 0.1, 1]]], seeds: 2 });
  const s = sweepTable(dir);
  assert.deepEqual(s.keys, ['train.eta1']);
  assert.equal(s.experiment, 'synthetic');
  assert.deepEqual(s.methods, ['L-S', 'S', 'S+noise']);
  assert.equal(s.gapLabel, 'L-S − S p_only');
  assert.deepEqual(s.rows.map((r) => r.values), [{ 'train.eta1': 0.01 }, { 'train.eta1': 0.1 }, { 'train.eta1': 1 }]);
  s.rows.forEach((r, i) => {
    assert.equal(r.runs, 2);
    assert.equal(r.seeds, 2);
    const ls = meanStd([accOf('L-S', i, 0), accOf('L-S', i, 1)]);
    assert.ok(Math.abs(r.methods['L-S']!.p_only!.mean! - ls.mean!) < 1e-12);
    assert.ok(Math.abs(r.methods['L-S']!.p_only!.std! - ls.std!) < 1e-12);
    const gap = meanStd([0, 1].map((s2) => accOf('L-S', i, s2) - accOf('S', i, s2)));
    assert.ok(Math.abs(r.gap.mean! - gap.mean!) < 1e-12, `gap at ${r.label}`);
    assert.ok(Math.abs(r.gap.std! - gap.std!) < 1e-12 && gap.std! > 0);
    assert.equal(r.gap.n, 2);
  });
  // the fixture marks S and S+noise of points 1 and 2 as reused from point 0
  assert.deepEqual(s.parts, { run: 3 * 2 + 2 * 1 * 2, reused: 2 * 2 * 2 });
  const text = sweepText(s);
  assert.match(text, /^sweep over train\.eta1: final test accuracy/);
  assert.match(text, /^point +train\.eta1 +L-S p_only +S p_only +S\+noise p_only +L-S q_only/m);
  assert.match(text, /^p001 +0\.1 +0\.830 ± 0\.014 +0\.705 ± 0\.007 +0\.750 ± 0\.000 .* 0\.125 ± 0\.007 +2\/2 *$/m);
  const html = sweepHtmlTable(s);
  assert.equal(html.rows.length, 3);
  assert.match(html.caption, /Sweep over train\.eta1/);
  const summary = sweepSummary(s);
  assert.equal('dir' in summary, false);
  assert.equal('dirs' in summary.rows[0]!, false);
});

test('sweep table of an unfinished sweep: points without a finished seed have no numbers', (t) => {
  const dir = writeSyntheticSweep(join(tempDir(t), 'sw'), { over: [['train.eta2', [0.01]]], seeds: 1 });
  rmSync(join(dir, 'points', 'p000', 'seed0', 'summary.json'));
  const s = sweepTable(dir);
  assert.equal(s.rows[0]!.runs, 0);
  assert.equal(s.rows[0]!.gap.mean, null);
  assert.match(sweepText(s), /^p000 +0\.01 +- +- .* 0\/1 *$/m);
  assert.throws(() => sweepTable(join(dir, 'points')), /is not an lrlab sweep folder/);
});

test('sweep charts: one key gives gap and per-method lines with error bars; two keys a heatmap; they render and name the keys', async (t) => {
  const d = tempDir(t);
  const one = sweepTable(writeSyntheticSweep(join(d, 'one'), { over: [['train.eta1', [0.001, 0.01, 0.1]]], axes: [{ key: 'train.eta1', kind: 'log', a: 0.001, b: 0.1, n: 3 }], seeds: 2 }));
  const c1 = sweepCharts(one);
  assert.deepEqual(c1.map((c) => c.id), ['sweep-gap-train-eta1', 'sweep-methods-train-eta1']);
  const gapSpec = JSON.stringify(c1[0]!.spec);
  assert.match(gapSpec, /"errorbar"/);
  assert.match(gapSpec, /"type":"log"/, 'a log: axis has a log x scale');
  const svg = await renderSvg(c1[1]!.spec);
  assert.match(svg, /^<svg /);
  for (const m of ['L-S', 'S', 'S+noise', 'train.eta1']) assert.ok(svg.includes(`>${m}<`), `the chart names ${m}`);
  const two = sweepTable(writeSyntheticSweep(join(d, 'two'), { over: [['train.eta1', [0.01, 0.1]], ['data.d', [50, 100]]], seeds: 1 }));
  const c2 = sweepCharts(two);
  assert.deepEqual(c2.map((c) => c.id), ['sweep-heatmap-train-eta1-data-d', 'sweep-gap-train-eta1-by-data-d']);
  const heat = await renderSvg(c2[0]!.spec);
  assert.ok(heat.includes('>train.eta1<') && heat.includes('>data.d<'));
  assert.ok(heat.includes('0.120'), 'the heatmap cells show the gap');
  await renderSvg(c2[1]!.spec);
});

test('sweep table: the learning order per point as the seeds that learn P before Q, with a Wilson interval', (t) => {
  const dir = writeSyntheticSweep(join(tempDir(t), 'sw'), { over: [['train.eta1', [0.01, 0.1]]], seeds: 2 });
  // each seed's run says whether P came first (its summary's order statistics over its one seed)
  const setOrder = (label: string, seed: number, m: string, pFirst: number) => {
    const f = join(pointRunDir(dir, label, seed), 'summary.json');
    const s = JSON.parse(readFileSync(f, 'utf8')) as { methods: Record<string, { order?: unknown }> };
    s.methods[m]!.order = { p_before_q_test: { mean: pFirst, std: 0, n: 1 }, q_before_p_test: { mean: 1 - pFirst, std: 0, n: 1 } };
    writeFileSync(f, JSON.stringify(s));
  };
  for (const seed of [0, 1]) setOrder('p000', seed, 'L-S', 1);
  setOrder('p000', 0, 'S', 0);
  setOrder('p000', 1, 'S', 1);
  const s = sweepTable(dir);
  assert.deepEqual(s.rows[0]!.methods['S']!.p_first, { mean: 0.5, std: Math.SQRT1_2, n: 2 });
  const text = sweepText(s);
  assert.match(text, /P before Q: the fraction of seeds \[95% Wilson interval\] \(count\)/);
  assert.match(text, /L-S P before Q +S P before Q +S\+noise P before Q/);
  assert.match(text, /^p000 .* 1\.00 \[0\.34, 1\.00\] \(2\/2\) +0\.50 \[0\.09, 0\.91\] \(1\/2\) +- /m);
});

test('a kind\'s notes on its sweep columns follow the table (the image kind explains clean_last5)', (t) => {
  const dir = writeSyntheticSweep(join(tempDir(t), 'sw'), { over: [['train.eta1', [0.01]]], seeds: 1 });
  const s = sweepTable(dir);
  assert.deepEqual(s.notes, [], 'the synthetic kind has none');
  const note = images.sweep!.notes![0]!;
  assert.match(note, /^clean_last5: .*last 5 evaluated epochs.*5 epochs or fewer/);
  assert.equal(sweepText({ ...s, notes: [note] }).split('\n').at(-1), note);
  assert.ok(sweepHtmlTable({ ...s, notes: [note] }).notes.includes(note));
});
