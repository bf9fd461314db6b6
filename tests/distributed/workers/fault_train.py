"""A training job that survives a SIGKILL mid-epoch (see test_fault.py).

Run under ``launch --max-restarts``. Every attempt first trains a reference without
checkpoints, then the real run, which resumes from the newest checkpoint. On the first
attempt rank 2 kills itself at step KILL_AT; the launcher restarts the group, the real run
resumes, and rank 0 writes whether its final parameters equal the reference bit for bit.

argv: output directory, step at which rank 2 dies on attempt 0.
"""
import json
import os
import signal
import sys

import disttrain as torch
import disttrain.distributed as dist
from disttrain import nn, optim
from disttrain.distributed import checkpoint
from disttrain.utils.data import DataLoader, DistributedSampler, TensorDataset

OUT, KILL_AT = sys.argv[1], int(sys.argv[2])
ATTEMPT = int(os.environ["DISTTRAIN_RESTART_COUNT"])
EPOCHS, BATCH, EVERY = 3, 4, 4

dist.init_process_group()
RANK = dist.get_rank()
gen = torch.Generator().manual_seed(0)
DATA = TensorDataset(torch.randn(96, 6, generator=gen), torch.randn(96, 2, generator=gen))


def run(ckpt_dir):
    torch.manual_seed(10 + RANK)            # per-rank dropout masks
    base = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))
    model = dist.DistributedDataParallel(base)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.7)
    sampler = DistributedSampler(DATA, seed=1)
    # The loader draws its workers' base seed when an epoch starts; its own generator keeps
    # that draw out of the global stream, which the checkpoint restores mid-epoch.
    loader = DataLoader(DATA, batch_size=BATCH, sampler=sampler, generator=torch.Generator())
    state = {"model": model, "optim": opt, "sched": sched, "sampler": sampler}
    ck = checkpoint.load_latest(ckpt_dir, state) if ckpt_dir else None
    step = ck.step if ck else 0
    for epoch in range(sampler.epoch, EPOCHS):
        sampler.set_epoch(epoch)
        for x, y in loader:
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
            sched.step()
            step += 1
            if ckpt_dir and ATTEMPT == 0 and RANK == 2 and step == KILL_AT:
                os.kill(os.getpid(), signal.SIGKILL)
            if ckpt_dir and step % EVERY == 0:
                checkpoint.save(state, ckpt_dir, step, keep_last=2)
    return [p._data.copy() for p in model.parameters()], (ck.step if ck else None), step


ref, _, ref_steps = run(None)
final, resumed_from, steps = run(os.path.join(OUT, "ckpt"))
same = all(a.tobytes() == b.tobytes() for a, b in zip(ref, final))
if RANK == 0:
    with open(os.path.join(OUT, "result.json"), "w") as fh:
        json.dump({"attempt": ATTEMPT, "resumed_from": resumed_from, "steps": steps,
                   "ref_steps": ref_steps, "bitwise_equal": same}, fh)
dist.destroy_process_group()
