import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, getNumThreads, logisticLoss, noGrad, randn, setNumThreads, tensor, tidy, zeros } from '../engine/index.js';
import { TwoLayerRelu } from '../models/twoLayerRelu.js';
import { COMPONENT, datasetTensors, defaultSyntheticDataConfig, makeSyntheticProblem } from '../data/synthetic.js';
import { EVAL_CHUNK, componentMargins, evalChunk, testMetrics } from './syntheticMetrics.js';

test('componentMargins: mean y r(x1) and y g(x2) over the examples with both components, on a hand-made net', () => {
  // block net, one neuron per block: r(x1) = relu(x1[0]), g(x2) = relu(2 x2[1])
  const net = new TwoLayerRelu({ d: 2, m: 2, form: 'block', tau0: 1, dtype: 'float64' }, new Generator(1));
  const set = (name: string, v: number[], shape: number[]) => noGrad(() => net.params.get(name).copy_(tensor(v, { shape, dtype: 'float64' })));
  set('W', [1, 0], [1, 2]); set('V', [0, 2], [1, 2]); set('uW', [1], [1]); set('uV', [1], [1]);
  const ds = {
    x1: tensor([0.5, 9, -1, 0, 0.25, 0, 7, 7], { shape: [4, 2], dtype: 'float64' }),
    x2: tensor([0, 1, 0, 0.5, 0, -3, 5, 5], { shape: [4, 2], dtype: 'float64' }),
    y: tensor([1, -1, 1, 1], { dtype: 'float64' }),
    component: tensor([COMPONENT.both, COMPONENT.both, COMPONENT.both, COMPONENT.pOnly], { dtype: 'int64' }),
  };
  const m = componentMargins(net, ds);
  // r: 0.5, 0, 0.25 -> y r: 0.5, 0, 0.25; g: 2, 1, 0 -> y g: 2, -1, 0 (the P-only example is left out)
  assert.ok(Math.abs(m.p! - 0.75 / 3) < 1e-12, `p ${m.p}`);
  assert.ok(Math.abs(m.q! - 1 / 3) < 1e-12, `q ${m.q}`);
  const none = componentMargins(net, { ...ds, component: tensor([0, 0, 1, 1], { dtype: 'int64' }) });
  assert.deepEqual(none, { p: null, q: null });
  net.dispose();
});

test('testMetrics evaluates a set EVAL_CHUNK examples at a time with the numbers of one forward pass over it', () => {
  const g = new Generator(3);
  const net = new TwoLayerRelu({ d: 20, m: 96, form: 'block', tau0: 0.3, dtype: 'float64' }, g);
  const n = 2 * EVAL_CHUNK + 17; // two whole chunks and a part
  const set = () => ({ x1: randn([n, 20], g, { dtype: 'float64' }), x2: randn([n, 20], g, { dtype: 'float64' }), y: randn([n], g, { dtype: 'float64' }).sign(), component: zeros([n], { dtype: 'int64' }) });
  const test = { pOnly: set(), qOnly: set(), both: set() };
  const m = testMetrics(net, test, 0.2, 0.3);
  noGrad(() => tidy(() => {
    for (const [key, ds] of [['p_only', test.pOnly], ['q_only', test.qOnly], ['both', test.both]] as const) {
      const f = net.forward(ds.x1, ds.x2);
      const loss = logisticLoss(f, ds.y, 'none').toFloat64Array(), acc = f.mul(ds.y).gt(0).toFloat64Array();
      const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
      assert.ok(Math.abs(m.loss[key]! - mean(loss)) <= 1e-12 * mean(loss), `${key} loss ${m.loss[key]} vs ${mean(loss)}`);
      assert.equal(m.acc[key], mean(acc), key);
    }
  }));
  for (const ds of Object.values(test)) for (const t of datasetTensors(ds)) t.dispose();
  net.dispose();
});

test('on data with rays a block net is evaluated in passes of more examples (its V block runs per direction), with the numbers of one pass', () => {
  const g = new Generator(5);
  const problem = makeSyntheticProblem({ ...defaultSyntheticDataConfig(16), qScale: 10 }, g);
  const n = 7000; // more than one pass of the block net's (6528)
  const test = { pOnly: problem.sample(n, g, { component: 'pOnly' }), qOnly: problem.sample(n, g, { component: 'qOnly' }), both: problem.sample(n, g, { component: 'both' }) };
  assert.ok(test.both.rays, 'the synthetic data has rays');
  const block = new TwoLayerRelu({ d: 16, m: 1088, mW: 64, mV: 1024, form: 'block', tau0: 0.3, dtype: 'float64' }, g);
  const full = new TwoLayerRelu({ d: 16, m: 64, form: 'full', tau0: 0.3, dtype: 'float64' }, g);
  // 384 rows of 64 + 1024 activations: as many rows of W's 64 alone, at one thread
  const threads = getNumThreads();
  setNumThreads(1);
  assert.equal(evalChunk(block, test.both), Math.floor((384 * 1088) / 64));
  setNumThreads(2);
  assert.equal(evalChunk(block, test.both), EVAL_CHUNK, 'more threads split a product\'s rows by their number: the passes as they were');
  setNumThreads(1);
  assert.equal(evalChunk(block, { ...test.both, rays: undefined }), EVAL_CHUNK, 'without rays: the V block per row');
  assert.equal(evalChunk(full, test.both), EVAL_CHUNK, 'not a block net');
  for (const net of [block, full]) {
    const m = testMetrics(net, test, 0.2, 0.3);
    noGrad(() => tidy(() => {
      for (const [key, ds] of [['p_only', test.pOnly], ['q_only', test.qOnly], ['both', test.both]] as const) {
        const f = net.forward(ds.x1, ds.x2, { x2Rays: ds.rays! });
        const loss = logisticLoss(f, ds.y, 'none').toFloat64Array(), acc = f.mul(ds.y).gt(0).toFloat64Array();
        const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
        assert.ok(Math.abs(m.loss[key]! - mean(loss)) <= 1e-12 * mean(loss), `${key} loss ${m.loss[key]} vs ${mean(loss)}`);
        assert.equal(m.acc[key], mean(acc), key);
      }
    }));
    net.dispose();
  }
  setNumThreads(threads);
  for (const ds of Object.values(test)) for (const t of datasetTensors(ds)) t.dispose();
  problem.dispose();
});
