import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventArrays, exampleEvents, groupEvents, packBits, unpackBits } from './learningEvents.js';
import { EventLog } from './eventLog.js';

test('exampleEvents: first-learned epoch, learned-for-good epoch and forgetting events of hand-made sequences', () => {
  const epochs = [1, 2, 3, 4, 5, 6];
  assert.deepEqual(exampleEvents(epochs, [0, 1, 1, 0, 1, 1]), { firstLearned: 2, learnedFrom: 5, forgetting: 1 });
  assert.deepEqual(exampleEvents(epochs, [1, 0, 1, 0, 1, 0]), { firstLearned: 1, learnedFrom: null, forgetting: 3 });
  assert.deepEqual(exampleEvents(epochs, [0, 0, 0, 0, 0, 0]), { firstLearned: null, learnedFrom: null, forgetting: 0 });
  assert.deepEqual(exampleEvents(epochs, [1, 1, 1, 1, 1, 1]), { firstLearned: 1, learnedFrom: 1, forgetting: 0 });
  assert.deepEqual(exampleEvents([0, 2, 4], [0, 0, 1]), { firstLearned: 4, learnedFrom: 4, forgetting: 0 });
});

test('eventArrays on packed planes agrees with exampleEvents, and `include` restricts the observations', () => {
  // 3 examples x 5 epochs: rows are examples
  const seq = [[0, 1, 1, 0, 1], [1, 0, 0, 1, 0], [0, 0, 0, 0, 0]];
  const epochs = [1, 2, 3, 4, 5];
  const planes = epochs.map((_, t) => packBits(seq.map((s) => s[t]!)));
  const ev = eventArrays(3, epochs, planes);
  seq.forEach((s, i) => {
    const one = exampleEvents(epochs, s);
    assert.equal(ev.firstLearned[i], one.firstLearned ?? -1);
    assert.equal(ev.learnedFrom[i], one.learnedFrom ?? -1);
    assert.equal(ev.forgetting[i], one.forgetting);
  });
  // only epochs 2 and 4 count for example 0 (its sequence there: 1, 0)
  const inc = epochs.map((e) => packBits([e === 2 || e === 4 ? 1 : 0, 1, 0]));
  const r = eventArrays(3, epochs, planes, inc);
  assert.deepEqual([r.firstLearned[0], r.learnedFrom[0], r.forgetting[0], r.observed[0]], [2, -1, 1, 2]);
  assert.equal(r.observed[2], 0);
  const g = groupEvents(ev, epochs, (i) => i !== 1);
  assert.deepEqual(g.learnedBy, [0, 0.5, 0.5, 0.5, 0.5]);
  assert.equal(g.n, 2); assert.equal(g.learned, 0.5); assert.equal(g.stays, 0.5); assert.equal(g.medianFirstLearned, 2); assert.equal(g.meanForgetting, 0.5);
  assert.equal(g.unforgettable, 0);
  assert.deepEqual(Array.from(unpackBits(packBits([1, 0, 1, 1, 0, 0, 0, 0, 1]), 9)), [1, 0, 1, 1, 0, 0, 0, 0, 1]);
});

test('EventLog: storage round trip, bytes per example per epoch, refuses a damaged file', () => {
  const n = 21;
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const patched = Uint8Array.from({ length: n }, (_, i) => (i % 3 ? 1 : 0));
  const log = new EventLog({ labels, patched, trained: new Uint8Array(n).fill(1), evalPatched: true });
  log.recordEval(0, Uint8Array.from({ length: n }, (_, i) => i & 1), Uint8Array.from({ length: n }, (_, i) => (i >> 1) & 1));
  for (let e = 1; e <= 3; e++) {
    // two batches per epoch, in shuffled order
    const idx = Array.from({ length: n }, (_, i) => (i * 8 + e) % n);
    for (const part of [idx.slice(0, 10), idx.slice(10)]) log.recordTrain(e, part, part.map((i) => (i + e) % 2), part.map((i) => (i === e ? 1 : 0)));
    log.recordEval(e, Uint8Array.from({ length: n }, (_, i) => (i + e) & 1), Uint8Array.from({ length: n }, () => 1));
  }
  const bytes = log.encode();
  const back = EventLog.decode(bytes);
  assert.deepEqual(Buffer.from(back.encode()), Buffer.from(bytes));
  assert.deepEqual(back.trainEpochs, [1, 2, 3]);
  assert.deepEqual(back.evalEpochs, [0, 1, 2, 3]);
  assert.deepEqual(Array.from(unpackBits(back.trainPlanes('correct')[1]!, n)), Array.from({ length: n }, (_, i) => (i + 2) % 2));
  assert.equal(unpackBits(back.trainPlanes('patch_only')[2]!, n).reduce((a, b) => a + b, 0), 1);
  assert.deepEqual(Array.from(back.labels), Array.from(labels));
  assert.equal(EventLog.fromBase64(log.toBase64()).toBase64(), log.toBase64());
  // 4 planes of ceil(21/8) = 3 bytes per epoch with a train pass and an evaluation
  const header = 12 + Buffer.from(JSON.stringify(log.header())).length + n + 2 * 3;
  assert.equal(bytes.length, header + 3 * 2 * 3 + 4 * 2 * 3);
  assert.throws(() => EventLog.decode(bytes.subarray(0, bytes.length - 1)), /not an lrlab event log/);
  assert.throws(() => log.recordEval(3, new Uint8Array(n), new Uint8Array(n)), /after epoch 3/);
});
