"""Two ranks on one GPU: DDP with device buckets, then compare parameters (test_gpu.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Recorder, check, params_digest  # noqa: E402

import disttrain as torch  # noqa: E402
import disttrain.distributed as dist  # noqa: E402
from disttrain import nn, optim  # noqa: E402

dist.init_process_group()          # takes cuda:LOCAL_RANK % device_count
R, W = dist.get_rank(), dist.get_world_size()
record = Recorder(sys.argv[1], R)


@record
def same_parameters_on_both_ranks():
    check(torch.cuda.current_device() == R % torch.cuda.device_count(), "device choice")
    torch.manual_seed(R)
    ddp = dist.DistributedDataParallel(
        nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4)).to("cuda"))
    opt = optim.Adam(ddp.parameters(), lr=0.01)
    for _ in range(3):
        opt.zero_grad()
        x = torch.randn(8, 16, device="cuda")
        (ddp(x) ** 2).mean().backward()
        opt.step()
    digests = [None] * W
    dist.all_gather_object(digests, params_digest(
        [p.detach().cpu() for p in ddp.parameters()]))
    check(len(set(digests)) == 1, f"parameters differ: {digests}")


dist.barrier()
dist.destroy_process_group()
