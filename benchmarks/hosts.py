"""Flat vs two-level collectives across emulated hosts, and the alpha-beta model fitted to them.

Usage (root, iproute2)::

    python benchmarks/hosts.py [--hosts 2 3 4] [--per-host 2] [--rate 1gbit] [--delay 100us]
                               [--large-mb 16] [--rounds 3]

Each emulated host is a network namespace behind a rate-limited link (``tc``: netem when the
kernel has it, else tbf for the rate alone); see ``tests/comm/_netns.py``. For every host
count the same worker processes time, in ``flat`` then ``two_level`` mode (switched between
calls on every rank):

* latency: seconds per float32 SUM all_reduce of 8 B and 4 KB (best of rounds, slowest rank),
* busbw at 1 MB and ``--large-mb`` MB: bytes / time * 2(n-1)/n, as nccl-tests reports it,
* within one host (a subgroup of one host's ranks): small all-reduce plus broadcast
  latency and large all-reduce time, which fix the intra-host level of the model.

Then the alpha-beta model (seconds = steps x alpha + bytes carried / beta, per level) is
fitted to those figures and used to predict 8, 64 and 512 hosts of 8 workers: which
algorithm wins at which message size. Nothing is asserted: this prints tables.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SMALL = (8, 4096)
MB = 1 << 20


def _iters(nbytes):
    return int(min(40, max(2, (8 * MB) // max(nbytes, 1))))


def _best(pg, run, k, rounds):
    best = float("inf")
    for _ in range(rounds):
        pg.barrier(async_op=False).wait()
        start = time.perf_counter()
        for _ in range(k):
            run()
        took = np.array([(time.perf_counter() - start) / k])
        pg.all_reduce(took, "MAX", async_op=False).wait() # the slowest rank's time is the op's
        best = min(best, float(took[0]))
    return best


def worker(args):
    from disttrain.comm import ProcessGroup, hier
    rank, size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    pg = ProcessGroup(rank, size, os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]),
                      timeout=300)
    t = pg._engine.t
    lay = hier.Layout(t.hosts, rank)
    sizes = list(SMALL) + [MB, args.large_mb * MB]
    out = {"n": size, "hosts": len(lay.hosts)}
    for mode in ("flat", "two_level"):
        t.collectives = mode
        for nbytes in sizes:
            x = np.zeros(nbytes // 4, np.float32)
            run = lambda: pg.all_reduce(x, async_op=False).wait()   # noqa: E731
            run()
            out[f"{mode}/{nbytes}"] = _best(pg, run, _iters(nbytes), args.rounds)
    # One host's ranks alone: the intra-host level (shared memory, ipc).
    subs = [pg.new_group(ranks) for ranks in lay.hosts]
    local = subs[lay.me]
    for nbytes in (8, args.large_mb * MB):
        x = np.zeros(nbytes // 4, np.float32)
        # Small: to the leader and back (two steps). Large: the reduce-scatter and
        # all-gather around the cross-host phase, i.e. one shared-memory all-reduce.
        run = ((lambda: (local.all_reduce(x, async_op=False).wait(),    # noqa: E731
                         local.broadcast(x, 0, async_op=False).wait())) if nbytes == 8 else
               (lambda: local.all_reduce(x, async_op=False).wait()))    # noqa: E731
        run()
        out[f"local/{nbytes}"] = _best(pg, run, _iters(nbytes), args.rounds)
    if rank == 0:
        print("RESULT " + json.dumps(out), flush=True)
    pg.destroy()


def run_hosts(nhosts, args):
    sys.path.insert(0, str(ROOT))
    from tests.comm._netns import emulated_hosts
    n = nhosts * args.per_host
    with emulated_hosts(nhosts, args.rate, args.delay, tag=f"b{os.getpid() % 10000}") as hosts:
        env = dict(os.environ, WORLD_SIZE=str(n), MASTER_ADDR=hosts[0][1],
                   MASTER_PORT=str(29400 + nhosts), DISTTRAIN_SECRET="bench",
                   OMP_NUM_THREADS="1",
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                            os.environ.get("PYTHONPATH")])))
        cmd = [sys.executable, __file__, "--worker", "--large-mb", str(args.large_mb),
               "--rounds", str(args.rounds)]
        procs = [subprocess.Popen(["ip", "netns", "exec", hosts[r // args.per_host][0], *cmd],
                                  env=dict(env, RANK=str(r)), stdout=subprocess.PIPE, text=True)
                 for r in range(n)]
        outs = [p.communicate(timeout=args.timeout)[0] for p in procs]
    if any(p.returncode for p in procs):
        raise SystemExit(f"workers failed: exit codes {[p.returncode for p in procs]}")
    line = [ln for ln in outs[0].splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


# -- the model ------------------------------------------------------------------------------

def rd_steps(n):
    """Recursive doubling's message steps on n ranks (extras fold in and out)."""
    if n <= 1:
        return 0
    p2 = 1 << (n.bit_length() - 1)
    return int(math.log2(p2)) + (2 if p2 != n else 0)


