"""SyncBatchNorm on each rank of a 2-rank job equals BatchNorm on the whole batch."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Recorder, check  # noqa: E402

import numpy as np  # noqa: E402

import disttrain as torch  # noqa: E402
import disttrain.distributed as dist  # noqa: E402
from disttrain import nn  # noqa: E402

dist.init_process_group()
R, W = dist.get_rank(), dist.get_world_size()
record = Recorder(sys.argv[1], R)


def _global_batch():
    torch.manual_seed(0)
    return torch.randn(4 * W, 3, 5, dtype=torch.float64), torch.randn(4 * W, 3, 5,
                                                                      dtype=torch.float64)


def _close(a, b, what):
    ok = np.allclose(np.asarray(a.detach().tolist()), np.asarray(b.detach().tolist()),
                     atol=1e-10)
    check(ok, f"{what}: {a} != {b}")


@record
def matches_batchnorm_of_the_global_batch():
    x, wl = _global_batch()
    ref = nn.BatchNorm1d(3).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor([0.5, 1.5, -1.0]))
        ref.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    sync = nn.SyncBatchNorm(3).double()
    sync.load_state_dict(ref.state_dict())
    xg = x.clone().requires_grad_(True)
    yg = ref(xg)
    (yg * wl).sum().backward()
    mine = x[4 * R:4 * R + 4].clone().requires_grad_(True)
    y = sync(mine)
    (y * wl[4 * R:4 * R + 4]).sum().backward()
    _close(y, yg[4 * R:4 * R + 4], "output")
    _close(mine.grad, xg.grad[4 * R:4 * R + 4], "input gradient")
    for p, q in ((sync.weight, ref.weight), (sync.bias, ref.bias)):
        g = p.grad.clone()
        dist.all_reduce(g)
        _close(g, q.grad, "summed parameter gradient")
    _close(sync.running_mean, ref.running_mean, "running_mean")
    _close(sync.running_var, ref.running_var, "running_var")
    check(int(sync.num_batches_tracked) == 1, "num_batches_tracked")
    sync.eval()
    _close(sync(mine), ref.eval()(mine), "eval uses the running statistics")


@record
def converted_model_trains_in_step():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
    net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    check(type(net[1]) is nn.SyncBatchNorm, "converted")
    torch.manual_seed(2 + R)
    out = net(torch.randn(3, 2, 6, 6))
    out.mean().backward()
    stats = net[1].running_mean.clone()
    dist.all_reduce(stats)
    _close(stats / W, net[1].running_mean, "every rank holds the same running statistics")
