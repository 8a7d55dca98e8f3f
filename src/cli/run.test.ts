// What `lrlab resume` says it goes on from (resumeLine, over partFiles' resumePoints).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resumeLine } from './run.js';

test('resumeLine names the finished count, the parts going on from their checkpoints and those starting afresh', () => {
  const p = [{ key: { method: 'A', seed: 0 }, at: 'step 200' }, { key: { method: 'B', seed: 0 }, at: null }, { key: { method: 'S+noise', seed: 1 }, at: 'epoch 3' }];
  assert.equal(resumeLine(2, 5, p), 'resuming: 2 of 5 part(s) finished; from their checkpoints: A seed 0 (step 200), S+noise seed 1 (epoch 3); from the start: B seed 0');
  assert.equal(resumeLine(3, 3, []), 'resuming: 3 of 3 part(s) finished');
});
