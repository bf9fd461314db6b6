"""DataLoader: batching, validation, len, shuffling, worker processes and their failures,
persistent workers, shutdown, and mid-epoch resume."""
import multiprocessing
import os
import random
import signal
import time

import numpy as np
import pytest

import disttrain
from disttrain.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset,
                                  SequentialSampler, TensorDataset, get_worker_info)


class MyDataset(Dataset):
    """The tutorial's dataset: x pairs and their sums."""

    def __init__(self, x, y):
        self.x = disttrain.tensor(x).float()
        self.y = disttrain.tensor(y).float()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, ix):
        return self.x[ix], self.y[ix]


class Squares(Dataset):
    """Item i is i*i; counts the fetches made in this process."""

    def __init__(self, n=10):
        self.n, self.fetched = n, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.fetched += 1
        return i * i


class WorkerView(Dataset):
    """Each item reports which process and worker made it, and that worker's random draws."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return {"i": i, "pid": os.getpid(), "wid": info.id, "nw": info.num_workers,
                "seed": info.seed, "own": info.dataset is self,
                "ours": disttrain.rand(1).item(), "np": np.random.rand(), "py": random.random()}


class Failing(Dataset):
    def __init__(self, exc):
        self.exc = exc

    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise self.exc
        return i


class Dies(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class Slow(Dataset):
    def __init__(self, delays):
        self.delays = delays

    def __len__(self):
        return len(self.delays)

    def __getitem__(self, i):
        time.sleep(self.delays[i])
        return i


class Sharded(IterableDataset):
    """Yields 0..n-1, split between workers with get_worker_info."""

    def __init__(self, n=7, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def flat(batches):
    return [v for b in batches for v in b.tolist()]


def no_children_left():
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not multiprocessing.active_children()


def test_tutorial_dataset_batches():
    """The tutorial's MyDataset with batch_size=2, shuffle=True: two batches of matching pairs."""
    ds = MyDataset([[1, 2], [3, 4], [5, 6], [7, 8]], [[3], [7], [11], [15]])
    batches = list(DataLoader(ds, batch_size=2, shuffle=True))
    assert len(batches) == 2
    for x, y in batches:
        assert x.shape == disttrain.Size([2, 2]) and y.shape == disttrain.Size([2, 1])
        assert (x.sum(1, keepdim=True) == y).all()
    assert sorted(flat([x[:, 0] for x, _ in batches])) == [1.0, 3.0, 5.0, 7.0]


