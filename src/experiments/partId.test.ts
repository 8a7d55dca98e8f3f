import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, partId } from './partId.js';

test('canonicalJson sorts keys at every level and keeps array order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson({ a: 1, b: undefined }), canonicalJson({ a: 1 }));
  assert.throws(() => canonicalJson({ a: NaN }), /no JSON form/);
});

test('partId: stable under key order, changed by kind, config, seed and code version', () => {
  const id = partId('synthetic', { train: { eta2: 0.01, lambda: 1e-3 }, method: 'S' }, 0, 'v1');
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(partId('synthetic', { method: 'S', train: { lambda: 1e-3, eta2: 0.01 } }, 0, 'v1'), id);
  assert.notEqual(partId('images', { train: { eta2: 0.01, lambda: 1e-3 }, method: 'S' }, 0, 'v1'), id);
  assert.notEqual(partId('synthetic', { train: { eta2: 0.02, lambda: 1e-3 }, method: 'S' }, 0, 'v1'), id);
  assert.notEqual(partId('synthetic', { train: { eta2: 0.01, lambda: 1e-3 }, method: 'S' }, 1, 'v1'), id);
  assert.notEqual(partId('synthetic', { train: { eta2: 0.01, lambda: 1e-3 }, method: 'S' }, 0, 'v2'), id);
});