def flat_time(m, n, nbytes):
    """Flat: recursive doubling up to 256 KB, else a ring over every rank; every step is
    bounded by a cross-host link."""
    if nbytes <= 256 << 10:
        return rd_steps(n) * (m["a_net"] + nbytes / m["b_net"])
    return 2 * (n - 1) * m["a_net"] + 2 * (n - 1) / n * nbytes / m["b_net"]


def local_steps(per_host):
    """Within a host: the ranks send to their leader, later the leader sends back (small);
    a reduce-scatter, later an all-gather (large)."""
    return 2 if per_host > 1 else 0


def local_time(m, per_host, nbytes):
    """Within a host: two steps, and a shared-memory all-reduce's bytes split around the
    network phase; its bytes per rank grow as 2(L-1)/L... bounded by memory, so taken as
    the 2-rank figure."""
    if per_host <= 1:
        return 0.0
    return local_steps(per_host) * m["a_loc"] + nbytes / m["b_loc"]


def two_level_time(m, hosts, per_host, nbytes):
    """Small: within the host, then the flat algorithm over the hosts' leaders. Large:
    per_host rings (or doublings) over the hosts at once, each on 1/per_host of the array,
    all through the host's one link: the link carries what one leader's ring would. Each
    slice goes in pieces (``hier.PIPE_BYTES``, at least hosts x ``PIPE_STEP_BYTES``), one
    ring after another, each with its own latency steps; the host's work on a piece
    overlaps the network's on another, but for one piece's worth."""
    if nbytes <= 256 << 10:
        return local_time(m, per_host, nbytes) + flat_time(m, hosts, nbytes)
    from disttrain.comm import hier
    part = nbytes / per_host
    if part <= 256 << 10:
        cross = rd_steps(hosts) * (m["a_net"] + nbytes / m["b_net"])
        return local_time(m, per_host, nbytes) + cross
    grain = max(hier.PIPE_BYTES, hosts * hier.PIPE_STEP_BYTES)
    pieces = math.ceil(part / grain)
    cross = pieces * flat_time(m, hosts, nbytes / pieces)
    within = local_time(m, per_host, nbytes)
    return max(cross, within) + within / pieces


