# A torchrun-style training script written for PyTorch, unchanged (used by test_as_torch.py).
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

dist.init_process_group(backend="gloo")
rank = dist.get_rank()
torch.manual_seed(0)
x = torch.linspace(-1, 1, 64).unsqueeze(1)
data = TensorDataset(x, 3 * x + 1)
sampler = DistributedSampler(data, shuffle=False)
model = DDP(nn.Linear(1, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.5)
for epoch in range(30):
    sampler.set_epoch(epoch)
    for xb, yb in DataLoader(data, batch_size=8, sampler=sampler):
        opt.zero_grad()
        F.mse_loss(model(xb), yb).backward()
        opt.step()
w, b = model.module.weight.item(), model.module.bias.item()
print(f"rank {rank}: torch is {torch.__name__}, w={w:.3f} b={b:.3f}", flush=True)
dist.destroy_process_group()
