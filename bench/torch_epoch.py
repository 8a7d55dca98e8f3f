"""PyTorch reference for IMG-epoch (bench/workloads.ts): one whole epoch of the patch-fmnist preset's
small LR + noise method, as lrlab's trainer does it: 5,000 Fashion-MNIST training images (random bytes
of the same shape when the Debian data set is absent), 99.5% carrying the 6x6 centre patch; per epoch a
shuffle and fresh per-load draws; per batch of 128 the patch, the MLP 784-512-512-10 with BatchNorm
and one noise vector per batch before each ReLU, per-example cross-entropy, the per-kind loss/accuracy
sums read back, Nesterov SGD; then BatchNorm recalibration on 40 training batches and evaluation (loss
and accuracy) on the clean and mixed test sets (10,000 each) and the 1,000 patch-only images. Like the
preset (metrics.exampleEvents, on by default), it also records per-example learning events: each
training batch's (index, kind, correct) read back, and after the evaluation every training image's
correctness in eval mode, clean and with its patch (one fixed set of patch draws)."""
import gzip
import os

import numpy as np
import torch
import torch.nn.functional as F

DIR = "/usr/share/datasets/fashion-mnist"
N_TRAIN, BATCH, EVAL_BATCH, RECAL = 5000, 128, 1000, 40
P, TOP = 6, 11
PATCHED = 0.995  # the preset's patch.patchedFraction


def _idx(name, offset, count, shape):
    path = os.path.join(DIR, name)
    if not os.path.exists(path):
        return None
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset).reshape(count, *shape)


def _data(g):
    tr = _idx("train-images-idx3-ubyte.gz", 16, 60000, (1, 28, 28))
    te = _idx("t10k-images-idx3-ubyte.gz", 16, 10000, (1, 28, 28))
    ytr = _idx("train-labels-idx1-ubyte.gz", 8, 60000, ())
    yte = _idx("t10k-labels-idx1-ubyte.gz", 8, 10000, ())
    if tr is None or te is None or ytr is None or yte is None:
        tr = torch.randint(0, 256, (60000, 1, 28, 28), generator=g, dtype=torch.uint8).numpy()
        te = torch.randint(0, 256, (10000, 1, 28, 28), generator=g, dtype=torch.uint8).numpy()
        ytr = torch.randint(0, 10, (60000,), generator=g).numpy()
        yte = torch.randint(0, 10, (10000,), generator=g).numpy()
    tr = torch.from_numpy(tr.astype(np.float32) / 255)
    te = torch.from_numpy(te.astype(np.float32) / 255)
    mean, std = tr.mean().item(), tr.std().item()
    sub = torch.randperm(60000, generator=g)[:N_TRAIN]
    return ((tr[sub] - mean) / std, torch.from_numpy(ytr.astype(np.int64))[sub],
            (te - mean) / std, torch.from_numpy(yte.astype(np.int64)))


def _draws(n, g):
    return torch.rand(n, generator=g) < 0.2, torch.bernoulli(torch.full((n,), 0.5), generator=g) * 2 - 1, torch.rand(n, generator=g)


def _apply(x, y, patched, only_d, sign, scale, z, zetas):
    only = only_d & patched
    coef = (sign * torch.where(only, scale * 1.75, torch.ones(()))).reshape(-1, 1, 1, 1)
    patch = zetas.index_select(0, y) * coef + z
    x.mul_((~only).float().reshape(-1, 1, 1, 1))
    region = x[:, :, TOP:TOP + P, TOP:TOP + P]
    region.copy_(torch.where(patched.reshape(-1, 1, 1, 1), patch, region))
    return patched.long() + only.long()


