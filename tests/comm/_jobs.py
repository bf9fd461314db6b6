"""Worker side of the multi-process comm tests: ``python _jobs.py JOB [args]``.

Each job prints ``RESULT <json>`` on stdout; the tests in this folder judge it. Inputs are
seeded by rank, so every rank can compute the expected result of every collective.
"""
import hashlib
import json
import os
import sys
import time
import traceback

import numpy as np

from disttrain import comm
from disttrain.comm import CommError, ReduceOp, shm

OPS = ["SUM", "AVG", "PRODUCT", "MIN", "MAX"]
DTYPES = ["float16", "float32", "float64", "int8", "int32", "int64", "uint8", "bool"]
SMALL_SIZES = [0, 1, 2, 5, 1001]
# Past SMALL_BYTES: the ring (several chunks per segment at 300_001 float32) or shared
# memory. Every op on float32; a few on other widths (both paths are dtype-agnostic).
LARGE = {"float32": {op: [70_003, 300_001] for op in OPS},
         "float16": {"SUM": [140_003], "AVG": [300_001]},
         "int64": {"SUM": [300_001], "PRODUCT": [40_003]}, "uint8": {"MAX": [300_001]},
         "bool": {"SUM": [300_001]}}


def data(rank, size, dtype, op="SUM", salt=0):
    """Rank ``rank``'s input: small values, so products and sums stay in range."""
    rng = np.random.default_rng([rank, size, salt, DTYPES.index(dtype), OPS.index(op)])
    if dtype == "bool":
        return rng.random(size) < 0.5
    if op == "PRODUCT":
        if dtype.startswith("float"):
            return rng.uniform(0.9, 1.1, size).astype(dtype)
        return rng.integers(1, 3, size).astype(dtype)
    if dtype.startswith("float"):
        return rng.uniform(-1, 1, size).astype(dtype)
    return rng.integers(0, 5, size).astype(dtype)


def expected(inputs, op, dtype):
    stack = np.stack(inputs).astype("float64" if dtype.startswith("float") else dtype)
    if op in ("SUM", "AVG"):
        out = stack.sum(0, dtype=stack.dtype) if dtype != "bool" else stack.any(0)
        if op == "AVG":
            out = out / len(inputs) if dtype.startswith("float") else \
                (out / len(inputs)).astype(dtype)
    elif op == "PRODUCT":
        out = stack.prod(0, dtype=stack.dtype) if dtype != "bool" else stack.all(0)
    else:
        out = stack.max(0) if op == "MAX" else stack.min(0)
    return np.asarray(out).astype(dtype)


def close(got, want):
    tol = {"float16": 1e-2, "float32": 1e-5, "float64": 1e-12}.get(got.dtype.name)
    if got.shape != want.shape or got.dtype != want.dtype:
        raise AssertionError(f"got {got.shape} {got.dtype}, want {want.shape} {want.dtype}")
    if tol is None:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got.astype("float64"), want.astype("float64"), rtol=tol,
                                   atol=tol)


class Checker:
    """Runs named checks, keeping failures and a digest of every result."""

    def __init__(self):
        self.failures, self.digests, self.count = {}, {}, 0

    def __call__(self, name, fn):
        self.count += 1
        try:
            out = fn()
            if isinstance(out, np.ndarray):
                self.digests[name] = hashlib.sha1(out.tobytes()).hexdigest()
        except Exception as exc:
            self.failures[name] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(-2)}"


def check_all_reduce(pg, check):
    n, r = pg.size, pg.rank
    for dtype in DTYPES:
        for op in OPS:
            if op == "AVG" and dtype == "bool":
                continue
            for size in SMALL_SIZES + LARGE.get(dtype, {}).get(op, []):
                def run(size=size, op=op, dtype=dtype):
                    x = data(r, size, dtype, op)
                    assert pg.all_reduce(x, op, async_op=False).result() is x
                    close(x, expected([data(q, size, dtype, op) for q in range(n)], op, dtype))
                    return x
                check(f"all_reduce/{op}/{dtype}/{size}", run)


