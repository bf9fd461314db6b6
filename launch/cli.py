"""``launch``: start and supervise the worker processes of a data-parallel job.

Usage::

    launch --nproc N [--nnodes M --node-rank R --master-addr A --master-port P]
           [--max-restarts K] [--log-dir D] [--grace-period S] script.py [args...]
    launch --nproc N -m package.module [args...]
    python -m launch ...            python -m disttrain.distributed.run ...
    python -m disttrain.distributed.launch [--use-env] ...   (adds --local-rank=N)

torchrun's flags are accepted as torchrun spells them: ``--nproc-per-node``,
``--standalone``, ``--rdzv-endpoint HOST:PORT``, ``--rdzv-backend static|c10d``,
``--rdzv-id``, ``--nnodes N`` or ``N:N``, ``-t/--tee``, ``-r/--redirects``,
``--local-ranks-filter``, ``--monitor-interval``, ``--role``, ``--run-path``; every flag
also has its underscored spelling (``--nproc_per_node``, ``--master_port``...).
``--nproc auto`` is the number of GPUs cupy sees, else the number of usable CPUs. Ports are
checked when the command line is parsed, and a script that does not exist is one error
before any worker starts.

Environment of each worker
--------------------------
``RANK``              global rank, ``node_rank * nproc + LOCAL_RANK``
``LOCAL_RANK``        rank among this node's workers, ``0 .. nproc-1``
``WORLD_SIZE``        ``nnodes * nproc``
``LOCAL_WORLD_SIZE``  ``nproc``
``GROUP_RANK``        this node's rank (``--node-rank``); ``GROUP_WORLD_SIZE``: ``nnodes``
``ROLE_NAME``         ``--role`` (default ``default``); ``ROLE_RANK``, ``ROLE_WORLD_SIZE``
                      as ``RANK``, ``WORLD_SIZE`` (one role per job)
``MASTER_ADDR``       rank 0's host, serving the rendezvous store (default 127.0.0.1)
``MASTER_PORT``       the store's port. One node: ``--master-port``, or a free port when
                      none (or 0) is given, a new one for every restart. Several nodes:
                      node 0's launcher listens on ``--master-port`` itself and gives the
                      workers a free port of its host, a new one per restart.
``TORCHELASTIC_RUN_ID``
                      the run id: ``--rdzv-id``, else a random id made by node 0 and sent
                      to the other nodes when they meet (all nodes of a job share it)
``TORCHELASTIC_ERROR_FILE``
                      where the worker's uncaught error is written (torchrun's JSON) for
                      the root-cause report; disttrain writes it by itself
``DISTTRAIN_SECRET``  the job's secret: random per job on one node; kept when already set
                      (set the same value on every node of a multi-node job; if unset
                      there, it is derived from master address, port and job shape, which
                      keeps other jobs' processes out but is not secret)
``DISTTRAIN_RESTART_COUNT`` / ``TORCHELASTIC_RESTART_COUNT``
                      how many times the job was restarted, 0 at first;
                      ``TORCHELASTIC_MAX_RESTARTS``: ``--max-restarts``
``COLUMNS``           when the launcher runs in a terminal: its width less the prefix's
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ... = 1 when several
workers share the node, unless you set them; ``PYTHONUNBUFFERED=1`` unless set.
Standard input is ``/dev/null``.

Output
------
Every line a worker writes is shown with the prefix ``[rank R] `` at its start. When the
launcher's stdout is a terminal each worker writes into a terminal (pty) of its own, as
under plain python (tqdm, colours), and a ``\r``-redrawn progress bar stays on one line;
otherwise whole lines are copied, each ``\r`` redraw on a line of its own. When the
launcher's stdout and stderr are the same file (``> log 2>&1``) a worker's stdout and
stderr keep their exact order. ``--local-ranks-filter`` hides other ranks from the console.

At start the launcher prints the run id. With ``--log-dir D`` each worker's raw output is
kept in ``D/RUN_ID/attempt_K/rank_R.log`` (``D/RUN_ID/node_N/...`` on several nodes; a
run id used before gets a ``_2``, ``_3``... suffix, so runs never mix), with its error
file ``error_rank_R.json`` beside it. ``--redirects`` (to the file only) and ``--tee``
(file and console) choose streams as torchrun: 1 stdout, 2 stderr, 3 both, or per local
rank ``0:1,1:2``; without ``--log-dir`` they use a temporary directory, printed.

Failure modes
-------------
* A worker exits non-zero or is killed: the others get SIGTERM, then SIGKILL after
  ``--grace-period`` seconds (default 5). With restarts left, the whole job starts again
  (``DISTTRAIN_RESTART_COUNT`` + 1); otherwise ``launch`` prints a root-cause block and
  exits with the root cause's exit code (128 + N for signal N). The root cause is the
  first worker to fail on its own, by time, not by rank: a worker whose error only
  reports a peer's failure (disttrain's ``PeerError``, ``CommTimeout``) is a consequence,
  its traceback shortened to one line. When every failure is a consequence, the worker
  they waited for (still running: stalled) is named.
* SIGINT (Ctrl-C), SIGTERM or SIGHUP to ``launch``: forwarded to every worker, SIGKILL
  after the grace period (a second signal skips it); exit code 128 + signal.
* ``launch`` itself killed (even SIGKILL): a reaper process it started notices at once
  and stops every worker it had, so no worker outlives its launcher.
* Several nodes act as one job through node 0's launcher: a node waiting for the others
  says whom it waits for every few seconds; a failure on any node stops the workers on
  every node, and they restart together (the same attempt, from the same checkpoint) or
  all exit with the same root cause. A node that disconnects ends the job. Membership is
  static: ``--nnodes MIN:MAX`` with ``MIN < MAX`` is refused.
"""
import argparse
import errno
import hashlib
import os
import random
import secrets
import shutil
import socket
import sys

