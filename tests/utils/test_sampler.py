"""Samplers: orders, lengths, reproducibility from seeds and generators, argument errors."""
import pytest

import disttrain
from disttrain.utils.data import (BatchSampler, RandomSampler, SequentialSampler,
                                  SubsetRandomSampler, WeightedRandomSampler)


def gen(seed):
    return disttrain.Generator().manual_seed(seed)


def test_sequential_sampler():
    """SequentialSampler yields 0..n-1 and has the dataset's length."""
    s = SequentialSampler(range(5))
    assert list(s) == [0, 1, 2, 3, 4] and len(s) == 5


def test_random_sampler_is_a_permutation_each_epoch():
    """Without replacement every epoch is a permutation, and a new one each time."""
    disttrain.manual_seed(0)
    s = RandomSampler(range(50))
    epochs = [list(s) for _ in range(3)]
    assert all(sorted(e) == list(range(50)) for e in epochs)
    assert epochs[0] != epochs[1] != epochs[2]


def test_random_sampler_reproducible_from_manual_seed_and_generator():
    """manual_seed fixes the global stream; a generator gives its own stream."""
    disttrain.manual_seed(7)
    a = list(RandomSampler(range(20)))
    disttrain.manual_seed(7)
    assert list(RandomSampler(range(20))) == a
    assert list(RandomSampler(range(20), generator=gen(3))) == list(
        RandomSampler(range(20), generator=gen(3)))
    assert list(RandomSampler(range(20), generator=gen(3))) != list(
        RandomSampler(range(20), generator=gen(4)))


@pytest.mark.parametrize("num_samples", [1, 31, 32, 70])
def test_random_sampler_with_replacement(num_samples):
    """With replacement it yields num_samples indices in range (drawn in chunks of 32)."""
    s = RandomSampler(range(5), replacement=True, num_samples=num_samples, generator=gen(0))
    out = list(s)
    assert len(out) == num_samples == len(s) and all(0 <= i < 5 for i in out)


def test_random_sampler_num_samples_without_replacement_chains_permutations():
    """num_samples beyond the dataset chains whole permutations, then a partial one."""
    out = list(RandomSampler(range(4), num_samples=10, generator=gen(1)))
    assert len(out) == 10
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3]
    assert len(set(out[8:])) == 2


@pytest.mark.parametrize("kwargs,error,message", [
    ({"num_samples": 0}, ValueError,
     "num_samples should be a positive integer value, but got num_samples=0"),
    ({"replacement": 1}, TypeError,
     "replacement should be a boolean value, but got replacement=1"),
])
def test_random_sampler_errors(kwargs, error, message):
    """Bad arguments raise PyTorch's messages."""
    with pytest.raises(error, match=f"^{message}$"):
        RandomSampler(range(3), **kwargs)


def test_subset_random_sampler():
    """SubsetRandomSampler permutes exactly the given indices, reproducibly."""
    idx = [10, 20, 30, 40]
    out = list(SubsetRandomSampler(idx, generator=gen(5)))
    assert sorted(out) == idx and len(SubsetRandomSampler(idx)) == 4
    assert list(SubsetRandomSampler(idx, generator=gen(5))) == out


def test_weighted_random_sampler():
    """Zero weights are never drawn; without replacement no index repeats."""
    out = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 100, generator=gen(0)))
    assert len(out) == 100 and set(out) <= {1, 3} and out.count(3) > out.count(1)
    once = list(WeightedRandomSampler([1, 2, 3, 4], 4, replacement=False, generator=gen(0)))
    assert sorted(once) == [0, 1, 2, 3]
    assert len(WeightedRandomSampler(disttrain.tensor([1.0, 2.0]), 7)) == 7


@pytest.mark.parametrize("args,kwargs,error,message", [
    (([1, 2], 0), {}, ValueError,
     "num_samples should be a positive integer value, but got num_samples=0"),
    (([1, 2], 3), {"replacement": 0}, ValueError,
     "replacement should be a boolean value, but got replacement=0"),
    (([[1, 2]], 3), {}, ValueError,
     r"weights should be a 1d sequence but given weights have shape \(1, 2\)"),
])
def test_weighted_random_sampler_errors(args, kwargs, error, message):
    """Bad arguments raise PyTorch's messages."""
    with pytest.raises(error, match=f"^{message}$"):
        WeightedRandomSampler(*args, **kwargs)


def test_weighted_without_replacement_too_many():
    """Drawing more distinct indices than there are weights fails like multinomial."""
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        list(WeightedRandomSampler([1, 2], 3, replacement=False))


@pytest.mark.parametrize("n,bs,drop_last,expected", [
    (5, 2, False, [[0, 1], [2, 3], [4]]),
    (5, 2, True, [[0, 1], [2, 3]]),
    (4, 2, True, [[0, 1], [2, 3]]),
    (3, 5, False, [[0, 1, 2]]),
    (3, 5, True, []),
])
def test_batch_sampler(n, bs, drop_last, expected):
    """BatchSampler groups indices and its len agrees with what it yields."""
    b = BatchSampler(SequentialSampler(range(n)), bs, drop_last)
    assert list(b) == expected and len(b) == len(expected)


@pytest.mark.parametrize("bs,drop_last,message", [
    (0, False, "batch_size should be a positive integer value, but got batch_size=0"),
    (True, False, "batch_size should be a positive integer value, but got batch_size=True"),
    (2, 1, "drop_last should be a boolean value, but got drop_last=1"),
])
def test_batch_sampler_errors(bs, drop_last, message):
    """Bad batch sizes and drop_last values raise PyTorch's messages."""
    with pytest.raises(ValueError, match=f"^{message}$"):
        BatchSampler(range(3), bs, drop_last)
