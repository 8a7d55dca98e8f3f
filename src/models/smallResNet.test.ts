// Tests of the CPU-size pre-activation ResNet: widths and parameter counts, output shapes on
// 28x28x1 Fashion-MNIST-sized input, validation, and that a few SGD steps fit a small batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, crossEntropy, noGrad, randint, randn, setNumThreads, tidy } from '../engine/index.js';
import { createImageModel } from './index.js';
import { smallResNetWidths } from './smallResNet.js';
import { PreActResNet, preActResNetParameterCount, wideResNetWidths } from './preActResNet.js';

setNumThreads(1);
const FMNIST = { inChannels: 1, height: 28, width: 28, classes: 10 };

test('widths b, b, 2b, 4b; default depth 10, base 16 is WRN-10-1 with 77,562 parameters on 1 channel', () => {
  assert.deepEqual(smallResNetWidths(10, 16), wideResNetWidths(10, 1));
  assert.deepEqual(smallResNetWidths(16, 8), { stem: 8, groups: [8, 16, 32], blocksPerGroup: 2 });
  const m = createImageModel({ arch: 'resnet', depth: 10, baseWidth: 16 }, FMNIST, {}, new Generator(0));
  try {
    assert.ok(m instanceof PreActResNet);
    assert.deepEqual(m.widths, { stem: 16, groups: [16, 32, 64], blocksPerGroup: 1 });
    // Hand count: stem 9*16; block1 (16->16, identity) 2*16 + 9*256 + 2*16 + 9*256;
    // block2 (16->32) 2*16 + 9*512 + 2*32 + 9*1024 + 512; block3 (32->64) 2*32 + 9*2048 + 2*64 + 9*4096 + 2048;
    // bn1 2*64; fc 640 + 10.
    const hand = 144 + (32 + 2304 + 32 + 2304) + (32 + 4608 + 64 + 9216 + 512) + (64 + 18432 + 128 + 36864 + 2048) + 128 + 650;
    assert.equal(hand, 77_562);
    assert.equal(m.params.count(), 77_562);
    const x = randn([3, 1, 28, 28], new Generator(1));
    assert.deepEqual(noGrad(() => tidy(() => m.forward(x, { training: true }).shape)), [3, 10]);
    assert.deepEqual(noGrad(() => tidy(() => m.forward(x, { training: false }).shape)), [3, 10]);
  } finally { m.dispose(); }
  const n = createImageModel({ arch: 'resnet', depth: 16, baseWidth: 8 }, FMNIST, {}, new Generator(0));
  try {
    assert.equal(n.params.count(), preActResNetParameterCount(smallResNetWidths(16, 8), 1, 10));
    assert.equal(n.batchNorms.length, 13);
  } finally { n.dispose(); }
});

test('validation names the key', () => {
  assert.throws(() => smallResNetWidths(8, 16), { message: "config key 'model.depth' must be an integer >= 10 with (depth - 4) % 6 === 0 (10, 16, 22, 28, ...), got 8" });
  assert.throws(() => smallResNetWidths(10, 0), { message: "config key 'model.baseWidth' must be a positive integer, got 0" });
  assert.throws(() => createImageModel({ arch: 'resnet', depth: 10, baseWidth: 2.5 }, FMNIST, {}, new Generator(0)), /config key 'model\.baseWidth' must be a positive integer, got 2\.5/);
});

test('a few SGD steps in training mode fit a small batch (gradients reach every layer)', () => {
  const m = createImageModel({ arch: 'resnet', depth: 10, baseWidth: 4 }, { inChannels: 1, height: 12, width: 12, classes: 4 }, {}, new Generator(2));
  try {
    const g = new Generator(3);
    const x = randn([16, 1, 12, 12], g), y = randint(0, 4, [16], g);
    const loss = () => tidy(() => {
      const l = crossEntropy(m.forward(x, { training: true, noiseStd: 0.1, gen: g }), y);
      l.backward();
      return l.item();
    });
    const first = loss();
    for (const [name, t] of m.params.named()) assert.ok(tidy(() => t.grad?.abs().sum().item() ?? 0) > 0, `no gradient for ${name}`);
    let last = first;
    for (let i = 0; i < 30; i++) {
      noGrad(() => tidy(() => { for (const t of m.params.list()) t.add_(t.grad!, -0.1); }));
      m.params.zeroGrad();
      last = loss();
    }
    assert.ok(last < 0.5 * first, `loss ${first} -> ${last}`);
  } finally { m.dispose(); }
});
