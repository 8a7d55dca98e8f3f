// The synthetic run's final table: what the preset is known to show is printed under it, so that a
// run of a preset whose order is not the paper's (default, order-gd) is not read as a failed reproduction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSyntheticTable } from './cli.js';
import type { SyntheticSummary } from './summary.js';

const summary = (preset: string) => ({ kind: 'synthetic', preset, seeds: [0], methods: {} }) as unknown as SyntheticSummary;

test('formatSyntheticTable names what a known preset shows, and nothing for a config of its own', () => {
  assert.match(formatSyntheticTable(summary('default')), /\nabout the preset 'default' \(as defined, without your --set\): .*where the order is not the paper's/);
  assert.match(formatSyntheticTable(summary('order')), /\nabout the preset 'order' .*S memorizes Q first/);
  assert.doesNotMatch(formatSyntheticTable(summary('mine')), /about the preset/);
  assert.doesNotMatch(formatSyntheticTable(summary('toString')), /about the preset/);
});

test('formatSyntheticTable notes an L-S that did not anneal in every seed (a run shorter than its anneal)', () => {
  const ms = (n: number) => ({ mean: n ? 100 : null, std: 0, n });
  const withLs = (annealed: { n: number } | null, diverged: number[] = []) => ({ ...summary('order'), seeds: [0, 1, 2],
    methods: { 'L-S': { test_acc: {}, annealed_at_step: annealed, steps: ms(3), learned_at_step: {}, diverged_seeds: diverged } } }) as unknown as SyntheticSummary;
  assert.match(formatSyntheticTable(withLs(null)), /\nnote: L-S annealed in 0 of 3 seed\(s\); in each the run ended before its anneal/);
  assert.match(formatSyntheticTable(withLs(ms(2))), /L-S annealed in 2 of 3 seed\(s\); in the other 1 the run ended/);
  assert.doesNotMatch(formatSyntheticTable(withLs(ms(3))), /L-S annealed in/);
  assert.doesNotMatch(formatSyntheticTable(withLs(ms(2), [1])), /L-S annealed in/, 'a diverged seed is counted apart');
});

test('formatSyntheticTable explains a Q-only accuracy of exactly 0 (a dead Q block), and only then', () => {
  const withQ = (q: number) => ({ ...summary('order'), methods: { S: { test_acc: { q_only: { mean: q, std: 0, n: 1 } }, annealed_at_step: null, steps: { mean: 1, std: 0, n: 1 }, learned_at_step: {} } } }) as unknown as SyntheticSummary;
  assert.match(formatSyntheticTable(withQ(0)), /\nnote: Q-only accuracy 0 \(S\) is below chance; with the block net it usually means an output of exactly 0/);
  assert.doesNotMatch(formatSyntheticTable(withQ(0.001)), /Q-only accuracy 0/);
});
