// End-to-end: an image run killed with SIGKILL at a random point and continued
// with `lrlab resume` gives exactly the results (and final weights) of an uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyFashionMnist } from '../experiments/images/testData.testutil.js';
import type { ImagePartResult } from '../experiments/images/summary.js';
import { lrlab, lrlabKilledAtRow, randomInt, tornWritesUnder, type Result } from './runCli.testutil.js';


/**
 * The smoke preset on 400 tiny images for 30 epochs (annealed at 15), checkpointed every epoch,
 * 2 methods x 1 seed: a few seconds of training.
 */
const TINY_CONFIG = {
  seed: 5,
  dataset: { trainSize: 400, testSize: 100 },
  model: { hidden: [32] },
  patch: { patchOnlyValSize: 50 },
  train: { epochs: 30, batchSize: 32, checkpointEvery: 1 },
  methods: [
    { name: 'large-lr', lr: { kind: 'step', lr: 0.1, factor: 0.04, at: [15], unit: 'epoch' }, noise: { kind: 'off' }, subset: 'patch' },
    {
      name: 'small-lr+noise', lr: { kind: 'constant', lr: 0.004 },
      noise: { kind: 'step', std: 0.4, factor: 1e-5, at: [15], unit: 'epoch' }, subset: 'patch',
    },
  ],
};

/** Metrics rows without their wall-clock time. */
const rowsNoSeconds = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')
  .map((l) => { const { seconds: _s, ...r } = JSON.parse(l) as Record<string, unknown>; return r; });

/** A part's result without its wall-clock times (its own and its final row's). */
function partNoTime(dir: string, f: string): Omit<ImagePartResult, 'seconds'> {
  const { seconds, final, ...rest } = JSON.parse(readFileSync(join(dir, 'parts', f), 'utf8')) as ImagePartResult;
  assert.equal(typeof seconds, 'number');
  assert.ok(final, `${f} has a final row`);
  const { seconds: _s, ...finalNoTime } = final;
  return { ...rest, final: finalNoTime as ImagePartResult['final'] };
}

test('images: SIGKILL at a random point, then `lrlab resume`, gives the uninterrupted results and weights', async (t) => {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'lrlab-cli-imgkill-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = writeTinyFashionMnist(join(dir, 'data'), 400, 100);
  const cfg = join(dir, 'tiny.json');
  writeFileSync(cfg, JSON.stringify(TINY_CONFIG));
  const args = (out: string) => ['images', '--preset', 'smoke', '--config', cfg, '--data', data, '--out', out, '--quiet', '--no-reuse'];
  const killed = join(dir, 'killed'), ref = join(dir, 'ref');
  // kill in the first or the second part (method), anywhere from after the first epoch's checkpoint
  // to 12 epochs before the end: counted in metrics rows (one before training and one per epoch)
  const atRow = randomInt(3, 2 * 31 - 12);
  const interrupted = async (): Promise<[Awaited<ReturnType<typeof lrlabKilledAtRow>>, Result]> => {
    const k = await lrlabKilledAtRow(args(killed), killed, atRow, { jitter: true });
    return [k, await lrlab(['resume', killed, '--quiet', '--no-reuse'])];
  };
  const [full, [k, res]] = await Promise.all([lrlab(args(ref)), interrupted()]);
  assert.equal(full.code, 0, full.stderr);
  assert.ok(k.reached, `the run wrote ${atRow} metrics rows (${k.stderr})`);
  assert.equal(k.signal, 'SIGKILL', `the run was killed at row ${atRow} + ${k.delayMs} ms, not finished`);
  assert.equal(res.code, 0, res.stderr);
  const what = `killed at metrics row ${atRow} + ${k.delayMs} ms`;
  const rows = rowsNoSeconds(ref);
  assert.equal(rows.length, 2 * 31, 'a row before training and after each epoch, per method');
  assert.deepEqual(rowsNoSeconds(killed), rows, `metrics rows (${what})`);
  const parts = readdirSync(join(ref, 'parts')).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(parts, ['large-lr-seed5.json', 'small-lrplusnoise-seed5.json']);
  assert.deepEqual(readdirSync(join(killed, 'parts')).filter((f) => f.endsWith('.json')).sort(), parts);
  for (const f of parts) assert.deepEqual(partNoTime(killed, f), partNoTime(ref, f), `${f} (${what})`);
  // the final weights: the fingerprints match, and they tell the two methods apart
  const hashes = (d: string) => parts.map((f) => partNoTime(d, f).weightsSha256);
  for (const h of hashes(ref)) assert.match(h, /^[0-9a-f]{64}$/);
  assert.deepEqual(hashes(killed), hashes(ref), `final weights (${what})`);
  assert.notEqual(hashes(ref)[0], hashes(ref)[1]);
  assert.equal(readFileSync(join(killed, 'summary.json'), 'utf8'), readFileSync(join(ref, 'summary.json'), 'utf8'), `summary (${what})`);
  assert.deepEqual(readdirSync(join(killed, 'checkpoints')), [], 'finished parts leave no checkpoint');
  assert.deepEqual(tornWritesUnder(killed), [], 'no temporary file of a killed write is left');
  assert.equal(res.stdout.split('\n').slice(0, 6).join('\n'), full.stdout.split('\n').slice(0, 6).join('\n'), 'the same table');
});
