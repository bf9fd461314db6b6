"""One gradient buffer under DDP, and ZeRO's buffers, on every rank of one job (see
test_grad_buffer.py)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Recorder, check, max_diff  # noqa: E402

import disttrain as torch  # noqa: E402
import disttrain.distributed as dist  # noqa: E402
from disttrain import nn, optim  # noqa: E402
from disttrain.distributed.optim import ZeroRedundancyOptimizer  # noqa: E402
from disttrain.nn.parallel import DistributedDataParallel as DDP  # noqa: E402

dist.init_process_group("gloo")
RANK, WORLD = dist.get_rank(), dist.get_world_size()
record = Recorder(sys.argv[1], RANK)
PER = 8

gen = torch.Generator().manual_seed(99)
X = torch.randn(WORLD * PER, 6, generator=gen)
Y = torch.randn(WORLD * PER, 3, generator=gen)
MINE = slice(RANK * PER, (RANK + 1) * PER)


def net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(),
                         nn.Linear(16, 3))


def loss_fn(model, x, y):
    return ((model(x) - y) ** 2).mean()


def same_memory(a, b):
    """``a`` and ``b`` are the very same elements (address and extent), not copies."""
    return a.shape == b.shape and a.__array_interface__["data"][0] == \
        b.__array_interface__["data"][0]


def train(ref, opt_ref, ddp, opt, buffers, steps=3):
    """Lockstep with the single-process reference on all the data; during each step of
    ``opt`` the gradient buffers are read-only, so a copy into them would raise."""
    for step in range(steps):
        opt_ref.zero_grad()
        loss_fn(ref, X, Y).backward()
        opt_ref.step()
        opt.zero_grad()                    # set_to_none=True: the default
        loss_fn(ddp, X[MINE], Y[MINE]).backward()
        for buf in buffers:
            buf.array.flags.writeable = False
        try:
            opt.step()
        finally:
            for buf in buffers:
                buf.array.flags.writeable = True
        diff = max_diff(ddp.module.parameters(), ref.parameters())
        check(diff <= 1e-6, f"step {step}: differs from the single process by {diff}")


@record
def one_buffer_sgd_momentum():
    ref, ddp = net(), DDP(net(), bucket_cap_mb=0.0005)   # several buckets
    check(len(ddp.reducer.buckets) > 1, "expected several buckets")
    (buf,) = {id(b.buffer): b.buffer for b in ddp.reducer.buckets}.values()
    opt = optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    train(ref, optim.SGD(ref.parameters(), lr=0.1, momentum=0.9), ddp, opt, [buf])
    (fg,) = opt._flat_groups()
    check(same_memory(fg.grad, buf.array[:buf.size]),
          "the optimizer's gradients are not DDP's buffer")
    for b in ddp.reducer.buckets:
        check(np.shares_memory(b.flat, fg.grad), "a bucket lies outside the optimizer's buffer")
    for p, v in zip(fg.params, fg.gviews):
        check(p.grad._data is v, "param.grad is not the optimizer's view of the buffer")


@record
def zero_steps_in_place_on_ddp_buffers():
    ref, ddp = net(), DDP(net())
    where = [p._data.__array_interface__["data"][0] for p in ddp.parameters()]
    opt = ZeroRedundancyOptimizer(ddp.parameters(), optim.Adam, lr=0.01)
    (gbuf,) = {id(b.buffer): b.buffer for b in ddp.reducer.buckets}.values()
    train(ref, optim.Adam(ref.parameters(), lr=0.01), ddp, opt, [gbuf])
    check(where == [p._data.__array_interface__["data"][0] for p in ddp.parameters()],
          "ZeRO or its optimizer moved the parameters out of DDP's layout")
    (pbuf, shares, spans) = opt._layout.kinds[0]
    for fg in opt.optim._flat_groups():
        check(np.shares_memory(fg.grad, gbuf.array) and fg.grad.base is gbuf.array,
              "the local optimizer's gradients are not a slice of DDP's buffer")
        lo, hi = spans[RANK]
        check(same_memory(fg.param, pbuf.array[lo:hi]),
              "the local optimizer's parameters are not this rank's run of the buffer")
    for p in ddp.parameters():
        check(np.shares_memory(p._data, pbuf.array), "a parameter left the shared buffer")


dist.barrier()
dist.destroy_process_group()
