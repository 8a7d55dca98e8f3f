// Tests of the pre-activation WideResNet: parameter count of WRN-16-10 (formula, model, and
// PyTorch when available), the block structure and names, agreement with a PyTorch build of the
// authors' net on the same weights, finite-difference gradients in float64, and the
// pre-activation noise (one [1,1,H,W] map per BatchNorm site, shared across batch and channels).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, Tensor, noGrad, randn, setNumThreads, tensor, tidy } from '../engine/index.js';
import { gradCheck } from '../engine/gradcheck.js';
import { createImageModel, type ImageModel } from './index.js';
import { preActResNetParameterCount, wideResNetWidths } from './preActResNet.js';

// Tiny tensors: one thread avoids OpenMP wake-up costs that dominate on a busy 2-core machine.
setNumThreads(1);

const arr = (t: Tensor) => Array.from(t.toFloat64Array());
const wrn = (depth: number, widen: number, extra: { inChannels?: number; size?: number; classes?: number; dtype?: 'float32' | 'float64' } = {}, seed = 1) =>
  createImageModel({ arch: 'wrn', depth, widen }, { inChannels: extra.inChannels ?? 3, height: extra.size ?? 8, width: extra.size ?? 8, classes: extra.classes ?? 10 }, { dtype: extra.dtype }, new Generator(seed));

test('WRN-16-10 has 17,116,634 parameters: model, formula and hand count agree', () => {
  // Hand count: stem 3*16*9; per block BN(in) + conv3x3(in,out) + BN(out) + conv3x3(out,out) [+ 1x1 shortcut];
  // final BN(640) and fc 640*10 + 10.
  const blk = (i: number, o: number, sc: boolean) => 2 * i + 9 * i * o + 2 * o + 9 * o * o + (sc ? i * o : 0);
  const hand = 3 * 16 * 9 + blk(16, 160, true) + blk(160, 160, false) + blk(160, 320, true) + blk(320, 320, false)
    + blk(320, 640, true) + blk(640, 640, false) + 2 * 640 + 640 * 10 + 10;
  assert.equal(hand, 17_116_634);
  assert.equal(preActResNetParameterCount(wideResNetWidths(16, 10), 3, 10), 17_116_634);
  const m = wrn(16, 10, { size: 32 }, 0);
  try {
    assert.deepEqual(m.config, { arch: 'wrn', depth: 16, widen: 10 });
    assert.equal(m.params.count(), 17_116_634);
    assert.equal(m.batchNorms.length, 13);
    assert.equal(m.params.namedBuffers().length, 26);
    // Init: conv N(0, 2/(k*k*out)) (std of the 640->640 conv: sqrt(2/5760)), BN 1/0, fc bias 0,
    // fc weight U(-1/sqrt(640), 1/sqrt(640)).
    const w = m.params.get('block3.layer_nn.1.conv2.weight');
    const std = Math.sqrt(tidy(() => w.square().mean().item()));
    assert.ok(Math.abs(std / Math.sqrt(2 / 5760) - 1) < 0.01, `conv std ${std}`);
    const sc = m.params.get('block2.layer_nn.0.convShortcut.weight');
    assert.deepEqual(sc.shape, [320, 160, 1, 1]);
    const scStd = Math.sqrt(tidy(() => sc.square().mean().item()));
    assert.ok(Math.abs(scStd / Math.sqrt(2 / 320) - 1) < 0.02, `shortcut std ${scStd}`);
    assert.deepEqual([...new Set(arr(m.params.get('bn1.weight')))], [1]);
    assert.deepEqual([...new Set(arr(m.params.get('block1.layer_nn.1.bn2.bias')))], [0]);
    assert.deepEqual([...new Set(arr(m.params.get('fc.bias')))], [0]);
    const fcw = arr(m.params.get('fc.weight'));
    const bound = 1 / Math.sqrt(640);
    assert.ok(Math.max(...fcw.map(Math.abs)) <= bound && Math.max(...fcw.map(Math.abs)) > 0.95 * bound);
  } finally { m.dispose(); }
});

