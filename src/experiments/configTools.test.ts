import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySets, deepMerge, getDotted, setDotted } from './configTools.js';

const template = () => ({
  name: 'x', seed: 0, flags: [1, 2],
  train: { eta: 0.1, steps: 10, anneal: null as number | null, on: true, sub: { a: 1 } },
});

/** assert.throws with a one-line message matching every pattern. */
function throwsOneLine(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(!e.message.includes('\n'), `message is one line: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

test('setDotted sets a nested key in a copy and leaves the original alone', () => {
  const o = template();
  const r = setDotted(o, 'train.eta', 0.5);
  assert.equal(r.train.eta, 0.5);
  assert.equal(o.train.eta, 0.1);
  assert.notEqual(r.train, o.train);
  assert.deepEqual(setDotted(o, 'train.sub.a', 7).train.sub, { a: 7 });
  assert.deepEqual(setDotted(o, 'train.sub', { a: 3 }).train.sub, { a: 3 });
  assert.equal(setDotted(o, 'seed', 4).seed, 4);
});

test('setDotted rejects unknown keys, naming the key and the known keys', () => {
  const o = template();
  throwsOneLine(() => setDotted(o, 'sed', 1), /'sed'/, /known keys: name, seed, flags, train/);
  throwsOneLine(() => setDotted(o, 'train.etaa', 1), /unknown config key 'train\.etaa'/, /known keys of 'train': eta, steps, anneal, on, sub/);
  throwsOneLine(() => setDotted(o, 'train.sub.b', 1), /'train\.sub\.b'/, /of 'train\.sub': a/);
  throwsOneLine(() => setDotted(o, 'train.eta.x', 1), /unknown config key 'train\.eta\.x'/);
  throwsOneLine(() => setDotted(o, 'nope.eta', 1), /unknown config key 'nope\.eta'/);
});

test('applySets applies overrides in order (the last one wins)', () => {
  const r = applySets(template(), [['train.eta', 1], ['train.steps', 5], ['train.eta', 2], ['flags', [9]]]);
  assert.equal(r.train.eta, 2);
  assert.equal(r.train.steps, 5);
  assert.deepEqual(r.flags, [9]);
  assert.deepEqual(applySets(template(), []), template());
  throwsOneLine(() => applySets(template(), [['train.eta', 1], ['train.bad', 2]]), /'train\.bad'/);
});

test('deepMerge merges objects, replaces arrays and scalars, and copies', () => {
  const base = template();
  const patch = { train: { eta: 2, sub: { a: 5 } }, flags: [7], name: null };
  const r = deepMerge<Record<string, unknown>>(base, patch);
  assert.deepEqual(r, { name: null, seed: 0, flags: [7], train: { eta: 2, steps: 10, anneal: null, on: true, sub: { a: 5 } } });
  assert.deepEqual(base, template(), 'base is not mutated');
  (r.flags as number[]).push(8);
  assert.deepEqual(patch.flags, [7], 'the result does not alias the patch');
  assert.deepEqual(deepMerge(base, {}), base);
  assert.deepEqual(deepMerge({ a: 1 }, { b: { c: 2 } }), { a: 1, b: { c: 2 } }, 'new keys are added (validation rejects them later)');
  assert.deepEqual(deepMerge({ a: { b: 1 } }, { a: 3 }), { a: 3 }, 'a scalar replaces an object');
  assert.deepEqual(deepMerge({ a: 3 }, { a: { b: 1 } }), { a: { b: 1 } }, 'an object replaces a scalar');
});

test('getDotted reads nested keys and gives undefined for missing ones', () => {
  assert.equal(getDotted(template(), 'train.sub.a'), 1);
  assert.equal(getDotted(template(), 'train.anneal'), null);
  assert.equal(getDotted(template(), 'train.nope'), undefined);
  assert.equal(getDotted(template(), 'seed.x'), undefined);
});

test('setDotted indexes arrays with numeric parts (methods.0.lr.lr) and rejects bad indices', () => {
  const o = { methods: [{ name: 'a', lr: { lr: 0.1 } }, { name: 'b', lr: { lr: 0.2 } }], flags: [1, 2] };
  const r = setDotted(o, 'methods.1.lr.lr', 0.05);
  assert.equal(r.methods[1]!.lr.lr, 0.05);
  assert.equal(r.methods[0]!.lr.lr, 0.1);
  assert.equal(o.methods[1]!.lr.lr, 0.2, 'the original is not mutated');
  assert.deepEqual(setDotted(o, 'flags.0', 7).flags, [7, 2]);
  assert.deepEqual(setDotted(o, 'methods.0', { name: 'z' }).methods[0], { name: 'z' });
  throwsOneLine(() => setDotted(o, 'methods.2.lr', 1), /unknown config key 'methods\.2\.lr'/, /'methods' is an array of 2: use an index 0\.\.1/);
  throwsOneLine(() => setDotted(o, 'methods.x.lr', 1), /'methods\.x\.lr'/, /use an index/);
  throwsOneLine(() => setDotted(o, 'methods.01.lr', 1), /use an index/);
  throwsOneLine(() => setDotted(o, 'methods.-1', 1), /use an index/);
  throwsOneLine(() => setDotted(o, 'methods.0.nope', 1), /unknown config key 'methods\.0\.nope'/, /known keys of 'methods\.0': name, lr/);
  assert.deepEqual(applySets(o, [['methods.0.name', 'x'], ['methods.1.lr.lr', 3]]).methods, [{ name: 'x', lr: { lr: 0.1 } }, { name: 'b', lr: { lr: 3 } }]);
});

test('keys are own keys only: prototype names are unknown keys, and __proto__ never changes a prototype', () => {
  const o = { train: { eta: 0.1 } };
  for (const k of ['toString', '__proto__', 'constructor', 'train.toString', 'train.hasOwnProperty']) {
    assert.throws(() => setDotted(o, k, 1), /unknown config key/, k);
  }
  assert.equal(getDotted(o, 'train.constructor'), undefined);
  const merged = deepMerge(o, JSON.parse('{"__proto__": {"polluted": 1}, "train": {"eta": 0.2}}')) as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  assert.ok(Object.hasOwn(merged, '__proto__'), 'kept as a plain key (the schema then refuses it as unknown)');
  assert.equal((merged.train as { eta: number }).eta, 0.2);
});
