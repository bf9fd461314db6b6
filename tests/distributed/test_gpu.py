"""Data parallelism with the model on a GPU: buckets on the device, pinned host staging."""
import numpy as np
import pytest

import disttrain as torch
import disttrain.distributed as dist
from disttrain import nn, optim

from ._procs import Results, run_ranks

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="needs a CUDA GPU (cupy)")


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def test_buckets_live_on_the_gpu_with_pinned_twins(world1):
    """A cuda model's buckets are device arrays staged through reusable pinned host memory."""
    ddp = dist.DistributedDataParallel(_net().to("cuda"), device_ids=[0])
    x = torch.randn(5, 4, device="cuda")
    ddp(x).sum().backward()
    for b in ddp.reducer.buckets:
        assert b.flat.__class__.__module__.startswith("cupy")
        assert isinstance(b.host, np.ndarray) and b.host.size == b.flat.size
    for p in ddp.parameters():
        assert p.grad.is_cuda


def test_gpu_training_matches_cpu(world1):
    """SGD steps of a DDP model on the GPU match the same steps on the CPU."""
    cpu, gpu = _net(), dist.DistributedDataParallel(_net().to("cuda"))
    o1 = optim.SGD(cpu.parameters(), lr=0.1, momentum=0.9)
    o2 = optim.SGD(gpu.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(6, 4)
    for _ in range(3):
        for m, o, inp in ((cpu, o1, x), (gpu, o2, x.to("cuda"))):
            o.zero_grad()
            (m(inp) ** 2).mean().backward()
            o.step()
    for a, b in zip(cpu.parameters(), gpu.module.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().cpu().numpy(), atol=1e-5)


def test_two_ranks_share_the_gpu(tmp_path):
    """Two ranks on one GPU (cuda:LOCAL_RANK % device_count) train identically."""
    res = Results(run_ranks("gpu_worker.py", 2, [tmp_path], timeout=120), str(tmp_path))
    res.check("same_parameters_on_both_ranks")
