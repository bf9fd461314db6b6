"""The launcher's agent: spawn one node's workers, watch them, restart or stop them.

Each worker runs in its own session (process group), so stopping it also stops anything
it started (data-loader workers...). A small *reaper* process, in a session of its own,
holds the list of those process groups on a pipe from the agent: if the agent dies, even
by SIGKILL, the pipe closes and the reaper terminates every group still listed, so no
worker outlives its launcher.
"""
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

__all__ = ["Agent", "Worker"]

POLL_S = 0.1   # how often worker exits are checked: failures are acted on within this
# A line ends at "\n", or at a lone "\r" (progress bars redraw with it and never print "\n").
_LINE_END = re.compile(rb"(?<=\n)|(?<=\r)(?!\n)")

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


class Worker:
    """One worker process: its ranks, its process and where its output goes."""

    def __init__(self, rank, local_rank, proc, log):
        self.rank, self.local_rank, self.proc, self.log = rank, local_rank, proc, log
        self.pgid = proc.pid   # start_new_session: the worker leads its own group
        self.pumps = []

    @property
    def code(self):
        return self.proc.poll()


def describe_exit(code):
    """``-9`` -> ``"was killed by signal SIGKILL"``, ``3`` -> ``"exited with code 3"``."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"was killed by signal {name}"
    return f"exited with code {code}"


def shell_code(code):
    """A worker's exit status as a process exit code: 128 + signal for a killed one."""
    return 128 - code if code < 0 else code


