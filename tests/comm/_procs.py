"""Start real worker processes on loopback for the comm tests, always with a deadline."""
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JOBS = Path(__file__).with_name("_jobs.py")

# Variables of an outer launcher must not leak into the workers' discovery.
_LAUNCH_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR",
                "MASTER_PORT", "DISTTRAIN_SECRET", "SLURM_PROCID", "SLURM_NTASKS",
                "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE",
                "TORCHELASTIC_RUN_ID", "DISTTRAIN_CONNECT_TIMEOUT")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in _LAUNCH_VARS}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Ranks:
    """``n`` processes running ``_jobs.py job args...`` as one job; kill them all on exit.

    ``per_process`` (a list of ``n`` dicts) overrides variables of single processes: a
    misconfigured rank, a second job's ranks.
    """

    def __init__(self, n, job, *args, env=None, secret="test-secret", port=None,
                 per_process=None):
        self.port = port or free_port()
        self.procs = []
        for rank in range(n):
            own = dict(RANK=rank, WORLD_SIZE=n, MASTER_ADDR="127.0.0.1",
                       MASTER_PORT=self.port, DISTTRAIN_SECRET=secret)
            own.update(env or {})
            own.update(per_process[rank] if per_process else {})
            e = clean_env(**own)
            self.procs.append(subprocess.Popen(
                [sys.executable, str(JOBS), job, *map(str, args)], env=e,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True))
        self.lines = [[] for _ in range(n)]
        self.errs = [[] for _ in range(n)]
        self._readers = [threading.Thread(target=self._read, args=(p.stdout, self.lines[r]),
                                          daemon=True) for r, p in enumerate(self.procs)]
        self._readers += [threading.Thread(target=self._read, args=(p.stderr, self.errs[r]),
                                           daemon=True) for r, p in enumerate(self.procs)]
        for t in self._readers:
            t.start()

    @staticmethod
    def _read(stream, into):
        # Pipes are drained continuously: a chatty worker must never block on a full pipe.
        for line in stream:
            into.append(line.rstrip("\n"))

    def wait_line(self, rank, prefix, timeout=30):
        """The first stdout line of ``rank`` starting with ``prefix``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines[rank]):
                if line.startswith(prefix):
                    return line[len(prefix):].strip()
            if self.procs[rank].poll() is not None and not self._readers[rank].is_alive():
                if not any(ln.startswith(prefix) for ln in self.lines[rank]):
                    break
            time.sleep(0.02)
        raise AssertionError(f"rank {rank} printed no {prefix!r} line within {timeout} s; "
                             f"stdout={self.lines[rank]} stderr={self.stderr(rank)}")

    def tell(self, rank, text):
        self.procs[rank].stdin.write(text + "\n")
        self.procs[rank].stdin.flush()

    def finish(self, timeout=60):
        """Wait for every process (killing all of them past ``timeout``); exit codes."""
        deadline = time.monotonic() + timeout
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"job did not finish within {timeout} s: "
                                     f"stderr={[self.stderr(r) for r in range(len(self.procs))]}")
        for t in self._readers:
            t.join(timeout=5)
        return [p.returncode for p in self.procs]

    def stderr(self, rank):
        return "\n".join(self.errs[rank])

    def result(self, rank):
        return json.loads(self.wait_line(rank, "RESULT", timeout=0.1))

    def kill(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
        for p in self.procs:
            p.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
