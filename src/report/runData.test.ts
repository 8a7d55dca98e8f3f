// Bad input for reports: broken JSONL lines are skipped and named; missing or foreign folders are errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadRun, RunFolderError } from './runData.js';
import { finalsOfRows } from './finals.js';
import { getExperiment } from '../experiments/registry.js';
import { annealEpochs, imageAnnealMarks } from '../experiments/images/annealing.js';
import { syntheticAnnealSteps } from '../experiments/synthetic/view.js';
import { paperComparison, paperMethod } from '../experiments/images/paper.js';
import { writeImageRun, writeSyntheticRun } from './fixtures.testutil.js';
import { main } from '../cli/main.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'lrlab-rundata-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Run `lrlab args` in this process; returns the exit code and what went to stdout / stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try { return { code: await main(args), out: out.join('\n'), err: err.join('\n') }; } finally { console.log = log; console.error = error; }
}

/** Replace line `n` (1-based) of a file with `text`. */
function garble(path: string, n: number, text: string): void {
  const lines = readFileSync(path, 'utf8').split('\n');
  lines[n - 1] = text;
  writeFileSync(path, lines.join('\n'));
}

test('a truncated / garbled metrics line is skipped and named; the report still gets written', async (t) => {
  const d = tempDir(t);
  const run = writeSyntheticRun(join(d, 'syn'), { seeds: 1, steps: 1000, every: 100 }); // 33 rows
  const metrics = join(run, 'metrics.jsonl');
  garble(metrics, 17, '{"method":"S","seed":0,"step":500,"lr":0.004,"test_acc":{"p_on');
  appendFileSync(metrics, '{"method":"S+noise","seed":0,"st'); // a torn last line, no newline
  const data = loadRun(run);
  assert.equal(data.rows.length, 32);
  assert.deepEqual(data.warnings, ['metrics.jsonl line 17 is not valid JSON; skipped', 'metrics.jsonl line 34 is not valid JSON; skipped']);

  const r = await cli(['report', run, '--out', join(d, 'rep', 'report.html')]);
  assert.equal(r.code, 0, r.err);
  assert.ok(r.err.includes(`lrlab report: warning: ${run}: metrics.jsonl line 17 is not valid JSON; skipped`), r.err);
  assert.ok(existsSync(join(d, 'rep', 'report.html')));
  assert.ok(readFileSync(join(d, 'rep', 'report.html'), 'utf8').includes('metrics.jsonl line 17 is not valid JSON; skipped'));
});

test('--out: a .html file gets the SVGs beside it; any other path (existing folder or not) is a folder for report.html', async (t) => {
  const d = tempDir(t);
  const run = writeSyntheticRun(join(d, 'syn'), { seeds: 1, steps: 300, every: 100 });
  mkdirSync(join(d, 'existing'));
  for (const [out, html] of [[join(d, 'a', 'r.html'), join(d, 'a', 'r.html')], [join(d, 'existing'), join(d, 'existing', 'report.html')],
    [join(d, 'new-folder'), join(d, 'new-folder', 'report.html')]] as const) {
    const r = await cli(['report', run, '--out', out]);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.includes(`report: ${html}`), r.out);
    assert.ok(existsSync(html), html);
    assert.deepEqual(readdirSync(dirname(html)).filter((f) => f.endsWith('.svg')).sort(), ['syn-components.svg', 'syn-margins.svg', 'syn-q-contrast.svg']);
  }
});

test('a missing folder or a folder that is not a run folder: one-line error, exit code 2', async (t) => {
  const d = tempDir(t);
  const missing = join(d, 'nope');
  let r = await cli(['report', missing]);
  assert.equal(r.code, 2);
  assert.equal(r.err, `lrlab report: ${missing} does not exist`);
  mkdirSync(join(d, 'foreign'));
  writeFileSync(join(d, 'foreign', 'notes.txt'), 'hello');
  r = await cli(['report', join(d, 'foreign')]);
  assert.equal(r.code, 2);
  assert.equal(r.err, `lrlab report: ${join(d, 'foreign')} is not an lrlab run folder (no config.json)`);
  assert.ok(!existsSync(join(d, 'foreign', 'report.html')));
  r = await cli(['report']);
  assert.equal(r.code, 2);
  assert.match(r.err, /give at least one run folder/);
  // a good and a bad folder together: nothing is written
  const good = writeSyntheticRun(join(d, 'good'), { seeds: 1, steps: 200 });
  r = await cli(['report', good, missing, '--out', join(d, 'both.html')]);
  assert.equal(r.code, 2);
  assert.ok(!existsSync(join(d, 'both.html')));
  // a config.json of another kind
  mkdirSync(join(d, 'odd'));
  writeFileSync(join(d, 'odd', 'config.json'), '{"kind":"cats","methods":[]}');
  assert.throws(() => loadRun(join(d, 'odd')), (e: Error) => e instanceof RunFolderError && /kind "cats"; expected one of 'synthetic', 'images'/.test(e.message));
});