def check_rooted(pg, check):
    n, r = pg.size, pg.rank
    for src in range(n):
        for size in (0, 1, 7, 100_003):
            def bcast(size=size, src=src):
                x = data(r, size, "float32", salt=7)
                pg.broadcast(x, src).wait()
                close(x, data(src, size, "float32", salt=7))
                return x
            check(f"broadcast/src{src}/{size}", bcast)
    for root in {0, n - 1}:
        def gather(root=root):
            outs = [np.zeros(5, "int32") for _ in range(n)] if r == root else None
            pg.gather(data(r, 5, "int32"), outs, root).wait()
            if r == root:
                for q in range(n):
                    close(outs[q], data(q, 5, "int32"))
        check(f"gather/root{root}", gather)

        def scatter(root=root):
            x = np.zeros(30_000, "float64")   # 240 KB pieces: zero-copy sends, tracked
            ins = [data(q, 30_000, "float64", salt=3) for q in range(n)] if r == root else None
            pg.scatter(x, ins, root).wait()
            close(x, data(r, 30_000, "float64", salt=3))
        check(f"scatter/root{root}", scatter)
    check("reduce/dst0", lambda: _reduce(pg))


def _reduce(pg):
    x = data(pg.rank, 11, "int64")
    pg.reduce(x, 0, "SUM").wait()
    if pg.rank == 0:
        close(x, expected([data(q, 11, "int64") for q in range(pg.size)], "SUM", "int64"))


def check_gather_scatter(pg, check):
    n, r = pg.size, pg.rank
    for size in (0, 1, 3, 50_001):
        def all_gather(size=size):
            outs = [np.empty(size, "float32") for _ in range(n)]
            pg.all_gather(outs, data(r, size, "float32")).wait()
            for q in range(n):
                close(outs[q], data(q, size, "float32"))
            into = np.empty((n, size), "float32")
            pg.all_gather_into(into, data(r, size, "float32")).wait()
            close(into, np.stack([data(q, size, "float32") for q in range(n)]))
            return into
        check(f"all_gather/{size}", all_gather)
        for op in ("SUM", "AVG", "MAX"):
            def reduce_scatter(size=size, op=op):
                full = [data(q, n * size, "float64", op) for q in range(n)]
                want = expected(full, op, "float64")[r * size:(r + 1) * size]
                out = np.empty(size, "float64")
                pg.reduce_scatter_into(out, full[r], op).wait()
                close(out, want)
                out2 = np.empty(size, "float64")
                pieces = [full[r][i * size:(i + 1) * size] for i in range(n)]
                pg.reduce_scatter(out2, pieces, op).wait()
                close(out2, want)
            check(f"reduce_scatter/{op}/{size}", reduce_scatter)


def check_all_to_all(pg, check):
    n, r = pg.size, pg.rank

    def sizes(src, dst):
        return (src + 1) * (dst + 2) % 5 * 7        # 0 for some pairs, up to 28 elements

    for dtype in ("float32", "int64"):
        def all_to_all(dtype=dtype):
            ins = [data(r * n + q, sizes(r, q), dtype, salt=11) for q in range(n)]
            outs = [np.full(sizes(q, r), -1, dtype) for q in range(n)]
            pg.all_to_all(outs, ins).wait()
            for q in range(n):
                close(outs[q], data(q * n + r, sizes(q, r), dtype, salt=11))
        check(f"all_to_all/{dtype}", all_to_all)

    def large():
        ins = [data(r * n + q, 40_000, "float64", salt=12) for q in range(n)]   # 320 KB blocks
        outs = [np.empty(40_000, "float64") for _ in range(n)]
        pg.all_to_all(outs, ins).wait()
        for q in range(n):
            close(outs[q], data(q * n + r, 40_000, "float64", salt=12))
    check("all_to_all/large", large)


def check_misc(pg, check):
    n, r = pg.size, pg.rank
    check("barrier", lambda: pg.barrier().wait())
    check("objects", lambda: _objects(pg))
    check("send_recv", lambda: _ring_pass(pg))
    check("wait_timeout", lambda: _wait_timeout(pg))
    check("non_contiguous", lambda: _non_contiguous(pg))
    check("zero_dim", lambda: _zero_dim(pg))
    check("async_order", lambda: _async_order(pg))
    check("subgroup", lambda: _subgroup(pg))