from .agent import Agent

__all__ = ["main", "parse_args", "pick_free_port", "resolve_nproc", "parse_streams",
           "new_run_id"]

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS")
DEFAULT_PORT = 29500
DEFAULT_RDZV_PORT = 29400   # torchrun's, for --rdzv-endpoint HOST without a port
RDZV_BACKENDS = ("static", "c10d")


def _flag(parser, name, **kwargs):
    """Add ``--a-b`` and ``--a_b`` (and any alias) as one option."""
    names = [name] if isinstance(name, str) else list(name)
    spellings = []
    for n in names:
        under = "--" + n[2:].replace("-", "_") if n.startswith("--") else n
        spellings += [s for s in dict.fromkeys((n, under)) if s not in spellings]
    parser.add_argument(*spellings, **kwargs)


def build_parser(legacy=False):
    """The command line's parser; ``legacy``: ``torch.distributed.launch``'s (``--use-env``)."""
    p = argparse.ArgumentParser(
        prog="python -m disttrain.distributed.launch" if legacy else "launch",
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Start N worker processes per node with RANK/WORLD_SIZE/MASTER_* set, "
                    "prefix their output, stop or restart them together. Takes torchrun's "
                    "flags.",
        epilog="On failure, launch prints a root-cause block (the first worker to fail on "
               "its own, not because a peer died) and exits with that worker's exit code.")
    _flag(p, ["--nproc", "--nproc-per-node"], dest="nproc", default="1",
          help="workers on this node: a number, 'auto', 'cpu' or 'gpu' (default 1)")
    _flag(p, "--nnodes", default="1",
          help="number of nodes N, or MIN:MAX as torchrun (MIN must equal MAX: no elastic "
               "membership) (default 1)")
    _flag(p, "--node-rank", type=int, default=0, help="this node's rank (default 0)")
    _flag(p, "--master-addr", default="127.0.0.1",
          help="node 0's host, where the nodes meet (default 127.0.0.1)")
    _flag(p, "--master-port", type=_port, default=None,
          help="port where the nodes meet (1-65535; default: a free one on a single node, "
               "else 29500; 0: a free one, single node only)")
    _flag(p, "--standalone", action="store_true",
          help="single node on a free local port: --nnodes 1 --master-addr 127.0.0.1, "
               "a free --master-port and a random run id (any --rdzv-* value is ignored)")
    _flag(p, "--rdzv-endpoint", default=None, metavar="HOST[:PORT]",
          help="where the nodes meet: sets --master-addr and --master-port (port 29400 "
               "when omitted, as torchrun)")
    _flag(p, "--rdzv-backend", default="static", metavar="{static,c10d}",
          help="accepted for torchrun compatibility: 'static' and 'c10d' both mean node 0's "
               "launcher coordinates the nodes (default static)")
    _flag(p, "--rdzv-id", default=None,
          help="the job's run id (TORCHELASTIC_RUN_ID; default: a random id, made by node 0 "
               "and sent to the other nodes when they meet)")
    _flag(p, "--max-restarts", type=int, default=0,
          help="restart the whole job, on every node, up to this many times after a "
               "failure (default 0)")
    _flag(p, "--monitor-interval", type=float, default=0.1,
          help="seconds between checks of the workers' state (default 0.1)")
    _flag(p, "--log-dir", default=None,
          help="keep each worker's output in LOG_DIR/RUN_ID/attempt_K/rank_R.log (stdout "
               "and stderr in order) and its error file next to it")
    _flag(p, ["-r", "--redirects"], default=None, metavar="STREAMS",
          help="send these streams to the log file only, not the console: 0 none, 1 stdout, "
               "2 stderr, 3 both, or per local rank as '0:1,1:2' (a temporary log "
               "directory is used when --log-dir is not given)")
    _flag(p, ["-t", "--tee"], default=None, metavar="STREAMS",
          help="send these streams to the log file and the console (format as --redirects; "
               "with --log-dir and neither flag, both streams are teed)")
    _flag(p, "--local-ranks-filter", default=None, metavar="RANKS",
          help="show only these local ranks' output on the console, e.g. '0' or '0,2' "
               "(log files still get everything)")
    _flag(p, "--role", default="default", help="the workers' role name (ROLE_NAME)")
    _flag(p, "--grace-period", type=float, default=5.0,
          help="seconds between SIGTERM and SIGKILL when stopping workers (default 5)")
    _flag(p, ["-m", "--module"], action="store_true",
          help="run the script argument as a module (python -m)")
    _flag(p, "--no-python", action="store_true",
          help="run the script argument as an executable, not with python")
    _flag(p, "--as-torch", action="store_true",
          help="run an unchanged PyTorch script: its 'import torch...' lines get disttrain "
               "(python -m disttrain.as_torch)")
    _flag(p, "--run-path", action="store_true",
          help="run the script with runpy.run_path (as torchrun; takes precedence over "
               "--no-python)")
    if legacy:
        _flag(p, "--use-env", action="store_true",
              help="read the local rank from LOCAL_RANK only; without it each worker also "
                   "gets --local-rank=N before its arguments")
    p.add_argument("script", help="the training script (or module with -m)")
    p.add_argument("script_args", nargs=argparse.REMAINDER, help="its arguments")
    return p


