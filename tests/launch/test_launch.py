"""The ``launch`` command on real processes: environment, output, failures, signals."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from launch.cli import parse_args, pick_free_port, resolve_nproc

ROOT = Path(__file__).resolve().parents[2]
_OUTER = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
          "DISTTRAIN_SECRET", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
          "PYTHONUNBUFFERED")


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in _OUTER}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _script(tmp_path, body, name="job.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def launch(tmp_path, *args, timeout=60, env=None):
    """Run ``python -m launch args`` to completion; (exit code, stdout, stderr)."""
    out = subprocess.run([sys.executable, "-m", "launch", *map(str, args)], cwd=tmp_path,
                         env=env or _env(), capture_output=True, text=True, timeout=timeout)
    return out.returncode, out.stdout, out.stderr


def _run_dir(logs, err):
    """The run's directory under --log-dir: named by the run id launch prints at start."""
    run_id = err.split("launch: run id ", 1)[1].split(":")[0].split()[0]
    return logs / run_id


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"   # a zombie is dead
    except (FileNotFoundError, ProcessLookupError):
        return False


def _wait_gone(pids, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


# -- command line -------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["--nproc", "3", "--nnodes", "2", "--node-rank", "1", "--master-addr", "h",
     "--master-port", "7", "--max-restarts", "2", "--log-dir", "d", "s.py", "--lr", "1"],
    ["--nproc_per_node", "3", "--nnodes", "2", "--node_rank", "1", "--master_addr", "h",
     "--master_port", "7", "--max_restarts", "2", "--log_dir", "d", "s.py", "--lr", "1"],
    ["--nproc-per-node=3", "--nnodes=2", "--node-rank=1", "--master-addr=h",
     "--master-port=7", "--max-restarts=2", "--log-dir=d", "s.py", "--lr", "1"],
])
def test_every_flag_has_dashed_and_underscored_spellings(argv):
    """--a-b, --a_b and --a-b=v all parse to the same thing; script args are left alone."""
    a = parse_args(argv)
    assert (a.nproc, a.nnodes, a.node_rank, a.master_addr, a.master_port, a.max_restarts,
            a.log_dir, a.script, a.script_args) == (3, 2, 1, "h", 7, 2, "d", "s.py",
                                                      ["--lr", "1"])


def test_module_flag_and_nproc_auto():
    """-m takes a module; --nproc auto is the GPU count or else the usable CPUs."""
    a = parse_args(["--nproc", "auto", "-m", "pkg.train", "--x"])
    assert a.module and a.script == "pkg.train" and a.script_args == ["--x"]
    assert a.nproc == resolve_nproc("auto") >= 1
    assert resolve_nproc("cpu") == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("argv, message", [
    (["--nproc", "0", "s.py"], "--nproc must be at least 1"),
    (["--nproc", "many", "s.py"], "--nproc must be a number"),
    (["--nnodes", "2", "--node-rank", "2", "s.py"], "--node-rank 2 is not in 0..1"),
])
def test_bad_flags_are_refused_with_the_value(argv, message, capsys):
    """Invalid values exit with a usage error that names them."""
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert message in capsys.readouterr().err


def test_free_port_is_bindable_and_below_ephemeral_range():
    """pick_free_port returns a port nobody listens on, outside the ephemeral range."""
    import socket
    port = pick_free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    assert port < low or low <= 10001   # a tiny ephemeral range leaves no room below it


# -- workers --------------------------------------------------------------------------------

ENV_DUMP = """
import json, os
keys = ["RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
        "DISTTRAIN_SECRET", "DISTTRAIN_RESTART_COUNT", "TORCHELASTIC_RESTART_COUNT",
        "GROUP_RANK", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
        "PYTHONUNBUFFERED"]
print(json.dumps({k: os.environ.get(k) for k in keys}))
"""


def _per_rank_json(stdout):
    out = {}
    for line in stdout.splitlines():
        prefix, _, rest = line.partition("] ")
        out[int(prefix[len("[rank "):])] = json.loads(rest)
    return out


def test_workers_get_the_environment_contract(tmp_path):
    """RANK, LOCAL_RANK, WORLD_SIZE, MASTER_*, one shared secret, restart count, one
    BLAS/OpenMP thread each."""
    code, out, err = launch(tmp_path, "--nproc", 3, _script(tmp_path, ENV_DUMP))
    assert code == 0, err
    envs = _per_rank_json(out)
    assert sorted(envs) == [0, 1, 2]
    secrets = {e["DISTTRAIN_SECRET"] for e in envs.values()}
    assert len(secrets) == 1 and len(secrets.pop()) >= 16
    ports = {e["MASTER_PORT"] for e in envs.values()}
    assert len(ports) == 1
    for r, e in envs.items():
        assert (e["RANK"], e["LOCAL_RANK"], e["WORLD_SIZE"], e["LOCAL_WORLD_SIZE"]) == \
            (str(r), str(r), "3", "3")
        assert e["MASTER_ADDR"] == "127.0.0.1" and e["GROUP_RANK"] == "0"
        assert e["DISTTRAIN_RESTART_COUNT"] == e["TORCHELASTIC_RESTART_COUNT"] == "0"
        assert e["OMP_NUM_THREADS"] == e["MKL_NUM_THREADS"] == e["OPENBLAS_NUM_THREADS"] == "1"
        assert e["PYTHONUNBUFFERED"] == "1"


