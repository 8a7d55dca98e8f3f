// The dashboard's training curves: found in what the rows hold, a panel per component or split,
// the lr and noise schedules, and per-seed lines only when asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { curveCharts, rowShape } from './curves.js';
import { imageRow, syntheticRow } from '../report/fixtures.testutil.js';

const ctx = { data: { name: 'rows' }, series: ['L-S', 'S'] };

test('rowShape and curveCharts: synthetic rows give losses/accuracies per component and both schedules', () => {
  const shape = rowShape([syntheticRow('L-S', 0, 0, 0), syntheticRow('S', 1, 0, 100)]);
  assert.ok(shape.scalars.includes('lr') && shape.scalars.includes('noise'));
  assert.deepEqual(shape.groups.test_loss, ['p_only', 'q_only', 'both', 'all']);
  const charts = curveCharts(ctx, shape, 'step', false);
  assert.deepEqual(charts.map((c) => c.id), ['curves-loss', 'curves-acc', 'curves-schedule']);
  assert.match(charts[0]!.title, /per component/);
  const loss = charts[0]!.spec as { concat: { title: { text: string } }[] };
  assert.deepEqual(loss.concat.map((p) => p.title.text), ['p_only', 'q_only', 'both', 'all']);
  assert.equal(JSON.stringify(charts).includes('"detail":[{"field":"seed"'), false, 'no per-seed lines unless asked');
  assert.equal(JSON.stringify(curveCharts(ctx, shape, 'step', true)).includes('"detail":[{"field":"seed"'), true);
});

test('curveCharts: image rows are per split (clean, mixed, patch_only), on the epoch axis', () => {
  const charts = curveCharts(ctx, rowShape([imageRow('large LR + anneal', 0, 0, 1)]), 'epoch', false);
  const loss = charts.find((c) => c.id === 'curves-loss')!;
  assert.match(loss.title, /per split vs epoch/);
  assert.ok(JSON.stringify(loss.spec).includes("datum['val_loss']['patch_only']"));
  assert.deepEqual(curveCharts(ctx, rowShape([]), 'step', false), [], 'no rows yet: no curves');
});