@pytest.mark.parametrize("kwargs,message", [
    ({"sampler": SequentialSampler(range(10)), "shuffle": True},
     "sampler option is mutually exclusive with shuffle"),
    ({"batch_sampler": BatchSampler(range(10), 2, False), "batch_size": 3},
     "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
     "drop_last"),
    ({"batch_sampler": BatchSampler(range(10), 2, False), "drop_last": True},
     "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
     "drop_last"),
    ({"batch_size": None, "drop_last": True},
     "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
    ({"num_workers": -1},
     "num_workers option should be non-negative; use num_workers=0 to disable "
     "multiprocessing."),
    ({"timeout": -1}, "timeout option should be non-negative"),
    ({"prefetch_factor": 2},
     "prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
     "to enable multiprocessing, otherwise set prefetch_factor to None."),
    ({"num_workers": 1, "prefetch_factor": -1}, "prefetch_factor option should be non-negative"),
    ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
    ({"batch_size": 0}, "batch_size should be a positive integer value, but got batch_size=0"),
    ({"multiprocessing_context": "spawn"},
     "multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
     "but got num_workers=0"),
])
def test_argument_validation(kwargs, message):
    """Conflicting or bad options raise PyTorch's ValueError messages."""
    with pytest.raises(ValueError) as e:
        DataLoader(TensorDataset(disttrain.arange(10)), **kwargs)
    assert str(e.value) == message


@pytest.mark.parametrize("name", ["shuffle", "sampler", "batch_sampler"])
def test_iterable_dataset_rejects_sampling_options(name):
    """An IterableDataset orders itself: shuffle/sampler/batch_sampler are refused."""
    value = {"shuffle": True, "sampler": [0, 1], "batch_sampler": [[0]]}[name]
    with pytest.raises(ValueError, match=f"^DataLoader with IterableDataset: expected "
                                         f"unspecified {name} option, but got {name}="):
        DataLoader(Sharded(), **{name: value})


def test_bad_multiprocessing_context_and_frozen_attributes():
    """An unknown start method is refused, and batch_size can't change after construction."""
    with pytest.raises(ValueError, match="multiprocessing_context option should specify a "
                                         "valid start method in"):
        DataLoader(Squares(), num_workers=1, multiprocessing_context="bogus")
    dl = DataLoader(Squares())
    with pytest.raises(ValueError, match="^batch_size attribute should not be set after "
                                         "DataLoader is initialized$"):
        dl.batch_size = 3


@pytest.mark.parametrize("kwargs,expected", [
    ({"batch_size": 3}, 4), ({"batch_size": 3, "drop_last": True}, 3),
    ({"batch_size": None}, 10), ({"batch_size": 5}, 2),
])
def test_len_map_style(kwargs, expected):
    """len() counts batches as PyTorch does, with and without drop_last."""
    dl = DataLoader(Squares(10), **kwargs)
    assert len(dl) == expected == len(list(dl)) == len(iter(dl))


def test_len_iterable_style():
    """An IterableDataset with __len__ gives len() = ceil or floor of len/batch_size."""
    assert len(DataLoader(Sharded(5), batch_size=2)) == 3
    assert len(DataLoader(Sharded(5), batch_size=2, drop_last=True)) == 2
    assert flat(DataLoader(Sharded(5), batch_size=2, drop_last=True)) == [0, 1, 2, 3]


def test_batching_off_converts_samples():
    """batch_size=None yields single samples through default_convert."""
    out = list(DataLoader(TensorDataset(disttrain.arange(3)), batch_size=None))
    assert repr(out[:2]) == "[[tensor(0)], [tensor(1)]]"
    arr = list(DataLoader([np.array([1, 2])], batch_size=None))
    assert repr(arr) == "[tensor([1, 2])]"


def test_custom_collate_and_batch_sampler():
    """collate_fn receives the list of samples; batch_sampler chooses whole batches."""
    dl = DataLoader(Squares(), batch_sampler=[[3, 1], [2]], collate_fn=lambda b: b)
    assert list(dl) == [[9, 1], [4]]


def test_shuffle_reproducible_and_new_each_epoch():
    """Shuffling follows manual_seed or the loader's generator, with a new order per epoch."""
    def epochs(**kw):
        dl = DataLoader(Squares(20), batch_size=20, shuffle=True, **kw)
        return [flat(dl) for _ in range(2)]
    disttrain.manual_seed(0)
    a = epochs()
    disttrain.manual_seed(0)
    assert epochs() == a and a[0] != a[1] and sorted(a[0]) == sorted(i * i for i in range(20))
    g = epochs(generator=disttrain.Generator().manual_seed(5))
    assert epochs(generator=disttrain.Generator().manual_seed(5)) == g


def test_workers_match_single_process():
    """With workers the batches and their order equal the single-process ones, also shuffled."""
    for shuffle in (False, True):
        runs = []
        for nw in (0, 2):
            g = disttrain.Generator().manual_seed(11)
            runs.append(flat(DataLoader(Squares(23), batch_size=4, shuffle=shuffle,
                                        num_workers=nw, generator=g)))
        assert runs[0] == runs[1]
    assert no_children_left()


def test_workers_yield_in_order_despite_delays():
    """Workers that answer out of order still give batches in sampler order."""
    delays = [0.05, 0.0, 0.03, 0.0, 0.0, 0.02, 0.0, 0.0]
    dl = DataLoader(Slow(delays), batch_size=1, num_workers=2, prefetch_factor=3)
    assert flat(dl) == list(range(8))


def test_worker_info_seeds_and_init_fn():
    """Workers see their WorkerInfo, get distinct seeds for all three RNGs, reproducibly."""
    def run():
        disttrain.manual_seed(123)
        dl = DataLoader(WorkerView(), batch_size=None, num_workers=2,
                        worker_init_fn=lambda wid: np.random.seed(1000 + wid))
        return list(dl)
    out = run()
    assert get_worker_info() is None
    assert [o["wid"] for o in out] == [0, 1] * 4 and {o["nw"] for o in out} == {2}
    assert all(o["own"] and o["pid"] != os.getpid() for o in out)
    first = {o["wid"]: o for o in out[:2]}
    assert first[1]["seed"] == first[0]["seed"] + 1
    for key in ("ours", "py"):
        assert first[0][key] != first[1][key]
    np.random.seed(1000)
    assert first[0]["np"] == np.random.rand()       # worker_init_fn ran after seeding
    again = run()
    assert [o["ours"] for o in again] == [o["ours"] for o in out]


def test_worker_info_is_read_only():
    """WorkerInfo attributes can't be reassigned."""
    from disttrain.utils.data import WorkerInfo
    info = WorkerInfo(id=0, num_workers=1, seed=0, dataset=None)
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo objects"):
        info.id = 3


@pytest.mark.parametrize("nw,expected", [
    (2, [[0, 2], [1, 3], [4, 6], [5]]),
    (3, [[0, 3], [1, 4], [2, 5], [6]]),
])
def test_iterable_dataset_sharded_across_workers(nw, expected):
    """Each worker iterates its shard; batches interleave round-robin as in PyTorch."""
    out = [b.tolist() for b in DataLoader(Sharded(7), batch_size=2, num_workers=nw)]
    assert out == expected
    assert no_children_left()


def test_iterable_dataset_copies_per_worker():
    """Without sharding every worker yields the whole stream (each has its own copy)."""
    out = list(DataLoader(Sharded(3, shard=False), batch_size=None, num_workers=2))
    assert sorted(out) == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("exc", [ValueError("bad item 2"), KeyError("missing")])
def test_worker_exception_carries_traceback(exc):
    """A worker's exception reaches the main process with its type and original traceback."""
    dl = DataLoader(Failing(exc), batch_size=1, num_workers=2)
    with pytest.raises(type(exc)) as e:
        list(dl)
    msg = str(e.value)
    name = type(exc).__name__
    assert msg.startswith(f"Caught {name} in DataLoader worker process 0.\nOriginal Traceback "
                          f"(most recent call last):\n")
    assert "__getitem__" in msg and msg.rstrip().endswith(f"{name}: {exc}")
    del dl, e
    assert no_children_left()


def test_killed_worker_raises_instead_of_hanging():
    """A worker killed by a signal is reported with its pid and signal, not a hang."""
    dl = DataLoader(Dies(), batch_size=1, num_workers=2)
    with pytest.raises(RuntimeError, match=r"^DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly: worker 1 was killed by signal "
                                           r"SIGKILL$"):
        list(dl)
    assert no_children_left()


def test_timeout():
    """A batch that takes longer than timeout raises PyTorch's message."""
    dl = DataLoader(Slow([0.0, 3.0]), batch_size=1, num_workers=1, timeout=0.3)
    it = iter(dl)
    assert next(it).tolist() == [0]
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.3 seconds$"):
        next(it)
    del it
    assert no_children_left()


def test_persistent_workers_survive_epochs():
    """persistent_workers keeps the same processes across epochs, also after a broken epoch."""
    dl = DataLoader(WorkerView(), batch_size=None, num_workers=2, persistent_workers=True)
    first = list(dl)
    it = iter(dl)
    next(it)                 # abandon this epoch after one sample
    second = list(dl)
    assert [o["i"] for o in second] == list(range(8))
    assert {o["pid"] for o in first} == {o["pid"] for o in second}
    assert len(multiprocessing.active_children()) == 2
    del dl, it
    assert no_children_left()


def test_persistent_workers_restart_iterable_dataset():
    """An iterable dataset starts over in persistent workers at every epoch."""
    dl = DataLoader(Sharded(5), batch_size=2, num_workers=2, persistent_workers=True)
    assert flat(dl) == flat(dl) == [0, 2, 1, 3, 4]
    del dl
    assert no_children_left()


def test_abandoned_iterator_shuts_workers_down():
    """Dropping an iterator midway stops its workers (no orphans)."""
    it = iter(DataLoader(Squares(100), batch_size=2, num_workers=2))
    next(it)
    assert len(multiprocessing.active_children()) == 2
    del it
    assert no_children_left()


def test_spawn_context():
    """Workers also start with the 'spawn' method (the dataset travels pickled)."""
    dl = DataLoader(Squares(6), batch_size=2, num_workers=1, multiprocessing_context="spawn")
    assert flat(dl) == [0, 1, 4, 9, 16, 25]


@pytest.mark.parametrize("nw", [0, 2])
def test_resume_mid_epoch(nw):
    """state_dict after k batches + load_state_dict on a fresh loader gives the rest of the
    epoch, then the next epoch is complete again."""
    def loader():
        return DataLoader(Squares(20), batch_size=3, shuffle=True, num_workers=nw,
                          generator=disttrain.Generator().manual_seed(9))
    full = [b.tolist() for b in loader()]
    dl = loader()
    it = iter(dl)
    seen = [next(it).tolist() for _ in range(3)]
    state = dl.state_dict()
    assert state == {"batches_yielded": 3} and seen == full[:3]
    resumed = loader()
    resumed.load_state_dict(state)
    rest = [b.tolist() for b in resumed]
    assert rest == full[3:]
    assert resumed.state_dict() == {"batches_yielded": len(full)}
    assert len(list(resumed)) == len(full)          # the skip applies once


def test_resume_skips_without_fetching():
    """Skipping batches of a map-style dataset fetches no data."""
    ds = Squares(20)
    dl = DataLoader(ds, batch_size=4)
    dl.load_state_dict({"batches_yielded": 4})
    assert flat(dl) == [256, 289, 324, 361] and ds.fetched == 4


@pytest.mark.parametrize("nw", [0, 2])
def test_resume_iterable_dataset(nw):
    """An iterable dataset resumes after the batches already yielded."""
    full = [b.tolist() for b in DataLoader(Sharded(9), batch_size=2, num_workers=nw)]
    dl = DataLoader(Sharded(9), batch_size=2, num_workers=nw)
    dl.load_state_dict({"batches_yielded": 2})
    assert [b.tolist() for b in dl] == full[2:]


def test_load_state_dict_validates():
    """A negative or non-integer position is refused."""
    with pytest.raises(ValueError, match="batches_yielded should be a non-negative integer"):
        DataLoader(Squares()).load_state_dict({"batches_yielded": -1})


def test_persistent_workers_recover_after_a_dead_worker():
    """After a worker died, the next epoch of a persistent loader starts fresh workers."""
    class DiesOnce(Dataset):
        def __init__(self, parent):
            self.parent = parent

        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 1 and os.getppid() == self.parent and not os.environ.get("DT_SECOND"):
                os.kill(os.getpid(), signal.SIGKILL)
            return i
    dl = DataLoader(DiesOnce(os.getpid()), batch_size=None, num_workers=2,
                    persistent_workers=True)
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(dl)
    os.environ["DT_SECOND"] = "1"
    try:
        assert list(dl) == [0, 1, 2, 3]
    finally:
        del os.environ["DT_SECOND"]
    del dl
    assert no_children_left()


def test_distributed_sampler_is_exported():
    """utils.data exposes DistributedSampler (loaded on first use) like torch.utils.data."""
    from disttrain.utils.data import DistributedSampler
    s = DistributedSampler(range(10), num_replicas=2, rank=1, shuffle=False)
    assert list(DataLoader(range(10), sampler=s, batch_size=None)) == [1, 3, 5, 7, 9]


_ORPHAN_SCRIPT = """
import os, signal, sys
from disttrain.utils.data import DataLoader
class Pids:
    def __len__(self):
        return 100
    def __getitem__(self, i):
        return os.getpid()
it = iter(DataLoader(Pids(), batch_size=None, num_workers=2))
print(*sorted({next(it) for _ in range(6)}), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_workers_exit_when_main_process_is_killed():
    """Workers notice that their main process died and exit: no orphans."""
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-c", _ORPHAN_SCRIPT], capture_output=True,
                          text=True, timeout=60)
    pids = [int(p) for p in proc.stdout.split()]
    assert proc.returncode == -9 and len(pids) == 2
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in pids if os.path.exists(f"/proc/{p}")
                 and "zombie" not in open(f"/proc/{p}/status").read()]
        time.sleep(0.1)
    assert alive == []


class Images(Dataset):
    """Items big enough (3x64x64 float32; 48 KiB) that batches go through shared memory."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        return disttrain.full((3, 64, 64), float(i)), i


def shm_files():
    return sorted(n for n in os.listdir("/dev/shm") if n.startswith("disttrain-")) \
        if os.path.isdir("/dev/shm") else []


@pytest.mark.parametrize("share", ["shm", "no shm", "shm write fails"])
def test_large_batches_through_workers(monkeypatch, tmp_path, share):
    """Large batches arrive intact and writable whether they travel through shared memory,
    through the pipe, or fall back to the pipe when shared memory can't be written; no
    shared-memory file is left behind."""
    from disttrain.utils.data import _shm
    if share == "no shm":
        monkeypatch.setattr(_shm, "available", lambda: False)
    elif share == "shm write fails":
        monkeypatch.setattr(_shm, "available", lambda: True)
        monkeypatch.setattr(_shm, "_DIR", str(tmp_path / "missing"))
    before = shm_files()
    batches = list(DataLoader(Images(), batch_size=4, num_workers=2))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x = batches[1][0]
    assert x.shape == disttrain.Size([4, 3, 64, 64]) and x[2, 1, 5, 7].item() == 6.0
    x.add_(1.0)
    assert x[0, 0, 0, 0].item() == 5.0
    assert shm_files() == before


def test_dead_worker_leaves_no_shared_memory():
    """Batches a killed worker had sent but nobody read are removed at shutdown."""
    class BigThenDie(Images):
        def __getitem__(self, i):
            if i == 9:
                os.kill(os.getpid(), signal.SIGKILL)
            return super().__getitem__(i)
    before = shm_files()
    dl = DataLoader(BigThenDie(), batch_size=2, num_workers=2, prefetch_factor=4)
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(dl)
    assert shm_files() == before


def test_unpicklable_batch_is_an_error_not_a_hang():
    """A batch that can't be pickled in a worker is reported in the main process."""
    dl = DataLoader(Squares(4), batch_size=2, num_workers=1,
                    collate_fn=lambda batch: (lambda: batch))
    with pytest.raises(AttributeError, match=r"(?s)^Caught AttributeError in DataLoader worker "
                                             r"process 0\..*Can't pickle local object"):
        list(dl)
