"""examples/train_digits.py: a real data-parallel training job reaches 95% test accuracy."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                    reason="needs scikit-learn for its digits data (pip install "
                           "'disttrain[examples]')")
def test_four_ranks_reach_95_percent(tmp_path):
    """launch --nproc 4 trains the digits classifier to >= 95% test accuracy, checkpointing."""
    result = tmp_path / "result.json"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-m", "launch", "--nproc", "4", "examples/train_digits.py",
         "--ckpt-dir", str(tmp_path / "ckpt"), "--result", str(result)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    metrics = json.loads(result.read_text())
    assert metrics["world_size"] == 4
    assert metrics["test_accuracy"] >= 0.95, proc.stdout[-2000:]
    assert "[rank 0] test accuracy:" in proc.stdout
    assert "[rank 1] test accuracy" not in proc.stdout          # metrics on rank 0 only
    assert sorted(os.listdir(tmp_path / "ckpt"))[-1] == f"step_{metrics['steps']:08d}"
