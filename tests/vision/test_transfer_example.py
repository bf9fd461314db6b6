"""examples/transfer_learning.py: a frozen ResNet-18 with a new head learns under launch."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(importlib.util.find_spec("PIL") is None,
                    reason="the example writes and reads PNG images through Pillow "
                           "(pip install 'disttrain[vision]')")
def test_transfer_learning_under_launch_two_ranks(tmp_path):
    """launch --nproc 2 fine-tunes the new head to >= 90% on the generated ImageFolder."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "launch", "--nproc", "2", "examples/transfer_learning.py",
         "--data", str(tmp_path / "data"), "--result", str(result)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    metrics = json.loads(result.read_text())
    assert metrics["world_size"] == 2 and metrics["classes"] == ["blue", "green", "red"]
    assert metrics["accuracy"] >= 0.9, proc.stdout[-2000:]
    assert sorted(os.listdir(tmp_path / "data" / "train")) == ["blue", "green", "red"]
