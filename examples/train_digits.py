"""Train a digit classifier data-parallel: DDP, DistributedSampler, checkpoints, resume.

The data is the 8x8 digits set that scikit-learn ships (1797 images, available offline),
or MNIST when ``--mnist DIR`` points at its IDX files. Run it alone or on several ranks::

    python examples/train_digits.py
    launch --nproc 4 examples/train_digits.py --ckpt-dir /tmp/digits_ckpt

With ``--ckpt-dir`` the job checkpoints every ``--ckpt-every`` steps and at the end of
each epoch, and a restarted job (``launch --max-restarts``, or simply running it again)
resumes from the newest complete checkpoint, also on a different number of ranks.
Rank 0 draws the progress bar and prints the metrics.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import sys
import time

import numpy as np

import disttrain as torch
import disttrain.distributed as dist
from disttrain import nn, optim
from disttrain.distributed import checkpoint
from disttrain.nn.parallel import DistributedDataParallel as DDP
from disttrain.utils.data import DataLoader, DistributedSampler, Subset, TensorDataset


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=16, help="per rank")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mnist", metavar="DIR", help="train on MNIST IDX files in DIR")
    p.add_argument("--ckpt-dir", help="checkpoint here and resume from here")
    p.add_argument("--ckpt-every", type=int, default=50, help="steps between checkpoints")
    p.add_argument("--max-steps", type=int, default=None,
                   help="stop right after the first checkpoint at or past this step (a later "
                        "run resumes from it)")
    p.add_argument("--result", help="write the final metrics to this JSON file (rank 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p.parse_args(argv)


# ------------------------------------------------------------------ data
def _digits_arrays():
    """(images (n, 64) in [0, 1], labels) of scikit-learn's digits, read offline."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        sys.exit("the digits data comes with scikit-learn: pip install 'disttrain[examples]' "
                 "(or pass --mnist DIR)")
    # The CSV scikit-learn ships, read directly: importing sklearn.datasets costs seconds
    # per rank. load_digits() reads the same file; it is the fallback.
    path = os.path.join(spec.submodule_search_locations[0], "datasets", "data",
                        "digits.csv.gz")
    if os.path.exists(path):
        raw = np.loadtxt(path, delimiter=",")
        return raw[:, :-1] / 16.0, raw[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits
    d = load_digits()
    return d.data / 16.0, d.target.astype(np.int64)


def load_data(args):
    """(train set, test set) as TensorDatasets of float32 features and int64 labels."""
    if args.mnist:
        from disttrain.utils.data.mnist import MNIST
        sets = []
        for train in (True, False):
            ds = MNIST(args.mnist, train=train)
            x = ds.data.reshape(len(ds), -1).float() / 255.0
            sets.append(TensorDataset(x, ds.targets))
        return sets
    x, y = _digits_arrays()
    order = np.random.default_rng(12345).permutation(len(x))   # a fixed 80/20 split
    cut = int(0.8 * len(x))
    tr, te = order[:cut], order[cut:]
    f32 = x.astype(np.float32)
    return (TensorDataset(torch.from_numpy(f32[tr]), torch.from_numpy(y[tr])),
            TensorDataset(torch.from_numpy(f32[te]), torch.from_numpy(y[te])))


# ------------------------------------------------------------------ model and metrics
def make_model(n_in, hidden, n_out=10):
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                         nn.ReLU(), nn.Linear(hidden, n_out))


def evaluate(model, test_set):
    """Accuracy on the whole test set: each rank scores every world_size-th sample (no
    padding, so each is counted once) and the counts are summed."""
    rank, world = dist.get_rank(), dist.get_world_size()
    share = Subset(test_set, range(rank, len(test_set), world))
    correct = total = 0
    model.eval()
    with torch.no_grad():
        for x, y in DataLoader(share, batch_size=256):
            correct += int((model(x).argmax(dim=1) == y).sum().item())
            total += len(y)
    model.train()
    counts = torch.tensor([correct, total], dtype=torch.float64)
    dist.all_reduce(counts)
    return counts[0].item() / counts[1].item()


def params_digest(model):
    """sha256 of every parameter's bytes: equal only for bit-identical models."""
    h = hashlib.sha256()
    for p in model.parameters():
        h.update(np.ascontiguousarray(p.detach().numpy()).tobytes())
    return h.hexdigest()