test('block structure: 1x1 shortcut only where channels or stride change, names as the authors', () => {
  const a = wrn(16, 1); // widths 16, 16, 32, 64: block1.0 is identity (16 -> 16, stride 1)
  const b = wrn(10, 2); // widths 16, 32, 64, 128: every group's first block has a shortcut
  try {
    const sc = (m: ImageModel) => m.params.named().map(([n]) => n).filter((n) => n.includes('convShortcut'));
    assert.deepEqual(sc(a), ['block2.layer_nn.0.convShortcut.weight', 'block3.layer_nn.0.convShortcut.weight']);
    assert.deepEqual(sc(b), ['block1.layer_nn.0.convShortcut.weight', 'block2.layer_nn.0.convShortcut.weight', 'block3.layer_nn.0.convShortcut.weight']);
    assert.deepEqual(a.params.get('block2.layer_nn.0.conv1.weight').shape, [32, 16, 3, 3]);
    assert.deepEqual(a.params.get('block2.layer_nn.1.conv1.weight').shape, [32, 32, 3, 3]);
    assert.equal(a.params.count(), preActResNetParameterCount(wideResNetWidths(16, 1), 3, 10));
    assert.equal(b.params.count(), preActResNetParameterCount(wideResNetWidths(10, 2), 3, 10));
    assert.deepEqual(a.batchNorms, [
      'block1.layer_nn.0.bn1', 'block1.layer_nn.0.bn2', 'block1.layer_nn.1.bn1', 'block1.layer_nn.1.bn2',
      'block2.layer_nn.0.bn1', 'block2.layer_nn.0.bn2', 'block2.layer_nn.1.bn1', 'block2.layer_nn.1.bn2',
      'block3.layer_nn.0.bn1', 'block3.layer_nn.0.bn2', 'block3.layer_nn.1.bn1', 'block3.layer_nn.1.bn2', 'bn1']);
    // Output shapes, including a non-square odd-sized 1-channel input.
    const x = randn([5, 3, 8, 8], new Generator(2));
    assert.deepEqual(noGrad(() => tidy(() => a.forward(x, { training: false }).shape)), [5, 10]);
    const c = createImageModel({ arch: 'wrn', depth: 10, widen: 1 }, { inChannels: 1, height: 7, width: 9, classes: 3 }, {}, new Generator(3));
    try {
      assert.deepEqual(noGrad(() => tidy(() => c.forward(randn([2, 1, 7, 9], new Generator(4)), { training: true }).shape)), [2, 3]);
    } finally { c.dispose(); }
  } finally { a.dispose(); b.dispose(); }
});

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

// The authors' WideResNet (models/wideresnet.py), rewritten compactly, in float64.
const PY = String.raw`
import json, math, sys
import torch, torch.nn as nn, torch.nn.functional as F
torch.set_default_dtype(torch.float64)
cfg = json.loads(sys.argv[1])
class Block(nn.Module):
    def __init__(s, i, o, stride, d):
        super().__init__()
        s.bn1 = nn.BatchNorm2d(i, device=d); s.conv1 = nn.Conv2d(i, o, 3, stride, 1, bias=False, device=d)
        s.bn2 = nn.BatchNorm2d(o, device=d); s.conv2 = nn.Conv2d(o, o, 3, 1, 1, bias=False, device=d)
        s.equal = i == o
        s.convShortcut = None if s.equal else nn.Conv2d(i, o, 1, stride, 0, bias=False, device=d)
    def forward(s, x):
        if not s.equal: x = F.relu(s.bn1(x)); out = x
        else: out = F.relu(s.bn1(x))
        out = s.conv2(F.relu(s.bn2(s.conv1(out))))
        return (x if s.equal else s.convShortcut(x)) + out
class Group(nn.Module):
    def __init__(s, n, i, o, stride, d):
        super().__init__()
        s.layer_nn = nn.Sequential(*[Block(i if k == 0 else o, o, stride if k == 0 else 1, d) for k in range(n)])
    def forward(s, x): return s.layer_nn(x)
class WRN(nn.Module):
    def __init__(s, depth, k, inc, classes, d='cpu'):
        super().__init__()
        ch = [16, 16 * k, 32 * k, 64 * k]; n = (depth - 4) // 6
        s.conv1 = nn.Conv2d(inc, 16, 3, 1, 1, bias=False, device=d)
        s.block1 = Group(n, ch[0], ch[1], 1, d); s.block2 = Group(n, ch[1], ch[2], 2, d); s.block3 = Group(n, ch[2], ch[3], 2, d)
        s.bn1 = nn.BatchNorm2d(ch[3], device=d); s.fc = nn.Linear(ch[3], classes, device=d)
    def forward(s, x):
        out = F.relu(s.bn1(s.block3(s.block2(s.block1(s.conv1(x))))))
        return s.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))
big = sum(p.numel() for p in WRN(16, 10, 3, 10, 'meta').parameters())
torch.manual_seed(cfg['seed'])
net = WRN(cfg['depth'], cfg['widen'], cfg['inc'], cfg['classes'])
with torch.no_grad():
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5); m.bias.uniform_(-0.5, 0.5)
            m.running_mean.uniform_(-0.5, 0.5); m.running_var.uniform_(0.5, 2)
def dump(sd): return {k: {'shape': list(v.shape), 'data': v.flatten().tolist()} for k, v in sd.items() if not k.endswith('num_batches_tracked')}
state = dump(net.state_dict())
x = torch.randn(cfg['n'], cfg['inc'], cfg['h'], cfg['w'])
net.train(); out_train = net(x)
after = dump({k: v for k, v in net.state_dict().items() if 'running' in k})
net.eval(); out_eval = net(x)
print(json.dumps({'big': big, 'count': sum(p.numel() for p in net.parameters()), 'state': state, 'x': x.flatten().tolist(),
  'train': out_train.flatten().tolist(), 'after': after, 'eval': out_eval.detach().flatten().tolist()}))
`;

