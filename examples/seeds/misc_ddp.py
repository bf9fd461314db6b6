"""Data-parallel training with ``torch.distributed``, which the function-reference tutorial
(PyTorch 重要函数) names for multi-GPU and multi-node training (``torch.nn.parallel``,
``torch.distributed``) without code: the standard DistributedDataParallel program.

Each process joins the group, wraps the model in DDP (which keeps the replicas identical by
averaging gradients), reads its share of the data through a DistributedSampler, and trains.
Start it with a launcher, one process per device:
``launch --nproc 2 examples/seeds/misc_ddp.py`` (with PyTorch:
``torchrun --nproc_per_node 2 ...``). Weights start from fixed values and the sampler does not
shuffle, so every printed number is reproducible.
"""
import disttrain as torch
import disttrain.distributed as dist
import disttrain.nn as nn
from disttrain.nn.parallel import DistributedDataParallel as DDP
from disttrain.utils.data import DataLoader, TensorDataset
from disttrain.utils.data.distributed import DistributedSampler


def main():
    dist.init_process_group(backend="gloo")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    x = torch.tensor([[1, 2], [3, 4], [5, 6], [7, 8], [2, 1], [4, 3], [6, 5], [8, 7]]).float()
    y = x.sum(dim=1, keepdim=True)
    dataset = TensorDataset(x, y)
    sampler = DistributedSampler(dataset, shuffle=False)
    loader = DataLoader(dataset, batch_size=2, sampler=sampler)
    print(f"rank {rank}/{world_size}: samples {list(sampler)}")

    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.5, -0.25]]) * (rank + 1))   # replicas differ...
        model.bias.fill_(0.1)
    ddp_model = DDP(model.to(device))                                    # ...until DDP syncs them
    print(f"rank {rank}: initial weight {model.weight.data}")
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(ddp_model.parameters(), lr=0.01)

    for epoch in range(3):
        sampler.set_epoch(epoch)
        total = torch.zeros(1, device=device)
        for data, target in loader:
            optimizer.zero_grad()
            loss = loss_fn(ddp_model(data.to(device)), target.to(device))
            loss.backward()
            optimizer.step()
            total += loss.detach()
        dist.all_reduce(total)          # the sum over all ranks' batches
        if rank == 0:
            print(f"epoch {epoch}: mean batch loss {total.item() / (2 * world_size):.4f}")

    print(f"rank {rank}: final weight {model.weight.data}, bias {model.bias.data}")
    ranks = torch.tensor([float(rank)], device=device)
    gathered = [torch.zeros(1, device=device) for _ in range(world_size)]
    dist.all_gather(gathered, ranks)
    if rank == 0:
        print("all_gather:", [t.item() for t in gathered])
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
