// The training batch iterator: epochs are permutations, batches carry the right kinds and pixels,
// patches are redrawn per load, the reference subsets, determinism and exact resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, dispose, randint, randn, type Tensor } from '../engine/index.js';
import { CIFAR10_PATCH_CONFIG, PatchState, type PatchConfig } from './patch.js';
import { ImageBatchIterator, KIND_CLEAN, KIND_MIXED, KIND_PATCH_ONLY, type ImageBatch, type ImageBatchIteratorOptions } from './imageDataset.js';

const N = 500;
const C: PatchConfig = { ...CIFAR10_PATCH_CONFIG, height: 8, width: 8, patchSize: 3, top: 2, left: 3 };
const g0 = new Generator(100);
const images = randn([N, 3, 8, 8], g0);
const labels = randint(0, 10, [N], g0);
const imgArr = images.toFloat32Array();
const ys = labels.toArray();
const state = new PatchState(C, N, new Generator(7));
const z = state.z.toFloat32Array();
const zeta = state.zetas.toFloat32Array();

const make = (o: Partial<ImageBatchIteratorOptions> = {}) =>
  new ImageBatchIterator({ images, labels, batchSize: 64, patch: state, gen: new Generator(3), ...o });

interface Flat { x: Float32Array; y: number[]; kind: number[]; index: number[] }
const flat = (b: ImageBatch): Flat => {
  const f = { x: b.x.toFloat32Array(), y: b.y.toArray(), kind: b.kind.toArray(), index: b.index.toArray() };
  dispose(b);
  return f;
};
const epoch = (it: ImageBatchIterator): Flat[] => [...it.epochBatches()].map(flat);
const PIX = 3 * 8 * 8;
const inPatch = (h: number, w: number) => h >= 2 && h < 5 && w >= 3 && w < 6;

test('an epoch is a permutation in batches; dropLast drops the short batch', () => {
  const it = make();
  assert.equal(it.numBatches, 8);
  const e = epoch(it);
  assert.deepEqual(e.map((b) => b.y.length), [64, 64, 64, 64, 64, 64, 64, 52]);
  const idx = e.flatMap((b) => b.index);
  assert.deepEqual([...idx].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i));
  assert.notDeepEqual(idx, Array.from({ length: N }, (_, i) => i));
  e.forEach((b) => assert.deepEqual(b.y, b.index.map((i) => ys[i]!)));
  assert.equal(it.epoch, 1);
  const d = make({ dropLast: true });
  assert.equal(d.numBatches, 7);
  assert.deepEqual(epoch(d).map((b) => b.y.length), new Array(7).fill(64));
  it.dispose(); d.dispose();
});

test('patch subset: unpatched images stay clean, patched ones are mixed or patch-only by the rule, redrawn per load', () => {
  const it = make();
  let patchedLoads = 0, onlyLoads = 0;
  const seen = new Map<number, Set<string>>();
  for (let ep = 0; ep < 6; ep++) {
    for (const b of epoch(it)) {
      b.index.forEach((i, r) => {
        const k = b.kind[r]!;
        const x = b.x.subarray(r * PIX, (r + 1) * PIX);
        const orig = imgArr.subarray(i * PIX, (i + 1) * PIX);
        if (state.mask[i] === 0) { assert.equal(k, KIND_CLEAN); assert.deepEqual(x, orig); return; }
        assert.ok(k === KIND_MIXED || k === KIND_PATCH_ONLY, `kind ${k}`);
        patchedLoads++;
        if (k === KIND_PATCH_ONLY) onlyLoads++;
        // Coefficient of zeta_y at the first patch pixel, then every pixel checked with it.
        const coef = (x[2 * 8 + 3]! - z[0]!) / zeta[ys[i]! * 27]!;
        if (k === KIND_MIXED) assert.ok(Math.abs(Math.abs(coef) - 1) < 1e-3, `mixed coefficient ${coef}`);
        else assert.ok(Math.abs(coef) <= 1.75 + 1e-3, `patch-only coefficient ${coef}`);
        for (let c = 0; c < 3; c++) for (let h = 0; h < 8; h++) for (let w = 0; w < 8; w++) {
          const j = (c * 8 + h) * 8 + w;
          const pj = (c * 3 + h - 2) * 3 + (w - 3);
          const want: number = inPatch(h, w) ? z[pj]! + coef * zeta[ys[i]! * 27 + pj]! : k === KIND_MIXED ? orig[j]! : 0;
          if (Math.abs(x[j]! - want) > 1e-4) assert.fail(`image ${i} kind ${k} at ${j}: ${x[j]} vs ${want}`);
        }
        const key = `${k}:${coef.toFixed(4)}`;
        if (!seen.has(i)) seen.set(i, new Set());
        seen.get(i)!.add(key);
      });
    }
  }
  assert.equal(patchedLoads, 6 * 400);
  const rate = onlyLoads / patchedLoads;
  assert.ok(Math.abs(rate - 0.2) < 0.03, `patch-only rate ${rate}`);
  // Fresh draws every load: most patched images looked different across the 6 epochs.
  const varied = [...seen.values()].filter((s) => s.size > 1).length;
  assert.ok(varied > 0.9 * 400, `${varied} of 400 patched images varied`);
  it.dispose();
});

