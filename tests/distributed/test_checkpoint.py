"""disttrain.distributed.checkpoint: atomic, verified, resumable checkpoints."""
import json
import os
import random
import subprocess
import sys
import warnings

import numpy as np
import pytest

import disttrain as torch
from disttrain import nn, optim
from disttrain.distributed import checkpoint
from disttrain.utils.data import DistributedSampler

from ._procs import WORKERS, Results, run_ranks, worker_env


def _setup():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    sampler = DistributedSampler(range(20), num_replicas=1, rank=0)
    return model, opt, sched, sampler


def _train(model, opt, sched, steps=2):
    for _ in range(steps):
        opt.zero_grad()
        (model(torch.ones(2, 3)) ** 2).sum().backward()
        opt.step()
        sched.step()


def test_round_trip_restores_objects_and_values(tmp_path):
    """Model, optimizer, scheduler, sampler and plain values come back from the newest save."""
    model, opt, sched, sampler = _setup()
    _train(model, opt, sched)
    it = iter(sampler)
    for _ in range(7):
        next(it)
    state = {"model": model, "optim": opt, "sched": sched, "sampler": sampler}
    path = checkpoint.save({**state, "epoch": 3, "t": torch.arange(3)}, tmp_path, step=42)
    assert os.path.basename(path) == "step_00000042"
    m2, o2, s2, sa2 = _setup()
    ck = checkpoint.load_latest(tmp_path, {"model": m2, "optim": o2, "sched": s2,
                                           "sampler": sa2})
    assert (ck.step, ck.path, ck.state["epoch"]) == (42, path, 3)
    assert ck.state["t"].tolist() == [0, 1, 2]
    for a, b in zip(model.parameters(), m2.parameters()):
        assert np.array_equal(a._data, b._data)
    for p, q in zip(model.parameters(), m2.parameters()):
        assert np.array_equal(opt.state[p]["momentum_buffer"]._data,
                              o2.state[q]["momentum_buffer"]._data)
    assert o2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == 0.025
    assert s2.last_epoch == 2
    assert list(sa2) == list(sampler)[7:]


def test_manifest_lists_checksums(tmp_path):
    """The manifest, written last, names every file with its sha256 and size."""
    model, *_ = _setup()
    path = checkpoint.save({"model": model}, tmp_path, step=1)
    manifest = json.load(open(os.path.join(path, "MANIFEST.json")))
    assert manifest["step"] == 1 and manifest["world_size"] == 1
    assert sorted(manifest["files"]) == ["replicated.dt", "shard_rank0.dt"]
    for name, info in manifest["files"].items():
        assert info["bytes"] == os.path.getsize(os.path.join(path, name))
        assert len(info["sha256"]) == 64
    assert checkpoint.verify(path) == manifest


def test_rng_states_restored(tmp_path):
    """Python's random, numpy's global RNG and disttrain's generator resume their streams."""
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    checkpoint.save({}, tmp_path, step=1)
    want = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(9)
    np.random.seed(9)
    torch.manual_seed(9)
    checkpoint.load_latest(tmp_path)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == want


def test_keep_last_prunes_old_checkpoints(tmp_path):
    """keep_last=2 keeps the two newest complete checkpoints."""
    for step in range(1, 5):
        checkpoint.save({"s": step}, tmp_path, step=step, keep_last=2)
    assert sorted(os.listdir(tmp_path)) == ["step_00000003", "step_00000004"]
    with pytest.raises(ValueError, match="keep_last must be at least 1, got 0"):
        checkpoint.save({}, tmp_path, step=5, keep_last=0)


def test_corrupt_newest_falls_back_with_warning(tmp_path):
    """A flipped byte in the newest checkpoint: warned about, skipped, the previous loads."""
    checkpoint.save({"s": 1}, tmp_path, step=1)
    path = checkpoint.save({"s": 2}, tmp_path, step=2)
    shard = os.path.join(path, "shard_rank0.dt")
    data = bytearray(open(shard, "rb").read())
    data[len(data) // 2] ^= 0xFF
    open(shard, "wb").write(bytes(data))
    with pytest.warns(RuntimeWarning, match=r"step_00000002 skipped: shard_rank0.dt is corrupt"):
        ck = checkpoint.load_latest(tmp_path)
    assert (ck.step, ck.state["s"]) == (1, 1)


def test_incomplete_checkpoint_skipped(tmp_path):
    """A step directory without its manifest is incomplete: skipped with a warning."""
    checkpoint.save({"s": 1}, tmp_path, step=1)
    path = checkpoint.save({"s": 2}, tmp_path, step=2)
    os.remove(os.path.join(path, "MANIFEST.json"))
    with pytest.warns(RuntimeWarning, match=r"step_00000002 skipped: it is incomplete"):
        assert checkpoint.load_latest(tmp_path).step == 1


def test_missing_directory_and_resave(tmp_path):
    """No checkpoint gives None; saving a step again replaces it."""
    assert checkpoint.load_latest(tmp_path / "nothing") is None
    checkpoint.save({"v": 1}, tmp_path, step=7)
    checkpoint.save({"v": 2}, tmp_path, step=7)
    assert checkpoint.load_latest(tmp_path).state["v"] == 2


@pytest.mark.parametrize("where, step, tag", [
    ("before_rename", 1, "first"), ("before_manifest", 1, "first"),
    ("resave_before_swap", 1, "first"), ("resave_after_swap", 1, "second")])
def test_sigkill_during_save_leaves_a_complete_checkpoint(tmp_path, where, step, tag):
    """A process killed while writing a checkpoint, also while saving the same step again
    with keep_last=1, leaves a complete one loadable (the old until the new is whole)."""
    proc = subprocess.run([sys.executable, os.path.join(WORKERS, "kill_during_save.py"),
                           str(tmp_path), where], env=worker_env(), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == -9, proc.stdout + proc.stderr
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        ck = checkpoint.load_latest(tmp_path)
    assert (ck.step, ck.state["tag"]) == (step, tag)
    assert [str(w.message) for w in record] == []   # a temporary directory is no checkpoint
    checkpoint.save({"tag": "third"}, tmp_path, step=3, keep_last=1)   # cleans the leftovers
    assert os.listdir(tmp_path) == ["step_00000003"]


@pytest.fixture(scope="module")
def four_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ckpt")
    return Results(run_ranks("checkpoint_worker.py", 4, [out], timeout=60), str(out))


@pytest.mark.parametrize("name", [
    "sharded_save_writes_one_shard_per_rank", "resharded_load_on_two_ranks",
    "step_disagreement_names_ranks", "write_failure_raises_everywhere",
    "read_only_directory_fails_everywhere", "full_disk_fails_everywhere",
    "deleted_directory_fails_everywhere"])
def test_four_ranks(four_ranks, name):
    """Each checkpoint check passed on every rank of a 4-rank job."""
    four_ranks.check(name)
