// The synthetic data's rays: every x2 row is its scale times one of Q's three directions, by label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../engine/index.js';
import { COMPONENT, defaultSyntheticDataConfig, makeSyntheticProblem } from './synthetic.js';
import { narrowRays } from './rays.js';

test('x2 is scale times directions[index]: zv for y = +1, zv +- zeta for y = -1, scale 0 on P-only rows', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const pr = makeSyntheticProblem({ ...defaultSyntheticDataConfig(9), q0: 0.4, qScale: 7, aMin: 0.3, dtype }, new Generator(4));
    const ds = pr.sample(300, new Generator(5));
    const rays = ds.rays!;
    assert.deepEqual(rays.directions.shape, [3, 9]);
    assert.equal(rays.directions.dtype, dtype);
    assert.equal(rays.scale.dtype, dtype);
    assert.equal(rays.index.dtype, 'int64');
    const dirs = rays.directions.toFloat64Array(), x2 = ds.x2.toFloat64Array(), y = ds.y.toFloat64Array();
    const idx = rays.index.toInt32Array(), scale = rays.scale.toFloat64Array(), comp = ds.component.toInt32Array();
    const zv = pr.zv.toFloat64Array(), zeta = pr.zeta.toFloat64Array();
    const tol = dtype === 'float64' ? 1e-14 : 1e-6;
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) {
      seen.add(idx[i]!);
      assert.equal(idx[i] === 0, y[i]! > 0, `row ${i}: direction 0 (zv) exactly for label +1`);
      if (comp[i] === COMPONENT.pOnly) assert.equal(scale[i], 0, `row ${i}: P-only`);
      else assert.ok(scale[i]! >= 7 * 0.3 * (1 - tol) && scale[i]! <= 7, `row ${i}: scale qScale a, a in [aMin, 1)`);
      for (let j = 0; j < 9; j++) {
        assert.ok(Math.abs(scale[i]! * dirs[idx[i]! * 9 + j]! - x2[i * 9 + j]!) <= tol * 7, `row ${i} coordinate ${j}`);
        const want = [zv[j]!, zv[j]! + zeta[j]!, zv[j]! - zeta[j]!][idx[i]!]!;
        assert.ok(Math.abs(dirs[idx[i]! * 9 + j]! - want) <= tol, `direction ${idx[i]} coordinate ${j}`);
      }
    }
    assert.deepEqual([...seen].sort(), [0, 1, 2]);
    const part = narrowRays(rays, 10, 5);
    assert.deepEqual(Array.from(part.index.toInt32Array()), Array.from(idx.slice(10, 15)));
    assert.deepEqual(Array.from(part.scale.toFloat64Array()), Array.from(scale.slice(10, 15)));
    assert.equal(part.directions, rays.directions);
  }
});