test("reference subsets: 'cleanOnly' is the unmasked images unpatched, 'noPatch' all images unpatched", () => {
  const c = make({ subset: 'cleanOnly', batchSize: 32 });
  assert.equal(c.size, N - 400);
  const ec = epoch(c);
  const idx = ec.flatMap((b) => b.index).sort((a, b) => a - b);
  assert.deepEqual(idx, [...state.cleanIndices()]);
  const n = new ImageBatchIterator({ images, labels: Uint8Array.from(ys), batchSize: 100, gen: new Generator(3) });
  assert.equal(n.subset, 'noPatch');
  const en = epoch(n);
  assert.equal(en.flatMap((b) => b.index).length, N);
  for (const b of [...ec, ...en]) {
    assert.ok(b.kind.every((k) => k === KIND_CLEAN));
    b.index.forEach((i, r) => assert.deepEqual(b.x.subarray(r * PIX, (r + 1) * PIX), imgArr.subarray(i * PIX, (i + 1) * PIX)));
    assert.deepEqual(b.y, b.index.map((i) => ys[i]!));
  }
  c.dispose(); n.dispose();
});

test('determinism: the same seed gives identical batches; another seed another order', () => {
  const a = make(), b = make(), c = make({ gen: new Generator(4) });
  for (let ep = 0; ep < 2; ep++) {
    const ea = epoch(a), eb = epoch(b), ec = epoch(c);
    assert.deepEqual(ea, eb);
    assert.notDeepEqual(ea.map((x) => x.index), ec.map((x) => x.index));
  }
  a.dispose(); b.dispose(); c.dispose();
});

test('resume mid-epoch and at an epoch boundary replays exactly (JSON state)', () => {
  const a = make();
  epoch(a);
  const it = a.epochBatches();
  const head: Flat[] = [];
  for (let k = 0; k < 3; k++) head.push(flat(it.next().value as ImageBatch));
  const saved = JSON.stringify(a.state());
  const restA = [...it].map(flat);
  const nextA = epoch(a);
  assert.equal(head.length + restA.length, 8);
  const b = make();
  b.restore(JSON.parse(saved) as ReturnType<typeof b.state>);
  assert.deepEqual([b.epoch, b.batch], [1, 3]);
  assert.deepEqual(epoch(b), restA);
  const boundary = JSON.stringify(b.state());
  assert.deepEqual(epoch(b), nextA);
  const c = make();
  c.restore(JSON.parse(boundary) as ReturnType<typeof c.state>);
  assert.equal(c.epoch, 2);
  assert.deepEqual(epoch(c), nextA);
  // Leaving the loop right after the last batch still starts a full new epoch next time.
  const d = make();
  for (const bt of d.epochBatches()) { const last = d.batch === d.numBatches; dispose(bt); if (last) break; }
  assert.equal(epoch(d).length, 8);
  assert.equal(d.epoch, 2);
  for (const x of [a, b, c, d]) x.dispose();
});

test('iterator errors name the option', () => {
  const opts = { images, labels, batchSize: 64, gen: new Generator(1) };
  assert.throws(() => new ImageBatchIterator({ ...opts, subset: 'patch' }), { message: "ImageBatchIterator: subset 'patch' needs a patch state (option patch)" });
  assert.throws(() => new ImageBatchIterator({ ...opts, batchSize: 0 }), { message: 'ImageBatchIterator: batchSize must be a positive integer, got 0' });
  const other = new PatchState(C, 10, new Generator(1));
  assert.throws(() => new ImageBatchIterator({ ...opts, patch: other }), { message: 'ImageBatchIterator: patch state is for 10 images but images has 500' });
  other.dispose();
  assert.throws(() => new ImageBatchIterator({ ...opts, batchSize: 600, dropLast: true }), { message: 'ImageBatchIterator: no batches: 500 examples, batchSize 600 and dropLast' });
  const labelsShort: Tensor = labels.narrow(0, 0, 10);
  assert.throws(() => new ImageBatchIterator({ ...opts, labels: labelsShort }), { message: 'ImageBatchIterator: labels must have 500 entries, got [10]' });
  const it = make();
  assert.throws(() => it.restore({ ...it.state(), subset: 'noPatch', size: 500 }),
    { message: "ImageBatchIterator.restore: state is for subset 'noPatch' of 500 examples, this iterator has 'patch' of 500" });
  it.dispose();
});
