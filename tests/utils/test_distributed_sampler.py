"""DistributedSampler: PyTorch's split and padding, seeded shuffles, mid-epoch resume."""
import pytest

import disttrain.distributed as dist
from disttrain.utils.data import DataLoader, DistributedSampler, TensorDataset
from disttrain.utils.data.distributed import DistributedSampler as Direct

import disttrain as torch


def _ranks(n, replicas, **kw):
    return [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, **kw))
            for r in range(replicas)]


def test_lazy_export_is_the_class():
    """utils.data.DistributedSampler is the class of utils/data/distributed.py."""
    assert DistributedSampler is Direct


# Values printed by torch.utils.data.DistributedSampler(range(10), 4, r, shuffle=False).
@pytest.mark.parametrize("drop_last, want", [
    (False, [[0, 4, 8], [1, 5, 9], [2, 6, 0], [3, 7, 1]]),
    (True, [[0, 4], [1, 5], [2, 6], [3, 7]]),
])
def test_pytorch_split_and_padding(drop_last, want):
    """Indices rank::replicas of the list padded from its start (or cut), as PyTorch."""
    assert _ranks(10, 4, shuffle=False, drop_last=drop_last) == want
    s = DistributedSampler(range(10), num_replicas=4, rank=0, drop_last=drop_last)
    assert (len(s), s.num_samples, s.total_size) == ((2, 2, 8) if drop_last else (3, 3, 12))


def test_padding_longer_than_dataset():
    """With more ranks than samples the list repeats as often as needed."""
    assert _ranks(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]


@pytest.mark.parametrize("rank", [4, -1])
def test_invalid_rank(rank):
    """A rank outside [0, num_replicas-1] raises PyTorch's message."""
    with pytest.raises(ValueError, match=rf"^Invalid rank {rank}, rank should be in the "
                                         rf"interval \[0, 3\]$"):
        DistributedSampler(range(10), num_replicas=4, rank=rank)


@pytest.mark.parametrize("n, replicas", [(37, 4), (40, 4), (5, 3)])
def test_shuffled_shares_disjoint_and_complete(n, replicas):
    """Shuffled shares are equally long and cover the data set (padding repeats only)."""
    shares = _ranks(n, replicas, seed=7)
    assert len({len(s) for s in shares}) == 1
    flat = [i for s in shares for i in s]
    assert set(flat) == set(range(n))
    assert len(flat) - len(set(flat)) == len(flat) - n


def test_seed_and_epoch_determine_order():
    """The same seed and epoch give the same order; set_epoch reshuffles; seeds differ."""
    a = DistributedSampler(range(50), 2, 0, seed=3)
    b = DistributedSampler(range(50), 2, 0, seed=3)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    b.set_epoch(1)
    assert list(a) == list(b)
    assert list(DistributedSampler(range(50), 2, 0, seed=4)) != first
    assert list(DistributedSampler(range(50), 2, 0, shuffle=False)) == list(range(0, 50, 2))


def test_defaults_from_process_group(monkeypatch):
    """num_replicas and rank come from the process group; without one, PyTorch's error."""
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(4))
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    dist.init_process_group()
    try:
        s = DistributedSampler(range(4))
        assert (s.num_replicas, s.rank) == (1, 0)
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("done", [0, 2, 5])
def test_resume_same_replicas_continues_exactly(drop_last, done):
    """After load_state_dict every rank yields exactly the rest of its interrupted epoch."""
    for r in range(3):
        full = list(DistributedSampler(range(23), 3, r, seed=1, drop_last=drop_last))
        s = DistributedSampler(range(23), 3, r, seed=1, drop_last=drop_last)
        s.set_epoch(0)
        it = iter(s)
        for _ in range(done):
            next(it)
        state = s.state_dict()
        assert state == {"epoch": 0, "seed": 1, "consumed": 3 * done}
        fresh = DistributedSampler(range(23), 3, r, seed=0, drop_last=drop_last)
        fresh.load_state_dict(state)
        fresh.set_epoch(0)                 # the same epoch keeps the position
        assert len(fresh) == len(full) - done
        assert list(fresh) == full[done:]
        assert list(fresh) == full         # later iterations are whole again


def test_resume_on_other_replicas_covers_the_rest():
    """A job resumed on a different number of ranks sees each unseen sample once."""
    old = [list(DistributedSampler(range(24), 4, r, seed=2)) for r in range(4)]
    seen = {i for share in old for i in share[:2]}
    state = {"epoch": 0, "seed": 2, "consumed": 8}
    rest = []
    for r in range(2):
        s = DistributedSampler(range(24), 2, r)
        s.load_state_dict(state)
        rest.extend(s)
    assert sorted(rest) == sorted(set(range(24)) - seen)


def test_set_epoch_drops_restored_position():
    """Moving to another epoch discards a restored mid-epoch position."""
    s = DistributedSampler(range(10), 2, 0)
    s.load_state_dict({"epoch": 0, "consumed": 4})
    s.set_epoch(1)
    assert len(list(s)) == 5 and s.state_dict()["consumed"] == 10


def test_finished_epoch_yields_nothing():
    """A state saved at the end of an epoch resumes with nothing left of it."""
    s = DistributedSampler(range(10), 2, 1)
    s.load_state_dict({"epoch": 3, "consumed": 10})
    assert len(s) == 0 and list(s) == []


def test_with_dataloader_resume():
    """DataLoader over a resumed sampler yields the remaining batches of the epoch."""
    ds = TensorDataset(torch.arange(20))
    sampler = DistributedSampler(ds, 2, 1, seed=5)
    batches = [b[0].tolist() for b in DataLoader(ds, batch_size=3, sampler=sampler)]
    resumed = DistributedSampler(ds, 2, 1, seed=5)
    resumed.load_state_dict({"epoch": 0, "seed": 5, "consumed": 12})
    loader = DataLoader(ds, batch_size=3, sampler=resumed)
    assert len(loader) == 2
    assert [b[0].tolist() for b in loader] == batches[2:]


def test_reachable_as_an_attribute_path():
    """``torch.utils.data.distributed.DistributedSampler`` (as the ImageNet example writes it)
    resolves in a fresh process without a separate import of the submodule."""
    import subprocess
    import sys
    code = ("import disttrain\n"
            "cls = disttrain.utils.data.distributed.DistributedSampler\n"
            "assert cls is disttrain.utils.data.DistributedSampler\n"
            "print(list(cls(list(range(6)), num_replicas=2, rank=1, shuffle=False)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "[1, 3, 5]"
