"""All-reduce latency and bandwidth of disttrain.comm, beside torch.distributed (gloo).

Usage::

    python benchmarks/allreduce.py [--nprocs 2 4] [--min-bytes 4096] [--max-bytes 67108864]
                                   [--rounds 5] [--no-torch]

Starts ``nprocs`` worker processes on this host (loopback). Every worker joins a
disttrain.comm group and, when PyTorch is importable, a gloo group too; for each size
(float32, SUM) the two run alternately in the same processes, ``rounds`` times, so a
busy machine slows both alike. Each figure is the best round (mean over the round's
iterations, slowest rank). Printed per size:

* latency: seconds per all_reduce,
* algbw = bytes / latency,
* busbw = algbw * 2(n-1)/n: the bytes each rank's link carries in a ring, comparable
  across world sizes (as nccl-tests reports it),
* sockets = busbw of the ZeroMQ socket ring alone (``DISTTRAIN_SHM=0``: what ranks on
  different hosts use), beside the default, which stages large arrays through shared
  memory among ranks of one host,
* ratio = our busbw / gloo's busbw, measured in the same run,
* of memcpy = our busbw / the bytes per second one process copies with ``numpy.copyto``
  on this machine (arrays of the size, measured before the workers start): how close
  the shared-memory path comes to what the memory gives a single copy.

Nothing is asserted: this prints a table.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _free_port_pair():
    while True:
        port = _free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue


def _iters(nbytes):
    # Enough iterations that a round lasts long enough to time, few enough to stay quick.
    return int(min(50, max(2, (32 << 20) // nbytes)))


def _time_rounds(runs, k, rounds, pg):
    best = {name: float("inf") for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            if run is None:
                continue
            pg.barrier().wait()
            start = time.perf_counter()
            for _ in range(k):
                run()
            took = np.array([(time.perf_counter() - start) / k])
            pg.all_reduce(took, "MAX").wait()   # the slowest rank's time is the op's time
            best[name] = min(best[name], float(took[0]))
    return best


def worker(args):
    from disttrain.comm import ProcessGroup
    rank, size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    pg = ProcessGroup(rank, size, "127.0.0.1", int(os.environ["MASTER_PORT"]), timeout=300)
    os.environ["DISTTRAIN_SHM"] = "0"   # a second group without shared memory: socket ring
    sockets = ProcessGroup(rank, size, "127.0.0.1", int(os.environ["MASTER_PORT"]) + 1,
                           timeout=300)
    dist = None
    if args.torch:
        try:
            import torch
            import torch.distributed as dist
            torch.set_num_threads(1)
            dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{args.torch_port}",
                                    rank=rank, world_size=size)
        except ImportError:
            dist = None
    results = []
    for nbytes in _sizes(args):
        x = np.zeros(nbytes // 4, np.float32)   # zeros: sums never overflow to inf
        t = torch.zeros(nbytes // 4) if dist else None
        runs = {"ours": lambda: pg.all_reduce(x, async_op=False).wait(),
                "sockets": lambda: sockets.all_reduce(x, async_op=False).wait(),
                "gloo": (lambda: dist.all_reduce(t)) if dist else None}
        for _ in range(2):   # warm up connections and allocators
            for run in filter(None, runs.values()):
                run()
        best = _time_rounds(runs, _iters(nbytes), args.rounds, pg)
        results.append({"bytes": nbytes, **best})
    if rank == 0:
        print("RESULT " + json.dumps(results), flush=True)
    if dist:
        dist.destroy_process_group()
    sockets.destroy()
    pg.destroy()


def run_size(nprocs, args):
    env = dict(os.environ, WORLD_SIZE=str(nprocs), MASTER_PORT=str(_free_port_pair()),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               OMP_NUM_THREADS="1")
    cmd = [sys.executable, __file__, "--worker", "--torch-port", str(_free_port()),
           "--min-bytes", str(args.min_bytes), "--max-bytes", str(args.max_bytes),
           "--rounds", str(args.rounds)] + ([] if args.torch else ["--no-torch"])
    procs = [subprocess.Popen(cmd, env=dict(env, RANK=str(r)), stdout=subprocess.PIPE, text=True)
             for r in range(nprocs)]
    outs = [p.communicate(timeout=args.timeout)[0] for p in procs]
    if any(p.returncode for p in procs):
        raise SystemExit(f"benchmark workers failed: exit codes {[p.returncode for p in procs]}")
    line = [ln for ln in outs[0].splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def _sizes(args):
    """The message sizes timed: from ``--min-bytes`` by factors of 4 up to ``--max-bytes``."""
    out, n = [], args.min_bytes
    while n <= args.max_bytes:
        out.append(n)
        n *= 4
    return out


def _size(nbytes):
    for unit, div in (("MB", 1 << 20), ("KB", 1 << 10)):
        if nbytes >= div:
            return f"{nbytes // div} {unit}"
    return f"{nbytes} B"


def memcpy_gbps(nbytes, rounds=5):
    """GB/s one process copies between two arrays of ``nbytes`` (best of ``rounds``)."""
    src = np.ones(max(nbytes // 4, 1), np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)                 # the first touch of fresh pages is not the copy
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - start)
    return src.nbytes / best / 1e9


def print_table(nprocs, rows, memcpy):
    factor = 2 * (nprocs - 1) / nprocs
    print(f"\nall_reduce float32 SUM, {nprocs} processes on one host (best of rounds; GB/s)")
    print(f"{'size':>7} | {'latency':>9} {'algbw':>7} {'busbw':>7} | {'sockets':>7} | "
          f"{'gloo lat':>9} {'busbw':>7} | {'ratio':>6} | {'of memcpy':>9}")
    print("-" * 92)
    for row in rows:
        n, ours, gloo = row["bytes"], row["ours"], row["gloo"]
        bus = n / ours * factor / 1e9
        line = (f"{_size(n):>7} | {ours * 1e6:>7.0f}us {n / ours / 1e9:>7.3f} {bus:>7.3f} | "
                f"{n / row['sockets'] * factor / 1e9:>7.3f} |")
        if gloo != float("inf"):
            gbus = n / gloo * factor / 1e9
            line += f" {gloo * 1e6:>7.0f}us {gbus:>7.3f} | {bus / gbus:>5.2f}x"
        else:
            line += f" {'-':>9} {'-':>7} | {'-':>6}"
        line += f" | {bus / memcpy[n]:>8.0%}"
        print(line, flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nprocs", type=int, nargs="+", default=[2, 4])
    p.add_argument("--min-bytes", type=int, default=4 << 10)
    p.add_argument("--max-bytes", type=int, default=64 << 20)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--no-torch", dest="torch", action="store_false")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--torch-port", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    if args.torch:
        try:
            import torch  # noqa: F401  (only to know whether gloo can be the reference)
        except ImportError:
            print("PyTorch is not importable: no gloo reference column", file=sys.stderr)
            args.torch = False
    sizes = _sizes(args)
    memcpy = {n: memcpy_gbps(n) for n in sizes}
    print("memcpy, one process (numpy.copyto): " +
          ", ".join(f"{_size(n)} {memcpy[n]:.2f} GB/s" for n in sizes))
    for nprocs in args.nprocs:
        print_table(nprocs, run_size(nprocs, args), memcpy)


if __name__ == "__main__":
    main()