def test_user_settings_win_over_launcher_defaults(tmp_path):
    """A user's OMP_NUM_THREADS and DISTTRAIN_SECRET are passed through unchanged."""
    env = _env(OMP_NUM_THREADS="3", DISTTRAIN_SECRET="mine")
    code, out, err = launch(tmp_path, "--nproc", 2, "--node-rank", 0,
                            _script(tmp_path, ENV_DUMP), env=env)
    assert code == 0, err
    for e in _per_rank_json(out).values():
        assert e["OMP_NUM_THREADS"] == "3" and e["DISTTRAIN_SECRET"] == "mine"
        assert e["MKL_NUM_THREADS"] == "1"


def test_output_is_prefixed_by_rank_and_kept_in_log_dir(tmp_path):
    """Every stdout/stderr line (and progress-bar redraw) carries [rank R]; the log dir
    keeps each rank's raw output."""
    script = _script(tmp_path, """
        import os, sys
        r = os.environ["RANK"]
        print(f"out one {r}")
        print(f"err one {r}", file=sys.stderr)
        sys.stderr.write(f"bar 1/2 {r}\\rbar 2/2 {r}\\r\\n")   # a progress bar's redraws
        sys.stdout.write(f"no newline {r}")
    """)
    code, out, err = launch(tmp_path, "--nproc", 2, "--log-dir", tmp_path / "logs", script)
    assert code == 0, err
    for r in (0, 1):
        assert f"[rank {r}] out one {r}\n" in out and f"[rank {r}] no newline {r}\n" in out
        assert f"[rank {r}] err one {r}\n" in err
        # (text mode reads "\r" and "\r\n" as "\n": each redraw got its own prefix)
        assert f"[rank {r}] bar 1/2 {r}\n[rank {r}] bar 2/2 {r}\n" in err
        log = (_run_dir(tmp_path / "logs", err) / "attempt_0" / f"rank_{r}.log").read_text()
        assert f"out one {r}\n" in log and f"err one {r}\n" in log and "[rank" not in log
    assert all(ln.startswith("[rank ") for ln in out.splitlines())


def test_failed_worker_stops_the_others_and_sets_exit_code(tmp_path):
    """Rank 1 exits 3: rank 0 (sleeping) is stopped at once, launch exits 3 naming rank 1."""
    script = _script(tmp_path, """
        import os, sys, time
        if os.environ["RANK"] == "1":
            sys.exit(3)
        time.sleep(60)
    """)
    start = time.monotonic()
    code, out, err = launch(tmp_path, "--nproc", 2, "--grace-period", 2, script)
    assert code == 3
    assert "rank 1 (local rank 1" in err and "exited with code 3" in err
    assert time.monotonic() - start < 15


def test_worker_killed_by_signal_gives_128_plus_signal(tmp_path):
    """A worker killed by SIGKILL makes launch exit 137 and say so."""
    script = _script(tmp_path, """
        import os, signal, time
        if os.environ["RANK"] == "0":
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(60)
    """)
    code, _, err = launch(tmp_path, "--nproc", 2, "--grace-period", 1, script)
    assert code == 137 and "rank 0" in err and "killed by signal SIGKILL" in err


def test_restart_succeeds_on_the_second_attempt(tmp_path):
    """A job that fails on its first try and succeeds on restart 1 exits 0."""
    script = _script(tmp_path, """
        import os, sys
        n = os.environ["DISTTRAIN_RESTART_COUNT"]
        assert n == os.environ["TORCHELASTIC_RESTART_COUNT"]
        print("attempt", n)
        sys.exit(1 if n == "0" and os.environ["RANK"] == "1" else 0)
    """)
    code, out, err = launch(tmp_path, "--nproc", 2, "--max-restarts", 3, "--log-dir",
                            tmp_path / "logs", script)
    assert code == 0, err
    assert "restarting all workers (restart 1 of 3)" in err
    assert "[rank 0] attempt 1" in out and "[rank 1] attempt 1" in out
    assert "attempt 2" not in out
    assert (_run_dir(tmp_path / "logs", err) / "attempt_1" / "rank_1.log").read_text() == \
        "attempt 1\n"


