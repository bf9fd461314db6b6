"""Worker side of the emulated-hosts tests: ``python _hosts_job.py JOB [args]``.

``collectives``: every check of ``_jobs.py`` in the mode ``DISTTRAIN_COLLECTIVES`` asks
for, then the same exact-valued inputs through flat and two-level, digests of both.
``train``: a few DDP steps; prints the parameters. Each prints ``RESULT <json>``.
"""
import hashlib
import json
import sys

import numpy as np

from _jobs import Checker, check_all_reduce, check_gather_scatter, check_misc, check_rooted

from disttrain import comm
from disttrain.comm import hier, shm


def _exact(pg):
    """Results whose every bit is fixed by the maths (integers, integer-valued floats):
    the flat and two-level algorithms must agree on them exactly."""
    n, r, out = pg.size, pg.rank, {}
    rng = np.random.default_rng(r)
    for size in (5, 300_001):
        for dtype in ("float32", "int64"):
            for op in ("SUM", "AVG", "MAX", "MIN"):
                if op == "AVG" and dtype == "int64":
                    continue
                x = rng.integers(-50, 50, size).astype(dtype)
                pg.all_reduce(x, op, async_op=False).wait()
                out[f"all_reduce/{op}/{dtype}/{size}"] = x
        x = np.full(size, float(r), "float32")
        pg.broadcast(x, n - 1, async_op=False).wait()
        out[f"broadcast/{size}"] = x
        g = np.empty(n * size, "int32")
        pg.all_gather_into(g, np.arange(size, dtype="int32") * (r + 1)).wait()
        out[f"all_gather/{size}"] = g
        y = np.empty(size // n + 1, "float64")
        pg.reduce_scatter_into(y, rng.integers(0, 9, n * y.size).astype("float64"),
                               "SUM", async_op=False).wait()
        out[f"reduce_scatter/{size}"] = y
    pg.barrier(async_op=False).wait()
    return {k: hashlib.sha1(v.tobytes()).hexdigest() for k, v in out.items()}


def job_collectives():
    shm.SLOT_BYTES = 64 << 10     # many shared-memory rounds without big arrays
    hier.PIPE_BYTES = 320 << 10   # and several pipelined pieces per slice
    hier.PIPE_STEP_BYTES = 64 << 10
    pg = comm.init_from_env(timeout=60)
    t = pg._engine.t
    lay = hier.Layout(t.hosts, pg.rank)
    # Across hosts only leaders are connected when the group forms.
    cross = sorted(p for p in t.push if lay.host_of[p] != lay.me)
    check = Checker()
    for part in (check_all_reduce, check_rooted, check_gather_scatter, check_misc):
        part(pg, check)
    digests = pg.all_gather_obj(check.digests).result()
    differ = sorted(k for k in check.digests if any(d.get(k) != check.digests[k]
                                                     for d in digests))
    chosen = t.collectives
    exact = {}
    for mode in ("flat", "two_level"):
        t.collectives = mode      # every rank switches between the same two calls, with
                                  # nothing in flight (each call above was waited for)
        exact[mode] = _exact(pg)
    print("RESULT " + json.dumps({
        "failures": check.failures, "count": check.count, "differ": differ,
        "mode": chosen, "hosts": len(lay.hosts), "cross": cross, "widest": lay.widest,
        "exact": exact, "shm": bool(t.arena and t.arena.covers(lay.hosts[lay.me]))}),
        flush=True)
    comm.destroy()


def job_exact():
    """Only the flat-versus-two-level comparison (for odd placements of ranks)."""
    shm.SLOT_BYTES = 64 << 10     # several shared-memory rounds per slice
    hier.PIPE_BYTES = 320 << 10   # and several pipelined pieces
    hier.PIPE_STEP_BYTES = 64 << 10
    pg = comm.init_from_env(timeout=60)
    t = pg._engine.t
    lay = hier.Layout(t.hosts, pg.rank)
    exact = {}
    for mode in ("flat", "two_level"):
        t.collectives = mode
        exact[mode] = _exact(pg)
    print("RESULT " + json.dumps({
        "exact": exact, "hosts": lay.hosts,
        "shm": bool(t.arena and t.arena.covers(lay.hosts[lay.me]))}), flush=True)
    comm.destroy()


def job_train():
    import disttrain as torch
    import disttrain.distributed as dist
    from disttrain import nn, optim
    from disttrain.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group(timeout=60)
    rank = dist.get_rank()
    torch.manual_seed(0)
    # 40k parameters: the gradient bucket goes the large-message way (ring, shared memory).
    model = DDP(nn.Sequential(nn.Linear(16, 512), nn.Tanh(), nn.Linear(512, 64)))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for step in range(5):
        data = np.random.default_rng(step * 10 + rank).standard_normal((8, 16))
        loss = model(torch.tensor(data, dtype=torch.float32)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    params = [p.detach().numpy() for p in model.parameters()]
    print("RESULT " + json.dumps({
        "digest": hashlib.sha1(b"".join(p.tobytes() for p in params)).hexdigest(),
        "params": [p.ravel()[:200].tolist() for p in params],
        "mode": comm.get_default_group()._engine.t.collectives}), flush=True)
    dist.destroy_process_group()


def job_loop():
    """All-reduce until something fails; report the error (a rank is killed meanwhile)."""
    import time
    from disttrain.comm import CommError
    pg = comm.init_from_env(timeout=60)
    x = np.ones(10, "float32")
    print("READY", flush=True)
    start = time.monotonic()
    try:
        while time.monotonic() - start < 40:
            pg.all_reduce(x, "MAX").wait()
            time.sleep(0.01)
        result = {"error": None}
    except CommError as exc:
        result = {"error": str(exc), "type": type(exc).__name__}
    result["took"] = time.monotonic() - start
    print("RESULT " + json.dumps(result), flush=True)


def job_recipe():
    """Join from whatever the launcher set; one all_reduce; say where this rank sits."""
    from disttrain.comm.env import discover
    env = discover()
    pg = comm.init_from_env(timeout=60)
    x = np.full(1000, float(pg.rank + 1))
    pg.all_reduce(x).wait()
    t = pg._engine.t
    print("RESULT " + json.dumps({
        "source": env.source, "rank": env.rank, "world": env.world_size,
        "local_rank": env.local_rank, "master": env.master_addr, "port": env.master_port,
        "sum": float(x[0]), "hosts": len(set(t.hosts))}), flush=True)
    comm.destroy()


if __name__ == "__main__":
    {"collectives": job_collectives, "train": job_train, "recipe": job_recipe, "exact": job_exact,
     "loop": job_loop}[sys.argv[1]](*sys.argv[2:])
