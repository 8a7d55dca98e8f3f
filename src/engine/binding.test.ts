// Tests of the typed native boundary: the built addon exports exactly the functions binding.ts
// types (so a function added to addon.cc without a type, or a typed one gone from the addon, fails
// here), and the load-time check rejects an addon that lacks some with a one-line rebuild hint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NATIVE_FUNCTIONS, checkBinding, missingFunctions } from './binding.js';
import { native } from './native.js';

/** An addon-shaped object with every typed function, as a stand-in for a complete build. */
const complete = (): Record<string, unknown> => Object.fromEntries(NATIVE_FUNCTIONS.map((n) => [n, () => undefined]));

test('NATIVE_FUNCTIONS has no duplicates', () => {
  assert.equal(new Set(NATIVE_FUNCTIONS).size, NATIVE_FUNCTIONS.length);
});

test('the loaded addon exports exactly the functions NativeBinding types', () => {
  const exported = Object.keys(native);
  const typed = new Set<string>(NATIVE_FUNCTIONS);
  const untyped = exported.filter((n) => !typed.has(n));
  const absent = NATIVE_FUNCTIONS.filter((n) => !exported.includes(n));
  assert.deepEqual(untyped, [], `addon.cc exports functions binding.ts does not type: ${untyped.join(', ')}`);
  assert.deepEqual(absent, [], `binding.ts types functions the addon does not export: ${absent.join(', ')}`);
  assert.deepEqual([...exported].sort(), [...NATIVE_FUNCTIONS].sort());
  for (const [name, value] of Object.entries(native)) assert.equal(typeof value, 'function', `${name} is not a function`);
});

test('checkBinding passes a complete addon through unchanged', () => {
  const addon = complete();
  assert.equal(checkBinding(addon), addon);
  assert.deepEqual(missingFunctions(native), []);
});

test('checkBinding names the missing functions in one line and says how to rebuild', () => {
  const addon = complete();
  delete addon.matmul;
  delete addon.Generator;
  addon.softmax = 1; // present but not a function: as unusable as absent
  assert.deepEqual(missingFunctions(addon), ['Generator', 'matmul', 'softmax']);
  assert.throws(() => checkBinding(addon, '/x/build/Release/lrlab.node'), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.ok(!e.message.includes('\n'), `not one line: ${e.message}`);
    assert.match(e.message, /^lrlab: \/x\/build\/Release\/lrlab\.node lacks 3 function/);
    assert.match(e.message, /\(Generator, matmul, softmax\)/);
    assert.match(e.message, /npm run build:native/);
    return true;
  });
});

test('checkBinding rejects something that is not an addon at all', () => {
  for (const bad of [undefined, null, 42, 'lrlab.node', {}]) {
    assert.deepEqual(missingFunctions(bad), [...NATIVE_FUNCTIONS]);
    assert.throws(() => checkBinding(bad), /lacks \d+ function\(s\).*npm run build:native/);
  }
});
