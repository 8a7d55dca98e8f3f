// Every number lrlab prints is the one the user asked for: a schedule event past the end of a
// shortened run is refused (or moved with --scale-schedule), a diverged synthetic seed is marked and
// left out of the means, a loss that explodes but stays finite is warned about, live tables say
// "not yet" for what has not happened, the dashboard's and summary.json's last-5 means agree, and a
// failed data load leaves no empty run folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, lrlab } from './runCli.testutil.js';
import { writeImageRun, writeSyntheticRun } from '../report/fixtures.testutil.js';
import { loadRun } from '../report/runData.js';
import { finalStats } from '../report/finals.js';
import { getExperiment } from '../experiments/registry.js';
import { summarizeImages, type ImagePartResult } from '../experiments/images/summary.js';
import { imagePreset } from '../experiments/images/presets.js';
import { lastRowsMean } from '../metrics/imageMetrics.js';

const root = mkdtempSync(join(tmpdir(), 'lrlab-honest-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('a schedule event at or past the end of a shortened run is a one-line error naming both keys; --scale-schedule moves it', async () => {
  const [syn, img, at30, scaled, imgScaled, own] = await Promise.all([
    lrlab(['synthetic', '--set', 'train.maxSteps=2000', '--set', 'methods=["L-S"]', '--dry-run']),
    lrlab(['images', '--preset', 'patch-fmnist', '--set', 'train.epochs=6', '--dry-run']),
    lrlab(['images', '--preset', 'patch-fmnist', '--set', 'methods.0.lr.at=[30]', '--dry-run']),
    lrlab(['synthetic', '--set', 'train.maxSteps=2000', '--scale-schedule', '--dry-run']),
    lrlab(['images', '--preset', 'clean-fmnist', '--set', 'train.epochs=12', '--scale-schedule', '--dry-run']),
    lrlab(['synthetic', '--set', 'train.maxSteps=3000', '--set', 'train.annealAtStep=100', '--scale-schedule', '--dry-run']),
  ]);
  assert.equal(syn.code, 2);
  assert.match(syn.stderr, /^lrlab synthetic: config key 'train\.annealAtStep' is at or past the end of training \(train\.maxSteps = 2000\).*--scale-schedule.*got 6000\n$/);
  assert.equal(img.code, 2);
  assert.match(img.stderr, /config key 'methods\.0\.lr\.at\.0' is at or past the end of training \(train\.epochs = 6\).*got 12/);
  assert.equal(at30.code, 2);
  assert.match(at30.stderr, /'methods\.0\.lr\.at\.0' .*train\.epochs = 24.*got 30/);
  assert.equal(scaled.code, 0, scaled.stderr);
  const s = JSON.parse(scaled.stdout) as { train: { annealAtStep: number; noiseAnnealAtStep: number; maxSteps: number } };
  assert.deepEqual([s.train.maxSteps, s.train.annealAtStep, s.train.noiseAnnealAtStep], [2000, 1000, 1000]);
  assert.match(scaled.stderr, /--scale-schedule: train\.maxSteps 12000 -> 2000 .*train\.annealAtStep 6000 -> 1000, train\.noiseAnnealAtStep 6000 -> 1000/);
  assert.equal(imgScaled.code, 0, imgScaled.stderr);
  const im = JSON.parse(imgScaled.stdout) as { methods: { lr: { milestones: number[] } }[] };
  assert.deepEqual(im.methods.map((m) => m.lr.milestones), [[4, 7, 9], [4, 7, 9], [4, 7, 9]], 'milestones 7/14/18 of 24 epochs halved');
  assert.equal(own.code, 0, own.stderr);
  const o = JSON.parse(own.stdout) as { train: { annealAtStep: number; noiseAnnealAtStep: number } };
  assert.deepEqual([o.train.annealAtStep, o.train.noiseAnnealAtStep], [100, 1500], 'a key set by the user stays as given');
});

test('a diverged synthetic seed is marked, counted and left out of the means; an exploding finite loss is warned about', async () => {
  const base = ['synthetic', '--set', 'methods=["L-S"]', '--set', 'train.maxSteps=300', '--set', 'train.annealAtStep=200', '--quiet'];
  const [div, big] = await Promise.all([
    lrlab([...base, '--set', 'train.eta1=1e12', '--out', join(root, 'div')]),
    lrlab([...base, '--set', 'train.eta1=1000', '--out', join(root, 'big')]),
  ]);
  assert.equal(div.code, 0, div.stderr);
  const s = JSON.parse(readFileSync(join(root, 'div', 'summary.json'), 'utf8')) as { methods: Record<string, { test_acc: Record<string, { mean: number | null; n: number }>; statuses: Record<string, number>; diverged_seeds: number[] }> };
  assert.deepEqual(s.methods['L-S']!.test_acc.p_only, { mean: null, std: null, n: 0 }, 'no mean of NaN weights\' 0.000');
  assert.deepEqual(s.methods['L-S']!.diverged_seeds, [0]);
  assert.deepEqual(s.methods['L-S']!.statuses, { diverged: 1 });
  assert.match(div.stdout, /L-S \(1 diverged\)/);
  assert.match(div.stdout, /L-S: 1 of 1 seed\(s\) diverged/);
  assert.doesNotMatch(div.stdout, /0\.000/);
  const rep = loadRun(join(root, 'div'));
  assert.match(JSON.stringify(rep.experiment.view.tables(rep.config, rep.methods, finalStats(rep))), /1 diverged/, 'the report and dashboard table count it');
  assert.equal(big.code, 0, big.stderr);
  assert.match(big.stdout, /warning: L-S seed 0: the training loss grew from 0\.69\d* to [\d.e+]+ \(with learning rate 1000, which may be too large\)/);
});

