"""``launch``: start and supervise the worker processes of a data-parallel job.

Usage::

    launch --nproc N [--nnodes M --node-rank R --master-addr A --master-port P]
           [--max-restarts K] [--log-dir D] [--grace-period S] script.py [args...]
    launch --nproc N -m package.module [args...]
    python -m launch ...

Every flag also has its underscored spelling (``--nproc_per_node``, ``--master_port``...)
and ``--nproc-per-node`` is ``--nproc``, as with torchrun. ``--nproc auto`` is the number
of GPUs cupy sees, else the number of usable CPUs.

Environment of each worker
--------------------------
``RANK``              global rank, ``node_rank * nproc + LOCAL_RANK``
``LOCAL_RANK``        rank among this node's workers, ``0 .. nproc-1``
``WORLD_SIZE``        ``nnodes * nproc``
``LOCAL_WORLD_SIZE``  ``nproc``
``GROUP_RANK``        this node's rank (``--node-rank``)
``MASTER_ADDR``       rank 0's host, serving the rendezvous store (default 127.0.0.1)
``MASTER_PORT``       the store's port; on one node, a free port is picked when none is
                      given (a new one for every restart), so jobs never collide
``DISTTRAIN_SECRET``  the job's secret: random per job on one node; kept when already set
                      (set the same value on every node of a multi-node job; if unset
                      there, it is derived from master address, port and job shape, which
                      keeps other jobs' processes out but is not secret)
``DISTTRAIN_RESTART_COUNT`` / ``TORCHELASTIC_RESTART_COUNT``
                      how many times the group was restarted, 0 at first
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ... = 1 when several
workers share the node, unless you set them; ``PYTHONUNBUFFERED=1`` unless set.
Standard input is ``/dev/null``.

Output
------
Every line a worker writes to stdout or stderr is printed on the launcher's own stdout
or stderr with the prefix ``[rank R] ``. With ``--log-dir D``, each worker's unprefixed
output is kept in ``D/attempt_K/rank_R.log``.

Failure modes
-------------
* A worker exits non-zero or is killed: within ~0.1 s the others get SIGTERM, then
  SIGKILL after ``--grace-period`` seconds (default 5). With restarts left, the whole
  group starts again (``DISTTRAIN_RESTART_COUNT`` + 1); otherwise ``launch`` exits with
  that worker's exit code (128 + N for signal N) and says which rank failed. When several
  fail together, the lowest rank is reported.
* SIGINT (Ctrl-C), SIGTERM or SIGHUP to ``launch``: forwarded to every worker, SIGKILL
  after the grace period (a second signal skips it); exit code 128 + signal.
* ``launch`` itself killed (even SIGKILL): a reaper process it started notices at once
  and stops every worker it had, so no worker outlives its launcher.
* Multi-node: each node's launcher supervises its own workers; when a worker on one node
  fails, its peers elsewhere fail too (the comm layer notices the dead rank within
  seconds), so every node sees a failure and restarts or exits.
"""
import argparse
import errno
import hashlib
import os
import random
import secrets
import socket
import sys

from .agent import Agent

__all__ = ["main", "parse_args", "pick_free_port", "resolve_nproc"]

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS")
DEFAULT_PORT = 29500


def _flag(parser, name, **kwargs):
    """Add ``--a-b`` and ``--a_b`` (and any alias) as one option."""
    names = [name] if isinstance(name, str) else list(name)
    spellings = []
    for n in names:
        under = "--" + n[2:].replace("-", "_") if n.startswith("--") else n
        spellings += [s for s in dict.fromkeys((n, under)) if s not in spellings]
    parser.add_argument(*spellings, **kwargs)


def build_parser():
    p = argparse.ArgumentParser(
        prog="launch", allow_abbrev=False,
        description="Start N worker processes per node with RANK/WORLD_SIZE/MASTER_* set, "
                    "prefix their output, stop or restart them together.")
    _flag(p, ["--nproc", "--nproc-per-node"], dest="nproc", default="1",
          help="workers on this node: a number, 'auto', 'cpu' or 'gpu' (default 1)")
    _flag(p, "--nnodes", type=int, default=1, help="number of nodes (default 1)")
    _flag(p, "--node-rank", type=int, default=0, help="this node's rank (default 0)")
    _flag(p, "--master-addr", default="127.0.0.1", help="rank 0's host (default 127.0.0.1)")
    _flag(p, "--master-port", type=int, default=None,
          help="rendezvous port (default: a free one on a single node, else 29500)")
    _flag(p, "--max-restarts", type=int, default=0,
          help="restart the whole group up to this many times after a failure (default 0)")
    _flag(p, "--log-dir", default=None, help="keep each worker's output under this directory")
    _flag(p, "--grace-period", type=float, default=5.0,
          help="seconds between SIGTERM and SIGKILL when stopping workers (default 5)")
    _flag(p, ["-m", "--module"], action="store_true",
          help="run the script argument as a module (python -m)")
    _flag(p, "--no-python", action="store_true",
          help="run the script argument as an executable, not with python")
    p.add_argument("script", help="the training script (or module with -m)")
    p.add_argument("script_args", nargs=argparse.REMAINDER, help="its arguments")
    return p


