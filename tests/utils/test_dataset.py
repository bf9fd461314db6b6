"""Datasets, random_split, default_collate and default_convert against PyTorch's behaviour."""
import collections

import numpy as np
import pytest

import disttrain
from disttrain.utils.data import (ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset,
                                  TensorDataset, default_collate, default_convert,
                                  random_split)


class Range(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_dataset_base_errors():
    """The abstract Dataset says what a subclass must implement, and has no len."""
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement "
                                                  "__getitem__."):
        Dataset()[0]
    with pytest.raises(TypeError, match="object of type 'Dataset' has no len()"):
        len(Dataset())


def test_tensor_dataset_indexing():
    """TensorDataset yields one tuple of slices per index; len is the first dim."""
    ds = TensorDataset(disttrain.arange(4), disttrain.arange(8.0).reshape(4, 2))
    assert len(ds) == 4
    x, y = ds[1]
    assert repr(x) == "tensor(1)" and y.tolist() == [2.0, 3.0]
    assert ds[1:3][0].tolist() == [1, 2]


def test_tensor_dataset_size_mismatch():
    """Tensors of different lengths are refused with PyTorch's message."""
    with pytest.raises(AssertionError, match="^Size mismatch between tensors$"):
        TensorDataset(disttrain.zeros(3), disttrain.zeros(4))


def test_subset_and_getitems():
    """Subset maps its indices, also for a list of indices and for a batch fetch."""
    ds = TensorDataset(disttrain.arange(10))
    sub = Subset(ds, [5, 1, 3])
    assert len(sub) == 3 and sub[0][0].item() == 5
    assert sub[[0, 2]][0].tolist() == [5, 3]
    assert [s[0].item() for s in sub.__getitems__([2, 1])] == [3, 1]


def test_concat_dataset_indexing_and_errors():
    """ConcatDataset indexes across boundaries, from the end, and refuses bad input."""
    a, b = TensorDataset(disttrain.arange(3)), TensorDataset(disttrain.arange(10, 15))
    cat = ConcatDataset([a, b])
    assert len(cat) == 8 and cat.cumulative_sizes == [3, 8]
    assert [cat[i][0].item() for i in range(8)] == [0, 1, 2, 10, 11, 12, 13, 14]
    assert cat[-1][0].item() == 14 and cat[-8][0].item() == 0
    assert len(a + b) == 8 and isinstance(a + b, ConcatDataset)
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset "
                                         "length"):
        cat[-9]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Range(2)])


def test_chain_dataset():
    """Iterable datasets chain with + and ChainDataset, and the length adds up."""
    chained = Range(2) + Range(3)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5


@pytest.mark.parametrize("n,fractions,expected", [
    (10, [0.3, 0.3, 0.4], [3, 3, 4]),
    (11, [0.33, 0.33, 0.34], [4, 4, 3]),
    (7, [0.5, 0.5], [4, 3]),
])
def test_random_split_fraction_rounding(n, fractions, expected):
    """Fractions are floored and the remainder handed out round-robin (PyTorch's lengths)."""
    parts = random_split(range(n), fractions, generator=disttrain.Generator().manual_seed(0))
    assert [len(p) for p in parts] == expected
    assert sorted(i for p in parts for i in p) == list(range(n))


def test_random_split_empty_split_warns():
    """A fraction that rounds to an empty split warns like PyTorch."""
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        parts = random_split(range(3), [0.1, 0.1, 0.8])
    assert [len(p) for p in parts] == [1, 0, 2]


def test_random_split_lengths_and_generator():
    """Given lengths, the split is a disjoint cover, reproducible from the generator's seed."""
    def split(seed):
        parts = random_split(range(20), [5, 15], generator=disttrain.Generator().manual_seed(seed))
        return [list(p) for p in parts]
    a = split(1)
    assert split(1) == a and split(2) != a
    assert sorted(a[0] + a[1]) == list(range(20)) and len(a[0]) == 5
    disttrain.manual_seed(3)
    g1 = [list(p) for p in random_split(range(20), [10, 10])]
    disttrain.manual_seed(3)
    assert [list(p) for p in random_split(range(20), [10, 10])] == g1