def img_epoch():
    g = torch.Generator().manual_seed(0)
    x_tr, y_tr, x_te, y_te = _data(g)
    z = torch.randn(1, P, P, generator=g) * 1.25
    zetas = torch.rand(10, 1, P, P, generator=g) - 0.5
    mask = torch.zeros(N_TRAIN, dtype=torch.bool)
    mask[torch.randperm(N_TRAIN, generator=g)[:round(PATCHED * N_TRAIN)]] = True
    mixed = x_te.clone()
    vmask = torch.zeros(10000, dtype=torch.bool)
    vmask[torch.randperm(10000, generator=g)[:round(PATCHED * 10000)]] = True
    _apply(mixed, y_te, vmask, *_draws(10000, g), z, zetas)
    y_only = torch.randint(0, 10, (1000,), generator=g)
    x_only = torch.zeros(1000, 1, 28, 28)
    _apply(x_only, y_only, torch.ones(1000, dtype=torch.bool), torch.ones(1000, dtype=torch.bool), *_draws(1000, g)[1:], z, zetas)
    val = [(x_te, y_te), (mixed, y_te), (x_only, y_only)]
    _, ev_sign, ev_scale = _draws(N_TRAIN, g)  # the events' patched evaluation: every image patched, none patch-only

    sizes = [784, 512, 512, 10]
    lin = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        b = 1 / i ** 0.5
        lin.append((((torch.rand(o, i, generator=g) * 2 - 1) * b).requires_grad_(), ((torch.rand(o, generator=g) * 2 - 1) * b).requires_grad_()))
    bns = [(torch.ones(h).requires_grad_(), torch.zeros(h).requires_grad_(), torch.zeros(h), torch.ones(h)) for h in sizes[1:-1]]
    params = [p for wb in lin for p in wb] + [p for bn in bns for p in bn[:2]]
    opt = torch.optim.SGD(params, lr=0.004, momentum=0.9, nesterov=True, weight_decay=5e-4)

    def forward(x, training, noise=0.0, momentum=0.1):
        h = x.reshape(x.shape[0], 784)
        for (w, b), (ga, be, rm, rv) in zip(lin[:-1], bns):
            h = F.batch_norm(F.linear(h, w, b), rm, rv, ga, be, training, momentum, 1e-5)
            if noise > 0:
                h = h + noise * torch.randn(1, h.shape[1], generator=g)
            h = torch.relu(h)
        return F.linear(h, *lin[-1])

    def batches():
        order = torch.randperm(N_TRAIN, generator=g)
        d = _draws(N_TRAIN, g)
        for s in range(0, N_TRAIN, BATCH):
            idx = order[s:s + BATCH]
            x, y = x_tr.index_select(0, idx), y_tr.index_select(0, idx)
            kind = _apply(x, y, mask.index_select(0, idx), *(t.index_select(0, idx) for t in d), z, zetas)
            yield x, y, kind, idx

    def example_correct(patched):
        out = []
        for s in range(0, N_TRAIN, EVAL_BATCH):
            x, y = x_tr[s:s + EVAL_BATCH], y_tr[s:s + EVAL_BATCH]
            if patched:
                x = x.clone()
                n = x.shape[0]
                _apply(x, y, torch.ones(n, dtype=torch.bool), torch.zeros(n, dtype=torch.bool), ev_sign[s:s + n], ev_scale[s:s + n], z, zetas)
            out.append((forward(x, False).argmax(1) == y).to(torch.uint8).numpy())
        return np.concatenate(out)

    def step():
        sums = np.zeros(9)
        for x, y, kind, idx in batches():
            logits = forward(x, True, 0.4)
            loss = F.cross_entropy(logits, y, reduction="none")
            correct = (logits.argmax(1) == y).double()
            onehot = (kind.unsqueeze(1) == torch.arange(3)).double()
            sums += torch.stack([onehot.sum(0), loss.detach().double() @ onehot, correct @ onehot], 1).flatten().numpy()
            torch.stack([idx, kind, correct.long()]).int().numpy()  # the events' per-example record
            loss.mean().backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            for _, _, rm, rv in bns:
                rm.zero_()
                rv.fill_(1)
            for k, (x, _, _, _) in enumerate(batches()):
                if k >= RECAL:
                    break
                forward(x, True, momentum=1 / (k + 1))
            for x, y in val:
                loss, correct = 0.0, 0
                for s in range(0, x.shape[0], EVAL_BATCH):
                    logits = forward(x[s:s + EVAL_BATCH], False)
                    loss += F.cross_entropy(logits, y[s:s + EVAL_BATCH], reduction="sum").item()
                    correct += (logits.argmax(1) == y[s:s + EVAL_BATCH]).sum().item()
            example_correct(False)
            example_correct(True)
        return sums
    return step