def _port(text):
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: not a number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {port}: must be in 1..65535 (or 0 "
                                         f"for a free one)")
    return port


def parse_streams(value, nproc, flag):
    """``"3"`` -> ``{0: 3, ...}`` for every local rank; ``"0:1,1:2"`` -> ``{0: 1, 1: 2}``.

    Stream bits as torchrun: 1 stdout, 2 stderr, 3 both, 0 none.
    """
    if value is None:
        return {}
    value = str(value).strip()
    try:
        if ":" not in value:
            bits = int(value)
            if not 0 <= bits <= 3:
                raise ValueError
            return {r: bits for r in range(nproc)}
        out = {}
        for part in value.split(","):
            rank, bits = (int(v) for v in part.split(":"))
            if not 0 <= bits <= 3 or rank < 0:
                raise ValueError
            out[rank] = bits
        return out
    except ValueError:
        raise ValueError(f"{flag} must be 0, 1, 2, 3 or LOCAL_RANK:N,... (e.g. '0:1,1:2'), "
                         f"got {value!r}") from None


def _nnodes(text):
    lo, sep, hi = str(text).partition(":")
    try:
        lo, hi = int(lo), int(hi) if sep else int(lo)
    except ValueError:
        raise ValueError(f"--nnodes must be N or MIN:MAX, got {text!r}") from None
    if lo < 1 or hi < lo:
        raise ValueError(f"--nnodes must be at least 1 (and MIN <= MAX), got {text!r}")
    if lo != hi:
        raise ValueError(f"--nnodes {text}: elastic membership (a node count that changes "
                         f"while the job runs) is not supported; give a fixed count, e.g. "
                         f"--nnodes {hi}")
    return lo


