import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randint, randn, setNumThreads, tensor, tidy, type Tensor } from '../engine/index.js';
import { createImageModel, type ImageForwardOptions } from '../models/index.js';
import { KindAccumulator, evaluateSet, firstEpochAbove, lastRowsMean, perExample, validationMetrics } from './imageMetrics.js';

setNumThreads(1);

test('KindAccumulator splits loss and accuracy by kind, with null for absent kinds, and round-trips its state', () => {
  const acc = new KindAccumulator();
  const loss = tensor([1, 2, 3, 4, 5]);
  const correct = tensor([1, 0, 1, 1, 0]).to({ dtype: 'bool' });
  const kind = tensor([0, 1, 1, 0, 1], { dtype: 'int64' });
  acc.add(loss, correct, kind);
  let r = acc.result();
  assert.deepEqual(r.loss, { clean: 2.5, mixed: 10 / 3, patch_only: null, all: 3 });
  assert.deepEqual(r.acc, { clean: 1, mixed: 1 / 3, patch_only: null, all: 0.6 });
  acc.add(tensor([0.5]), tensor([1]).to({ dtype: 'bool' }), tensor([2], { dtype: 'int64' }));
  r = acc.result();
  assert.equal(r.loss.patch_only, 0.5);
  assert.equal(r.acc.patch_only, 1);
  assert.equal(r.loss.all, 15.5 / 6);
  assert.equal(acc.count, 6);
  const copy = new KindAccumulator();
  copy.restore(JSON.parse(JSON.stringify(acc.state())));
  assert.deepEqual(copy.result(), r);
  assert.throws(() => copy.restore([1, 2]), /expected 9 numbers/);
  acc.reset();
  assert.deepEqual(acc.result().loss, { clean: null, mixed: null, patch_only: null, all: null });
  const t = KindAccumulator.tally(loss, correct, kind);
  assert.deepEqual(Array.from(t), [2, 5, 2, 3, 10, 1, 0, 0, 0]);
});

test('perExample gives cross-entropy and argmax correctness', () => {
  tidy(() => {
    const logits = tensor([[2, 0, 0], [0, 0, 1]]);
    const e = perExample(logits, tensor([0, 1], { dtype: 'int64' }));
    const l = e.loss.toFloat64Array();
    assert.ok(Math.abs(l[0]! - (Math.log(Math.exp(2) + 2) - 2)) < 1e-6);
    assert.ok(Math.abs(l[1]! - (Math.log(2 + Math.E) - 0)) < 1e-6);
    assert.deepEqual(Array.from(e.correct.to({ dtype: 'float64' }).toFloat64Array()), [1, 0]);
  });
});

test('evaluateSet runs the model in eval mode without noise, in batches, and matches one full pass', () => {
  const g = new Generator(3);
  const model = createImageModel({ arch: 'mlp', hidden: [8] }, { inChannels: 1, height: 4, width: 4, classes: 3 }, {}, g);
  const x = randn([23, 1, 4, 4], g);
  const y = randint(0, 3, [23], g);
  const calls: ImageForwardOptions[] = [];
  const orig = model.forward.bind(model);
  model.forward = (xx: Tensor, o: ImageForwardOptions) => { calls.push(o); return orig(xx, o); };
  const r = evaluateSet(model, x, y, 5);
  assert.equal(calls.length, 5, 'ceil(23 / 5) batches');
  for (const o of calls) { assert.equal(o.training, false); assert.ok(!o.noiseStd); }
  const whole = evaluateSet(model, x, y, 100);
  assert.ok(Math.abs(r.loss - whole.loss) < 1e-6);
  assert.equal(r.acc, whole.acc);
  const manual = tidy(() => {
    const e = perExample(orig(x, { training: false }), y);
    return { loss: e.loss.mean().item(), acc: e.correct.to({ dtype: 'float64' }).mean().item() };
  });
  assert.ok(Math.abs(r.loss - manual.loss) < 1e-6);
  assert.equal(r.acc, manual.acc);
  // the running statistics are not touched by evaluation
  const before = model.params.get('bn1.running_mean').toFloat64Array();
  evaluateSet(model, x, y, 7);
  assert.deepEqual(model.params.get('bn1.running_mean').toFloat64Array(), before);
  const v = validationMetrics(model, { clean: { x, y }, mixed: null, patch_only: { x, y } }, 8);
  assert.equal(v.acc.mixed, null);
  assert.equal(v.loss.mixed, null);
  assert.equal(v.acc.clean, r.acc);
  assert.equal(v.acc.patch_only, r.acc);
  assert.throws(() => evaluateSet(model, x, y.narrow(0, 0, 3), 5), /23 images but 3 labels/);
  model.dispose();
});

test('lastRowsMean averages the last 5 evaluated epochs (not epoch 0); firstEpochAbove finds patch-only > 50%', () => {
  const h = [0, 1, 2, 3, 4, 5, 6].map((epoch) => ({ epoch, val_acc: { clean: epoch / 10, mixed: null, patch_only: [0.1, 0.2, 0.5, 0.51, 0.4, 0.9, 0.95][epoch]! } }));
  const m = lastRowsMean(h, 5);
  assert.ok(Math.abs(m.clean! - 0.4) < 1e-12);
  assert.equal(m.mixed, null);
  assert.ok(Math.abs(lastRowsMean(h.slice(0, 3), 5).clean! - 0.15) < 1e-12, 'fewer rows: all of them but epoch 0');
  assert.equal(firstEpochAbove(h, 0.5), 3, '0.5 itself does not pass');
  assert.equal(firstEpochAbove(h.slice(0, 3), 0.5), null);
});
