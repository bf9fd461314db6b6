"""One gradient buffer: DDP's buckets, ``param.grad`` and the optimizer's step share memory;
ZeroRedundancyOptimizer's saving shows in each rank's peak resident memory."""
import json

import numpy as np
import pytest

import disttrain as torch
from disttrain import nn, optim
from disttrain.nn.parallel import DistributedDataParallel as DDP

from ._procs import Results, run_ranks


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(),
                         nn.Linear(8, 2))


def _buffer(ddp):
    (buf,) = {id(b.buffer): b.buffer for b in ddp.reducer.buckets}.values()
    return buf


def _address(a):
    return a.__array_interface__["data"][0]


def _train(model, opt, xs, buf=None):
    """Steps with the default ``zero_grad()``; while ``opt`` steps, ``buf`` is read-only, so
    any copy of a gradient into the memory the step reads would raise."""
    for x in xs:
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        if buf is not None:
            buf.array.flags.writeable = False
        try:
            opt.step()
        finally:
            if buf is not None:
                buf.array.flags.writeable = True


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.01)], ids=["sgd", "adam"])
def test_no_gradient_copied_between_backward_and_step(world1, make):
    """Over 3 iterations with the default zero_grad(): after each backward every param.grad
    is a view of DDP's buffer, the optimizer's gradient array is that same memory, and the
    step (buffer read-only) copies nothing into it; training equals the plain model's."""
    xs = [torch.randn(5, 4) for _ in range(3)]
    ref, ddp = _net(), DDP(_net(), bucket_cap_mb=0.0002)
    assert len(ddp.reducer.buckets) > 1
    o_ref, opt = make(ref.parameters()), make(ddp.parameters())
    buf = _buffer(ddp)
    addresses = None
    for x in xs:
        _train(ref, o_ref, [x])
        opt.zero_grad()
        assert all(p.grad is None for p in ddp.parameters())    # set_to_none, as PyTorch
        (ddp(x) ** 2).mean().backward()
        (fg,) = opt._flat_groups()
        assert _address(fg.grad) == _address(buf.array) and fg.grad.size == buf.size
        for p, v in zip(fg.params, fg.gviews):
            assert p.grad._data is v and np.shares_memory(v, buf.array)
        now = [_address(p.grad._data) for p in ddp.parameters()]
        assert addresses in (None, now)        # the same memory at every iteration
        addresses = now
        buf.array.flags.writeable = False
        try:
            opt.step()
        finally:
            buf.array.flags.writeable = True
    for p, r in zip(ddp.module.parameters(), ref.parameters()):
        np.testing.assert_allclose(p._data, r._data, rtol=0, atol=1e-6)


def test_layout_follows_backward_order(world1):
    """The optimizer lays the parameters out in the buffer's order: the reverse of
    registration, the order backward fills the buckets. DDP already put the parameters'
    values in that order, so the optimizer's first step moves none of them."""
    ddp = DDP(_net())
    before = [_address(p._data) for p in ddp.parameters()]
    opt = optim.SGD(ddp.parameters(), lr=0.1)
    _train(ddp, opt, [torch.randn(3, 4)])
    (fg,) = opt._flat_groups()
    assert [id(p) for p in fg.params] == [id(p) for p in reversed(list(ddp.parameters()))]
    assert [_address(p._data) for p in ddp.parameters()] == before
    assert _address(fg.param) == min(before)


def test_optimizer_stepped_before_ddp_adopts_the_buffer(world1):
    """An optimizer that stepped before DDP wrapped its model moves onto DDP's buffer at the
    next step, keeping its state (momentum)."""
    xs = [torch.randn(5, 4) for _ in range(3)]
    ref, model = _net(), _net()
    o_ref = optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    _train(ref, o_ref, xs)
    _train(model, opt, xs[:1])
    ddp = DDP(model)
    _train(ddp, opt, xs[1:], _buffer(ddp))
    (fg,) = opt._flat_groups()
    assert _address(fg.grad) == _address(_buffer(ddp).array)
    for p, r in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p._data, r._data, rtol=0, atol=1e-6)


def test_groups_that_split_the_buffer_still_train(world1):
    """Param groups whose parameters interleave in the buffer (weights and biases apart)
    cannot be one slice of it: they keep buffers of their own and train the same."""
    xs = [torch.randn(5, 4) for _ in range(3)]
    ref, ddp = _net(), DDP(_net())

    def groups(m):
        named = list(m.named_parameters())
        return [{"params": [p for n, p in named if n.endswith("weight")]},
                {"params": [p for n, p in named if n.endswith("bias")], "weight_decay": 0.1}]
    o_ref = optim.Adam(groups(ref), lr=0.01)
    opt = optim.Adam(groups(ddp), lr=0.01)
    _train(ref, o_ref, xs)
    _train(ddp, opt, xs)
    for fg in opt._flat_groups():
        assert not np.shares_memory(fg.grad, _buffer(ddp).array)
    for p, r in zip(ddp.module.parameters(), ref.parameters()):
        np.testing.assert_allclose(p._data, r._data, rtol=0, atol=1e-6)


def test_gradient_as_bucket_view_false_keeps_optimizer_buffer(world1):
    """Without gradient_as_bucket_view the gradients are the user's own memory: the optimizer
    does not step on the buckets."""
    ddp = DDP(_net(), gradient_as_bucket_view=False)
    opt = optim.SGD(ddp.parameters(), lr=0.1)
    _train(ddp, opt, [torch.randn(3, 4)])
    (fg,) = opt._flat_groups()
    assert not np.shares_memory(fg.grad, _buffer(ddp).array)


# ---------------------------------------------------------------- 2 ranks
@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("gradbuf")
    return Results(run_ranks("grad_buffer_worker.py", 2, [out], timeout=60), str(out))


@pytest.mark.parametrize("name", ["one_buffer_sgd_momentum",
                                  "zero_steps_in_place_on_ddp_buffers"])
def test_two_ranks(two_ranks, name):
    """Each check of the 2-rank job passed on every rank (see workers/grad_buffer_worker.py)."""
    two_ranks.check(name)


def _memory(tmp_path, mode):
    out = tmp_path / mode
    out.mkdir()
    res = Results(run_ranks("zero_memory_worker.py", 2, [out, mode], timeout=90), str(out))
    assert all(res.by_rank), res.log()
    return res.by_rank


def test_zero_lowers_peak_resident_memory_per_rank(tmp_path):
    """A 2-rank DDP job training a 64 MiB model with Adam: on every rank ZeRO's peak resident
    memory is lower than the plain optimizer's by most of the Adam state it no longer
    holds (half of 128 MiB), both over the whole run and over the training alone."""
    plain, zero = _memory(tmp_path, "plain"), _memory(tmp_path, "zero")
    mib = 2 ** 20
    print(json.dumps({"plain": plain, "zero": zero}))
    for r, (p, z) in enumerate(zip(plain, zero)):
        saved_state = p["state"] - z["state"]
        # 16 x (1024 x 1024 + 1024) float32 parameters, two Adam moments each
        assert p["state"] == 2 * 16 * (1024 * 1024 + 1024) * 4 and saved_state == p["state"] // 2
        assert p["peak"] - z["peak"] >= 0.75 * saved_state, (
            f"rank {r}: peak {p['peak'] / mib:.1f} MiB without ZeRO, {z['peak'] / mib:.1f} "
            f"MiB with it; the state it does not hold is {saved_state / mib:.1f} MiB")
        if p["train"] is not None and z["train"] is not None:
            assert p["train"] - z["train"] >= 0.75 * saved_state, (r, p, z)