test('live tables say "not yet" for what has not happened; "never" only once the run has finished', () => {
  const running = join(root, 'live-syn'), done = join(root, 'done-syn'), img = join(root, 'live-img');
  writeSyntheticRun(running, { done: false, steps: 300 });
  writeSyntheticRun(done);
  writeImageRun(img, { done: false, epochs: 3 });
  const table = (dir: string) => { const r = loadRun(dir); return JSON.stringify(r.experiment.view.tables(r.config, r.methods, finalStats(r))); };
  assert.doesNotMatch(table(running), /never/);
  assert.match(table(running), /not yet/);
  assert.doesNotMatch(table(img), /never/, 'patch-only > 50% at epoch 3 of a running run');
  assert.doesNotMatch(table(done), /not yet/);
});

test('one function per figure: the dashboard\'s last-5 mean (from rows) equals summary.json\'s, and diverged seeds do not count in the patch-fit figures', () => {
  const dir = join(root, 'img5');
  writeImageRun(dir, { epochs: 4 }); // 5 rows per seed, epoch 0 included
  const r = loadRun(dir);
  const fromRows = getExperiment('images').view.rowFinals([r.rows.filter((x) => x.method === r.methods[0] && x.seed === 0)]);
  const hist = r.rows.filter((x) => x.method === r.methods[0] && x.seed === 0).map((x) => ({ epoch: x.epoch!, val_acc: x.val_acc as { clean: number; mixed: number; patch_only: number } }));
  assert.equal(fromRows['val_acc_last5_mean.clean']!.mean, lastRowsMean(hist, 5).clean, 'the epoch-0 row is left out in both');
  const part = (status: string, epoch: number | null) => ({ method: 'a', seed: status === 'done' ? 0 : 1, status, message: null, weightsSha256: '', seconds: 0, subset: 'patch', epochs: 4, steps: 4,
    recalibratedBn: true, final: null, val_acc_last5_mean: { clean: 0.5, mixed: 0.5, patch_only: 0.5 }, patch_only_above_50_epoch: epoch }) as ImagePartResult;
  const cfg = { ...imagePreset('smoke'), seeds: 2, methods: [{ ...imagePreset('smoke').methods[0]!, name: 'a' }] };
  const s = summarizeImages(cfg, [part('done', 3), part('diverged', 1)]);
  assert.equal(s.methods['a']!.patch_only_above_50_seeds, 1);
  assert.equal(s.methods['a']!.patch_only_above_50_epoch!.mean, 3);
});

test('a data load that fails leaves no run folder behind', async () => {
  const bad = join(root, 'badfm');
  mkdirSync(bad, { recursive: true });
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) writeFileSync(join(bad, `${f}.gz`), 'not gzip');
  const out = join(root, 'never-made');
  const r = await lrlab(['images', '--preset', 'smoke', '--data', bad, '--out', out, '--quiet']);
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(!existsSync(out), 'no empty run folder');
});

test('a status "running" whose process is gone reads as interrupted everywhere: report, index, dashboard', async () => {
  const runs = join(root, 'ghost-runs');
  const dir = join(runs, 'ghost');
  writeSyntheticRun(dir, { done: false, steps: 300 });
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ state: 'running', pid: 2 ** 22 + 12345, updated: new Date().toISOString() }));
  assert.equal(loadRun(dir).status.state, 'interrupted');
  assert.match(String(loadRun(dir).status.stale), /process \d+ is gone/);
  const [running, all] = await Promise.all([
    lrlab(['index', '--runs', runs, '--status', 'running', '--json']),
    lrlab(['index', '--runs', runs, '--json']),
  ]);
  assert.equal(running.stdout.trim(), '', 'not listed as running');
  assert.equal((JSON.parse(all.stdout.trim()) as { status: string }).status, 'interrupted');
});

test('npm start is the patch experiment on Fashion-MNIST, one seed, the paper\'s learning-order demonstration', { skip: !existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz') && 'dataset-fashion-mnist is not installed' }, async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  assert.equal(pkg.scripts.start, 'node scripts/start.mjs');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'start.mjs'), '--dry-run'], { cwd: root, encoding: 'utf8', env: { ...process.env, LRLAB_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, r.stderr);
  const cfg = JSON.parse(r.stdout) as { kind: string; preset: string; seeds: number; methods: { name: string }[] };
  assert.deepEqual([cfg.kind, cfg.preset, cfg.seeds], ['images', 'patch-fmnist', 1]);
  assert.deepEqual(cfg.methods.map((m) => m.name), ['large-lr', 'small-lr', 'small-lr+noise']);
  assert.match(r.stderr, /memorizes the patch/);
});
