import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, chiSquared } from './index.js';

test('chiSquared: mean dof and variance 2 dof (small, fractional and large dof); reproducible from the generator state', () => {
  for (const dof of [0.5, 3, 40, 5000]) {
    const gen = new Generator(dof * 10);
    const xs = Array.from({ length: 3000 }, () => chiSquared(dof, gen));
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1);
    assert.ok(xs.every((v) => v >= 0));
    assert.ok(Math.abs(mean - dof) < 4 * Math.sqrt((2 * dof) / xs.length), `dof ${dof}: mean ${mean}`);
    assert.ok(Math.abs(variance / (2 * dof) - 1) < 0.15, `dof ${dof}: variance ${variance}`);
  }
  const gen = new Generator(1);
  const state = gen.serialize();
  const a = [chiSquared(7, gen), chiSquared(0.3, gen)];
  gen.restore(state);
  assert.deepEqual([chiSquared(7, gen), chiSquared(0.3, gen)], a);
  assert.equal(chiSquared(0, gen), 0);
  assert.throws(() => chiSquared(-1, gen), /dof must be a finite number >= 0, got -1/);
});
