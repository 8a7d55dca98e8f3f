"""PyTorch reference for `npm run bench`: the same workloads as bench/workloads.ts.

Usage: python3 bench/torch_ref.py WORKLOAD STEPS WARMUP THREADS -> prints {"workload", "ms"} as JSON
(PEAK: the float32 2048^2 matmul rate, GFLOP/s, in "ms").
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def w1():
    g = torch.Generator().manual_seed(0)
    n, d, m = 4096, 400, 2048
    x = torch.randn(n, d, generator=g)
    y = torch.randint(0, 2, (n,), generator=g).float() * 2 - 1
    u = (torch.randint(0, 2, (m,), generator=g).float() * 2 - 1) / m ** 0.5
    U = (torch.randn(m, d, generator=g) * 0.01).requires_grad_()

    def step():
        f = torch.relu(x @ U.t()) @ u
        loss = F.softplus(-y * f).mean()
        loss.backward()
        with torch.no_grad():
            U.add_(U.grad, alpha=-0.1)
        U.grad = None
    return step


def w2():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (128,), generator=g)
    chans = [(1, 32), (32, 32), (32, 64), (64, 64)]
    convs = [(torch.randn(o, i, 3, 3, generator=g) * (2 / (9 * o)) ** 0.5).requires_grad_() for i, o in chans]
    bns = [(torch.ones(o).requires_grad_(), torch.zeros(o).requires_grad_(), torch.zeros(o), torch.ones(o)) for _, o in chans]
    fc_w = (torch.randn(10, 64, generator=g) * 0.1).requires_grad_()
    fc_b = torch.zeros(10).requires_grad_()
    params = convs + [p for b in bns for p in b[:2]] + [fc_w, fc_b]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)

    def step():
        h = x
        for k, (w, (ga, be, rm, rv)) in enumerate(zip(convs, bns)):
            h = F.conv2d(h, w, None, 1, 1)
            h = F.batch_norm(h, rm, rv, ga, be, True, 0.1, 1e-5)
            h = torch.relu(h)
            if k in (1, 3):
                h = F.max_pool2d(h, 2, 2)
        h = F.adaptive_avg_pool2d(h, 1).flatten(1)
        loss = F.cross_entropy(F.linear(h, fc_w, fc_b), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def peak():
    """The float32 matmul rate (PEAK: prints GFLOP/s in "ms"): a 2048^2 product, timed per step."""
    g = torch.Generator().manual_seed(0)
    n = 2048
    a = torch.randn(n, n, generator=g)
    b = torch.randn(n, n, generator=g)

    def step():
        (a @ b).sum().item()
    return step


WORKLOADS = {"W1": w1, "W2": w2, "PEAK": peak}

if __name__ == "__main__":
    name, steps, warmup, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    if name in WORKLOADS:
        step = WORKLOADS[name]()
    else:
        import importlib.util, os
        spec = importlib.util.spec_from_file_location("extra", os.path.join(os.path.dirname(__file__), "torch_extra.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        step = mod.WORKLOADS[name]()
    for _ in range(warmup):
        step()
    if name == "PEAK":  # best of `steps` products, as GFLOP/s
        best = float("inf")
        for _ in range(steps):
            t0 = time.perf_counter()
            step()
            best = min(best, time.perf_counter() - t0)
        print(json.dumps({"workload": name, "ms": 2 * 2048 ** 3 / best / 1e9}))
        sys.exit(0)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    ms = (time.perf_counter() - t0) * 1000 / steps
    print(json.dumps({"workload": name, "ms": ms}))
