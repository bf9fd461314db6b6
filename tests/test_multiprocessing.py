"""disttrain.multiprocessing: spawn, failures in children, and tensors shared between processes.

Children are real processes; every wait has a deadline so that a bug fails instead of hanging.
"""
import os
import pickle
import signal
import socket
import time

import numpy as np
import pytest

import disttrain as torch
import disttrain.multiprocessing as mp
from disttrain import nn, optim
from multiprocessing.reduction import ForkingPickler

DEADLINE = 60


def _wait(ctx):
    """Join a ProcessContext within DEADLINE seconds, killing the children if it runs over."""
    end = time.monotonic() + DEADLINE
    try:
        while not ctx.join(timeout=max(0.1, end - time.monotonic())):
            if time.monotonic() > end:
                raise AssertionError("the child processes did not finish in time")
    finally:
        for p in ctx.processes:
            if p.is_alive():
                p.kill()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ children (module level)
def _write_rank(rank, shared, private, q):
    shared[rank] = rank + 10          # shared by share_memory_() in the parent
    private[rank] = rank + 20         # shared because it was passed to a spawned process
    got = q.get(timeout=DEADLINE)     # the same tensor, sent twice through a Queue
    got.add_(1)


def _ddp_tutorial(rank, world_size, port, out):
    # What PyTorch's DDP tutorial does in each child.
    import disttrain.distributed as dist
    os.environ["MASTER_ADDR"] = "localhost"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    t = torch.tensor([float(rank + 1)])
    dist.all_reduce(t)
    out[rank] = t[0] * 10 + dist.get_world_size()
    dist.destroy_process_group()


def _hogwild(rank, model):
    opt = optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        model(torch.ones(1, 2)).sum().backward()
        opt.step()


def _fail_or_sleep(rank):
    if rank == 1:
        raise ValueError("bad value in child")
    time.sleep(DEADLINE)     # must be terminated by the parent once rank 1 failed


def _exit_code(rank):
    os._exit(3)


def _killed(rank):
    os.kill(os.getpid(), signal.SIGKILL)


# ------------------------------------------------------------------ real processes
def test_spawn_shares_tensors_with_children():
    shared = torch.zeros(2).share_memory_()
    private = torch.zeros(2)
    q = mp.get_context("spawn").Queue()
    sent = torch.zeros(3)
    q.put(sent)
    q.put(sent)
    ctx = mp.spawn(_write_rank, args=(shared, private, q), nprocs=2, join=False)
    assert len(ctx.processes) == 2 and ctx.pids() == [p.pid for p in ctx.processes]
    _wait(ctx)
    assert shared.tolist() == [10.0, 11.0]
    assert private.tolist() == [20.0, 21.0]
    assert private.is_shared() and sent.is_shared()
    assert sent.tolist() == [2.0, 2.0, 2.0]


def test_ddp_tutorial_setup_runs_end_to_end():
    out = torch.zeros(2).share_memory_()
    _wait(mp.spawn(_ddp_tutorial, args=(2, _free_port(), out), nprocs=2, join=False))
    assert out.tolist() == [32.0, 32.0]     # all_reduce(1 + 2) * 10 + world size


def test_hogwild_children_update_the_parents_parameters():
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.fill_(0.0)
        model.bias.fill_(0.0)
    model.share_memory()
    assert all(p.is_shared() for p in model.parameters())
    _wait(mp.spawn(_hogwild, args=(model,), nprocs=2, join=False))
    # 2 processes x 3 SGD steps of lr 0.1 on gradient 1
    np.testing.assert_allclose(model.weight.detach().numpy(), [[-0.6, -0.6]], rtol=1e-6)
    np.testing.assert_allclose(model.bias.detach().numpy(), [-0.6], rtol=1e-6)


def test_child_exception_terminates_the_others_and_raises_its_traceback():
    ctx = mp.spawn(_fail_or_sleep, nprocs=2, join=False)
    with pytest.raises(mp.ProcessRaisedException) as info:
        _wait(ctx)
    e = info.value
    assert e.error_index == 1 and e.error_pid == ctx.processes[1].pid
    msg = str(e)
    assert msg.startswith("\n\n-- Process 1 terminated with the following error:\n"
                          "Traceback (most recent call last):\n")
    assert msg.endswith("ValueError: bad value in child\n")
    assert "_fail_or_sleep" in msg
    assert not ctx.processes[0].is_alive() and ctx.processes[0].exitcode == -signal.SIGTERM


