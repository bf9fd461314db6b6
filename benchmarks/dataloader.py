"""DataLoader throughput: disttrain beside PyTorch, without and with worker processes.

Usage::

    python benchmarks/dataloader.py [--items 2048] [--batch-size 64] [--work 40]
                                    [--channels 1] [--image-size 32]
                                    [--workers 0 2] [--epochs 3] [--no-torch]

The dataset does some CPU work per item, like decoding and augmenting an image: it makes a
``channels x image_size x image_size`` float32 array from the item's index and pushes it
through ``work`` rounds of ``tanh(x @ W)`` in numpy, then returns ``(image tensor, label)``.
Large images (``--channels 3 --image-size 224 --work 1``) measure moving big batches from
the workers instead. Both loaders use the same
numpy work, default collation, ``shuffle=True`` and fresh (non-persistent) workers each
epoch, so the worker start-up is part of every epoch's time; BLAS runs single-threaded.
The configurations take turns epoch by epoch. Printed per loader and ``num_workers``: the
best epoch's batches/s and samples/s, and the speed-up over the same loader without
workers. Nothing is asserted: this prints a table.
"""
import argparse
import os
import sys
import time

# The per-item matrices are tiny: BLAS threads would only compete with the loader's workers.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import disttrain  # noqa: E402
from disttrain.utils import data as dt_data  # noqa: E402

def make_image(i, work, shape, w):
    img = np.random.default_rng(i).standard_normal(shape, dtype=np.float32)
    for _ in range(work):
        img = np.tanh(img @ w)
    return img


def dataset_class(base, from_numpy):
    class Images(base):
        def __init__(self, n, work, channels, size):
            self.n, self.work, self.shape = n, work, (channels, size, size)
            self.w = (np.random.default_rng(0).standard_normal((size, size))
                      / np.sqrt(size)).astype(np.float32)

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            return from_numpy(make_image(i, self.work, self.shape, self.w)), i % 10
    return Images


def time_epoch(loader_cls, ds, args, workers):
    """One epoch's wall time, worker start-up and shutdown included."""
    kwargs = {"batch_size": args.batch_size, "shuffle": True, "num_workers": workers}
    start = time.perf_counter()
    n = 0
    for images, labels in loader_cls(ds, **kwargs):
        n += 1
    took = time.perf_counter() - start
    assert n == -(-args.items // args.batch_size)
    return took


def loaders(args):
    yield "disttrain", dt_data.DataLoader, dataset_class(dt_data.Dataset, disttrain.from_numpy)
    if args.no_torch:
        return
    try:
        import torch
        from torch.utils import data as torch_data
    except ImportError:
        print("(PyTorch is not importable: its rows are left out)\n")
        return
    torch.set_num_threads(1)
    yield "torch", torch_data.DataLoader, dataset_class(torch_data.Dataset, torch.from_numpy)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--items", type=int, default=2048)
    p.add_argument("--batch-size", "--batch_size", type=int, default=64)
    p.add_argument("--work", type=int, default=40, help="tanh(x @ W) rounds per item")
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--image-size", "--image_size", type=int, default=32)
    p.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--no-torch", "--no_torch", action="store_true")
    args = p.parse_args()
    batches = -(-args.items // args.batch_size)
    shape = f"{args.channels}x{args.image_size}x{args.image_size}"
    mb = args.batch_size * args.channels * args.image_size ** 2 * 4 / 2 ** 20
    print(f"{args.items} items of {shape} float32 ({args.work} rounds of tanh(x @ W) each), "
          f"batch {args.batch_size} ({mb:.1f} MiB), shuffle, best of {args.epochs} epochs, "
          f"{os.cpu_count()} CPUs\n")
    print(f"{'loader':<10} {'workers':>7} {'batches/s':>10} {'samples/s':>10} "
          f"{'vs 0 workers':>13}")
    configs = [(name, loader_cls, ds_cls(args.items, args.work, args.channels, args.image_size), w)
               for name, loader_cls, ds_cls in loaders(args) for w in args.workers]
    best = {}
    for _ in range(args.epochs):    # configurations take turns, so load drift hits all alike
        for name, loader_cls, ds, w in configs:
            sec = time_epoch(loader_cls, ds, args, w)
            best[name, w] = min(best.get((name, w), float("inf")), sec)
    for name, _, _, w in configs:
        sec, base = best[name, w], best.get((name, 0))
        speedup = f"{base / sec:.2f}x" if base else "-"
        print(f"{name:<10} {w:>7} {batches / sec:>10.1f} {args.items / sec:>10.0f} "
              f"{speedup:>13}")


if __name__ == "__main__":
    main()