class Agent:
    """Runs one node's workers until they succeed, restarting the group on failure.

    Args:
        cmd (list): the worker command line.
        nproc (int): workers on this node. nnodes (int), node_rank (int): the job's shape.
        master_addr (str), port_for (callable): ``port_for(attempt)`` is MASTER_PORT.
        max_restarts (int): group restarts allowed after a failure.
        log_dir (str, optional): keep each worker's output in ``attempt_K/rank_R.log``.
        grace (float): seconds between SIGTERM and SIGKILL when stopping workers.
        env (dict): extra environment for every worker (secret, thread limits...).
    """

    def __init__(self, cmd, nproc, nnodes, node_rank, master_addr, port_for, max_restarts,
                 log_dir, grace, env):
        self.cmd, self.nproc, self.nnodes, self.node_rank = cmd, nproc, nnodes, node_rank
        self.master_addr, self.port_for = master_addr, port_for
        self.max_restarts, self.log_dir, self.grace, self.env = max_restarts, log_dir, grace, env
        self._signal, self._impatient = None, False
        self._out_lock = threading.Lock()
        self._reaper = None

    def run(self):
        """Run to completion; the launcher's exit code."""
        self._install_signals()
        self._reaper = subprocess.Popen(
            [sys.executable, "-c", _REAPER, str(self.grace)], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, start_new_session=True, text=True)
        try:
            return self._attempts()
        finally:
            self._reaper.stdin.close()
            try:
                self._reaper.wait(timeout=self.grace + 5)
            except subprocess.TimeoutExpired:
                self._reaper.kill()

    def _attempts(self):
        for attempt in range(self.max_restarts + 1):
            workers = []
            try:
                self._start(attempt, workers)
            except OSError as exc:   # e.g. --no-python with a script that is not executable
                self._stop(workers, signal.SIGTERM)
                _say(f"cannot start worker {len(workers)}: {exc}")
                return 1
            outcome = self._watch(workers)
            self._stop(workers, outcome[1] if outcome[0] == "signal" else signal.SIGTERM)
            if outcome[0] == "ok":
                return 0
            if self._signal is not None:   # also when it came while stopping a failed group
                _say(f"received {signal.Signals(self._signal).name}: workers stopped")
                return 128 + self._signal
            failed = outcome[1]
            what = f"rank {failed.rank} (local rank {failed.local_rank}, pid {failed.proc.pid})"
            if attempt < self.max_restarts:
                _say(f"{what} {describe_exit(failed.code)}; restarting all workers "
                     f"(restart {attempt + 1} of {self.max_restarts})")
                continue
            tail = f" after {attempt} restart(s)" if self.max_restarts else ""
            _say(f"{what} {describe_exit(failed.code)}; the other workers were stopped{tail}")
            return shell_code(failed.code)
        raise AssertionError("unreachable: the last attempt always returns")

    def _start(self, attempt, workers):
        """Start this node's workers, appending each to ``workers`` as it starts."""
        port = self.port_for(attempt)
        log_dir = None
        if self.log_dir:
            log_dir = Path(self.log_dir) / f"attempt_{attempt}"
            log_dir.mkdir(parents=True, exist_ok=True)
        for local_rank in range(self.nproc):
            rank = self.node_rank * self.nproc + local_rank
            env = dict(os.environ, **self.env, **{
                "RANK": str(rank), "LOCAL_RANK": str(local_rank),
                "WORLD_SIZE": str(self.nproc * self.nnodes), "LOCAL_WORLD_SIZE": str(self.nproc),
                "GROUP_RANK": str(self.node_rank), "MASTER_ADDR": self.master_addr,
                "MASTER_PORT": str(port), "DISTTRAIN_RESTART_COUNT": str(attempt),
                "TORCHELASTIC_RESTART_COUNT": str(attempt),
                "TORCHELASTIC_MAX_RESTARTS": str(self.max_restarts)})
            proc = subprocess.Popen(self.cmd, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True)
            log = open(log_dir / f"rank_{rank}.log", "wb") if log_dir else None
            worker = Worker(rank, local_rank, proc, log)
            self._tell_reaper(f"+{worker.pgid}")
            for stream, dest in ((proc.stdout, _stdout()), (proc.stderr, _stderr())):
                pump = threading.Thread(target=self._pump, args=(stream, dest, worker),
                                        daemon=True)
                pump.start()
                worker.pumps.append(pump)
            workers.append(worker)

    def _pump(self, stream, dest, worker):
        """Copy a worker's stream line by line, prefixed with its rank, and to its log."""
        prefix = f"[rank {worker.rank}] ".encode()
        partial = b""
        for chunk in iter(lambda: stream.read1(65536), b""):
            lines = _LINE_END.split(partial + chunk)
            partial = lines.pop()
            if lines:
                self._emit(dest, worker, prefix, lines)
        if partial:
            self._emit(dest, worker, prefix, [partial + b"\n"])
        stream.close()

    def _emit(self, dest, worker, prefix, lines):
        prefixed = b"".join(prefix + ln for ln in lines)
        text = b"".join(lines)
        with self._out_lock:   # whole lines only: ranks' output never interleaves mid-line
            try:
                dest.write(prefixed)
                dest.flush()
            except (BrokenPipeError, ValueError):
                pass   # our own output is gone; the log file still gets everything
            if worker.log:
                worker.log.write(text)
                worker.log.flush()

    def _watch(self, workers):
        """Wait until all succeed ("ok",), one fails ("failed", worker), or a signal."""
        while True:
            if self._signal is not None:
                return ("signal", self._signal)
            codes = [w.code for w in workers]
            failed = [w for w, c in zip(workers, codes) if c not in (None, 0)]
            if failed:   # several at once: the lowest rank (peers fail *because* of one)
                return ("failed", min(failed, key=lambda w: w.rank))
            if all(c == 0 for c in codes):
                return ("ok",)
            time.sleep(POLL_S)

    def _stop(self, workers, sig):
        """``sig`` to every worker's process group, SIGKILL after the grace period."""
        for w in workers:
            _killpg(w.pgid, sig)
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline and any(w.code is None for w in workers):
            if self._impatient:
                break
            time.sleep(0.05)
        for w in workers:
            _killpg(w.pgid, signal.SIGKILL)   # also whatever the worker left behind
            w.proc.wait()
            self._tell_reaper(f"-{w.pgid}")
            for pump in w.pumps:
                pump.join(timeout=5)
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


def _stdout():
    return sys.stdout.buffer


def _stderr():
    return sys.stderr.buffer


def _say(text):
    print(f"launch: {text}", file=sys.stderr, flush=True)
