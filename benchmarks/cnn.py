"""A LeNet-style CNN training step: disttrain beside PyTorch (CPU), with a per-op profile.

Usage::

    python benchmarks/cnn.py [--batch-size 64] [--steps 30] [--rounds 5] [--threads N]
                             [--profile] [--no-torch]

The model is conv(1->6, 5x5)-relu-maxpool(2) -> conv(6->16, 5x5)-relu-maxpool(2) -> 256-120-84-10
linear layers with relu, on a fixed batch of 1x28x28 float32 images; one step is zero_grad,
forward, cross-entropy, backward and an SGD step (lr 0.01, momentum 0.9). Both engines load
the same weights (drawn with numpy) and data. Each engine runs in its own child process,
the two alternating round by round: in one process PyTorch's OpenMP threads spin while
numpy's BLAS threads work and both slow down several times over. Each figure is the best
round's mean step time, in wall-clock and in CPU time of the process (the CPU figure
survives a busy machine; with ``--threads 1`` it is the work one step costs). ``--threads``
sets both engines' BLAS/OpenMP threads (default: every core). Printed: milliseconds per
step and the ratio ours / PyTorch's, with each engine's first losses (they agree: same
weights, data and arithmetic). ``--profile``
lists the hot spots of our step (cProfile, by own time). Nothing is asserted: this prints
a table.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import disttrain  # noqa: E402
import disttrain.nn as dnn  # noqa: E402
import disttrain.nn.functional as DF  # noqa: E402

try:
    import torch
    import torch.nn as tnn
    import torch.nn.functional as TF
except ImportError:     # PyTorch is optional: without it only our column is printed
    torch = None


def lenet(nn, F):
    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 4 * 4, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(x.size(0), -1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)
    return LeNet()


def make_step(model, F, optim, x, y):
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def weights(seed=0):
    """PyTorch-style U(+-1/sqrt(fan_in)) weights, drawn with numpy so both engines share them."""
    rng = np.random.default_rng(seed)
    shapes = {"conv1": (6, 1, 5, 5), "conv2": (16, 6, 5, 5), "fc1": (120, 256),
              "fc2": (84, 120), "fc3": (10, 84)}
    out = {}
    for name, shape in shapes.items():
        bound = 1 / np.sqrt(np.prod(shape[1:]))
        out[f"{name}.weight"] = rng.uniform(-bound, bound, shape).astype(np.float32)
        out[f"{name}.bias"] = rng.uniform(-bound, bound, shape[0]).astype(np.float32)
    return out


def build(engine, batch_size):
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((batch_size, 1, 28, 28)).astype(np.float32)
    ys = rng.integers(0, 10, batch_size)
    if engine == "disttrain":
        model = lenet(dnn, DF)
        model.load_state_dict({k: disttrain.tensor(v) for k, v in weights().items()})
        return make_step(model, DF, disttrain.optim, disttrain.tensor(xs), disttrain.tensor(ys))
    model = lenet(tnn, TF)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights().items()})
    return make_step(model, TF, torch.optim, torch.from_numpy(xs), torch.from_numpy(ys))


def worker(args):
    """Child process: time ``steps`` steps of one engine; print the mean and first losses."""
    if args.worker == "pytorch":
        torch.set_num_threads(args.threads)
    step = build(args.worker, args.batch_size)
    losses = [float(step().item()) for _ in range(3)]
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        step()
    print(json.dumps({"t": (time.perf_counter() - start) / args.steps,
                      "cpu": (time.process_time() - cpu) / args.steps, "losses": losses}))
    if args.profile:
        profile(step, args.steps)


def run_child(engine, args, profile=False):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", engine, "--steps",
           str(args.steps), "--batch-size", str(args.batch_size), "--threads", str(args.threads)]
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)
    out = subprocess.run(cmd + (["--profile"] if profile else []), check=True,
                         capture_output=True, text=True, env=env).stdout
    first, rest = out.split("\n", 1)
    return json.loads(first), rest


def profile(step, n):
    import cProfile
    import pstats
    prof = cProfile.Profile(time.process_time)     # CPU time: robust to a busy machine
    prof.enable()
    for _ in range(n):
        step()
    prof.disable()
    pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(18)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--worker", choices=["disttrain", "pytorch"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    engines = ["disttrain"] + (["pytorch"] if torch is not None and not args.no_torch else [])
    best = {e: float("inf") for e in engines}
    cpu = dict(best)
    losses = {}
    for _ in range(args.rounds):
        for e in engines:
            res, _ = run_child(e, args)
            best[e], cpu[e] = min(best[e], res["t"]), min(cpu[e], res["cpu"])
            losses[e] = res["losses"]
    print(f"LeNet training step, batch {args.batch_size} x 1x28x28 float32, {args.threads} "
          f"thread(s) of {os.cpu_count()} cores, best of {args.rounds} rounds x {args.steps} steps")
    print(f"{'engine':<11}{'wall ms':>9}{'ratio':>7}{'CPU ms':>9}{'ratio':>7}   first losses")
    for name in engines:
        ratios = [f"{mine[name] / mine['pytorch']:.2f}x" if "pytorch" in mine else "-"
                  for mine in (best, cpu)]
        shown = ", ".join(f"{v:.4f}" for v in losses[name])
        print(f"{name:<11}{best[name] * 1e3:>9.2f}{ratios[0]:>7}{cpu[name] * 1e3:>9.2f}"
              f"{ratios[1]:>7}   {shown}")
    if args.profile:
        print(run_child("disttrain", args, profile=True)[1])


if __name__ == "__main__":
    main()
