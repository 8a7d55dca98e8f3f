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
