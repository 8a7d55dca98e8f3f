import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderStats, orderSteps } from './learned.js';
import { wilson } from '../../util/stats.js';

const row = (step: number, p: number, q: number, mp: number, mq: number) => ({ step, test_acc: { p_only: p, q_only: q }, margin: { p: mp, q: mq } });

test('orderSteps and orderStats: crossings by test accuracy and by margins, fractions of seeds with Wilson intervals', () => {
  // seed A learns Q first by both measures; seed B P first; seed C never learns P, learns Q by test only
  const a = orderSteps([row(0, 0.5, 0.5, 0, 0), row(100, 0.6, 0.8, 0.2, 1.5), row(200, 0.8, 0.9, 1.1, 2)]);
  const b = orderSteps([row(0, 0.5, 0.5, 0, 0), row(100, 0.76, 0.5, 1, 0.1), row(200, 0.8, 0.75, 1.2, 0.5)]);
  const c = orderSteps([row(0, 0.5, 0.5, 0, 0), row(100, 0.5, 0.9, 0.1, 0.3)]);
  assert.deepEqual(a, { p_only: 200, q_only: 100, margin_p: 200, margin_q: 100 });
  assert.deepEqual(b, { p_only: 100, q_only: 200, margin_p: 100, margin_q: null });
  assert.deepEqual(c, { p_only: null, q_only: 100, margin_p: null, margin_q: null });
  const s = orderStats([a, b, c]);
  assert.equal(s.p_before_q_test.mean, 1 / 3);
  assert.equal(s.q_before_p_test.mean, 2 / 3);
  assert.deepEqual([s.p_before_q_test.lo, s.p_before_q_test.hi], [wilson(1, 3).lo, wilson(1, 3).hi]);
  // margins: b crosses P and never Q (P first); c crosses neither (counted in neither fraction)
  assert.deepEqual([s.p_before_q_margin.mean, s.q_before_p_margin.mean], [1 / 3, 1 / 3]);
  assert.deepEqual([s.step_q_test.median, s.step_q_test.n, s.step_q_test.of], [100, 3, 3]);
  assert.deepEqual([s.step_p_test.median, s.step_p_test.q1, s.step_p_test.q3, s.step_p_test.n], [150, 125, 175, 2]);
});
