"""Data-parallel training throughput: disttrain DDP at world size 1, 2 and 4, with and
without overlapping the all-reduce with backward, beside PyTorch DDP (gloo) when torch is
importable; plus ZeRO's optimizer-state bytes per rank.

    python benchmarks/ddp.py [--steps 30] [--rounds 3] [--batch 32] [--hidden 512]
                             [--layers 6] [--worlds 1,2,4] [--no-torch]

For each world size one job of real processes (loopback) runs every configuration in
turn, ``rounds`` times, in the same processes (a disttrain group and, when torch is
importable, a gloo group), and keeps each configuration's best round, so that a busy
machine slows them alike. The table gives samples per second (all ranks together), the
ratio to PyTorch measured in the same run, and
the share of the all-reduce time that overlap hid behind backward:
``1 - wait(overlap) / wait(no overlap)``, where ``wait`` is the time backward's end spent
waiting for communication. Numbers are measurements, not claims: they depend on the
machine's cores (ranks beyond the core count share them) and its load.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORLDS = (1, 2, 4)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="DDP throughput benchmark")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--batch", type=int, default=32, help="samples per rank per step")
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--bucket-cap-mb", type=float, default=2.0)
    p.add_argument("--worlds", default="1,2,4")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--torch-port", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# ------------------------------------------------------------------ workers
def _mlp(nn, hidden, layers):
    mods = [nn.Linear(hidden, hidden)]
    for _ in range(layers - 1):
        mods += [nn.ReLU(), nn.Linear(hidden, hidden)]
    return nn.Sequential(*mods, nn.ReLU(), nn.Linear(hidden, 10))


def _ddp_step(torch, ddp, args):
    """An MLP wrapped in ``ddp`` and its SGD step on a fixed batch, written once for both
    libraries (``torch`` is disttrain or PyTorch); returns (step function, model)."""
    torch.manual_seed(0)
    model = ddp(_mlp(torch.nn, args.hidden, args.layers), bucket_cap_mb=args.bucket_cap_mb)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(args.batch, args.hidden)
    y = torch.randint(0, 10, (args.batch,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step, model


def _disttrain_case(args):
    """(step function, DDP model, barrier) of disttrain."""
    import disttrain as torch
    import disttrain.distributed as dist
    dist.init_process_group()
    step, model = _ddp_step(torch, dist.DistributedDataParallel, args)
    return step, model, dist.barrier


def _zero_bytes(model):
    """Adam state bytes on this rank under ZeroRedundancyOptimizer."""
    import disttrain as torch
    from disttrain import optim
    from disttrain.distributed.optim import ZeroRedundancyOptimizer
    zero = ZeroRedundancyOptimizer(model.parameters(), optim.Adam, lr=1e-3)
    model(torch.randn(2, model.module[0].in_features)).sum().backward()
    zero.step()
    return zero.state_bytes()


def _torch_case(args, port):
    """Step function of a PyTorch DDP model over gloo, or None without torch."""
    try:
        import torch
        import torch.distributed as tdist
    except ImportError:
        return None, None
    torch.set_num_threads(1)
    tdist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                             rank=int(os.environ["RANK"]),
                             world_size=int(os.environ["WORLD_SIZE"]))
    step, _ = _ddp_step(torch, torch.nn.parallel.DistributedDataParallel, args)
    return step, tdist.barrier


def run_worker(args):
    """Alternate the configurations in rounds in the same processes; keep each one's best
    round, so that a busy machine slows all of them alike."""
    ours, model, barrier = _disttrain_case(args)
    theirs, tbarrier = _torch_case(args, int(args.torch_port)) if args.torch_port else (None,
                                                                                       None)
    stats = model.reducer.stats
    best = {"overlap": 0.0, "no_overlap": 0.0, "torch": 0.0}
    waits = {"overlap": [], "no_overlap": []}
    for _ in range(args.warmup):
        ours()
        if theirs:
            theirs()
    for _ in range(args.rounds):
        for name in ("overlap", "no_overlap"):
            model.reducer.overlap = name == "overlap"
            barrier()
            stats["wait_s"] = 0.0
            t0 = time.perf_counter()
            for _ in range(args.steps):
                ours()
            barrier()
            best[name] = max(best[name], args.steps / (time.perf_counter() - t0))
            waits[name].append(stats["wait_s"] / args.steps)
        if theirs:
            tbarrier()
            t0 = time.perf_counter()
            for _ in range(args.steps):
                theirs()
            tbarrier()
            best["torch"] = max(best["torch"], args.steps / (time.perf_counter() - t0))
    import disttrain.distributed as dist
    world = dist.get_world_size()
    zero_bytes = _zero_bytes(model)
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps({
            "overlap": best["overlap"] * world * args.batch,
            "no_overlap": best["no_overlap"] * world * args.batch,
            "torch": best["torch"] * world * args.batch if theirs else None,
            "wait_ms": {k: 1e3 * min(v) for k, v in waits.items()},
            "zero_state_bytes": zero_bytes, "buckets": len(model.reducer.buckets)}),
            flush=True)
    dist.destroy_process_group()


# ------------------------------------------------------------------ driver
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(args, world, with_torch, timeout=900):
    """Run every configuration on ``world`` processes; rank 0's result dict (or None)."""
    port = _free_port()
    cmd = [sys.executable, os.path.abspath(__file__), "--worker",
           "--steps", str(args.steps), "--warmup", str(args.warmup),
           "--rounds", str(args.rounds), "--batch", str(args.batch),
           "--hidden", str(args.hidden), "--layers", str(args.layers),
           "--bucket-cap-mb", str(args.bucket_cap_mb)]
    if with_torch:
        cmd += ["--torch-port", str(_free_port())]
    procs = []
    for r in range(world):
        env = dict(os.environ, RANK=str(r), WORLD_SIZE=str(world), LOCAL_RANK=str(r),
                   LOCAL_WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                   MASTER_PORT=str(port), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1", DISTTRAIN_SECRET="bench",
                   PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    outputs = []
    for p in procs:
        try:
            outputs.append(p.communicate(timeout=timeout)[0])
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            outputs.append("timed out")
    for line in outputs[0].splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    sys.stderr.write(f"world size {world} failed:\n{outputs[0][-2000:]}\n")
    return None


def _torch_available():
    try:
        import torch.distributed  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return run_worker(args)
    worlds = [int(w) for w in args.worlds.split(",")]
    has_torch = not args.no_torch and _torch_available()
    params = args.layers * (args.hidden * args.hidden + args.hidden) + args.hidden * 10 + 10
    print(f"MLP {args.layers}x{args.hidden} ({params / 1e6:.2f} M parameters, "
          f"{params * 4 / 2**20:.1f} MiB of gradients), batch {args.batch} per rank, "
          f"best of {args.rounds} rounds of {args.steps} steps, bucket cap "
          f"{args.bucket_cap_mb} MiB, {os.cpu_count()} CPUs")
    rows = [(w, launch(args, w, has_torch)) for w in worlds]
    _print_table(rows, has_torch)
    _print_zero(rows)


def _fmt(x, spec):
    width = int("".join(c for c in spec.split(".")[0] if c.isdigit()) or 0)
    return "-".rjust(width) if x is None else format(x, spec)


def _print_table(rows, has_torch):
    head = (f"{'world':>5} | {'overlap':>9} | {'no overlap':>10} | {'overlap gain':>12} | "
            f"{'hidden':>6} | {'torch gloo':>10} | {'ours/torch':>10}")
    print("\nsamples/s (all ranks)")
    print(head)
    print("-" * len(head))
    for w, res in rows:
        if res is None:
            print(f"{w:>5} | failed")
            continue
        on, off, ref = res["overlap"], res["no_overlap"], res["torch"]
        hidden = None
        if w > 1 and res["wait_ms"]["no_overlap"] > 0:
            hidden = max(0.0, 1.0 - res["wait_ms"]["overlap"] / res["wait_ms"]["no_overlap"])
        ratio = on / ref if ref else None
        print(f"{w:>5} | {on:9.0f} | {off:10.0f} | {on / off:11.2f}x | "
              f"{_fmt(hidden, '6.0%')} | {_fmt(ref, '10.0f')} | "
              f"{_fmt(ratio, '9.2f') + ('x' if ratio else ' ')}")
    if not has_torch:
        print("(PyTorch not importable or --no-torch: its columns are empty)")
    print("hidden: share of the all-reduce wait that overlap removed from the end of "
          "backward")


def _print_zero(rows):
    sizes = [(w, res["zero_state_bytes"]) for w, res in rows if res]
    if sizes:
        text = ", ".join(f"world {w}: {b / 2**20:.2f} MiB" for w, b in sizes)
        print(f"\nZeRO (Adam) optimizer state per rank: {text}")


if __name__ == "__main__":
    main()
