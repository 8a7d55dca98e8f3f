import test from 'node:test';
import assert from 'node:assert/strict';
import { closest, editDistance } from './closest.js';

test('editDistance: insertions, deletions and substitutions', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('seed', 'seeds'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('abc', ''), 3);
  assert.equal(editDistance('flaw', 'lawn'), 2);
});

test('closest: near names best first, prefixes count as near, far ones and the name itself left out', () => {
  const opts = ['--seeds', '--set', '--workers', '--out', '--preset', '--no-batch'];
  assert.deepEqual(closest('--seed', opts), ['--seeds', '--set']);
  assert.deepEqual(closest('--work', opts), ['--workers']);
  assert.deepEqual(closest('--presets', opts), ['--preset']);
  assert.deepEqual(closest('--zzzzzz', opts), []);
  assert.deepEqual(closest('--out', opts), []);
  assert.deepEqual(closest('--se', opts, 1), ['--set']);
});
