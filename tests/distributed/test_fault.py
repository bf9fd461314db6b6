"""Fault tolerance: a worker killed mid-epoch, the job restarted by launch, resumed exactly."""
import json
import os

from ._procs import WORKERS, run_launch


def test_sigkill_restart_resumes_bit_for_bit(tmp_path):
    """After a SIGKILL at step 10 and a restart, the final parameters equal an uninterrupted
    run's bit for bit (4 ranks, checkpoints every 4 steps, mid-epoch resume)."""
    rc, out = run_launch(["--nproc", "4", "--max-restarts", "2",
                          os.path.join(WORKERS, "fault_train.py"), tmp_path, 10], timeout=150)
    assert rc == 0, out[-4000:]
    result = json.load(open(tmp_path / "result.json"))
    assert result["attempt"] == 1, result          # the group was restarted once
    assert result["resumed_from"] == 8, result     # the newest checkpoint before the kill
    assert result["steps"] == result["ref_steps"] == 18, result
    assert result["bitwise_equal"], result
