"""Per-op overhead and large-array throughput of disttrain, beside numpy and PyTorch.

Usage::

    python benchmarks/ops.py [--repeat 5] [--no-torch]

Two groups of cases, each timed for disttrain, plain numpy doing the same array work, and
PyTorch (CPU) when it is importable:

* small (4x4 float32): per-call overhead of add, mul, matmul, sum, relu, indexing, and a
  backward pass of a small expression (numpy has no autograd, so that row has no numpy
  column);
* large: throughput of elementwise ops on 4M float32 and a 1024x1024 matmul.

Each figure is the best of ``--repeat`` rounds (mean time per call within a round); the
libraries alternate round by round, so a busy machine slows all three alike, and ratios
are taken within this run. The targets noted
in the table (small ops within 3x of PyTorch, large ops within 1.2x of numpy) are reported,
never asserted.
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


def _time(fn, min_seconds=0.2):
    """Mean seconds per call of ``fn``, calls batched until a round lasts ``min_seconds``.

    Each result is kept until the next call returns, as a training loop keeps its tensors:
    freeing a large result first would let the C allocator hand its pages back to the OS
    and bill the next call for page faults, which hits the libraries unevenly.
    """
    result = fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            result = fn()
        dt = time.perf_counter() - t0
        if dt >= min_seconds:
            del result
            return dt / n
        n = max(n * 2, int(n * min_seconds / max(dt, 1e-9)) + 1)


def _small_cases(lib, rng):
    """Callables for the 4x4 cases on ``lib`` ('ours', 'numpy' or 'torch')."""
    a_np = rng.standard_normal((4, 4)).astype(np.float32)
    b_np = rng.standard_normal((4, 4)).astype(np.float32)
    if lib == "numpy":
        return {
            "add": lambda: a_np + b_np,
            "mul": lambda: a_np * b_np,
            "matmul": lambda: a_np @ b_np,
            "sum": lambda: a_np.sum(),
            "relu": lambda: np.maximum(a_np, 0),
            "index x[1:3, 0]": lambda: a_np[1:3, 0],
        }
    mod = disttrain if lib == "ours" else torch
    a, b = mod.tensor(a_np), mod.tensor(b_np)
    w = mod.tensor(a_np, requires_grad=True)

    def backward():
        y = ((w * b + a).relu() @ b).sum()
        y.backward()

    return {
        "add": lambda: a + b,
        "mul": lambda: a * b,
        "matmul": lambda: a @ b,
        "sum": lambda: a.sum(),
        "relu": lambda: a.relu(),
        "index x[1:3, 0]": lambda: a[1:3, 0],
        "backward ((w*b+a).relu()@b).sum()": backward,
    }


def _large_cases(lib, rng):
    x_np = rng.standard_normal(4 * 1024 * 1024).astype(np.float32)
    y_np = rng.standard_normal(4 * 1024 * 1024).astype(np.float32)
    m_np = rng.standard_normal((1024, 1024)).astype(np.float32)
    n_np = rng.standard_normal((1024, 1024)).astype(np.float32)
    if lib == "numpy":
        return {
            "add 4M": lambda: x_np + y_np,
            "mul 4M": lambda: x_np * y_np,
            "relu 4M": lambda: np.maximum(x_np, 0),
            "exp 4M": lambda: np.exp(x_np),
            "sum 4M": lambda: x_np.sum(),
            "matmul 1024x1024": lambda: m_np @ n_np,
        }
    mod = disttrain if lib == "ours" else torch
    x, y, m, n = (mod.tensor(v) for v in (x_np, y_np, m_np, n_np))
    return {
        "add 4M": lambda: x + y,
        "mul 4M": lambda: x * y,
        "relu 4M": lambda: x.relu(),
        "exp 4M": lambda: x.exp(),
        "sum 4M": lambda: x.sum(),
        "matmul 1024x1024": lambda: m @ n,
    }


def _fmt(seconds):
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    return f"{seconds * 1e3:.2f} ms"


def _ratio(a, b):
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def run(repeat, use_torch):
    rng = np.random.default_rng(0)
    libs = ["ours", "numpy"] + (["torch"] if use_torch else [])
    rows = []
    for group, make in (("small 4x4", _small_cases), ("large", _large_cases)):
        cases = {lib: make(lib, rng) for lib in libs}
        for name in cases["ours"]:
            have = [lib for lib in libs if name in cases[lib]]
            best = dict.fromkeys(have, float("inf"))
            for _ in range(repeat):
                # the libraries alternate round by round, so load from elsewhere hits all
                for lib in have:
                    best[lib] = min(best[lib], _time(cases[lib][name]))
            rows.append((group, name, best.get("ours"), best.get("numpy"), best.get("torch")))
    return rows


def print_table(rows):
    head = ("group", "case", "disttrain", "numpy", "torch", "ours/numpy", "ours/torch")
    body = [(g, c, _fmt(o), _fmt(n), _fmt(t), _ratio(o, n), _ratio(o, t))
            for g, c, o, n, t in rows]
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    line = "  ".join("{:<%d}" % w for w in widths)
    print(line.format(*head))
    print(line.format(*("-" * w for w in widths)))
    for r in body:
        print(line.format(*r))
    print()
    print("targets (reported, not asserted): small ops within 3x of PyTorch; "
          "large ops within 1.2x of numpy.")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5, help="rounds per case; the best is kept")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if importable")
    args = p.parse_args(argv)
    use_torch = torch is not None and not args.no_torch
    print(f"disttrain {disttrain.__version__}, numpy {np.__version__}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if use_torch
             else ", torch not used"))
    print_table(run(args.repeat, use_torch))


if __name__ == "__main__":
    main()
