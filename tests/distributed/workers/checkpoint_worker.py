"""Coordinated checkpoints on 4 ranks: sharded ZeRO state, re-sharding onto 2-rank groups,
per-rank RNG, step disagreement (see test_checkpoint.py)."""
import contextlib
import errno
import os
import random
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Recorder, check, raises  # noqa: E402

import disttrain as torch  # noqa: E402
import disttrain.distributed as dist  # noqa: E402
from disttrain import nn, optim  # noqa: E402
from disttrain.distributed import checkpoint  # noqa: E402
from disttrain.distributed.optim import ZeroRedundancyOptimizer  # noqa: E402

dist.init_process_group()
R, W = dist.get_rank(), dist.get_world_size()
OUT = sys.argv[1]
CKPT = os.path.join(OUT, "ckpt")
record = Recorder(OUT, R)


def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4))


def train(ddp, opt, steps):
    gen = torch.Generator().manual_seed(R)
    for _ in range(steps):
        opt.zero_grad()
        (ddp(torch.randn(4, 8, generator=gen)) ** 2).mean().backward()
        opt.step()


def adam_state(opt):
    opt.consolidate_state_dict(to=0)
    if dist.get_rank(opt.process_group) != 0:
        return None
    st = opt.state_dict()["state"]
    return {i: {k: v._data.copy() for k, v in s.items() if k != "step"} for i, s in st.items()}


SAVED = {}


@record
def sharded_save_writes_one_shard_per_rank():
    ddp = dist.DistributedDataParallel(model())
    opt = ZeroRedundancyOptimizer(ddp.parameters(), optim.Adam, lr=0.01)
    train(ddp, opt, 2)
    random.seed(100 + R)
    path = checkpoint.save({"model": ddp, "optim": opt, "epoch": 1}, CKPT, step=2)
    SAVED["python"] = [None] * W
    dist.all_gather_object(SAVED["python"], random.random())
    SAVED["adam"] = adam_state(opt)
    SAVED["params"] = [p._data.copy() for p in ddp.parameters()]
    names = sorted(os.listdir(path))
    check(names == ["MANIFEST.json", "replicated.dt", "shard_rank0.dt", "shard_rank1.dt",
                    "shard_rank2.dt", "shard_rank3.dt"], f"files: {names}")