def _objects(pg):
    got = pg.broadcast_obj({"step": 3, "who": pg.rank} if pg.rank == 1 else None, 1).result()
    assert got == {"step": 3, "who": 1}, got
    everyone = pg.all_gather_obj(["rank", pg.rank, b"x" * pg.rank]).result()
    assert everyone == [["rank", q, b"x" * q] for q in range(pg.size)], everyone


def _ring_pass(pg):
    n, r = pg.size, pg.rank
    for tag, size in ((0, 3), (5, 200_000)):
        out = np.empty(size, "float32")
        w = pg.recv(out, (r - 1) % n, tag=tag)
        pg.send(data(r, size, "float32", salt=tag), (r + 1) % n, tag=tag).wait()
        w.wait()
        close(out, data((r - 1) % n, size, "float32", salt=tag))


def _wait_timeout(pg):
    n, r = pg.size, pg.rank
    out = np.zeros(4, "int32")
    work = pg.recv(out, (r - 1) % n, tag=9)   # nobody sends before the barrier below
    pg.barrier().wait()
    assert not work.is_completed()
    try:
        work.wait(timeout=0.05)
        raise AssertionError("wait(timeout) returned before the message was sent")
    except TimeoutError as exc:
        assert "recv (tag 9) did not complete within 0.05 s" in str(exc), exc
    pg.barrier().wait()
    pg.send(np.full(4, r, "int32"), (r + 1) % n, tag=9).wait()
    assert work.wait(timeout=30) and work.is_success()
    close(out, np.full(4, (r - 1) % n, "int32"))


def _non_contiguous(pg):
    n, r = pg.size, pg.rank
    base = data(r, 12 * 7, "float64").reshape(12, 7)
    view = base.T[::2]                       # strided: neither C nor F contiguous
    pg.all_reduce(view).wait()
    want = sum(data(q, 84, "float64").reshape(12, 7).T[::2] for q in range(n))
    close(view, want)
    close(base.T[1::2], data(r, 84, "float64").reshape(12, 7).T[1::2])  # others untouched
    fort = np.asfortranarray(data(r, 6 * 5, "int32").reshape(6, 5))
    pg.broadcast(fort, 0).wait()
    close(fort, data(0, 30, "int32").reshape(6, 5))


def _zero_dim(pg):
    x = np.array(float(pg.rank + 1))
    pg.all_reduce(x, ReduceOp.MAX).wait()
    assert x.shape == () and float(x) == pg.size, x


def _async_order(pg):
    n, r = pg.size, pg.rank
    arrays = [data(r, s, "float32", salt=i) for i, s in enumerate((10, 200_000, 3, 90_000))]
    works = [pg.all_reduce(a) for a in arrays]
    assert works[-1].wait(timeout=30) is True
    assert all(w.is_completed() for w in works), "earlier work must complete first"
    for i, (a, s) in enumerate(zip(arrays, (10, 200_000, 3, 90_000))):
        close(a, sum(data(q, s, "float32", salt=i) for q in range(n)).astype("float32"))
    assert works[0].result() is arrays[0] and works[0].is_success()


def _subgroup(pg):
    n, r = pg.size, pg.rank
    members = list(range(0, n, 2))           # every other rank: 1 or 2 members
    sub = pg.new_group(members)
    odd = pg.new_group(list(range(1, n, 2)))
    mine = sub if r in members else odd
    assert (sub is None) == (r not in members)
    x = np.full(7, float(r))
    mine.all_reduce(x).wait()
    group = members if r in members else list(range(1, n, 2))
    close(x, np.full(7, float(sum(group))))
    assert mine.rank == group.index(r) and mine.size == len(group)
    pg.barrier().wait()                      # the world group still works after


def job_collectives():
    # Small shared-memory slots: the 300_001-element arrays then take many rounds, so
    # slot rotation is exercised without big arrays.
    shm.SLOT_BYTES = 64 << 10
    pg = comm.init_from_env(timeout=60)
    check = Checker()
    for part in (check_all_reduce, check_rooted, check_gather_scatter, check_all_to_all,
                 check_misc):
        part(pg, check)
    digests = pg.all_gather_obj(check.digests).result()
    differ = sorted(k for k in check.digests if any(d.get(k) != check.digests[k]
                                                     for d in digests))
    arena = pg._engine.t.arena
    print("RESULT " + json.dumps({"failures": check.failures, "count": check.count,
                                  "differ": differ, "shm": bool(arena and arena.covers(pg.ranks))}),
          flush=True)
    comm.destroy()


