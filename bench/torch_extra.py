"""PyTorch references for lrlab's experiment workloads (see bench/workloads.ts)."""
import torch
import torch.nn.functional as F


def syn(update):
    """One training step of the synthetic `default` preset (d=100, N=120, m=100, float64)."""
    def make():
        g = torch.Generator().manual_seed(0)
        n, d, h = 120, 100, 50
        dt = torch.float64
        x1 = torch.randn(n, d, generator=g, dtype=dt)
        x2 = torch.randn(n, d, generator=g, dtype=dt) * 60
        y = torch.randint(0, 2, (n,), generator=g).to(dt) * 2 - 1
        uW = (torch.randint(0, 2, (h,), generator=g).to(dt) * 2 - 1) / 10
        uV = (torch.randint(0, 2, (h,), generator=g).to(dt) * 2 - 1) / 10
        W = (torch.randn(h, d, generator=g, dtype=dt) * 0.01).requires_grad_()
        V = (torch.randn(h, d, generator=g, dtype=dt) * 0.01).requires_grad_()
        lam, lr = 1e-4, 0.004
        opt = torch.optim.SGD([W, V], lr=lr, weight_decay=lam)
        state = {"t": 0, "order": None, "cur": 0}

        def f(a, b):
            return torch.relu(F.linear(a, W)) @ uW + torch.relu(F.linear(b, V)) @ uV

        def step():
            if update == "sgd":
                if state["order"] is None or state["cur"] + 10 > n:
                    state["order"] = torch.randperm(n, generator=g).tolist()
                    state["cur"] = 0
                idx = torch.tensor(state["order"][state["cur"]:state["cur"] + 10], dtype=torch.int64)
                state["cur"] += 10
                a, b, yy = x1.index_select(0, idx), x2.index_select(0, idx), y.index_select(0, idx)
                loss = F.softplus(-yy * f(a, b)).mean()
                loss.item()
                loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)
            else:
                loss = F.softplus(-y * f(x1, x2)).mean()
                loss.item()
                loss.backward()
                with torch.no_grad():
                    for p in (W, V):
                        gr = p.grad
                        gr.add_(p, alpha=lam)
                        gr.add_(torch.randn(p.shape, generator=g, dtype=dt), alpha=0.01)
                        p.add_(gr, alpha=-lr)
                        p.grad = None
            state["t"] += 1
            if update != "sgd" or state["t"] % 10 == 0:
                with torch.no_grad():
                    F.softplus(-y * f(x1, x2)).mean().item()
        return step
    return make


def img():
    """One step of the patch-fmnist MLP 784-512-512-10 + BN, batch 128, Nesterov SGD (10 fixed batches)."""
    g = torch.Generator().manual_seed(0)
    xs = [torch.randn(128, 1, 28, 28, generator=g) for _ in range(10)]
    ys = [torch.randint(0, 10, (128,), generator=g) for _ in range(10)]
    sizes = [784, 512, 512, 10]
    lin = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        b = 1 / i ** 0.5
        lin.append(((torch.rand(o, i, generator=g) * 2 - 1) * b, (torch.rand(o, generator=g) * 2 - 1) * b))
    lin = [(w.requires_grad_(), b.requires_grad_()) for w, b in lin]
    bns = [(torch.ones(h).requires_grad_(), torch.zeros(h).requires_grad_(), torch.zeros(h), torch.ones(h)) for h in sizes[1:-1]]
    params = [p for wb in lin for p in wb] + [p for bn in bns for p in bn[:2]]
    opt = torch.optim.SGD(params, lr=0.004, momentum=0.9, nesterov=True, weight_decay=5e-4)
    state = {"i": 0}

    def step():
        k = state["i"] % 10
        state["i"] += 1
        h = xs[k].reshape(128, 784)
        for (w, b), (ga, be, rm, rv) in zip(lin[:-1], bns):
            h = torch.relu(F.batch_norm(F.linear(h, w, b), rm, rv, ga, be, True, 0.1, 1e-5))
        loss = F.cross_entropy(F.linear(h, *lin[-1]), ys[k])
        loss.item()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return step




def img_epoch():
    """IMG-epoch: see bench/torch_epoch.py."""
    import importlib.util
    import os
    spec = importlib.util.spec_from_file_location("torch_epoch", os.path.join(os.path.dirname(__file__), "torch_epoch.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.img_epoch()


WORKLOADS = {"SYN-sgd": syn("sgd"), "SYN-gd": syn("noisy-gd"), "IMG": img, "IMG-epoch": img_epoch}
