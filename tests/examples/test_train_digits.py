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


def _write_idx(path, arr):
    """Write ``arr`` (uint8) in MNIST's IDX format."""
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in arr.shape)
    path.write_bytes(head + arr.astype("uint8").tobytes())


def test_mnist_option_reads_idx_files(tmp_path):
    """--mnist DIR trains on IDX files (a tiny synthetic set: class = brightest quadrant)."""
    import numpy as np
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 200), ("t10k", 40)):
        labels = rng.integers(0, 4, n)
        images = rng.integers(0, 40, (n, 28, 28))
        for i, c in enumerate(labels):
            r, q = divmod(int(c), 2)
            images[i, r * 14:(r + 1) * 14, q * 14:(q + 1) * 14] += 200
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", labels)
    result = tmp_path / "result.json"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for name in ("RANK", "WORLD_SIZE"):
        env.pop(name, None)
    proc = subprocess.run(
        [sys.executable, "examples/train_digits.py", "--mnist", str(tmp_path), "--epochs",
         "3", "--no-progress", "--result", str(result)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "training on 200 samples, 1 rank(s)" in proc.stdout
    assert json.loads(result.read_text())["test_accuracy"] >= 0.9


def _digits(tmp_path, *args, name="run"):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for var in ("RANK", "WORLD_SIZE"):
        env.pop(var, None)
    result = tmp_path / f"{name}.json"
    proc = subprocess.run(
        [sys.executable, "examples/train_digits.py", "--epochs", "3", "--ckpt-every", "45",
         "--no-progress", "--result", str(result), *map(str, args)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout, (json.loads(result.read_text()) if result.exists() else None)


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                    reason="needs scikit-learn for its digits data (pip install "
                           "'disttrain[examples]')")
def test_resume_is_exact_from_mid_epoch_and_epoch_end_checkpoints(tmp_path):
    """Stopped right after the checkpoint of step 45 (mid-epoch), then of step 90 (the
    epoch's last batch), the resumed job ends bit-identical to an uninterrupted one: the
    lr schedule is not one epoch behind."""
    _, clean = _digits(tmp_path, "--ckpt-dir", tmp_path / "clean", name="clean")
    ckpt = tmp_path / "resumed"
    out, _ = _digits(tmp_path, "--ckpt-dir", ckpt, "--max-steps", 45, name="a")
    assert "stopped after the checkpoint of step 45" in out
    out, _ = _digits(tmp_path, "--ckpt-dir", ckpt, "--max-steps", 90, name="b")
    assert "resumed from" in out and "(epoch 0, step 45)" in out
    assert "stopped after the checkpoint of step 90" in out
    out, resumed = _digits(tmp_path, "--ckpt-dir", ckpt, name="c")
    assert "(epoch 0, step 90)" in out and "epoch 0:" not in out   # epoch 0 was complete
    assert resumed["steps"] == clean["steps"] == 270
    assert resumed["params_sha256"] == clean["params_sha256"]
    assert resumed["test_accuracy"] == clean["test_accuracy"]