test('matches a PyTorch build of the authors\' WideResNet on the same weights (train and eval, running stats)', { skip: hasTorch ? false : 'python3 with torch not available' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrlab-wrn-'));
  try {
    writeFileSync(join(dir, 'wrn.py'), PY);
    const cfg = { seed: 3, depth: 16, widen: 2, inc: 3, classes: 7, n: 4, h: 9, w: 8 };
    const r = spawnSync('/usr/bin/python3', [join(dir, 'wrn.py'), JSON.stringify(cfg)], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    type T = { shape: number[]; data: number[] };
    const ref = JSON.parse(r.stdout) as { big: number; count: number; state: Record<string, T>; x: number[]; train: number[]; after: Record<string, T>; eval: number[] };
    assert.equal(ref.big, 17_116_634);
    const m = createImageModel({ arch: 'wrn', depth: 16, widen: 2 }, { inChannels: 3, height: 9, width: 8, classes: 7 }, { dtype: 'float64' }, new Generator(0));
    try {
      assert.equal(m.params.count(), ref.count);
      const mine = [...m.params.named(), ...m.params.namedBuffers()].map(([n]) => n).sort();
      assert.deepEqual(mine, Object.keys(ref.state).sort());
      noGrad(() => {
        for (const [k, v] of Object.entries(ref.state)) {
          const t = m.params.get(k);
          assert.deepEqual(t.shape, v.shape, k);
          tidy(() => { t.copy_(tensor(Float64Array.from(v.data), { shape: v.shape })); });
        }
      });
      const x = tensor(Float64Array.from(ref.x), { shape: [4, 3, 9, 8] });
      const close = (a: number[], b: number[], what: string) => {
        assert.equal(a.length, b.length, what);
        const err = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
        assert.ok(err < 1e-10, `${what}: max error ${err}`);
      };
      close(noGrad(() => tidy(() => arr(m.forward(x, { training: true })))), ref.train, 'train-mode logits');
      for (const [k, v] of Object.entries(ref.after)) close(arr(m.params.get(k)), v.data, k);
      close(noGrad(() => tidy(() => arr(m.forward(x, { training: false })))), ref.eval, 'eval-mode logits');
    } finally { m.dispose(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('finite-difference gradients (float64, training-mode BN) of input and parameters', () => {
  // A small net of the same design (base width 4, 2 blocks per group), 8x8 inputs.
  const m = createImageModel({ arch: 'resnet', depth: 16, baseWidth: 4 }, { inChannels: 2, height: 8, width: 8, classes: 3 }, { dtype: 'float64' }, new Generator(5));
  const names = ['conv1.weight', 'block1.layer_nn.1.bn1.weight', 'block2.layer_nn.0.convShortcut.weight', 'block3.layer_nn.1.bn2.bias', 'block1.layer_nn.1.conv1.weight', 'fc.weight'];
  try {
    noGrad(() => { for (const n of names.filter((s) => s.includes('bn'))) tidy(() => { m.params.get(n).copy_(randn([m.params.get(n).numel], new Generator(6), { dtype: 'float64' }).mul(0.5).add(n.endsWith('weight') ? 1 : 0)); }); });
    const x = randn([3, 2, 8, 8], new Generator(7), { dtype: 'float64' });
    const r = gradCheck((xx, ...ws) => m.forward(xx, { training: true, weights: Object.fromEntries(names.map((n, i) => [n, ws[i]!])) }),
      [x, ...names.map((n) => m.params.get(n))], { atol: 1e-6, rtol: 1e-4 });
    assert.ok(r.ok, r.message);
    assert.equal(r.checked, 3 * 2 * 64 + 4 * 2 * 9 + 4 + 4 * 8 + 16 + 4 * 4 * 9 + 3 * 16);
  } finally { m.dispose(); }
});

test('noise: one [1,1,H,W] map per BatchNorm site, fresh at every site and call, reproducible, off in eval', () => {
  const m = wrn(10, 1, { size: 8 });
  try {
    const x = randn([4, 3, 8, 8], new Generator(8));
    const seen: [string, number[], number[]][] = [];
    const g = new Generator(9);
    noGrad(() => tidy(() => { m.forward(x, { training: true, noiseStd: 0.3, gen: g, onNoise: (s, n) => seen.push([s, n.shape, arr(n)]) }); }));
    assert.deepEqual(seen.map(([s, sh]) => `${s}:${sh.join('x')}`), [
      'block1.layer_nn.0.bn1:1x1x8x8', 'block1.layer_nn.0.bn2:1x1x8x8', 'block2.layer_nn.0.bn1:1x1x8x8', 'block2.layer_nn.0.bn2:1x1x4x4',
      'block3.layer_nn.0.bn1:1x1x4x4', 'block3.layer_nn.0.bn2:1x1x2x2', 'bn1:1x1x2x2']);
    assert.notDeepEqual(seen[0]![2], seen[1]![2]);
    // The maps are standard normal draws (std is applied after): 7 sites, 232 numbers.
    const all = seen.flatMap(([, , v]) => v);
    const mean = all.reduce((a, b) => a + b, 0) / all.length, sd = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length);
    assert.ok(Math.abs(mean) < 0.25 && Math.abs(sd - 1) < 0.15, `mean ${mean} sd ${sd}`);

    const run = (opts: Parameters<ImageModel['forward']>[1]) => noGrad(() => tidy(() => arr(m.forward(x, opts))));
    const plain = run({ training: true });
    const s0 = g.getState();
    const a = run({ training: true, noiseStd: 0.3, gen: g });
    const b = run({ training: true, noiseStd: 0.3, gen: g });
    assert.notDeepEqual(a, plain);
    assert.notDeepEqual(a, b, 'a fresh draw at every call');
    g.setState(s0);
    assert.deepEqual(run({ training: true, noiseStd: 0.3, gen: g }), a, 'same generator state, same output');
    // Off in eval and with std 0: same output as without noise, nothing drawn.
    const s1 = g.getState();
    assert.deepEqual(run({ training: false, noiseStd: 0.3, gen: g }), run({ training: false }));
    assert.deepEqual(run({ training: true, noiseStd: 0, gen: g }), plain);
    assert.deepEqual(g.getState(), s1);
  } finally { m.dispose(); }
});

test('noise is shared across the batch: with a zeroed stem every example gets the same logits', () => {
  const m = wrn(10, 1, { size: 6, dtype: 'float64' });
  try {
    noGrad(() => m.params.get('conv1.weight').zero_());
    const x = randn([5, 3, 6, 6], new Generator(10), { dtype: 'float64' });
    const rows = (opts: Parameters<ImageModel['forward']>[1]) => noGrad(() => tidy(() => {
      const o = arr(m.forward(x, opts));
      return [0, 1, 2, 3, 4].map((i) => o.slice(10 * i, 10 * i + 10));
    }));
    const noisy = rows({ training: true, noiseStd: 1, gen: new Generator(11) });
    const spread = (rs: number[][]) => Math.max(...rs.slice(1).flatMap((r) => r.map((v, j) => Math.abs(v - rs[0]![j]!))));
    assert.ok(spread(noisy) < 1e-12, `rows differ by ${spread(noisy)}`);
    const quiet = rows({ training: true });
    assert.notDeepEqual(noisy[0], quiet[0], 'the noise reached the logits');
  } finally { m.dispose(); }
});
