"""DDP, DistributedOptimizer and ZeRO checks on every rank of one job (see test_ddp.py)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Recorder, check, max_diff, params_digest, raises  # noqa: E402

import disttrain as torch  # noqa: E402
import disttrain.distributed as dist  # noqa: E402
from disttrain import nn, optim  # noqa: E402
from disttrain.distributed.algorithms.ddp_comm_hooks import default_hooks  # noqa: E402
from disttrain.distributed.optim import (DistributedOptimizer, ZeroRedundancyOptimizer,  # noqa
                                         broadcast_optimizer_state, broadcast_parameters)
from disttrain.nn.parallel import DistributedDataParallel as DDP  # noqa: E402

dist.init_process_group("gloo")
RANK, WORLD = dist.get_rank(), dist.get_world_size()
record = Recorder(sys.argv[1], RANK)
PER = 8                       # samples per rank; the reference sees all WORLD * PER

gen = torch.Generator().manual_seed(1234)
X = torch.randn(WORLD * PER, 6, generator=gen)
Y = torch.randn(WORLD * PER, 3, generator=gen)
MINE = slice(RANK * PER, (RANK + 1) * PER)


def net(seed=0, hidden=16):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, hidden), nn.Tanh(), nn.Linear(hidden, 3))


def loss_fn(model, x, y):
    return ((model(x) - y) ** 2).mean()


def same_on_all_ranks(params, what):
    digests = [None] * WORLD
    dist.all_gather_object(digests, params_digest(params))
    check(len(set(digests)) == 1, f"{what}: parameters differ between ranks: {digests}")


def train_equivalence(make_opt, steps=5, **ddp_kwargs):
    ref = net()
    ddp = DDP(net(seed=0 if RANK == 0 else 100 + RANK), **ddp_kwargs)   # rank 0 wins
    check(max_diff(ddp.module.parameters(), ref.parameters()) == 0,
          "DDP did not broadcast rank 0's parameters at construction")
    lockstep(ref, make_opt(ref.parameters()), ddp, make_opt(ddp.parameters()), steps, "DDP")
    return ddp


def lockstep(ref, opt_ref, model, opt, steps, what):
    """Train the single-process reference on all the data and ``model`` on this rank's share;
    after every step they agree, and every rank holds the same parameters."""
    for step in range(steps):
        for o, m, rows in ((opt_ref, ref, slice(None)), (opt, model, MINE)):
            o.zero_grad()
            loss_fn(m, X[rows], Y[rows]).backward()
            o.step()
        diff = max_diff(model.parameters(), ref.parameters())
        check(diff <= 1e-6, f"step {step}: {what} differs from the single process by {diff}")
        same_on_all_ranks(list(model.parameters()), f"{what} step {step}")


@record
def equivalence_sgd_momentum():
    train_equivalence(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9))


@record
def equivalence_adam_small_buckets():
    # A tiny bucket cap puts every parameter in its own bucket: four all-reduces that
    # start during backward, in order.
    ddp = train_equivalence(lambda ps: optim.Adam(ps, lr=0.01), bucket_cap_mb=0.00001)
    check(len(ddp.reducer.buckets) == 4, f"expected 4 buckets, got {len(ddp.reducer.buckets)}")


@record
def grads_are_bucket_views():
    ddp = DDP(net())
    loss_fn(ddp, X[MINE], Y[MINE]).backward()
    flats = [b.flat for b in ddp.reducer.buckets]
    for p in ddp.parameters():
        check(any(np.shares_memory(p.grad._data, f) for f in flats),
              "param.grad is not a view of a bucket")


@record
def shape_mismatch_names_parameter():
    hidden = 17 if RANK == 1 else 16
    raises(RuntimeError, ["DDP expects same model across all ranks", "'0.weight'", "rank 1",
                          "[17, 6]"], lambda: DDP(net(hidden=hidden)), "different parameter shapes")


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.body = nn.Linear(6, 8)
        self.head_a = nn.Linear(8, 3)
        self.head_b = nn.Linear(8, 3)

    def forward(self, x, use_b):
        h = self.body(x).tanh()
        return self.head_b(h) if use_b else self.head_a(h)


@record
def unused_parameter_errors_on_every_rank():
    ddp = DDP(TwoHeads())
    # Rank 1 takes the other head: its buckets differ from everyone else's.
    raises(RuntimeError, ["Expected to have finished reduction in the prior iteration",
                          "find_unused_parameters=True", "head_b.weight", "head_a.weight"],
           lambda: loss_fn(lambda x: ddp(x, RANK == 1), X[MINE], Y[MINE]).backward(),
           "a parameter unused on some ranks")


@record
def find_unused_parameters_averages_with_zeros():
    ddp = DDP(TwoHeads(), find_unused_parameters=True)
    ref = TwoHeads()
    for q in range(WORLD):   # what each rank contributes, averaged
        rows = slice(q * PER, (q + 1) * PER)
        (loss_fn(lambda x: ref(x, q % 2 == 1), X[rows], Y[rows]) / WORLD).backward()
    loss_fn(lambda x: ddp(x, RANK % 2 == 1), X[MINE], Y[MINE]).backward()
    for (name, p), r in zip(ddp.module.named_parameters(), ref.parameters()):
        d = float(np.abs(p.grad._data - r.grad._data).max())
        check(d <= 1e-6, f"{name}: gradient differs by {d}")


@record
def no_sync_accumulates_then_averages():
    ddp, ref = DDP(net()), net()
    half = PER // 2
    with ddp.no_sync():
        loss_fn(ddp, X[MINE][:half], Y[MINE][:half]).backward()
    local = [p.grad._data.copy() for p in ddp.parameters()]
    loss_fn(ddp, X[MINE][half:], Y[MINE][half:]).backward()
    for q in range(WORLD):
        base = q * PER
        for part in (slice(base, base + half), slice(base + half, base + PER)):
            (loss_fn(ref, X[part], Y[part]) / WORLD).backward()
    for p, r, loc in zip(ddp.parameters(), ref.parameters(), local):
        d = float(np.abs(p.grad._data - r.grad._data).max())
        check(d <= 1e-6, f"accumulated gradient differs by {d}")
    gathered = [None] * WORLD
    dist.all_gather_object(gathered, local[0])
    check(not all(np.array_equal(gathered[0], g) for g in gathered[1:]),
          "inside no_sync the gradients were synchronised")


@record
def broadcast_buffers_follow_rank_0():
    torch.manual_seed(5)
    ddp = DDP(nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4)))
    bn = ddp.module[1]
    ddp(X[MINE])                          # each rank updates the statistics with its batch
    mean0 = [None]
    if RANK == 0:
        mean0 = [bn.running_mean._data.copy()]
    dist.broadcast_object_list(mean0, 0)
    ddp.eval()
    with torch.no_grad():
        ddp(X[MINE])                      # starts by copying rank 0's buffers
    check(np.array_equal(bn.running_mean._data, mean0[0]),
          "running_mean does not follow rank 0 after a forward")


@record
def fp16_compress_hook_close_to_exact():
    exact, compressed = DDP(net()), DDP(net())
    compressed.register_comm_hook(None, default_hooks.fp16_compress_hook)
    for m in (exact, compressed):
        loss_fn(m, X[MINE], Y[MINE]).backward()
    for a, b in zip(exact.parameters(), compressed.parameters()):
        d = float(np.abs(a.grad._data - b.grad._data).max())
        scale = float(np.abs(a.grad._data).max())
        check(d <= 2e-3 * scale + 1e-6, f"fp16 hook differs by {d} (scale {scale})")
    same_on_all_ranks([p.grad for p in compressed.parameters()], "fp16 gradients")


@record
def distributed_optimizer_matches_single_process():
    ref, model = net(), net(seed=0 if RANK == 0 else 200 + RANK)
    broadcast_parameters(model.state_dict(), root_rank=0)
    check(max_diff(model.parameters(), ref.parameters()) == 0, "broadcast_parameters")
    opt_ref = optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    opt = DistributedOptimizer(optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                               named_parameters=model.named_parameters())
    check(isinstance(opt, optim.SGD), "DistributedOptimizer is not an SGD")
    lockstep(ref, opt_ref, model, opt, 4, "DistributedOptimizer")
    fresh = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    broadcast_optimizer_state(opt if RANK == 0 else fresh, root_rank=0)
    if RANK != 0:
        check(fresh.param_groups[0]["lr"] == 0.1, "hyperparameters were not broadcast")
        for p in model.parameters():
            got = fresh.state[p]["momentum_buffer"]._data
            want = opt.state[p]["momentum_buffer"]._data
            check(np.array_equal(got, want), "momentum buffers were not broadcast")


@record
def zero_matches_adam_and_consolidates():
    ref, ddp = net(), DDP(net())
    opt_ref = optim.Adam(ref.parameters(), lr=0.01)
    zero = ZeroRedundancyOptimizer(ddp.parameters(), optim.Adam, lr=0.01)
    lockstep(ref, opt_ref, ddp, zero, 4, "ZeRO")
    zero.consolidate_state_dict(to=0)
    if RANK == 0:
        full, want = zero.state_dict(), opt_ref.state_dict()
        check(sorted(full["state"]) == sorted(want["state"]), "consolidated state keys")
        for i, st in want["state"].items():
            for k in ("exp_avg", "exp_avg_sq"):
                d = float(np.abs(full["state"][i][k]._data - st[k]._data).max())
                check(d <= 1e-6, f"consolidated {k} of param {i} differs by {d}")
    else:
        raises(RuntimeError, ["consolidate_state_dict"], zero.state_dict,
               "state_dict() on a rank without the consolidated state")


@record
def zero_state_memory_falls_with_world_size():
    # One group of 1, 2 and 4 ranks each, inside this job; the same model in each.
    singles = [dist.new_group([r]) for r in range(WORLD)]
    pairs = [dist.new_group([0, 1]), dist.new_group([2, 3])]
    groups = {1: singles[RANK], 2: pairs[RANK // 2], 4: None}
    sizes = {}
    for n, group in groups.items():
        torch.manual_seed(9)
        model = nn.Sequential(*[nn.Linear(32, 32, bias=False) for _ in range(8)])
        zero = ZeroRedundancyOptimizer(model.parameters(), optim.Adam, process_group=group,
                                       lr=0.01)
        model(torch.ones(2, 32)).sum().backward()
        zero.step()
        sizes[n] = zero.state_bytes()
    print(f"rank {RANK}: Adam state bytes at world size 1/2/4: {sizes[1]} {sizes[2]} "
          f"{sizes[4]}", flush=True)
    check(sizes[2] * 2 == sizes[1] and sizes[4] * 4 == sizes[1],
          f"state bytes do not fall as 1/world size: {sizes}")
    everyone = [None] * WORLD
    dist.all_gather_object(everyone, sizes[4])
    check(sum(everyone) == sizes[1], f"shards {everyone} do not add up to {sizes[1]}")


dist.barrier()
dist.destroy_process_group()
