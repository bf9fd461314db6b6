"""Run a worker script as N real processes on loopback, bounded by a timeout.

Workers report through ``results/rank{r}.json``: ``{check name: "ok" or the error}``, so one
launch can serve several test functions.
"""
import json
import os
import socket
import subprocess
import sys
import time

WORKERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workers")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_env(extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.update(extra or {})
    return env


def run_ranks(script, nproc, args=(), timeout=60, env=None):
    """Start ``nproc`` ranks of ``workers/<script>``; returns ``[(returncode, output)]``.

    Every process is killed once ``timeout`` seconds have passed, so nothing can hang.
    """
    port = free_port()
    procs = []
    for r in range(nproc):
        e = worker_env(env)
        e.update(RANK=str(r), WORLD_SIZE=str(nproc), LOCAL_RANK=str(r),
                 LOCAL_WORLD_SIZE=str(nproc), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
                 DISTTRAIN_SECRET="test-secret")
        procs.append(subprocess.Popen(
            [sys.executable, os.path.join(WORKERS, script), *map(str, args)], env=e,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT))
    deadline = time.monotonic() + timeout
    out = []
    for p in procs:
        try:
            text, _ = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            text, _ = p.communicate()
            text += f"\n*** killed after {timeout} s"
        out.append((p.returncode, text))
    return out


def run_launch(args, timeout=120, env=None):
    """``python -m launch *args``; returns (returncode, output)."""
    cmd = [sys.executable, "-m", "launch", *map(str, args)]
    try:
        p = subprocess.run(cmd, env=worker_env(env), cwd=ROOT, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        return -9, f"{exc.stdout or ''}{exc.stderr or ''}\n*** killed after {timeout} s"
    return p.returncode, p.stdout + p.stderr


class Results:
    """What the ranks of one launch reported."""

    def __init__(self, outputs, result_dir):
        self.outputs = outputs
        self.by_rank = []
        for r in range(len(outputs)):
            path = os.path.join(result_dir, f"rank{r}.json")
            self.by_rank.append(json.load(open(path)) if os.path.exists(path) else {})

    def log(self):
        return "\n".join(f"--- rank {r} (exit {rc}) ---\n{text[-3000:]}"
                         for r, (rc, text) in enumerate(self.outputs))

    def check(self, name):
        """Assert that every rank ran check ``name`` and it passed."""
        for r, res in enumerate(self.by_rank):
            got = res.get(name)
            assert got == "ok", (f"rank {r}: check {name!r}: "
                                 f"{got if got else 'did not run'}\n{self.log()}")
