// Sweep grids: lists, lin and log ranges, their product, seeded random search, and one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axisValues, gridPoints, overOf, parseAxis, samplePoints, specPoints } from './grid.js';
import { inProcess } from './runCli.testutil.js';

test('lists, lin and log ranges', () => {
  assert.deepEqual(parseAxis('train.eta1=0.01,0.02, 0.04'), { key: 'train.eta1', kind: 'list', values: [0.01, 0.02, 0.04] });
  assert.deepEqual(parseAxis('model={"arch":"block","m":10},x').kind, 'list');
  assert.deepEqual(axisValues(parseAxis('train.eta1=log:0.001:0.1:5')), [0.001, 0.00316227766017, 0.01, 0.0316227766017, 0.1]);
  assert.deepEqual(axisValues(parseAxis('a=lin:0:1:11')), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  assert.deepEqual(axisValues(parseAxis('data.d=lin:100:200:3')), [100, 150, 200]);
  assert.deepEqual(axisValues(parseAxis('a=lin:0.5:0.5:1')), [0.5]);
  assert.deepEqual(axisValues(parseAxis('a=log:1:0.01:3')), [1, 0.1, 0.01], 'a descending range');
});

test('--over refuses a value given twice and the seeds as an axis, in one line naming the key', () => {
  assert.throws(() => parseAxis('train.eta1=0.01,0.02,0.01'), { message: "--over train.eta1: the value 0.01 is given twice in '0.01,0.02,0.01'" });
  assert.throws(() => parseAxis('seeds=1,2'), /--over seeds: the sweep's seeds are not a grid axis; give --seeds N/);
  assert.throws(() => parseAxis('seed=0,1'), /--over seed: /);
  assert.deepEqual(axisValues(parseAxis('a=1,"1"')), [1, '1'], 'a number and a string are two values');
});

test('lrlab sweep refuses a key given by both --over and --set (exit 2, one line)', async () => {
  const r = await inProcess(['sweep', '--preset', 'order', '--over', 'train.eta1=0.01,0.02', '--set', 'train.eta1=0.5', '--dry-run']);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /--over train\.eta1 and --set train\.eta1 both set it/);
});

test('the grid is the product of the axes, the first outermost, labelled p000, p001, ...', () => {
  const pts = gridPoints([parseAxis('a=1,2'), parseAxis('b=lin:0:1:3')]);
  assert.deepEqual(pts.map((p) => p.label), ['p000', 'p001', 'p002', 'p003', 'p004', 'p005']);
  assert.deepEqual(pts.map((p) => [p.values.a, p.values.b]), [[1, 0], [1, 0.5], [1, 1], [2, 0], [2, 0.5], [2, 1]]);
  assert.deepEqual(overOf([parseAxis('a=log:1:100:3')]), [['a', [1, 10, 100]]]);
});

test('random search: seeded, within the ranges (log-uniform on a log range), values of a list', () => {
  const axes = [parseAxis('lr=log:0.001:0.1', true), parseAxis('w=lin:-1:1:4', true), parseAxis('arch=a,b,c', true)];
  const a = samplePoints(axes, 200, 7), b = samplePoints(axes, 200, 7), c = samplePoints(axes, 200, 8);
  assert.deepEqual(a, b, 'the same seed, the same points');
  assert.notDeepEqual(a, c);
  const lr = a.map((p) => p.values.lr as number), w = a.map((p) => p.values.w as number);
  assert.ok(lr.every((x) => x >= 0.001 && x <= 0.1) && w.every((x) => x >= -1 && x <= 1));
  // log-uniform: about half the draws below the geometric middle 0.01 (a uniform draw would put ~9% there)
  const below = lr.filter((x) => x < 0.01).length;
  assert.ok(below > 70 && below < 130, `${below} of 200 below 0.01`);
  assert.deepEqual(new Set(a.map((p) => p.values.arch)), new Set(['a', 'b', 'c']));
  assert.deepEqual(specPoints({ over: [], axes, sample: { n: 5, seed: 7 } }), a.slice(0, 5));
  assert.deepEqual(specPoints({ over: [['x', [1, 2]]] }).map((p) => p.values), [{ x: 1 }, { x: 2 }], 'a sweep.json written before axes');
});

test('malformed specs: one-line errors naming the key', () => {
  const bad: [string, RegExp][] = [
    ['train.eta1', /--over expects key=v1,v2,\.\.\. or key=lin:a:b:n or key=log:a:b:n, got 'train\.eta1'/],
    ['=1,2', /--over expects key=/],
    ['a=1,,2', /--over a: empty value in 'a=1,,2'/],
    ['a=log:0:0.1:5', /--over a: a log range needs ends > 0, got 'log:0:0\.1:5'/],
    ['a=log:x:0.1:5', /--over a: the ends of 'log:x:0\.1:5' must be numbers/],
    ['a=lin:0:1:2.5', /--over a: the number of values in 'lin:0:1:2\.5' must be a positive integer, got '2\.5'/],
    ['a=lin:0:1:0', /must be a positive integer, got '0'/],
    ['a=lin:0:1', /--over a: expected lin:a:b:n, got 'lin:0:1'/],
    ['a=lin:0:1:1', /one value of a range from 0 to 1 is ambiguous/],
    ['a=lin:0:1:2:3', /expected lin:a:b:n/],
  ];
  for (const [o, re] of bad) {
    assert.throws(() => axisValues(parseAxis(o)), (e: Error) => re.test(e.message) && !e.message.includes('\n'), o);
  }
  assert.throws(() => parseAxis('a=lin:0:1:2:3', true), /expected lin:a:b:n \(or lin:a:b with --sample\)/);
});