test('final numbers of a running run come from each seed\'s latest row', (t) => {
  const d = tempDir(t);
  const run = loadRun(writeImageRun(join(d, 'img'), { seeds: 2, epochs: 9, done: false }));
  const f = finalsOfRows(getExperiment('images'), run.rows, run.methods);
  assert.equal(f.source, 'metrics');
  const last = run.rows.filter((r) => r.method === 'small LR' && r.epoch === 9).map((r) => (r.val_acc as { clean: number }).clean);
  assert.equal(last.length, 2);
  assert.ok(Math.abs(f.methods['small LR']!['val_acc.clean']!.mean! - (last[0]! + last[1]!) / 2) < 1e-12);
  assert.equal(f.methods['small LR']!.patch_only_above_50_epoch!.mean, 1, 'small LR fits the patch at epoch 1 in the fixture');
  assert.equal(f.methods['large LR + anneal']!.patch_only_above_50_epoch!.mean, 6);
});

test('annealing: from lr schedules (image runs) and from the rows (synthetic runs)', () => {
  assert.deepEqual(annealEpochs({ kind: 'step', lr: 0.1, factor: 0.04, at: [30], unit: 'epoch' }), [30]);
  assert.deepEqual(annealEpochs({ kind: 'multistep', lr: 0.1, milestones: [60, 120, 150], gamma: 0.2, unit: 'epoch' }), [60, 120, 150]);
  assert.deepEqual(annealEpochs({ kind: 'constant', lr: 0.004 }), []);
  assert.deepEqual(annealEpochs({ kind: 'step', lr: 0.1, factor: 0.04, at: [300], unit: 'step' }), []);
  const marks = imageAnnealMarks([{ config: { kind: 'images', preset: 'patch', methods: [{ name: 'large-lr', lr: { kind: 'step', lr: 0.1, factor: 0.04, at: [30], unit: 'epoch' } }, { name: 'small-lr', lr: { kind: 'constant', lr: 0.004 } }], train: { epochs: 60 } } }], (_, m) => m);
  assert.deepEqual(marks, [{ epoch: 30, at: [30], end: 60, label: 'lr annealed at epoch 30 (large-lr)', series: ['large-lr'] }]);
  const row = (seed: number, step: number, annealed: boolean) => ({ method: 'L-S', seed, step, annealed });
  assert.deepEqual(syntheticAnnealSteps([row(0, 100, false), row(0, 300, true), row(0, 400, true), row(1, 500, true), row(1, 400, false)]), { 'L-S': 400 });
});

test('paper methods and tables: names matched loosely, presets mapped to Table 1 / Table 2', () => {
  assert.equal(paperMethod('large LR + anneal'), 'large LR + anneal');
  assert.equal(paperMethod('large-lr'), 'large LR + anneal');
  assert.equal(paperMethod('small-lr+noise'), 'small LR + noise');
  assert.equal(paperMethod('small LR'), 'small LR');
  assert.equal(paperMethod('large-lr.cleanOnly'), null);
  assert.equal(paperMethod('small LR (no patch)'), null);
  const base = { kind: 'images' as const, methods: [] };
  assert.deepEqual(paperComparison({ ...base, preset: 'patch', dataset: { name: 'cifar10' }, patch: { enabled: true } }), { table: 2, label: 'paper (Table 2)', comparable: true });
  assert.deepEqual(paperComparison({ ...base, preset: 'clean', dataset: { name: 'cifar10' }, patch: { enabled: false } }), { table: 1, label: 'paper (Table 1)', comparable: true });
  assert.deepEqual(paperComparison({ ...base, preset: 'clean-fmnist', dataset: { name: 'fashion-mnist' }, patch: { enabled: false } }), { table: 1, label: 'paper (CIFAR-10, different setting)', comparable: false });
  assert.deepEqual(paperComparison({ ...base, preset: 'patch-references', dataset: { name: 'cifar10' }, patch: { enabled: true } }), { table: 2, label: null, comparable: false });
});

test('a sweep folder (or any folder of runs) reports every run in it, named sweep/point/seed', async (t) => {
  const d = tempDir(t);
  const sweep = join(d, 'my-sweep');
  for (const p of ['p000', 'p001']) writeSyntheticRun(join(sweep, 'points', p, 'seed0'), { seeds: 1, preset: 'gap' });
  writeFileSync(join(sweep, 'sweep.json'), '{}');
  const r = await cli(['report', sweep]);
  assert.equal(r.code, 0, r.err);
  assert.ok(r.out.includes(`report: ${join(sweep, 'report.html')}`), r.out);
  const html = readFileSync(join(sweep, 'report.html'), 'utf8');
  assert.match(html, /<title>lrlab report: 2 runs</);
  for (const name of ['my-sweep/p000/seed0', 'my-sweep/p001/seed0']) assert.ok(html.includes(`${name}: synthetic &#39;gap&#39;`), name);
  // a run folder given directly keeps its folder name; a folder of runs nested deeper is searched too
  const single = join(d, 'runs', 'synthetic-default-1');
  writeSyntheticRun(single, { seeds: 1 });
  const both = await cli(['report', join(d, 'runs'), join(sweep, 'points', 'p001', 'seed0'), '--out', join(d, 'all.html')]);
  assert.equal(both.code, 0, both.err);
  const all = readFileSync(join(d, 'all.html'), 'utf8');
  assert.match(all, /<title>lrlab report: 2 runs</);
  assert.ok(all.includes('synthetic-default-1: synthetic'), 'the run under runs/');
});