@record
def resharded_load_on_two_ranks():
    pairs = [dist.new_group([0, 1]), dist.new_group([2, 3])]
    pair = pairs[R // 2]
    ddp = dist.DistributedDataParallel(model(), process_group=pair)
    for p in ddp.parameters():
        p._data[...] = 0                      # the checkpoint must bring them back
    opt = ZeroRedundancyOptimizer(ddp.parameters(), optim.Adam, process_group=pair, lr=0.01)
    random.seed(0)
    ck = checkpoint.load_latest(CKPT, {"model": ddp, "optim": opt}, group=pair)
    check(ck.step == 2 and ck.state["epoch"] == 1, f"loaded {ck.step} {ck.state.get('epoch')}")
    # Rank r of the new group continues the random streams of rank r of the saving job.
    check(random.random() == SAVED["python"][dist.get_rank(pair)], "Python RNG not restored")
    for p, want in zip(ddp.parameters(), SAVED["params"]):
        check(np.array_equal(p._data, want), "model parameters not restored")
    ref = [SAVED["adam"]]
    dist.broadcast_object_list(ref, src=0)    # the 4-rank job's consolidated state
    got = adam_state(opt)
    if got is not None:
        check(sorted(got) == sorted(ref[0]), "re-sharded state covers other parameters")
        for i in got:
            for k in got[i]:
                check(np.array_equal(got[i][k], ref[0][i][k]), f"state {k} of {i} changed")
    # The loaded state keeps training (both pairs in step).
    train(ddp, opt, 1)


@record
def step_disagreement_names_ranks():
    raises(RuntimeError, ["disagree on the step", "rank 3: 5", "rank 0: 4"],
           lambda: checkpoint.save({"x": 1}, CKPT, step=5 if R == 3 else 4),
           "the ranks pass different steps")
    check(not os.path.exists(os.path.join(CKPT, "step_00000004")), "a checkpoint was written")


@record
def write_failure_raises_everywhere():
    class Broken:
        def state_dict(self):
            raise OSError("disk on fire")
    raises(RuntimeError, ["rank 0: OSError: disk on fire"],
           lambda: checkpoint.save({"b": Broken() if R == 0 else 1}, CKPT, step=9),
           "a rank cannot write")
    dist.barrier()
    leftovers = [n for n in os.listdir(CKPT) if n != "step_00000002"]
    check(leftovers == [], f"left behind: {leftovers}")


BAD = os.path.join(OUT, "bad")


@contextlib.contextmanager
def patched(owner, name, replacement):
    real = getattr(owner, name)
    setattr(owner, name, replacement(real))
    try:
        yield
    finally:
        setattr(owner, name, real)


def fails_everywhere_then_works(what, fragments, step, fault):
    """Under ``fault``, every rank gets the same RuntimeError naming the path and the cause;
    afterwards the group still runs collectives and the next save succeeds."""
    with fault:
        try:
            checkpoint.save({"x": R}, BAD, step=step)
        except RuntimeError as exc:
            message = str(exc)
        else:
            raise AssertionError(f"{what}: save did not raise")
    for fragment in fragments:
        check(fragment in message, f"{what}: {fragment!r} not in {message!r}")
    everyone = [None] * W
    dist.all_gather_object(everyone, message)
    check(len(set(everyone)) == 1, f"{what}: ranks got different errors: {everyone}")
    total = torch.ones(3)
    dist.all_reduce(total)
    check(total.tolist() == [W] * 3, f"{what}: the group is unusable after the failure")
    path = checkpoint.save({"x": R}, os.path.join(OUT, "after_" + what), step=step)
    check(os.path.exists(os.path.join(path, "MANIFEST.json")), f"{what}: next save failed")


@record
def read_only_directory_fails_everywhere():
    # The tests run as root, for whom file modes do not apply: the read-only filesystem is
    # simulated where it shows first, at the creation of the temporary directory.
    def read_only(real):
        def makedirs(path, *args, **kwargs):
            if os.path.abspath(path).startswith(BAD + os.sep):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
            return real(path, *args, **kwargs)
        return makedirs
    fails_everywhere_then_works("read_only", [
        "rank 0: OSError: [Errno 30] Read-only file system",
        os.path.join(BAD, ".tmp_step_00000011")], 11, patched(os, "makedirs", read_only))


@record
def full_disk_fails_everywhere():
    # A full disk fails the write itself, with no file name in the error.
    from disttrain.core import serialization

    def full(real):
        def write(fh, plan):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write
    fails_everywhere_then_works("full_disk", [
        "rank 0: OSError: [Errno 28] No space left on device: "
        f"'{os.path.join(BAD, '.tmp_step_00000012', 'replicated.dt')}'",
        "rank 3: OSError: [Errno 28] No space left on device: "
        f"'{os.path.join(BAD, '.tmp_step_00000012', 'shard_rank3.dt')}'"], 12,
        patched(serialization, "_write_file", full))


@record
def deleted_directory_fails_everywhere():
    def deleted(real):
        def write(state, tmp, rank):
            dist.barrier()
            if rank == 0:
                shutil.rmtree(BAD)              # an operator removes the directory mid-save
            dist.barrier()
            return real(state, tmp, rank)
        return write
    fails_everywhere_then_works("deleted", [
        "rank 0: RuntimeError: Parent directory", "does not exist",
        os.path.join(BAD, ".tmp_step_00000013", "replicated.dt"),
        os.path.join(BAD, ".tmp_step_00000013", "shard_rank2.dt")], 13,
        patched(checkpoint, "_write_rank_files", deleted))


dist.barrier()
dist.destroy_process_group()