def test_exit_code_and_signal_are_reported():
    with pytest.raises(mp.ProcessExitedException) as info:
        _wait(mp.start_processes(_exit_code, nprocs=1, join=False, start_method="fork"))
    assert str(info.value) == "process 0 terminated with exit code 3"
    assert info.value.exit_code == 3 and info.value.signal_name is None
    with pytest.raises(mp.ProcessExitedException) as info:
        _wait(mp.start_processes(_killed, nprocs=1, join=False, start_method="fork"))
    assert str(info.value) == "process 0 terminated with signal SIGKILL"
    assert info.value.exit_code == -9 and info.value.signal_name == "SIGKILL"


# ------------------------------------------------------------------ in this process
def test_share_memory_moves_data_and_keeps_values():
    t = torch.arange(6.0).reshape(2, 3)
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared()
    assert t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert t[1].is_shared()                 # views of shared memory are shared
    before = t._data
    t.share_memory_()                       # already shared: nothing moves
    assert t._data is before


def test_forking_pickler_sends_a_reference_not_a_copy():
    for strategy in sorted(mp.get_all_sharing_strategies()):
        old = mp.get_sharing_strategy()
        mp.set_sharing_strategy(strategy)
        try:
            t = torch.zeros(4, requires_grad=True).share_memory_()
            back = pickle.loads(ForkingPickler.dumps(t[1:3].detach()))    # a view, offset 4 B
            back.fill_(7.0)
            assert t.tolist() == [0.0, 7.0, 7.0, 0.0], strategy
            u = torch.zeros(2)                  # not shared yet: moved to shared memory
            pickle.loads(ForkingPickler.dumps(u)).add_(1.0)
            assert u.is_shared() and u.tolist() == [1.0, 1.0], strategy
            p = nn.Parameter(torch.ones(2))
            q = pickle.loads(ForkingPickler.dumps(p))
            assert type(q) is nn.Parameter and q.requires_grad
        finally:
            mp.set_sharing_strategy(old)
    assert pickle.loads(pickle.dumps(t)).is_shared() is False   # plain pickle copies


def test_non_leaf_requiring_grad_is_refused():
    x = torch.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        ForkingPickler.dumps(x)


def test_sharing_strategies_and_reexports():
    assert mp.get_sharing_strategy() == "file_descriptor"
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    with pytest.raises(AssertionError, match="invalid sharing strategy 'nope'"):
        mp.set_sharing_strategy("nope")
    import multiprocessing
    for name in ("Process", "Queue", "SimpleQueue", "Pool", "Event", "Lock", "Manager",
                 "get_context", "set_start_method", "get_start_method", "cpu_count",
                 "current_process", "get_all_start_methods"):
        assert getattr(mp, name) is getattr(multiprocessing, name), name
    assert torch.multiprocessing is mp


def test_exceptions_pickle_with_their_fields():
    e = pickle.loads(pickle.dumps(mp.ProcessExitedException("m", 1, 42, -9, "SIGKILL")))
    assert (e.msg, e.error_index, e.error_pid, e.exit_code, e.signal_name) == \
        ("m", 1, 42, -9, "SIGKILL")
    e = pickle.loads(pickle.dumps(mp.ProcessRaisedException("m", 0, 7)))
    assert (str(e), e.error_index, e.error_pid) == ("m", 0, 7)


def test_loader_batches_in_shared_memory_are_passed_on_by_reference():
    from disttrain.utils.data import DataLoader, TensorDataset
    data = TensorDataset(torch.zeros(2, 20000))      # 80 kB batches travel by /dev/shm
    batch, = next(iter(DataLoader(data, batch_size=2, num_workers=1)))
    assert batch.is_shared()
    back = pickle.loads(ForkingPickler.dumps(batch))
    back.fill_(3.0)
    assert float(batch.sum()) == 3.0 * 40000


def test_full_shared_memory_raises_instead_of_crashing(monkeypatch):
    import errno

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "posix_fallocate", full)
    t = torch.ones(3)
    with pytest.raises(RuntimeError, match="unable to move 12 bytes to shared memory in .*: "
                                           "No space left on device"):
        t.share_memory_()
    assert not t.is_shared() and t.tolist() == [1.0, 1.0, 1.0]


def test_optimizer_keeps_parameters_shared_after_share_memory():
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.5)
    model(torch.ones(1, 2)).sum().backward()
    opt.step()                          # parameters now live in the optimizer's flat buffer
    model.share_memory()                # ... and then move to shared memory
    w = model.weight.detach().clone()
    opt.zero_grad()
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
    assert model.weight.is_shared() and model.bias.is_shared()
    np.testing.assert_allclose(model.weight.detach().numpy(), (w - 0.5).numpy(), rtol=1e-6)
