"""The launcher's agent: spawn one node's workers, watch them, restart or stop them.

Each worker runs in its own session (process group), so stopping it also stops anything
it started (data-loader workers...). A small *reaper* process, in a session of its own,
holds the list of those process groups on a pipe from the agent: if the agent dies, even
by SIGKILL, the pipe closes and the reaper terminates every group still listed, so no
worker outlives its launcher.

On several nodes the agents act as one through node 0's coordinator
(:mod:`launch.rendezvous`): a failure anywhere stops and restarts (or ends) the whole job
on every node together.
"""
import fcntl
import os
import pty
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from . import rootcause
from .output import Console, Log, Pump
from .rendezvous import Coordinator, Interrupted, NodeLink, decide, say

__all__ = ["Agent", "Worker"]

_REAPER = r"""
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the launcher's to forward
groups = set()
for line in sys.stdin:                          # ends when the launcher exits or dies
    sign, pgid = line[:1], int(line[1:])
    (groups.add if sign == "+" else groups.discard)(pgid)
def signal_all(sig):
    alive = set()
    for pgid in groups:
        try:
            os.killpg(pgid, sig)
            alive.add(pgid)
        except (ProcessLookupError, PermissionError):
            pass
    return alive
if signal_all(signal.SIGTERM):
    deadline = time.monotonic() + float(sys.argv[1])
    while signal_all(0) and time.monotonic() < deadline:
        time.sleep(0.1)
    signal_all(signal.SIGKILL)
"""

# How long a consequence failure (a worker whose peer died) waits for the failure that
# caused it to show before the group is stopped: the dying peer may still be exiting.
CAUSE_WAIT_S = 2.0
TAIL_BYTES = 4096


class Worker:
    """One worker process: its ranks, its process, where its output and error go."""

    def __init__(self, rank, local_rank, proc, log, error_file):
        self.rank, self.local_rank, self.proc = rank, local_rank, proc
        self.log, self.error_file = log, error_file
        self.pgid = proc.pid   # start_new_session: the worker leads its own group
        self.pumps = []
        self.exit_time = None   # time.time() when the launcher saw it exit
        self.tail = bytearray()   # the end of its stderr: the summary without an error file

        # A thread per worker notes the moment it exits: which failed first decides the
        # root cause, so it must not depend on the order the workers are polled in.
        self.waiter = threading.Thread(target=self._wait, daemon=True)
        self.waiter.start()

    def _wait(self):
        self.proc.wait()
        self.exit_time = time.time()

    @property
    def code(self):
        return self.proc.returncode if self.exit_time is not None else None

    def keep_tail(self, data):
        self.tail += data
        del self.tail[:-TAIL_BYTES]

    def failure(self):
        f = rootcause.Failure(self.rank, self.local_rank, self.proc.pid, self.proc.returncode,
                              self.exit_time or time.time(),
                              log=str(self.log.path) if self.log else None,
                              error_file=self.error_file)
        if f["summary"] is None:
            lines = [ln.strip() for ln in
                     self.tail.decode(errors="replace").replace("\r", "\n").splitlines()]
            lines = [ln for ln in lines if ln]
            f["summary"] = lines[-1] if lines else None
        return f


