"""launch names the worker that failed first on its own and exits with its code."""
import json
import os
import time

import pytest

from .test_launch import _script, launch

# Every run takes about a second of 2 CPUs (4 interpreters importing numpy and zmq); the
# issue's figure is 20 in a row, which DISTTRAIN_ROOT_CAUSE_RUNS=20 runs.
RUNS = int(os.environ.get("DISTTRAIN_ROOT_CAUSE_RUNS", "5"))

ALL_REDUCE_LOOP = """
import sys
import numpy as np
from disttrain import comm
pg = comm.init_from_env(timeout={timeout})
x = np.ones(4)
for i in range(1000):
    if pg.rank == 1 and i == 20:
        {failure}
    comm.all_reduce(x)
"""


def _loop(tmp_path, failure, timeout=30):
    return _script(tmp_path, ALL_REDUCE_LOOP.format(failure=failure, timeout=timeout))


def _root(err):
    """The root-cause block's fields."""
    block = err.split("Root Cause (first observed failure):\n", 1)[1].split("----", 1)[0]
    return dict((k.strip(), v.strip()) for k, v in
                (ln.split(":", 1) for ln in block.splitlines() if ":" in ln))


def test_rank_that_exits_is_named_not_the_lowest_rank(tmp_path):
    """Rank 1 of 4 calls sys.exit(3) inside an all_reduce loop: every run exits 3 naming
    rank 1; the ranks that failed because it left are listed as its consequences."""
    script = _loop(tmp_path, "sys.exit(3)")
    for run in range(RUNS):
        code, out, err = launch(tmp_path, "--nproc", 4, "--grace-period", 2, script,
                                timeout=60)
        assert code == 3, (run, err)
        root = _root(err)
        assert root["rank"] == "1 (local_rank: 1)" and root["exitcode"] == "3", (run, err)
        assert "rank 1 (local rank 1, pid" in err
        assert err.count("(consequence of rank 1)") <= 3


def test_raising_rank_is_named_and_peer_tracebacks_are_one_line(tmp_path):
    """Rank 1 raises: it is the root cause with its error's last line; every other rank's
    PeerError takes one console line, not a traceback."""
    code, out, err = launch(tmp_path, "--nproc", 4, "--log-dir", tmp_path / "logs",
                            _loop(tmp_path, "raise ValueError('bad batch 20')"), timeout=60)
    assert code == 1, err
    root = _root(err)
    assert root["rank"] == "1 (local_rank: 1)" and root["error"] == "ValueError: bad batch 20"
    assert err.count("Traceback (most recent call last)") == 1   # rank 1's, in full
    assert "[rank 1] ValueError: bad batch 20" in err
    peers = [ln for ln in err.splitlines() if "] PeerError: rank 1 left" in ln]
    assert len(peers) <= 3 and all("traceback in " in ln for ln in peers)
    # the error file is torchrun's format, kept next to the rank's log
    error_file = root["error_file"]
    assert error_file.startswith(str(tmp_path / "logs"))
    assert root["log"].endswith("attempt_0/rank_1.log") and os.path.exists(root["log"])
    data = json.load(open(error_file))["message"]
    assert data["message"] == "ValueError: bad batch 20"
    assert "raise ValueError('bad batch 20')" in data["extraInfo"]["py_callstack"]
    assert float(data["extraInfo"]["timestamp"]) <= time.time()
    assert data["extraInfo"]["consequence"] is False


def test_stalled_rank_is_named_by_the_peers_waiting_for_it(tmp_path):
    """Rank 1 stalls (no exit, no error): the others time out waiting for it, and it, not
    the first of them to exit, is the root cause."""
    code, out, err = launch(tmp_path, "--nproc", 3, "--grace-period", 1,
                            _loop(tmp_path, "import time; time.sleep(60)", timeout=2),
                            timeout=60)
    assert code == 1, err
    assert _root(err)["rank"] == "1 (stalled; stopped by the launcher)", err
    assert "rank 1 stalled" in err


def test_signal_without_error_file_uses_exit_time(tmp_path):
    """A worker killed by a signal writes no error file: it is found by when it died."""
    code, out, err = launch(tmp_path, "--nproc", 3, "--grace-period", 1, _loop(
        tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"), timeout=60)
    assert code == 137, err
    root = _root(err)
    assert root["rank"] == "1 (local_rank: 1)" and root["exitcode"] == "-9 (signal SIGKILL)"


def test_record_writes_torchrun_error_file(tmp_path, monkeypatch):
    """@record writes the escaping exception to TORCHELASTIC_ERROR_FILE, then re-raises;
    a clean sys.exit(0) is no error."""
    from disttrain.distributed.elastic.multiprocessing.errors import record
    path = tmp_path / "error.json"
    monkeypatch.setenv("TORCHELASTIC_ERROR_FILE", str(path))

    @record
    def main(fail):
        if fail:
            raise KeyError("missing")
        raise SystemExit(0)

    assert main(False) is None and not path.exists()
    with pytest.raises(KeyError):
        main(True)
    msg = json.loads(path.read_text())["message"]
    assert msg["message"] == "KeyError: 'missing'"
    assert msg["extraInfo"]["py_callstack"].startswith("Traceback (most recent call last)")
    assert msg["extraInfo"]["peer"] is None


def test_peer_errors_are_consequences():
    """PeerError and CommTimeout (also as a cause) are consequences, naming the peer when
    they can; a mismatch is a failure of its own."""
    from disttrain.comm import CommTimeout, MismatchError, PeerError
    from disttrain.comm.errorfile import consequence_of
    assert consequence_of(PeerError("rank 3 left during all_reduce (tag 2): gone")) == 3
    assert consequence_of(CommTimeout("barrier (tag 1) timed out waiting for rank 2")) == 2
    try:
        try:
            raise PeerError("rank 5 stopped answering during broadcast (tag 9): silent")
        except PeerError as exc:
            raise RuntimeError("DDP reducer failed") from exc
    except RuntimeError as exc:
        assert consequence_of(exc) == 5
    assert consequence_of(MismatchError("mismatched collectives on rank 2")) is None
    assert consequence_of(CommTimeout("all_reduce (tag 4) timed out")) == -1
    assert consequence_of(ValueError("rank 1 left")) is None


CHECKPOINT_FAILS = """
import sys
import disttrain.distributed as dist
from disttrain.distributed import checkpoint
dist.init_process_group()
if dist.get_rank() == 2:
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")
    checkpoint._write_rank_files = full_disk
checkpoint.save({"x": 1}, sys.argv[1], step=5)
"""


def test_failed_checkpoint_write_names_the_rank_that_failed_to_write(tmp_path):
    """Every rank's checkpoint.save raises when rank 2's write fails: rank 2 is named."""
    code, out, err = launch(tmp_path, "--nproc", 3, _script(tmp_path, CHECKPOINT_FAILS),
                            tmp_path / "ckpt", timeout=60)
    assert code == 1, err
    root = _root(err)
    assert root["rank"] == "2 (local_rank: 2)", err
    assert "No space left on device" in root["error"]
    assert "(own)" not in err.split("Other failures")[1]   # the others: consequences
