"""Milliseconds per training step of disttrain beside PyTorch (CPU), on the same programs.

Usage::

    python benchmarks/train_step.py [--repeat 5] [--no-torch]

A step is forward, loss, backward, ``optimizer.step()`` and ``optimizer.zero_grad()``:

* ``tiny``: the tutorial's 2-8-1 ``MyNeuralNet`` on 4 samples, MSE loss, SGD(lr=0.001):
  per-call overhead dominates;
* ``mlp``: a 784-1024-1024-10 ReLU MLP on a batch of 256, cross-entropy loss, with
  SGD(lr=0.01, momentum=0.9) and with Adam(lr=1e-3): matmuls and the optimizer dominate;
* ``gemm floor``: the MLP step's eight matrix products on raw arrays (numpy's BLAS against
  PyTorch's): the share of a step that belongs to the BLAS library;
* ``opt``: the optimizer step alone on the MLP's 1.86 M parameters (gradients fixed).

Both libraries run the identical script text (``import disttrain as torch`` style), with
their default threading unless told otherwise (the settings are printed above the table;
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1`` makes both single-threaded,
which is steadier on a busy machine). Each figure is the best of ``--repeat`` rounds of the
mean time per step; the libraries alternate round by round so a busy machine slows both
alike. The target for the MLP steps is to stay within 1.5x of PyTorch; it is reported, never
asserted.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import disttrain  # noqa: E402

try:
    import torch
except ImportError:      # the table simply loses its PyTorch column
    torch = None


def _time(fn, min_seconds=0.3):
    """Mean seconds per call of ``fn``, calls batched until a round lasts ``min_seconds``."""
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_seconds:
            return dt / n
        n = max(n * 2, int(n * min_seconds / max(dt, 1e-9)) + 1)


def _mlp(lib, sizes):
    nn = lib.nn
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _step_fn(model, loss_fn, opt, x, y):
    def step():
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
    return step


def _gemms(lib, rng):
    """The MLP step's matrix products alone, on raw arrays (numpy for disttrain): the part of
    a step that is the BLAS library's, not ours."""
    arrays = [rng.standard_normal(s).astype(np.float32)
              for s in ((256, 784), (1024, 784), (1024, 1024), (10, 1024))]
    if lib is not disttrain:
        arrays = [lib.from_numpy(a) for a in arrays]
    x, w1, w2, w3 = arrays

    def run():
        h1 = x @ w1.T
        h2 = h1 @ w2.T
        out = h2 @ w3.T
        g2 = out @ w3          # backward: grads of the activations and of the weights
        g1 = g2 @ w2
        return out.T @ h2, g2.T @ h1, g1.T @ x
    return run


def cases(lib):
    """name -> a callable doing one step with ``lib`` (disttrain or torch)."""
    lib.manual_seed(0)
    rng = np.random.default_rng(0)
    out = {}
    tiny = _mlp(lib, [2, 8, 1])
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    y = lib.tensor([[3.0], [7.0], [11.0], [15.0]])
    out["tiny 2-8-1, MSE, SGD"] = _step_fn(tiny, lib.nn.MSELoss(), lib.optim.SGD(
        tiny.parameters(), lr=0.001), x, y)
    xb = lib.tensor(rng.standard_normal((256, 784)).astype(np.float32))
    yb = lib.tensor(rng.integers(0, 10, 256))
    for name, make in (("SGD momentum", lambda ps: lib.optim.SGD(ps, lr=0.01, momentum=0.9)),
                       ("Adam", lambda ps: lib.optim.Adam(ps, lr=1e-3))):
        model = _mlp(lib, [784, 1024, 1024, 10])
        out[f"mlp 784-1024-1024-10 b256, CE, {name}"] = _step_fn(
            model, lib.nn.CrossEntropyLoss(), make(model.parameters()), xb, yb)
    out["gemm floor: the MLP step's 8 matmuls"] = _gemms(lib, rng)
    for name, make in (("SGD momentum", lambda ps: lib.optim.SGD(ps, lr=0.01, momentum=0.9)),
                       ("Adam", lambda ps: lib.optim.Adam(ps, lr=1e-3))):
        params = list(_mlp(lib, [784, 1024, 1024, 10]).parameters())
        for p in params:
            p.grad = lib.ones_like(p) * 1e-3
        out[f"opt step only, {name}"] = make(params).step
    return out


def _threads():
    info = [f"cores: {os.cpu_count()}"]
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            info.append(f"{var}={os.environ[var]}")
    if torch is not None:
        info.append(f"torch.get_num_threads()={torch.get_num_threads()}")
    return ", ".join(info)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)
    libs = {"disttrain": cases(disttrain)}
    if torch is not None and not args.no_torch:
        libs["torch"] = cases(torch)
    best = {lib: {name: float("inf") for name in c} for lib, c in libs.items()}
    for _ in range(args.repeat):
        for lib, c in libs.items():
            for name, fn in c.items():
                best[lib][name] = min(best[lib][name], _time(fn))
    print(f"threads: {_threads()}")
    head = f"{'case':46s} {'disttrain ms':>13s}"
    if "torch" in libs:
        head += f" {'torch ms':>10s} {'ratio':>7s}"
    print(head)
    print("-" * len(head))
    for name, ours in best["disttrain"].items():
        row = f"{name:46s} {ours * 1e3:13.3f}"
        if "torch" in libs:
            ref = best["torch"][name]
            row += f" {ref * 1e3:10.3f} {ours / ref:7.2f}"
        print(row)
    if torch is None:
        print("(PyTorch not importable: no reference column)")


if __name__ == "__main__":
    main()
