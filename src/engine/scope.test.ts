// Tests of memory scopes (tidy, keep, dispose) and of autograd modes and gradient bookkeeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { native } from './native.js';
import {
  tensor, zeros, ones, tidy, keep, dispose, scopeDepth, noGrad, enableGrad, isGradEnabled, type Tensor,
} from './index.js';

test('tidy disposes intermediates and keeps the returned tensor', () => {
  let inner: Tensor[] = [];
  const out = tidy(() => {
    const a = ones([3]);
    const b = a.mul(2);
    inner = [a, b];
    return b.add(1);
  });
  assert.ok(inner.every((t) => t.isDisposed));
  assert.equal(out.isDisposed, false);
  assert.deepEqual(out.toArray(), [3, 3, 3]);
  assert.equal(scopeDepth(), 0);
  out.dispose();
});

test('tidy keeps tensors in nested arrays, objects and maps, and passes other values through', () => {
  let scratch: Tensor | null = null;
  const r = tidy(() => {
    scratch = zeros([1]);
    const m = new Map<string, Tensor>([['m', ones([1])]]);
    return { a: ones([1]), list: [ones([2]), { deep: [ones([3])] }], m, n: 5, s: 'x' };
  });
  assert.ok(scratch!.isDisposed);
  const kept = [r.a, r.list[0] as Tensor, (r.list[1] as { deep: Tensor[] }).deep[0]!, r.m.get('m')!];
  assert.ok(kept.every((t) => !t.isDisposed));
  assert.equal(r.n, 5);
  assert.equal(r.s, 'x');
  dispose(r);
  assert.ok(kept.every((t) => t.isDisposed));
  assert.equal(tidy(() => 42), 42);
});

test('nested tidy moves kept tensors to the parent scope', () => {
  let fromInner: Tensor | null = null;
  let innerScratch: Tensor | null = null;
  const outer = tidy(() => {
    assert.equal(scopeDepth(), 1);
    fromInner = tidy(() => {
      assert.equal(scopeDepth(), 2);
      innerScratch = ones([2]);
      return innerScratch.add(1);
    });
    assert.ok(innerScratch!.isDisposed);
    assert.equal(fromInner.isDisposed, false);
    return fromInner.mul(3);
  });
  // The inner result was not returned by the outer function, so the outer scope freed it.
  assert.ok(fromInner!.isDisposed);
  assert.deepEqual(outer.toArray(), [6, 6]);
  outer.dispose();
});

test('tidy disposes everything on throw and closes its scope', () => {
  let made: Tensor | null = null;
  assert.throws(() => tidy(() => {
    made = ones([2]);
    tidy(() => { throw new Error('boom'); });
  }), /boom/);
  assert.ok(made!.isDisposed);
  assert.equal(scopeDepth(), 0);
});

test('tidy rejects async functions', () => {
  let made: Tensor | null = null;
  assert.throws(() => tidy((async () => { made = ones([1]); return made; }) as unknown as () => Tensor),
    /tidy\(\) takes a synchronous function/);
  assert.ok(made!.isDisposed);
  assert.equal(scopeDepth(), 0);
});

test('keep() exempts a tensor from every enclosing scope', () => {
  let kept: Tensor | null = null;
  let other: Tensor | null = null;
  tidy(() => {
    tidy(() => {
      kept = keep(ones([2]));
      other = ones([2]);
    });
  });
  assert.equal(kept!.isDisposed, false);
  assert.ok(other!.isDisposed);
  assert.deepEqual(kept!.toArray(), [1, 1]);
  kept!.dispose();
});

test('tensors made outside any scope live until disposed', () => {
  const t = ones([2]);
  tidy(() => t.add(1));
  assert.equal(t.isDisposed, false);
  dispose([t, { x: t }]);
  assert.ok(t.isDisposed);
});

