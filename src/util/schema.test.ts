import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, fail, object, parseConfig, positive, positiveInt, toJsonSchema, z } from './schema.js';

const S = object({
  train: object({ eta1: positive(), steps: positiveInt(), update: z.enum(['noisy-gd', 'sgd']), tau0: positive().nullable() }),
  model: z.discriminatedUnion('arch', [object({ arch: z.literal('mlp'), hidden: z.array(positiveInt()) }), object({ arch: z.literal('wrn'), depth: positiveInt() })]),
}).superRefine((c, ctx) => { if (c.train.steps < 2) fail(ctx, ['train', 'steps'], 'must be at least 2 here', c.train.steps); });

const ok = { train: { eta1: 0.1, steps: 10, update: 'sgd', tau0: null }, model: { arch: 'mlp', hidden: [4] } };
const bad = (patch: (v: typeof ok) => unknown) => { const v = structuredClone(ok); const w = patch(v) ?? v; return () => parseConfig(S, w); };

test('parseConfig: one-line errors name the dotted key, the rule and the value', () => {
  assert.deepEqual(parseConfig(S, ok), ok);
  assert.throws(bad((v) => { v.train.eta1 = -1; }), (e: Error) => e instanceof ConfigError && e.message === "config key 'train.eta1' must be a finite number > 0, got -1");
  assert.throws(bad((v) => { v.train.eta1 = 'x' as never; }), { message: "config key 'train.eta1' must be a finite number > 0, got \"x\"" });
  assert.throws(bad((v) => { v.train.steps = 1.5; }), { message: "config key 'train.steps' must be a positive integer, got 1.5" });
  assert.throws(bad((v) => { (v.train as Record<string, unknown>).foo = 1; }), { message: "unknown config key 'train.foo' (known keys of 'train': eta1, steps, update, tau0)" });
  assert.throws(bad((v) => { (v as Record<string, unknown>).x = 1; }), { message: "unknown config key 'x' (known keys: train, model)" });
  assert.throws(bad((v) => { delete (v.train as Partial<typeof v.train>).update; }), { message: "config key 'train.update' is missing" });
  assert.throws(bad((v) => { v.train.update = 'adam'; }), { message: "config key 'train.update' must be one of \"noisy-gd\", \"sgd\", got \"adam\"" });
  assert.throws(bad((v) => { v.model = { arch: 'vit' } as never; }), { message: "config key 'model.arch' must be one of \"mlp\", \"wrn\", got \"vit\"" });
  assert.throws(bad((v) => { v.model.hidden = [0]; }), { message: "config key 'model.hidden.0' must be a positive integer, got 0" });
  assert.throws(bad((v) => { v.train.steps = 1; }), { message: "config key 'train.steps' must be at least 2 here, got 1" });
  assert.throws(() => parseConfig(S.shape.train, { ...ok.train, eta1: 0 }, 'base.train'), { message: "config key 'base.train.eta1' must be a finite number > 0, got 0" });
});

test('toJsonSchema gives a JSON Schema with types, bounds and the discriminated union', () => {
  const j = toJsonSchema(S) as { properties: Record<string, { properties?: Record<string, unknown>; oneOf?: unknown[] }>; additionalProperties: boolean };
  assert.equal(j.additionalProperties, false);
  assert.deepEqual(j.properties.train!.properties!.update, { type: 'string', enum: ['noisy-gd', 'sgd'] });
  assert.equal(j.properties.model!.oneOf!.length, 2);
});