def progress(total, initial, enabled):
    try:
        from tqdm import tqdm
    except ImportError:
        enabled = False
    if not enabled:
        return None
    return tqdm(total=total, initial=initial, unit="step", mininterval=0.5,
                dynamic_ncols=True)


# ------------------------------------------------------------------ training
def main(argv=None):
    args = parse_args(argv)
    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)
    train_set, test_set = load_data(args)
    n_in = train_set.tensors[0].shape[1]

    model = DDP(make_model(n_in, args.hidden))
    opt = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    sampler = DistributedSampler(train_set, seed=args.seed)
    # The loader's own generator keeps its per-epoch seed draw out of the global stream,
    # so a resumed job continues that stream exactly where the checkpoint left it.
    loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler,
                        generator=torch.Generator())
    loss_fn = nn.CrossEntropyLoss()
    state = {"model": model, "optim": opt, "sched": sched, "sampler": sampler}

    step = 0
    if args.ckpt_dir:
        ck = checkpoint.load_latest(args.ckpt_dir, state)
        if ck is not None:
            step = ck.step
            if rank == 0:
                print(f"resumed from {ck.path} (epoch {sampler.epoch}, step {step})",
                      flush=True)
    steps_per_epoch = len(DataLoader(train_set, batch_size=args.batch_size,
                                     sampler=DistributedSampler(train_set, world, rank)))
    if rank == 0:   # before the bar is drawn, so that it does not share the bar's line
        print(f"training on {len(train_set)} samples, {world} rank(s), batch "
              f"{args.batch_size} per rank, {steps_per_epoch} steps per epoch", flush=True)
    bar = progress(args.epochs * steps_per_epoch, step, rank == 0 and not args.no_progress)
    start = time.perf_counter()
    stopped = False
    for epoch in range(sampler.epoch, args.epochs):
        sampler.set_epoch(epoch)
        batches = len(loader)   # what is left of this epoch (all of it unless resumed)
        loss_sum, seen = torch.zeros(2, dtype=torch.float64), 0
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += torch.tensor([loss.item() * len(y), len(y)], dtype=torch.float64)
            seen += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}", refresh=False)
            # On the epoch's last batch the checkpoint waits for the epoch's end (after
            # sched.step()): a checkpoint that has consumed the whole epoch has always
            # stepped the schedule, so a job resumed from it skips the epoch's end.
            if args.ckpt_dir and step % args.ckpt_every == 0 and seen < batches:
                checkpoint.save(state, args.ckpt_dir, step, keep_last=2)
                if args.max_steps is not None and step >= args.max_steps:
                    stopped = True
                    break
        if stopped:
            break
        if seen == 0:
            continue        # a resumed job whose checkpoint ended this epoch
        sched.step()
        dist.all_reduce(loss_sum)
        acc = evaluate(model, test_set)
        if args.ckpt_dir:
            checkpoint.save(state, args.ckpt_dir, step, keep_last=2)
        if rank == 0:
            msg = (f"epoch {epoch}: train loss {loss_sum[0].item() / loss_sum[1].item():.4f}"
                   f"  test accuracy {acc:.4f}")
            (bar.write(msg) if bar is not None else print(msg, flush=True))
        if args.ckpt_dir and args.max_steps is not None and step >= args.max_steps:
            stopped = True
            break
    if stopped:
        if bar is not None:
            bar.close()
        if rank == 0:
            print(f"stopped after the checkpoint of step {step} (--max-steps "
                  f"{args.max_steps})", flush=True)
        dist.destroy_process_group()
        return None
    if bar is not None:
        bar.close()
    acc = evaluate(model, test_set)
    elapsed = time.perf_counter() - start
    if rank == 0:
        print(f"test accuracy: {acc:.4f} ({len(test_set)} images, {elapsed:.1f} s)",
              flush=True)
        if args.result:
            with open(args.result, "w") as fh:
                json.dump({"test_accuracy": acc, "steps": step, "world_size": world,
                           "seconds": elapsed, "params_sha256": params_digest(model)}, fh)
    dist.destroy_process_group()
    return acc


if __name__ == "__main__":
    main()