test('noGrad turns requiresGrad off for results; enableGrad turns it back on', () => {
  const w = tensor([1, 2], { dtype: 'float64' }).requiresGrad_();
  assert.equal(isGradEnabled(), true);
  assert.equal(w.mul(2).requiresGrad, true);
  const r = noGrad(() => {
    assert.equal(isGradEnabled(), false);
    const inside = w.mul(2);
    const back = enableGrad(() => { assert.equal(isGradEnabled(), true); return w.mul(2).requiresGrad; });
    assert.equal(isGradEnabled(), false);
    return { inside, back };
  });
  assert.equal(r.inside.requiresGrad, false);
  assert.equal(r.back, true);
  assert.equal(isGradEnabled(), true);
  assert.throws(() => noGrad(() => { throw new Error('inner'); }), /inner/);
  assert.equal(isGradEnabled(), true); // restored after a throw
});

test('grad accumulates across two backward() calls; zeroGrad clears it', () => {
  const x = tensor([1, -2, 3], { dtype: 'float64' }).requiresGrad_();
  assert.equal(x.grad, null);
  x.square().sum().backward();
  assert.deepEqual(x.grad!.toArray(), [2, -4, 6]);
  x.mul(tensor([1, 1, 1], { dtype: 'float64' })).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [3, -3, 7]);
  x.zeroGrad();
  assert.equal(x.grad, null);
  x.sum().backward();
  assert.deepEqual(x.grad!.toArray(), [1, 1, 1]);
  x.grad = tensor([5, 5, 5], { dtype: 'float64' });
  assert.deepEqual(x.grad!.toArray(), [5, 5, 5]);
});

test('detach cuts the graph but shares the data', () => {
  const x = tensor([1, 2], { dtype: 'float64' }).requiresGrad_();
  const d = x.detach();
  assert.equal(d.requiresGrad, false);
  assert.equal(d.isLeaf, true);
  const y = x.mul(d).sum(); // gradient flows only through the first factor
  y.backward();
  assert.deepEqual(x.grad!.toArray(), [1, 2]);
  d.add_(10);
  assert.deepEqual(x.toArray(), [11, 12]);
});

test('backward on a non-scalar needs an explicit gradient', () => {
  const x = tensor([1, 2, 3], { dtype: 'float64' }).requiresGrad_();
  const y = x.mul(x);
  assert.throws(() => y.backward(), /grad can be implicitly created only for scalar outputs/);
  y.backward(tensor([1, 0.5, -1], { dtype: 'float64' }));
  assert.deepEqual(x.grad!.toArray(), [2, 2, -6]);
  const h = x.mul(2);
  assert.equal(h.isLeaf, false);
  h.retainGrad();
  h.sum().backward();
  assert.deepEqual(h.grad!.toArray(), [1, 1, 1]);
});

test('retainGraph allows a second backward through the same graph', () => {
  const x = tensor([2], { dtype: 'float64' }).requiresGrad_();
  const y = x.exp().mul(x).sum();
  y.backward(undefined, { retainGraph: true });
  y.backward();
  const e2 = Math.exp(2);
  assert.ok(Math.abs(x.grad!.item() - 2 * (e2 + 2 * e2)) < 1e-9);
  assert.throws(() => y.backward(), /backward through the graph a second time/);
});

test('a tensor that leaves every scope undisposed is freed by the garbage collector; one a scope disposes is freed at once', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const live = () => native.liveTensors();
  const collect = async () => { for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setTimeout(r, 5)); } };
  await collect(); // the earlier tests' garbage first
  const before = live();
  // made outside tidy, returned from the outermost tidy, kept inside one: each registers for the collector
  (() => {
    zeros([2]);
    tidy(() => ones([3]));
    tidy(() => { keep(ones([4])); });
  })();
  // made inside nested scopes and handed outwards: the outer scope disposes it
  tidy(() => { tidy(() => ones([5])); });
  assert.equal(live(), before + 3);
  for (let i = 0; i < 10 && live() > before; i++) await collect();
  assert.equal(live(), before);
});