@pytest.mark.parametrize("lengths,message", [
    ([3, 3], "Sum of input lengths does not equal the length of the input dataset!"),
    ([0.5, 0.6], "Sum of input lengths does not equal the length of the input dataset!"),
    ([0.5, -0.5, 1.0], "Fraction at index 1 is not between 0 and 1"),
])
def test_random_split_errors(lengths, message):
    """Bad lengths raise PyTorch's ValueError messages."""
    with pytest.raises(ValueError, match=f"^{message}$"):
        random_split(range(10), lengths)


Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize("batch,expected", [
    ([(1, 2.0, "a"), (3, 4.0, "b")],
     "[tensor([1, 3]), tensor([2., 4.], dtype=disttrain.float64), ('a', 'b')]"),
    ([np.array([1, 2]), np.array([3, 4])], "tensor([[1, 2],\n        [3, 4]])"),
    ([np.float32(1), np.float32(2)], "tensor([1., 2.])"),
    ([np.int32(1), np.int32(2)], "tensor([1, 2], dtype=disttrain.int32)"),
    ([True, False], "tensor([ True, False])"),
    ([{"a": 1, "b": [1, 2]}, {"a": 2, "b": [3, 4]}],
     "{'a': tensor([1, 2]), 'b': [tensor([1, 3]), tensor([2, 4])]}"),
    ([Point(1, 2.0), Point(3, 4.0)],
     "Point(x=tensor([1, 3]), y=tensor([2., 4.], dtype=disttrain.float64))"),
    ([disttrain.tensor(1), disttrain.tensor(2)], "tensor([1, 2])"),
    ([b"a", b"b"], "[b'a', b'b']"),
])
def test_default_collate_matches_pytorch(batch, expected):
    """Each element type collates to what PyTorch's default_collate prints."""
    assert repr(default_collate(batch)) == expected


def test_default_collate_keeps_mapping_type_and_stacks_tensors():
    """OrderedDicts stay OrderedDicts; tensors stack along a new first dimension."""
    batch = [collections.OrderedDict(x=disttrain.ones(2, 3)) for _ in range(4)]
    out = default_collate(batch)
    assert type(out) is collections.OrderedDict and out["x"].shape == disttrain.Size([4, 2, 3])


@pytest.mark.parametrize("batch,error,message", [
    ([object(), object()], TypeError, "default_collate: batch must contain tensors, numpy "
                                      "arrays, numbers, dicts or lists; found <class 'object'>"),
    ([[1, 2], [3]], RuntimeError, "each element in list of batch should be of equal size"),
    ([np.array(["a"]), np.array(["b"])], TypeError,
     "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
     "found <U1"),
    ([disttrain.zeros(2), disttrain.zeros(3)], RuntimeError,
     r"stack expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at "
     r"entry 1"),
])
def test_default_collate_errors(batch, error, message):
    """Uncollatable batches raise PyTorch's errors."""
    with pytest.raises(error, match=message):
        default_collate(batch)


def test_default_convert():
    """numpy arrays and scalars become tensors; tuples become lists; other values stay."""
    out = default_convert([np.array([1, 2]), 3, (np.array(1.0),)])
    assert repr(out) == "[tensor([1, 2]), 3, [tensor(1., dtype=disttrain.float64)]]"
    assert repr(default_convert(np.array([1, 2]))) == "tensor([1, 2])"
    assert default_convert("text") == "text"
    p = default_convert(Point(np.float32(1), "s"))
    assert type(p) is Point and repr(p.x) == "tensor(1.)" and p.y == "s"


def test_stack_dataset_tuples_dicts_batches_and_errors():
    from disttrain.utils.data import DataLoader, StackDataset
    xs, ys = TensorDataset(disttrain.arange(6.0).reshape(3, 2)), [10, 11, 12]
    pairs = StackDataset(xs, ys)
    assert len(pairs) == 3 and pairs[1][0][0].tolist() == [2.0, 3.0] and pairs[1][1] == 11
    named = StackDataset(x=xs, y=ys)
    assert named[2]["y"] == 12 and named[2]["x"][0].tolist() == [4.0, 5.0]

    class Batched(list):
        calls = 0

        def __getitems__(self, indices):
            Batched.calls += 1
            return [self[i] for i in indices]

    stacked = StackDataset(a=Batched([1, 2, 3]), b=ys)
    assert stacked.__getitems__([2, 0]) == [{"a": 3, "b": 12}, {"a": 1, "b": 10}]
    assert Batched.calls == 1
    batch = next(iter(DataLoader(pairs, batch_size=3)))
    assert batch[0][0].tolist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    assert batch[1].tolist() == [10, 11, 12]
    with pytest.raises(ValueError, match="^Size mismatch between datasets$"):
        StackDataset(xs, [1])
    with pytest.raises(ValueError, match="^At least one dataset should be passed$"):
        StackDataset()
    with pytest.raises(ValueError, match="but both types are given"):
        StackDataset(xs, y=ys)

    class Short(list):
        def __getitems__(self, indices):
            return [0]

    with pytest.raises(ValueError, match="^Nested dataset's output size mismatch. Expected 2, "
                                         "got 1$"):
        StackDataset(Short([1, 2])).__getitems__([0, 1])
