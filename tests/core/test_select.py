"""sort, topk, tril and triu: PyTorch 2.13's values and indices (ties, nan, unsigned and bool
data), gradients, graph node names and errors."""
import math

import numpy as np
import pytest

import disttrain
from disttrain.autograd import gradcheck, gradgradcheck

from .conftest import evaluate, leaf, raises, randn

NAN = math.nan

# expression -> (values, indices), printed by PyTorch 2.13 for the same expression
SORTS = [
    ("disttrain.tensor([0, 1, 2, 1], dtype=disttrain.uint8).sort(descending=True)",
     [2, 1, 1, 0], [2, 1, 3, 0]),
    ("disttrain.tensor([1., float('nan'), 3., 1.]).sort(descending=True)",
     [NAN, 3., 1., 1.], [1, 2, 0, 3]),
    ("disttrain.tensor([1., float('nan'), 3., 1.]).sort()", [1., 1., 3., NAN], [0, 3, 2, 1]),
    ("disttrain.tensor([True, False, True]).sort(descending=True)",
     [True, True, False], [0, 2, 1]),
    ("disttrain.tensor([2., 1., 2., 1.]).sort(descending=True)", [2., 2., 1., 1.],
     [0, 2, 1, 3]),
    ("disttrain.tensor([[3, 1, 2], [0, 5, 4]]).sort(0, descending=True)",
     [[3, 5, 4], [0, 1, 2]], [[0, 1, 1], [1, 0, 0]]),
    ("disttrain.tensor([-5, 3, -128, 127], dtype=disttrain.int8).sort(descending=True)",
     [127, 3, -5, -128], [3, 1, 0, 2]),
    ("disttrain.tensor([1., 2., 3.]).topk(2, largest=False)", [1., 2.], [0, 1]),
    ("disttrain.tensor([[3., 1., 2.], [0., 5., 4.]]).topk(2, 1)", [[3., 2.], [5., 4.]],
     [[0, 2], [1, 2]]),
    ("disttrain.tensor([[3., 1., 2.], [0., 5., 4.]]).topk(1, 0)", [[3., 5., 4.]], [[0, 1, 1]]),
    ("disttrain.tensor([1., float('nan'), 2.]).topk(2)", [NAN, 2.], [1, 2]),
    ("disttrain.tensor(3.).sort()", 3., 0),
    ("disttrain.tensor(3.).topk(1)", 3., 0),
]


def _same(a, b):
    return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True)


@pytest.mark.parametrize("expr, values, indices", SORTS, ids=[s[0] for s in SORTS])
def test_sort_and_topk_match_pytorch(expr, values, indices):
    """Values and indices are PyTorch's: stable ties, nan as the largest value, unsigned and
    bool data in descending order, 0-d inputs."""
    v, i = evaluate(expr)
    assert _same(v.tolist(), values) and i.tolist() == indices
    assert i.dtype == disttrain.int64
    assert disttrain.tensor([1, 2, 3]).argsort(descending=True).tolist() == [2, 1, 0]


@pytest.mark.parametrize("fn, grad", [
    (lambda x: x.sort(1, descending=True)[0], [[1., 3., 2.], [6., 4., 5.]]),
    (lambda x: x.topk(2, 1)[0], [[1., 0., 2.], [0., 3., 4.]]),
    (lambda x: x.topk(1, 0, largest=False)[0], [[0., 2., 3.], [1., 0., 0.]]),
], ids=["sort", "topk", "topk_smallest"])
def test_sort_topk_gradient_returns_to_the_source_element(fn, grad):
    """Each value's gradient lands on the element it was taken from (PyTorch's result for
    upstream gradients 1, 2, 3, ...)."""
    x = leaf([[3., 1., 2.], [0., 5., 4.]])
    y = fn(x)
    y.backward(disttrain.arange(1., y.numel() + 1, dtype=disttrain.float64).reshape(y.shape))
    assert x.grad.tolist() == grad


@pytest.mark.parametrize("fn", [
    lambda x: x.sort(0)[0], lambda x: x.sort(-1, descending=True)[0] * x,
    lambda x: x.topk(2)[0], lambda x: x.topk(1, 0, largest=False).values,
    lambda x: x.tril(), lambda x: x.triu(1) * x,
    lambda x: x.unsqueeze(0).expand(2, 3, 4).tril(-1),
], ids=["sort", "sort_desc", "topk", "topk_min", "tril", "triu", "tril_batched"])
def test_gradients_and_second_derivatives(fn):
    """Backwards pass gradcheck and are differentiable themselves (gradgradcheck)."""
    x = leaf(randn(3, 4))
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


def test_tril_triu_match_pytorch():
    """Triangles of the last two dims with a diagonal offset, for float, int and bool data,
    and their masked gradients on a batch."""
    a = disttrain.arange(12.).reshape(3, 4)
    assert a.tril(1).tolist() == [[0., 1., 0., 0.], [4., 5., 6., 0.], [8., 9., 10., 11.]]
    assert a.triu(-1).tolist() == [[0., 1., 2., 3.], [4., 5., 6., 7.], [0., 9., 10., 11.]]
    b = disttrain.tensor([[True, True], [True, True]]).triu(1)
    assert b.tolist() == [[False, True], [False, False]] and b.dtype == disttrain.bool
    assert disttrain.tril(disttrain.tensor([[1, 2], [3, 4]])).tolist() == [[1, 0], [3, 4]]
    x = leaf([[[1., 2.], [3., 4.]], [[5., 6.], [7., 8.]]])
    x.tril(-1).backward(disttrain.arange(1., 9., dtype=disttrain.float64).reshape(2, 2, 2))
    assert x.grad.tolist() == [[[0., 0.], [3., 0.]], [[0., 0.], [7., 0.]]]


@pytest.mark.parametrize("expr, name", [
    ("x.sort()[0]", "SortBackward0"), ("x.sort(0, descending=True).values", "SortBackward0"),
    ("x.topk(2)[0]", "TopkBackward0"), ("x.tril()", "TrilBackward0"),
    ("x.triu(1)", "TriuBackward0"),
])
def test_grad_fn_names_match_pytorch(expr, name):
    """sort, topk, tril and triu record one node each, named as PyTorch names it, whose only
    input is the tensor (the indices are not differentiable)."""
    x = leaf(randn(3, 4))
    y = eval(expr)
    assert type(y.grad_fn).__name__ == name
    assert [type(n).__name__ for n, _ in y.grad_fn.next_functions] == ["AccumulateGrad"]
    assert not x.sort()[1].requires_grad and not x.topk(1)[1].requires_grad


@pytest.mark.parametrize("fn, exc, msg", [
    (lambda: disttrain.ones(3).tril(), RuntimeError,
     "tril: input tensor must have at least 2 dimensions"),
    (lambda: disttrain.ones(3).triu(), RuntimeError,
     "triu: input tensor must have at least 2 dimensions"),
    (lambda: disttrain.ones(2).topk(3), RuntimeError, "selected index k out of range"),
    (lambda: disttrain.ones(2).topk(-1), RuntimeError, "selected index k out of range"),
])
def test_errors_match_pytorch(fn, exc, msg):
    """Bad arguments raise PyTorch's exception and message."""
    with raises(exc, msg):
        fn()
