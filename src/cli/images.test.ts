// End-to-end tests of `lrlab images` and `lrlab resume` on an image run (each spawns bin/lrlab.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { writeTinyFashionMnist } from '../experiments/images/testData.testutil.js';
import { IMAGE_PRESETS } from '../experiments/images/presets.js';
import { ROOT, lrlab, lrlabKilledAtRow, tornWritesUnder } from './runCli.testutil.js';
import { runResults } from './sweepResults.testutil.js';
import { cudaAvailable } from '../engine/index.js';


const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'lrlab-cli-img-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const data = writeTinyFashionMnist(join(root, 'data'), 240, 100);
/** The smoke preset on the tiny data: 200 images, MLP 784-16-10, batch 32. */
const TINY = ['--preset', 'smoke', '--data', data, '--set', 'dataset.trainSize=200', '--set', 'dataset.testSize=100',
  '--set', 'model.hidden=[16]', '--set', 'train.batchSize=32', '--set', 'patch.patchOnlyValSize=50', '--quiet'];

const rowsNoSeconds = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')
  .map((l) => { const { seconds: _s, ...r } = JSON.parse(l) as Record<string, unknown>; return r; });

test('images --help lists the presets; bad input exits 2 with one clear line, writing nothing', async () => {
  const never = join(root, 'never');
  const [usage, cifar, noData, badKey, cuda] = await Promise.all([
    lrlab(['images', '--help']),
    lrlab(['images', '--preset', 'patch', '--out', never]),
    lrlab(['images', '--preset', 'patch-fmnist', '--data', join(root, 'nowhere'), '--out', never]),
    lrlab(['images', ...TINY, '--set', 'methods.5.lr.lr=1', '--out', never]),
    // this machine's libtorch has no CUDA: the run is refused before a folder is made (a CUDA build would run it)
    cudaAvailable() ? null : lrlab(['images', ...TINY, '--set', 'train.device=cuda', '--out', never]),
  ]);
  assert.equal(usage.code, 0);
  for (const p of Object.keys(IMAGE_PRESETS)) assert.match(usage.stdout, new RegExp(`^ {2}${p}\\s`, 'm'), p);
  for (const o of ['--preset', '--data', '--seeds', '--set', '--out', '--force', '--quiet', 'lrlab resume', 'dataset-fashion-mnist', 'cs.toronto.edu']) assert.ok(usage.stdout.includes(o), o);
  for (const [r, re] of [
    [cifar, /preset 'patch' uses CIFAR-10, which lrlab cannot download: download the binary version .* pass --data DIR/],
    [noData, /Fashion-MNIST folder not found: .*nowhere \(install Debian's dataset-fashion-mnist/],
    [badKey, /unknown config key 'methods\.5\.lr\.lr' \('methods' is an array of 3/],
    ...(cuda === null ? [] : [[cuda, /device 'cuda' requested but the linked libtorch has no CUDA .*LIBTORCH at a CUDA build/]] as const),
  ] as const) {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.equal(existsSync(never), false);
});

test('a tiny run prints the summary table; SIGINT checkpoints and `lrlab resume` finishes with the same results', async () => {
  const ref = join(root, 'ref'), killed = join(root, 'killed');
  const long = ['images', ...TINY, '--set', 'train.epochs=12', '--set', 'train.checkpointEvery=0', '--set', 'methods.0.lr.at=[6]', '--no-reuse'];
  const [full, k] = await Promise.all([lrlab([...long, '--out', ref]), lrlabKilledAtRow([...long, '--out', killed], killed, 5, { signal: 'SIGINT' })]);
  assert.equal(full.code, 0, full.stderr);
  assert.match(full.stdout, /images preset 'smoke', seeds 0/);
  assert.match(full.stdout, /BatchNorm statistics recalibrated/);
  // one seed: accuracies without a "± 0.000"
  for (const m of ['large-lr', 'small-lr', 'small-lr\\+noise']) assert.match(full.stdout, new RegExp(`^${m}\\s+\\d\\.\\d{3}\\s+\\d\\.\\d{3}\\s`, 'm'), m);
  assert.ok(!full.stdout.includes('±', full.stdout.indexOf('---')), 'no spread for a single seed');
  assert.match(full.stdout, /patch-only > 50% at epoch/);
  assert.equal(readdirSync(join(ref, 'parts')).filter((f) => f.endsWith('.json')).length, 3);

  assert.ok(k.reached, 'the run was under way');
  assert.equal(k.code, 130, k.stderr);
  assert.match(k.stderr, /interrupted: checkpoint saved\. Continue with: lrlab resume /);
  assert.equal(JSON.parse(readFileSync(join(killed, 'status.json'), 'utf8')).state, 'interrupted');
  assert.equal(readdirSync(join(killed, 'checkpoints')).length, 1);

  // temporary files of writes killed mid-way (dead pid) are removed on resume; a live process's are kept
  const torn = ['status.json.tmp-4000000-0123abcd', 'parts/a.json.tmp-4000000-0123abcd', 'checkpoints/b.json.tmp-4000000-0123abcd'];
  const live = `checkpoints/c.json.tmp-${process.pid}-0123abcd`;
  for (const f of [...torn, live]) writeFileSync(join(killed, f), 'x');
  const res = await lrlab(['resume', killed, '--quiet', '--no-reuse']);
  assert.deepEqual(tornWritesUnder(killed), [live]);
  rmSync(join(killed, live));
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(rowsNoSeconds(killed), rowsNoSeconds(ref));
  assert.equal(readFileSync(join(killed, 'summary.json'), 'utf8'), readFileSync(join(ref, 'summary.json'), 'utf8'));
  assert.equal(res.stdout.split('\n').slice(0, 7).join('\n'), full.stdout.split('\n').slice(0, 7).join('\n'), 'the same table');
});

test('--workers 2 trains the parts of a run that do not batch side by side, one by one in each process, with the results of one process; SIGINT, then resume, ends the same', async () => {
  const one = join(root, 'side-one'), two = join(root, 'side-two'), cut = join(root, 'side-cut');
  const args = (out: string, workers: number) => ['images', ...TINY, '--seeds', '2', '--set', 'train.epochs=6', '--workers', String(workers), '--no-reuse', '--out', out];
  const dry = await lrlab(['images', ...TINY, '--seeds', '2', '--workers', '2', '--dry-run', '--out', join(root, 'never')]);
  assert.match(dry.stderr + dry.stdout, /side by side: 2 processes of one thread, each training 3 \/ 3 parts one by one/);
  const [a, b] = await Promise.all([lrlab(args(one, 1)), lrlab(args(two, 2))]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(readdirSync(join(two, 'parts')).filter((f) => f.endsWith('.json')).length, 6);
  assert.deepEqual(runResults(two), runResults(one));
  const k = await lrlabKilledAtRow(args(cut, 2), cut, 12, { signal: 'SIGINT' });
  assert.ok(k.reached, 'the run was under way');
  assert.equal(k.code, 130, k.stderr);
  const res = await lrlab(['resume', cut, '--quiet', '--no-reuse', '--workers', '2']);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(runResults(cut), runResults(one));
});

test('--dry-run prints the resolved config and what would run, says what is missing here, and makes no folder; the config round-trips', async () => {
  const out = join(root, 'dry');
  const relData = relative(ROOT, data); // lrlab runs in ROOT
  const [paper, tiny, sweep] = await Promise.all([
    lrlab(['images', '--preset', 'patch', '--seeds', '2', '--set', 'train.epochs=40', '--dry-run', '--out', out]),
    lrlab(['images', ...TINY, '--data', relData, '--dry-run', '--out', out]),
    lrlab(['sweep', '--preset', 'patch', '--over', 'train.batchSize=64,128', '--dry-run', '--out', out]),
  ]);
  assert.equal(paper.code, 2, 'a config that cannot run here fails the check');
  const cfg = JSON.parse(paper.stdout) as { preset: string; seeds: number; train: { epochs: number } };
  assert.deepEqual([cfg.preset, cfg.seeds, cfg.train.epochs], ['patch', 2, 40]);
  assert.match(paper.stderr, /would run large-lr, small-lr, small-lr\+noise on 2 seed\(s\) from seed 0: 6 part\(s\) of 40 epochs on cpu/);
  assert.match(paper.stderr, /cannot run here:\n {2}- preset 'patch' uses CIFAR-10/);
  assert.equal(sweep.code, 2, sweep.stderr);
  assert.match(sweep.stderr, /2 grid point\(s\) x 1 seed\(s\)[^]*cannot run here:\n {2}- preset 'patch' uses CIFAR-10/);
  assert.equal(tiny.code, 0, tiny.stderr);
  assert.match(tiny.stderr, /data and device: found/);
  const tinyCfg = JSON.parse(tiny.stdout) as { dataset: { dir: string } };
  assert.equal(tinyCfg.dataset.dir, data, 'a relative --data is stored absolute');
  // the printed config, passed back with --config (from another folder), is the same run
  const saved = join(root, 'dry.json');
  writeFileSync(saved, tiny.stdout);
  const again = await lrlab(['images', '--config', saved, '--dry-run', '--out', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, tiny.stdout);
  assert.equal(existsSync(out), false);
});