def parse_args(argv=None):
    """Parse and check the command line; the argparse namespace."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.nproc = resolve_nproc(args.nproc)
    except ValueError as exc:
        parser.error(str(exc))
    if args.nnodes < 1:
        parser.error(f"--nnodes must be at least 1, got {args.nnodes}")
    if not 0 <= args.node_rank < args.nnodes:
        parser.error(f"--node-rank {args.node_rank} is not in 0..{args.nnodes - 1}")
    if args.max_restarts < 0:
        parser.error(f"--max-restarts must be >= 0, got {args.max_restarts}")
    if args.module and args.no_python:
        parser.error("-m/--module and --no-python cannot be combined")
    return args


def resolve_nproc(value):
    """``"4"`` -> 4; ``"auto"``/``"gpu"``: GPUs cupy sees (auto: else CPUs); ``"cpu"``: CPUs."""
    value = str(value).lower()
    if value in ("auto", "gpu"):
        gpus = _gpu_count()
        if gpus or value == "gpu":
            if not gpus:
                raise ValueError("--nproc gpu: no GPU is visible to cupy")
            return gpus
        value = "cpu"
    if value == "cpu":
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:
            return os.cpu_count() or 1
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"--nproc must be a number, 'auto', 'cpu' or 'gpu', got {value!r}")
    if n < 1:
        raise ValueError(f"--nproc must be at least 1, got {n}")
    return n


def _gpu_count():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:   # not installed, no driver, no device: all mean "no GPU"
        return 0


def pick_free_port(addr="127.0.0.1", tries=100):
    """A TCP port nobody listens on at ``addr``.

    Taken below the kernel's ephemeral range where possible, so that no outgoing
    connection can grab it between this check and rank 0 binding it.
    """
    low, _ = _ephemeral_range()
    for _ in range(tries):
        port = random.randint(10000, low - 1) if low > 10001 else 0
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((addr, port))
            except OSError as exc:
                if exc.errno == errno.EADDRNOTAVAIL:
                    addr = ""   # not an address of this host: check all interfaces instead
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"could not find a free TCP port on {addr} after {tries} tries")


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(v) for v in f.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999   # Linux's default


def job_secret(args):
    """The DISTTRAIN_SECRET for this job (see the module docstring)."""
    if os.environ.get("DISTTRAIN_SECRET"):
        return os.environ["DISTTRAIN_SECRET"]
    if args.nnodes == 1:
        return secrets.token_hex(16)
    print("launch: DISTTRAIN_SECRET is not set; deriving the job secret from the master "
          "address, port and job shape. That keeps other jobs' processes out but is not "
          "secret: export the same random DISTTRAIN_SECRET on every node.",
          file=sys.stderr, flush=True)
    shape = f"{args.master_addr}:{args.master_port}:{args.nnodes}:{args.nproc}"
    return hashlib.sha256(f"disttrain-job:{shape}".encode()).hexdigest()[:32]


def worker_env(args, secret):
    """Variables every worker gets besides the per-rank ones."""
    env = {"DISTTRAIN_SECRET": secret}
    if "PYTHONUNBUFFERED" not in os.environ:
        env["PYTHONUNBUFFERED"] = "1"   # lines reach the prefixer as they are printed
    if args.nproc > 1:
        # Several workers on one host each running a full-width BLAS pool oversubscribe
        # the cores badly; one thread each, unless the user chose otherwise.
        env.update({v: "1" for v in THREAD_VARS if v not in os.environ})
    return env


def worker_cmd(args):
    if args.no_python:
        return [args.script, *args.script_args]
    if args.module:
        return [sys.executable, "-m", args.script, *args.script_args]
    return [sys.executable, args.script, *args.script_args]


def main(argv=None):
    """Entry point of the ``launch`` command; exits with the job's exit code."""
    args = parse_args(argv)
    fixed = args.master_port
    if fixed is None and args.nnodes > 1:
        fixed = args.master_port = DEFAULT_PORT   # every node must agree without talking
    if fixed is None:
        def port_for(attempt):
            return pick_free_port(args.master_addr)
    else:
        def port_for(attempt):
            return fixed
    agent = Agent(worker_cmd(args), args.nproc, args.nnodes, args.node_rank, args.master_addr,
                  port_for, args.max_restarts, args.log_dir, args.grace_period,
                  worker_env(args, job_secret(args)))
    sys.exit(agent.run())


if __name__ == "__main__":
    main()