def fit(results, per_host):
    """alpha (s per step) and beta (bytes/s) per level, by least squares on the figures."""
    rows_a, rows_b = [], []
    for r in results:
        n = r["n"]
        rows_a.append((rd_steps(n), r["flat/8"]))
        for nbytes in (MB, max(int(k.split("/")[1]) for k in r if k.startswith("flat/"))):
            rows_b.append((2 * (n - 1), 2 * (n - 1) / n * nbytes, r[f"flat/{nbytes}"]))
    a_net = sum(s * t for s, t in rows_a) / sum(s * s for s, _ in rows_a)
    # t - steps*alpha = bytes/beta: one unknown, least squares through the origin.
    xs = np.array([b for _, b, _ in rows_b])
    ys = np.array([t - s * a_net for s, _, t in rows_b])
    b_net = float(xs @ xs / (xs @ ys))
    big = max(int(k.split("/")[1]) for k in results[0] if k.startswith("local/"))
    a_loc = float(np.mean([r["local/8"] for r in results])) / local_steps(per_host)
    t_big = float(np.mean([r[f"local/{big}"] for r in results]))
    b_loc = big / max(t_big - local_steps(per_host) * a_loc, 1e-9)
    return {"a_net": a_net, "b_net": b_net, "a_loc": a_loc, "b_loc": b_loc}


def _size(nbytes):
    for unit, div in (("MB", MB), ("KB", 1 << 10)):
        if nbytes >= div:
            return f"{nbytes // div} {unit}"
    return f"{nbytes} B"


def report(results, args):
    large = args.large_mb * MB
    print(f"\nall_reduce float32 SUM, {args.per_host} ranks per host, links {args.rate}"
          f"{'' if not args.delay else ', ' + args.delay + ' one-way delay when netem exists'}")
    print(f"{'hosts':>5} {'mode':>9} | {'8 B':>8} {'4 KB':>8} | {'busbw 1 MB':>10} "
          f"{'busbw ' + _size(large):>12} | {'x flat':>6} {'lat x':>6}")
    print("-" * 78)
    for r in results:
        n = r["n"]
        bus = {m: {s: s / r[f"{m}/{s}"] * 2 * (n - 1) / n / 1e6 for s in (MB, large)}
               for m in ("flat", "two_level")}
        for mode in ("flat", "two_level"):
            ratio = bus[mode][large] / bus["flat"][large]
            lat = r["flat/8"] / r[f"{mode}/8"]
            print(f"{r['hosts']:>5} {mode:>9} | {r[f'{mode}/8'] * 1e6:>6.0f}us "
                  f"{r[f'{mode}/4096'] * 1e6:>6.0f}us | {bus[mode][MB]:>6.1f}MB/s "
                  f"{bus[mode][large]:>8.1f}MB/s | {ratio:>5.2f}x {lat:>5.2f}x")
    m = fit(results, args.per_host)
    print(f"\nfitted: network alpha {m['a_net'] * 1e6:.0f} us/step, beta "
          f"{m['b_net'] / 1e6:.0f} MB/s; within a host alpha {m['a_loc'] * 1e6:.0f} us/step, "
          f"beta {m['b_loc'] / 1e6:.0f} MB/s")
    print("\npredicted all_reduce time, 8 workers per host (flat | two-level)")
    sizes = [8, 4096, 256 << 10, MB, 16 * MB, 256 * MB]
    print(f"{'hosts':>5} | " + " ".join(f"{_size(s):>19}" for s in sizes))
    for hosts in (8, 64, 512):
        cells = []
        for s in sizes:
            f, t = flat_time(m, hosts * 8, s), two_level_time(m, hosts, 8, s)
            cells.append(f"{_fmt(f)}|{_fmt(t)}{'*' if t < f else ' '}")
        print(f"{hosts:>5} | " + " ".join(f"{c:>19}" for c in cells))
    print("(* two-level is faster)")


def _fmt(sec):
    return f"{sec * 1e3:.2f}ms" if sec < 1 else f"{sec:.1f}s"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", type=int, nargs="+", default=[2, 3, 4])
    p.add_argument("--per-host", type=int, default=2)
    p.add_argument("--rate", default="1gbit")
    p.add_argument("--delay", default="100us")
    p.add_argument("--large-mb", type=int, default=16)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    results = [run_hosts(h, args) for h in args.hosts]
    print(json.dumps(results))
    report(results, args)


if __name__ == "__main__":
    main()