def job_loop(size):
    """All-reduce until something fails; report the error and when it came."""
    pg = comm.init_from_env(timeout=120)
    x = np.ones(int(size), "float32")
    print("READY", flush=True)
    start = time.time()
    try:
        while time.time() - start < 60:
            pg.all_reduce(x, "MAX").wait()
            time.sleep(0.005)
        print("RESULT " + json.dumps({"error": None}), flush=True)
    except CommError as exc:
        print("RESULT " + json.dumps({"error": str(exc), "type": type(exc).__name__,
                                      "at": time.time()}), flush=True)
    # A normal exit: atexit closes the group, flushing our abort notice to the others.


def job_mismatch(*ports):
    """One mismatched collective per case, each in a fresh world; every rank must raise."""
    results = {}
    for case, port in zip(MISMATCH_CASES, ports):
        results[case] = _mismatch_case(case, int(port))
    print("RESULT " + json.dumps(results), flush=True)


MISMATCH_CASES = ["op", "shape", "dtype", "kind", "large_shape"]


def _mismatch_case(case, port):
    r, n = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    pg = comm.ProcessGroup(r, n, "127.0.0.1", port, timeout=30)
    x = np.ones(10, "float32")
    start = time.time()
    try:
        if case == "op":
            pg.all_reduce(x, "MAX" if r == 1 else "SUM").wait()
        elif case == "shape":
            pg.all_reduce(np.ones(11 if r == 1 else 10, "float32")).wait()
        elif case == "dtype":
            pg.all_reduce(np.ones(10, "float64" if r == n - 1 else "float32")).wait()
        elif case == "kind":
            (pg.broadcast(x, 0) if r == 0 else pg.all_reduce(x)).wait()
        elif case == "large_shape":
            pg.all_reduce(np.ones(200_000 + (r == 0), "float32")).wait()
        pg.barrier().wait()   # a rank that finished its part learns of the mismatch here
        pg.all_reduce(x).wait()
        result = {"error": None}
    except CommError as exc:
        result = {"error": str(exc), "type": type(exc).__name__}
    result["took"] = time.time() - start
    pg.destroy()   # flushes our abort notice to the others before the next case
    return result


def job_stray():
    """Wait for the test to poke at us from outside, then check the job still works."""
    pg = comm.init_from_env(timeout=60)
    print("ENDPOINT", pg._engine.t.pull.LAST_ENDPOINT.decode(), flush=True)
    # What a member would know: lets the test send malformed messages past authentication.
    print("TOKEN", pg._engine.t.token.hex(), flush=True)
    sys.stdin.readline()                      # the test pokes, then says go
    x = np.full(1000, float(pg.rank + 1))
    pg.all_reduce(x).wait()
    ok = bool(np.all(x == sum(range(1, pg.size + 1))))
    print("RESULT " + json.dumps({"ok": ok}), flush=True)
    comm.destroy()


def job_deadline():
    """Rank 0 waits on a rank that never comes: the timeout must end the wait."""
    pg = comm.init_from_env(timeout=30)
    pg.timeout = 1.0        # only now: a slow start must not trip the rendezvous itself
    start = time.time()
    try:
        if pg.rank == 0:
            pg.all_reduce(np.ones(4)).wait()
        else:
            time.sleep(2.5)
            pg.barrier().wait()
        result = {"error": None}
    except CommError as exc:
        result = {"error": str(exc), "type": type(exc).__name__}
    result["took"] = time.time() - start
    print("RESULT " + json.dumps(result), flush=True)