def test_restarts_exhausted_exit_with_the_last_failure(tmp_path):
    """Always failing: one restart, then launch exits with the worker's code."""
    script = _script(tmp_path, "import sys; print('try'); sys.exit(4)\n")
    code, out, err = launch(tmp_path, "--nproc", 1, "--max-restarts", 1, script)
    assert code == 4 and out.count("[rank 0] try") == 2
    assert "after 1 restart(s)" in err


SLEEPER = """
import os, signal, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
pids = os.environ["PIDS_DIR"]
with open(os.path.join(pids, os.environ["RANK"]), "w") as f:
    f.write(f"{os.getpid()} {child.pid}")
def on_term(signum, frame):
    print("got", signal.Signals(signum).name, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
time.sleep(60)
"""


def _start_sleepers(tmp_path, n=2):
    pids_dir = tmp_path / "pids"
    pids_dir.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "launch", "--nproc", str(n),
                             "--grace-period", "2", str(_script(tmp_path, SLEEPER))],
                            cwd=tmp_path, env=_env(PIDS_DIR=str(pids_dir)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(list(pids_dir.iterdir())) < n:
        time.sleep(0.05)
    time.sleep(0.2)   # the files are written just before the handlers are installed
    files = list(pids_dir.iterdir())
    assert len(files) == n, proc.stderr.read() if proc.poll() is not None else "timeout"
    return proc, [int(p) for f in files for p in f.read_text().split()]


def test_sigterm_is_forwarded_and_nothing_is_left_behind(tmp_path):
    """SIGTERM to launch reaches every worker; workers and their children are all gone."""
    proc, pids = _start_sleepers(tmp_path)
    try:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "[rank 0] got SIGTERM" in out and "[rank 1] got SIGTERM" in out
    assert "received SIGTERM" in err
    assert _wait_gone(pids) == []


def test_killed_launcher_leaves_no_orphans(tmp_path):
    """Even SIGKILL on launch: its reaper stops every worker and their children."""
    proc, pids = _start_sleepers(tmp_path)
    proc.kill()
    proc.wait(timeout=10)
    assert _wait_gone(pids, timeout=15) == []


def test_python_dash_m_module_and_comm_end_to_end(tmp_path):
    """launch -m runs a module; workers meet through comm with the launcher's env, over
    ipc, and the only TCP port open is the store's, on loopback."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    _script(tmp_path, """
        import os
        import numpy as np
        from disttrain import comm

        def listening():   # this process's listening TCP sockets, as ip:port
            mine = set()
            for fd in os.listdir("/proc/self/fd"):
                try:
                    mine.add(os.readlink(f"/proc/self/fd/{fd}"))
                except OSError:
                    pass
            found = []
            for line in open("/proc/net/tcp").readlines()[1:]:
                local, state, inode = line.split()[1], line.split()[3], line.split()[9]
                if state == "0A" and f"socket:[{inode}]" in mine:
                    ip, port = local.split(":")
                    found.append(".".join(str(int(ip[i:i + 2], 16)) for i in (6, 4, 2, 0))
                                 + f":{int(port, 16)}")
            return found

        pg = comm.init_from_env(timeout=60)
        x = np.full(100_000, float(pg.rank + 1))
        comm.all_reduce(x)
        ok = bool((x == pg.size * (pg.size + 1) / 2).all())
        kinds = sorted({e.split(":")[0] for e in pg._engine.t.endpoints.values()})
        print("ok" if ok else "WRONG", pg.size, kinds, listening())
        comm.destroy()
    """, name="pkg/allreduce.py")
    env = _env()
    env["PYTHONPATH"] += os.pathsep + str(tmp_path)
    port = pick_free_port()
    code, out, err = launch(tmp_path, "--nproc", 3, "--master-port", port, "-m",
                            "pkg.allreduce", env=env)
    assert code == 0, err
    # One host: peers talk over ipc only; the one TCP listener is rank 0's store, on loopback.
    assert f"[rank 0] ok 3 ['ipc'] ['127.0.0.1:{port}']" in out, out + err
    for r in (1, 2):
        assert f"[rank {r}] ok 3 ['ipc'] []" in out, out + err


def test_concurrent_jobs_pick_different_free_ports(tmp_path):
    """Two jobs started together each get their own free port and both succeed."""
    script = _script(tmp_path, """
        import os
        import numpy as np
        from disttrain import comm
        comm.init_from_env(timeout=60)
        x = np.ones(10)
        comm.all_reduce(x)
        print(os.environ["MASTER_PORT"], int(x[0]))
    """)
    procs = [subprocess.Popen([sys.executable, "-m", "launch", "--nproc", "2", str(script)],
                              cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    ports = [{ln.split()[2] for ln in o[0].splitlines()} for o in outs]
    assert all(len(p) == 1 for p in ports) and ports[0] != ports[1]
    assert all(ln.endswith(" 2") for o in outs for ln in o[0].splitlines())