class Agent:
    """Runs one node's workers until they succeed, restarting the job on failure.

    Args:
        args: the parsed command line (see :func:`launch.cli.parse_args`).
        cmd (list): the worker command line.
        env (dict): extra environment for every worker (secret, thread limits...).
        port_for (callable): ``port_for(attempt)``: the workers' MASTER_PORT (node 0).
        run_id (str): the run id (node 0; the others learn it at rendezvous).
        secret (str): the job secret (multi-node: nodes of other jobs are refused).
    """

    def __init__(self, args, cmd, env, port_for, run_id, secret):
        self.args, self.cmd, self.env, self.port_for = args, cmd, env, port_for
        self.run_id, self.secret = run_id, secret
        self.nproc, self.nnodes, self.node_rank = args.nproc, args.nnodes, args.node_rank
        self.grace, self.poll = args.grace_period, args.monitor_interval
        self._signal, self._impatient = None, False
        self._reaper = None
        self._coordinator = self._link = None
        self.run_dir = None
        self._tmp_dir = None
        term_out, term_err = _isatty(sys.stdout), _isatty(sys.stderr)
        self._out = Console(sys.stdout.buffer, term_out)
        self._err = Console(sys.stderr.buffer, term_err)
        self._merged = not term_out and _same_file(sys.stdout, sys.stderr)
        self._columns = shutil.get_terminal_size().columns if (term_out or term_err) else None

    # ------------------------------------------------------------------ the job
    def run(self):
        """Run to completion; the launcher's exit code."""
        self._install_signals()
        self._reaper = subprocess.Popen(
            [sys.executable, "-c", _REAPER, str(self.grace)], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, start_new_session=True, text=True)
        try:
            if self.nnodes > 1:
                try:
                    self._join()
                except Interrupted:
                    say(f"received {signal.Signals(self._signal).name} while waiting for the "
                        f"other nodes")
                    return 128 + self._signal
                except (ConnectionError, OSError) as exc:
                    say(f"node {self.node_rank}: {exc}")
                    return 1
            self._make_run_dir()
            say(f"run id {self.run_id}" + (f": logs in {self.run_dir}"
                                           if self.args.log_dir else ""))
            code = self._attempts()
            if code and self._tmp_dir:   # the failure's error files stay readable
                self._tmp_dir = None
            return code
        finally:
            if self._link:
                self._link.close()
            if self._coordinator:
                self._coordinator.close()
            self._reaper.stdin.close()
            try:
                self._reaper.wait(timeout=self.grace + 5)
            except subprocess.TimeoutExpired:
                self._reaper.kill()
            if self._tmp_dir:
                shutil.rmtree(self._tmp_dir, ignore_errors=True)

    def _join(self):
        a = self.args
        if self.node_rank == 0:
            self._coordinator = Coordinator(a.master_addr, a.master_port, self.nnodes,
                                            self.nproc, self.secret, self.run_id,
                                            self.port_for, a.max_restarts)
        self._link = NodeLink(a.master_addr, a.master_port, self.node_rank, self.nnodes,
                              self.nproc, self.secret, lambda: self._signal is not None)
        self.run_id = self._link.join()

    def _make_run_dir(self):
        logged = self.args.log_dir or self.args.redirects or self.args.tee
        base = self.args.log_dir
        if base is None:
            # error files always need a home; --tee/--redirects without --log-dir: torchrun
            # also uses a temporary directory (kept, and printed)
            base = tempfile.mkdtemp(prefix="launch_")
            if not logged:
                self._tmp_dir = base
        # On several nodes, which may share the file system: RUN_ID/node_N per node.
        node = f"node_{self.node_rank}" if self.nnodes > 1 else ""
        run_dir = Path(base) / self.run_id / node
        n = 1
        while run_dir.exists():   # the same --rdzv-id again: never mix two runs' files
            n += 1
            run_dir = Path(base) / f"{self.run_id}_{n}" / node
        run_dir.mkdir(parents=True)
        self.run_dir = run_dir
        if logged and not self.args.log_dir:
            self.args.log_dir = base

    def _attempts(self):
        attempt = 0
        while True:
            port = self._begin(attempt)
            if port is None:
                return 128 + self._signal if self._signal else 1
            workers = []
            try:
                self._start(attempt, port, workers)
            except OSError as exc:   # e.g. --no-python with a script that is not executable
                self._stop(workers, signal.SIGTERM)
                say(f"cannot start worker {len(workers)}: {exc}")
                return 1
            outcome = self._watch(workers, attempt)
            sig = self._signal if outcome == "signal" else signal.SIGTERM
            stop_time = time.time()
            alive = [w.rank for w in workers if w.code is None]
            self._stop(workers, sig)
            report = {"failures": []}
            if self._signal is not None:
                report["signal"] = self._signal
            elif outcome != "ok":
                report["failures"] = [
                    w.failure() for w in workers
                    if w.proc.returncode not in (0, None) and w.exit_time is not None
                    and w.exit_time <= stop_time]
                report["alive"] = alive
            verdict = self._verdict(attempt, report)
            code = self._conclude(attempt, verdict)
            if code is not None:
                return code
            attempt += 1

    def _begin(self, attempt):
        """The workers' MASTER_PORT for ``attempt`` (multi-node: once every node is ready)."""
        if self._link is None:
            return self.port_for(attempt)
        try:
            return self._link.wait("start", attempt)["port"]
        except Interrupted:
            say(f"received {signal.Signals(self._signal).name}: workers stopped")
            return None
        except ConnectionError as exc:
            say(f"node {self.node_rank}: {exc}")
            return None

    def _verdict(self, attempt, report):
        if self._link is None:
            return decide([report], attempt, self.args.max_restarts)
        self._link.send({"type": "report", "attempt": attempt, "report": report})
        try:
            return self._link.wait("verdict", attempt)
        except Interrupted:
            return {"action": "exit", "code": 128 + self._signal, "signal": self._signal}
        except ConnectionError as exc:
            return {"action": "exit", "code": 1, "lost": str(exc)}

    def _conclude(self, attempt, v):
        """Say what happened; the exit code, or None to restart."""
        if v["action"] == "done":
            return 0
        if v.get("signal"):
            say(f"received {signal.Signals(v['signal']).name}: workers stopped")
            return v["code"]
        if v.get("lost"):
            say(f"{v['lost']}: workers stopped")
        root = v.get("root")
        if root is not None:
            what = f"rank {root['rank']}"
            if not root.get("stalled"):
                what += f" (local rank {root['local_rank']}, pid {root['pid']}) " \
                        f"{rootcause.describe_exit(root['code'])}"
            else:
                what += " stalled"
            if v["action"] == "restart":
                say(f"{what}; restarting all workers{' on every node' if self.nnodes > 1 else ''}"
                    f" (restart {attempt + 1} of {self.args.max_restarts})")
                return None
            tail = f" after {attempt} restart(s)" if self.args.max_restarts else ""
            say(f"{what}; the other workers were stopped{tail}")
            print(rootcause.report(self._what(), root, v.get("failures", [])),
                  file=sys.stderr, flush=True)
        elif v["action"] == "restart":
            return None
        return v["code"]

    def _what(self):
        a = self.args
        return a.script if not a.module else f"-m {a.script}"

    # ------------------------------------------------------------------ workers
    def _start(self, attempt, port, workers):
        """Start this node's workers, appending each to ``workers`` as it starts."""
        a = self.args
        attempt_dir = self.run_dir / f"attempt_{attempt}"
        attempt_dir.mkdir(parents=True, exist_ok=True)
        world = self.nproc * self.nnodes
        for local_rank in range(self.nproc):
            rank = self.node_rank * self.nproc + local_rank
            error_file = attempt_dir / f"error_rank_{rank}.json"
            env = dict(os.environ, **self.env, **{
                "RANK": str(rank), "LOCAL_RANK": str(local_rank),
                "WORLD_SIZE": str(world), "LOCAL_WORLD_SIZE": str(self.nproc),
                "GROUP_RANK": str(self.node_rank), "GROUP_WORLD_SIZE": str(self.nnodes),
                "ROLE_NAME": a.role, "ROLE_RANK": str(rank), "ROLE_WORLD_SIZE": str(world),
                "MASTER_ADDR": a.master_addr, "MASTER_PORT": str(port),
                "DISTTRAIN_RESTART_COUNT": str(attempt),
                "TORCHELASTIC_RESTART_COUNT": str(attempt),
                "TORCHELASTIC_MAX_RESTARTS": str(a.max_restarts),
                "TORCHELASTIC_RUN_ID": self.run_id,
                "TORCHELASTIC_ERROR_FILE": str(error_file)})
            shown = a.local_ranks_filter is None or local_rank in a.local_ranks_filter
            redirect, tee = a.redirects.get(local_rank, 0), a.tee.get(local_rank, 0)
            keep = (redirect | tee) if (a.redirects or a.tee) else (3 if a.log_dir else 0)
            log = Log(attempt_dir / f"rank_{rank}.log") if keep else None
            prefix = f"[rank {rank}] ".encode()
            out_console = self._out if shown and not redirect & 1 else None
            err_console = self._err if shown and not redirect & 2 else None
            cmd = self.cmd
            if a.local_rank_arg:   # torch.distributed.launch's way, before the script's args
                cut = len(cmd) - len(a.script_args)
                cmd = [*cmd[:cut], f"--local-rank={local_rank}", *cmd[cut:]]
            worker = self._spawn(cmd, env, rank, local_rank, prefix, out_console, err_console,
                                 log, keep, str(error_file))
            workers.append(worker)

    def _spawn(self, cmd, env, rank, local_rank, prefix, out_console, err_console, log, keep,
               error_file):
        use_pty = out_console is not None and out_console.terminal
        err_pty = use_pty and err_console is not None and err_console.terminal
        if self._columns:
            width = max(20, self._columns - len(prefix))
            env["COLUMNS"] = str(width)
        fds, closers = {}, []
        if use_pty:
            master, slave = pty.openpty()
            attrs = termios.tcgetattr(slave)
            attrs[1] &= ~termios.ONLCR   # "\n" stays "\n": our own terminal adds the "\r"
            termios.tcsetattr(slave, termios.TCSANOW, attrs)
            rows = shutil.get_terminal_size().lines
            fcntl.ioctl(slave, termios.TIOCSWINSZ,
                        struct.pack("HHHH", rows, int(env.get("COLUMNS", 80)), 0, 0))
            fds["stdout"] = slave
            fds["stderr"] = slave if err_pty else subprocess.PIPE
            closers.append(slave)
        else:
            fds["stdout"] = subprocess.PIPE
            fds["stderr"] = subprocess.STDOUT if self._merged else subprocess.PIPE
        try:
            proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                    start_new_session=True, **fds)
        finally:
            for fd in closers:
                os.close(fd)   # the worker holds the slave; EOF comes when it is gone
        worker = Worker(rank, local_rank, proc, log, error_file)
        self._tell_reaper(f"+{worker.pgid}")
        out_log = log if keep & 1 or (use_pty and keep) else None
        err_log = log if keep & 2 else None

        def reader(stream, tail):
            if isinstance(stream, int):
                fn = lambda: os.read(stream, 65536)   # noqa: E731
            else:
                fn = lambda: stream.read1(65536)      # noqa: E731
            if not tail:
                return fn

            def read():
                data = fn()
                worker.keep_tail(data)
                return data
            return read

        if use_pty:
            merged_console = out_console
            worker.pumps.append(Pump(reader(master, True), prefix, merged_console,
                                     out_log).start())
            worker.master = master
        else:
            worker.pumps.append(Pump(reader(proc.stdout, self._merged), prefix, out_console,
                                     (log if keep else None) if self._merged else out_log
                                     ).start())
        if proc.stderr is not None:
            worker.pumps.append(Pump(reader(proc.stderr, True), prefix, err_console,
                                     err_log).start())
        return worker

    def _watch(self, workers, attempt):
        """Wait until all succeed ("ok"), one fails ("failed"), another node fails
        ("stopped"), or a signal ("signal")."""
        first_consequence = None
        reported = False
        while True:
            if self._signal is not None:
                return "signal"
            codes = [w.code for w in workers]
            failed = [w for w, c in zip(workers, codes) if c not in (None, 0)]
            if failed and not reported and self._link is not None:
                self._link.send({"type": "failed", "attempt": attempt})
                reported = True
            if failed:
                own = [w for w in failed if not w.failure()["consequence"]]
                if own:
                    return "failed"
                # Only peers of a dying worker so far: give the cause time to show.
                first_consequence = first_consequence or time.monotonic()
                if time.monotonic() - first_consequence >= CAUSE_WAIT_S or \
                        all(c is not None for c in codes):
                    return "failed"
            elif all(c == 0 for c in codes):
                return "ok"
            if self._link is not None and self._link.stop_requested(attempt):
                return "stopped"
            time.sleep(self.poll)

    def _stop(self, workers, sig):
        """``sig`` to every worker's process group, SIGKILL after the grace period."""
        for w in workers:
            if w.code is None:
                _killpg(w.pgid, sig)
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline and any(w.code is None for w in workers):
            if self._impatient:
                break
            time.sleep(0.05)
        for w in workers:
            _killpg(w.pgid, signal.SIGKILL)   # also whatever the worker left behind
            w.waiter.join()
            self._tell_reaper(f"-{w.pgid}")
            for pump in w.pumps:
                pump.thread.join(timeout=5)
            if getattr(w, "master", None) is not None:
                os.close(w.master)
            if w.log:
                w.log.close()

    def _tell_reaper(self, line):
        try:
            self._reaper.stdin.write(line + "\n")
            self._reaper.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def _install_signals(self):
        def handler(signum, frame):
            if self._signal is None:
                self._signal = signum     # forwarded to the workers by _stop
            else:
                self._impatient = True    # a second one: SIGKILL without the grace period
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, handler)


def _killpg(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _same_file(a, b):
    try:
        sa, sb = os.fstat(a.fileno()), os.fstat(b.fileno())
    except (AttributeError, ValueError, OSError):
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)