def job_single():
    """No launcher variables: world size 1, results are the inputs, nothing opened."""
    pg = comm.init_from_env()
    x = np.arange(5.0)
    same = [comm.all_reduce(x, "AVG") is x, comm.broadcast(x, 0) is x]
    outs = [np.empty(5)]
    comm.all_gather(outs, x)
    comm.barrier()
    obj = comm.broadcast_obj({"a": 1})
    import threading
    print("RESULT " + json.dumps({
        "size": pg.size, "rank": pg.rank, "same": same, "x": x.tolist(),
        "gathered": outs[0].tolist(), "obj": obj, "sockets": _open_sockets(),
        "threads": threading.active_count()}), flush=True)


def _open_sockets():
    count = 0
    for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass   # the directory listing's own descriptor, already closed
    return count


def _report(**result):
    print("RESULT " + json.dumps(result), flush=True)


def job_claims(seconds="10"):
    """Join, then run all_reduces until an error or ``seconds``: a misconfigured job must
    fail on every rank, whether the bad claim came before or after the group formed."""
    print("START", time.time(), flush=True)
    try:
        pg = comm.init_from_env(timeout=60)
        print("JOINED", flush=True)
        end = time.time() + float(seconds)
        while time.time() < end:
            x = np.ones(4)
            pg.all_reduce(x).wait()
            time.sleep(0.05)
        _report(error=None, at=time.time(), sum=float(x[0]))
    except (CommError, comm.StoreError) as exc:
        _report(error=str(exc), type=type(exc).__name__, at=time.time())


def job_train(steps="60", hold="0"):
    """A tiny data-parallel training whose numbers are exact in any summation order, so
    its parameters can be compared bit for bit with a run computed without any peers.
    With ``hold``, the formed group waits for a line on stdin before training."""
    print("START", time.time(), flush=True)
    try:
        pg = comm.init_from_env(timeout=60)
        print("JOINED", flush=True)
        if hold == "1":
            sys.stdin.readline()
        p = np.zeros(8)
        for step in range(int(steps)):
            grad = (np.arange(8) % 3 - 1.0) * (pg.rank + 1) + step % 5
            pg.all_reduce(grad, "AVG").wait()
            p -= 0.25 * grad
            time.sleep(0.02)
        _report(error=None, params=p.tolist())
        comm.destroy()
    except (CommError, comm.StoreError) as exc:
        _report(error=str(exc), type=type(exc).__name__)


def solo_train(world_size, steps=60):
    """What ``job_train`` computes, without processes."""
    p = np.zeros(8)
    for step in range(steps):
        grads = [(np.arange(8) % 3 - 1.0) * (r + 1) + step % 5 for r in range(world_size)]
        p -= 0.25 * (sum(grads) / world_size)
    return p.tolist()


def job_startup_window():
    """Stop inside the start of a group, holding a shared-memory segment: rank 2 never
    publishes its endpoints, so the others wait in the rendezvous with theirs mapped."""
    if os.environ["RANK"] == "2":
        real = comm.Store.set

        def stall(self, key, value):
            if key.startswith("rdzv/ep/"):
                print("STALLED", flush=True)
                time.sleep(600)
            return real(self, key, value)
        comm.Store.set = stall
    comm.init_from_env(timeout=60)
    _report(error="the group started although rank 2 never published its endpoints")


def job_reinit(rounds="3"):
    """PyTorch's DDP tutorial pattern: init, work, destroy, and again, in one process, with
    rank and world size passed as arguments (no launcher variables needed)."""
    import disttrain as torch
    import disttrain.distributed as dist
    rank, size = int(os.environ.pop("RANK")), int(os.environ.pop("WORLD_SIZE"))
    destroy_s = []
    for i in range(int(rounds)):
        dist.init_process_group("gloo", rank=rank, world_size=size)
        t = torch.ones(3) * (rank + i)
        dist.all_reduce(t)
        assert t.tolist() == [float(sum(range(i, i + size)))] * 3, t
        start = time.perf_counter()
        dist.destroy_process_group()
        destroy_s.append(time.perf_counter() - start)
    _report(error=None, destroy_s=destroy_s)


if __name__ == "__main__":
    if os.environ.get("DISTTRAIN_TEST_DUMP_AFTER"):   # where a hung worker is stuck
        import faulthandler
        faulthandler.dump_traceback_later(float(os.environ["DISTTRAIN_TEST_DUMP_AFTER"]),
                                          exit=True)
    globals()[f"job_{sys.argv[1]}"](*sys.argv[2:])