def parse_args(argv=None, check_script=False, legacy=False):
    """Parse and check the command line; the argparse namespace. With ``check_script``, a
    script that cannot be started is a usage error too; ``legacy``: see
    :func:`build_parser`."""
    parser = build_parser(legacy)
    args = parser.parse_args(argv)
    args.local_rank_arg = legacy and not args.use_env
    try:
        args.nproc = resolve_nproc(args.nproc)
        args.nnodes = _nnodes(args.nnodes)
        args.redirects = parse_streams(args.redirects, args.nproc, "--redirects")
        args.tee = parse_streams(args.tee, args.nproc, "--tee")
        args.local_ranks_filter = _ranks_filter(args.local_ranks_filter)
    except ValueError as exc:
        parser.error(str(exc))
    if args.rdzv_backend not in RDZV_BACKENDS:
        parser.error(f"--rdzv-backend {args.rdzv_backend!r} is not supported: use 'static' "
                     f"or 'c10d' (both: node 0's launcher coordinates the nodes)")
    if args.standalone:
        if args.nnodes != 1:
            parser.error(f"--standalone is for one node, got --nnodes {args.nnodes}")
        args.master_addr, args.master_port, args.rdzv_id = "127.0.0.1", 0, None
    elif args.rdzv_endpoint:
        host, sep, port = args.rdzv_endpoint.rpartition(":")
        if not sep or "]" in port:   # no port given (or a bare IPv6 address)
            host, port = args.rdzv_endpoint, str(DEFAULT_RDZV_PORT)
        try:
            args.master_port = _port(port)
        except argparse.ArgumentTypeError as exc:
            parser.error(f"--rdzv-endpoint {args.rdzv_endpoint!r}: {exc}")
        args.master_addr = host.strip("[]") or args.master_addr
    if not 0 <= args.node_rank < args.nnodes:
        parser.error(f"--node-rank {args.node_rank} is not in 0..{args.nnodes - 1}")
    if args.nnodes > 1 and args.master_port == 0:
        parser.error("--master-port 0 (a free port) works on one node only: the other nodes "
                     "must know the port; give one, e.g. 29500")
    if args.max_restarts < 0:
        parser.error(f"--max-restarts must be >= 0, got {args.max_restarts}")
    if args.monitor_interval <= 0:
        parser.error(f"--monitor-interval must be > 0, got {args.monitor_interval}")
    if args.module and args.no_python:
        parser.error("-m/--module and --no-python cannot be combined")
    if getattr(args, "as_torch", False) and args.no_python:
        parser.error("--as-torch runs a Python script; it cannot be combined with --no-python")
    if args.run_path and args.module:
        parser.error("--run-path and -m/--module cannot be combined")
    problem = _script_problem(args) if check_script else None
    if problem:
        parser.error(problem)
    return args


def _ranks_filter(value):
    if value is None:
        return None
    try:
        ranks = {int(v) for v in str(value).split(",") if v.strip()}
    except ValueError:
        raise ValueError(f"--local-ranks-filter must be local ranks separated by commas, "
                         f"e.g. '0,2', got {value!r}") from None
    return ranks


def _script_problem(args):
    """Why the script cannot be started (checked once here, not on every rank)."""
    if args.module:
        return None   # found on the workers' own path; python -m says so if it is not
    if args.no_python and not args.run_path:
        if os.sep not in args.script:
            return None if shutil.which(args.script) else \
                f"no executable {args.script!r} on PATH"
        if not os.path.isfile(args.script):
            return f"no such file: {args.script!r}"
        if not os.access(args.script, os.X_OK):
            return f"{args.script!r} is not executable"
        return None
    if not os.path.isfile(args.script):
        return f"can't open file {os.path.abspath(args.script)!r}: no such file"
    return None


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


def new_run_id():
    """A fresh run id (TORCHELASTIC_RUN_ID when --rdzv-id is not given)."""
    return secrets.token_hex(6)


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


_RUN_PATH = ("import runpy, sys; sys.argv = sys.argv[1:]; "
             "runpy.run_path(sys.argv[0], run_name='__main__')")


def worker_cmd(args):
    if getattr(args, "as_torch", False):
        module = ["-m"] if args.module else []
        return [sys.executable, "-m", "disttrain.as_torch", *module, args.script,
                *args.script_args]
    if args.run_path:
        return [sys.executable, "-c", _RUN_PATH, args.script, *args.script_args]
    if args.no_python:
        return [args.script, *args.script_args]
    if args.module:
        return [sys.executable, "-m", args.script, *args.script_args]
    return [sys.executable, args.script, *args.script_args]


def main(argv=None, legacy=False):
    """Entry point of the ``launch`` command; exits with the job's exit code. ``legacy``:
    behave as ``torch.distributed.launch`` (``--local-rank=N`` unless ``--use-env``)."""
    args = parse_args(argv, check_script=True, legacy=legacy)
    if args.master_port is None:
        # several nodes must agree on the port without talking; one node picks a free one
        args.master_port = DEFAULT_PORT if args.nnodes > 1 else 0
    fixed = args.master_port
    if args.nnodes > 1:
        def port_for(attempt):   # node 0's coordinator holds --master-port; the workers'
            return pick_free_port(args.master_addr)   # store gets a fresh port per attempt
    elif fixed == 0:
        def port_for(attempt):
            return pick_free_port(args.master_addr)
    else:
        def port_for(attempt):
            return fixed
    secret = job_secret(args)
    agent = Agent(args, worker_cmd(args), worker_env(args, secret), port_for,
                  args.rdzv_id or new_run_id(), secret)
    sys.exit(agent.run())


if __name__ == "__main__":
    main()
