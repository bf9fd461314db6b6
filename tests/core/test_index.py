"""Indexing: reads and writes with ints, slices, None, ``...``, integer and boolean tensors;
index_select, gather, scatter, masked ops; gradients, views, grad_fn names and errors."""
import numpy as np
import pytest

import disttrain
from disttrain.autograd import gradcheck, gradgradcheck

from .conftest import assert_close, check_op, leaf, raises, randn

T = disttrain.tensor
# (disttrain index, numpy index) on a (3, 4, 5) input
READS = {
    "int": (1, 1), "neg_int": (-1, -1), "ints": ((1, 2), (1, 2)), "three_ints": ((2, 0, 4),
                                                                                  (2, 0, 4)),
    "slice": (slice(1, 3), slice(1, 3)), "step": (slice(None, None, 2), slice(None, None, 2)),
    "neg_slice": (slice(-2, None), slice(-2, None)),
    "mixed": ((1, slice(None), 2), (1, slice(None), 2)),
    "none": ((None, 0), (None, 0)), "none_middle": ((slice(None), None, 1),
                                                    (slice(None), None, 1)),
    "ellipsis": ((Ellipsis, 1), (Ellipsis, 1)), "int_ellipsis_int": ((0, Ellipsis, 1),
                                                                     (0, Ellipsis, 1)),
    "empty_slice": (slice(2, 1), slice(2, 1)),
    "list": ([0, 2], [0, 2]), "lists": (([0, 2], [1, 3]), ([0, 2], [1, 3])),
    "tensor": (T([0, 2, 0]), [0, 2, 0]), "tensor_2d": (T([[0, 1], [2, 2]]), [[0, 1], [2, 2]]),
    "tensor_dim1": ((slice(None), T([3, 0])), (slice(None), [3, 0])),
    "tensors_apart": ((T([0, 1]), slice(None), T([1, 2])), ([0, 1], slice(None), [1, 2])),
    "slice_tensor": ((slice(1, None), T([0, 3])), (slice(1, None), [0, 3])),
    "neg_tensor": (T([-1, 0]), [-1, 0]), "int32_tensor": (T([0, 1], dtype=disttrain.int32),
                                                          [0, 1]),
    "zero_dim_tensor": (T(1), 1),
    "mask_rows": (T([True, False, True]), [True, False, True]),
    "mask_dim1": ((slice(None), T([True, False, True, False])),
                  (slice(None), [True, False, True, False])),
    "uint8_mask": (T([1, 0, 1], dtype=disttrain.uint8), [True, False, True]),
    "true": (True, None),
}


@pytest.mark.parametrize("name", READS)
def test_read_index_values_and_gradients(name):
    """Every index form reads what numpy reads, and the gradient scatters back (repeated
    indices accumulate)."""
    idx, np_idx = READS[name]
    ref = (lambda a: a[None]) if name == "true" else (lambda a: a[np_idx])
    check_op(lambda x: x[idx], (3, 4, 5), ref=ref)


def test_read_boolean_mask_and_strided_input():
    """A full boolean mask selects like numpy; indexing a strided view is differentiable."""
    check_op(lambda x: x[x > 0], (3, 4), ref=lambda a: a[a > 0])
    check_op(lambda x: x[1:, T([0, 2])], (3, 4), noncontig=True, ref=lambda a: a[1:, [0, 2]])
    check_op(lambda x: x.t()[::2, 1], (3, 4), ref=lambda a: a.T[::2, 1])


def test_basic_indexing_returns_views_and_advanced_copies():
    """ints, slices and None alias the tensor; tensor and mask indices copy."""
    x = disttrain.arange(12.).view(3, 4)
    row, cols, sel, mask = x[1], x[:, 1:3], x[T([0, 1])], x[x > 10]
    row[0] = -1.
    cols[2, 1] = -2.
    assert x[1, 0].item() == -1. and x[2, 2].item() == -2.
    assert x[None].data_ptr() == x.data_ptr() and x[..., 0]._base is x._base
    sel[0, 0] = 99.
    mask[0] = 99.
    assert x[0, 0].item() == 0. and x[2, 3].item() == 11.


@pytest.mark.parametrize("expr, name", [
    ("x[0]", "SelectBackward0"), ("x[:1]", "SliceBackward0"), ("x[:]", "SliceBackward0"),
    ("x[0, 1:3]", "SliceBackward0"), ("x[1:3, 0]", "SelectBackward0"),
    ("x[None]", "UnsqueezeBackward0"), ("x[0, None]", "UnsqueezeBackward0"),
    ("x[...]", "AliasBackward0"), ("x[:, :]", "AliasBackward0"),
    ("x[T([0, 1])]", "IndexBackward0"), ("x[x > 0]", "IndexBackward0"),
    ("x[T(1)]", "SelectBackward0"), ("x.index_select(0, T([0]))", "IndexSelectBackward0"),
    ("x.gather(1, T([[0], [1], [0]]))", "GatherBackward0"),
    ("x.scatter(1, T([[0], [1], [0]]), 2.)", "ScatterBackward1"),
    ("x.scatter(1, T([[0], [1], [0]]), x)", "ScatterBackward0"),
    ("x.scatter_add(1, T([[0], [1], [0]]), x)", "ScatterAddBackward0"),
    ("x.masked_fill(x > 0, 0.)", "MaskedFillBackward0"),
    ("x.masked_fill(x > 0, x.sum())", "MaskedFillBackward1"),
    ("x.masked_select(x > 0)", "MaskedSelectBackward0"),
])
def test_grad_fn_names_match_pytorch(expr, name):
    """Index nodes carry PyTorch's names."""
    x = leaf(randn(3, 4))
    assert type(eval(expr).grad_fn).__name__ == name


# (index, value shape or scalar, numpy index) for x of shape (3, 4)
WRITES = {
    "row": (0, (4,), 0), "slice": (slice(1, 3), (1, 4), slice(1, 3)),
    "element": ((0, 1), (), (0, 1)), "column_broadcast": ((slice(None), 2), (1,),
                                                           (slice(None), 2)),
    "ellipsis": ((Ellipsis, 0), (3,), (Ellipsis, 0)),
    "tensor_rows": (T([0, 2]), (4,), [0, 2]),
    "tensor_cols": ((slice(None), T([1, 3])), (3, 2), (slice(None), [1, 3])),
    "mask_rows": (T([True, False, True]), (4,), [True, False, True]),
    "step": ((slice(None), slice(None, None, 2)), (3, 2), (slice(None), slice(None, None, 2))),
}


@pytest.mark.parametrize("name", WRITES)
def test_assignment_values_and_gradients(name):
    """``y[idx] = v`` writes like numpy and is differentiable in both ``y`` and ``v``."""
    idx, vshape, np_idx = WRITES[name]

    def fn(x, v):
        y = x * 1
        y[idx] = v
        return y

    def ref(a, b):
        a = a.copy()
        a[np_idx] = b
        return a
    check_op(fn, (3, 4), vshape, ref=ref)


def test_assignment_forms_and_node_names():
    """Scalars, lists, masks and casts assign as in PyTorch; basic writes record CopySlices
    and advanced ones IndexPutBackward0."""
    y = leaf(randn(3, 4)) * 1
    y[0] = 5.0
    assert type(y.grad_fn).__name__ == "CopySlices" and y[0].tolist() == [5.] * 4
    y[y > 100] = 0.
    assert type(y.grad_fn).__name__ == "IndexPutBackward0"
    z = disttrain.zeros(3, 4, dtype=disttrain.int64)
    z[0] = 2.7
    z[1] = [1, 2, 3, 4]
    z[z == 0] = -1
    assert z.tolist() == [[2, 2, 2, 2], [1, 2, 3, 4], [-1, -1, -1, -1]]
    w = disttrain.zeros(3)
    w[T([0, 0, 1])] = T([1., 2., 3.])
    assert w.tolist() == [2., 3., 0.]
    v = leaf([1., 2., 3.])
    u = disttrain.zeros(3) * 1
    u[T([0, 0, 1])] = v
    u.sum().backward()
    assert v.grad.tolist() == [1., 1., 1.]


def test_assignment_through_a_view_reaches_the_base():
    """Writing into a view of an intermediate routes gradients through the base."""
    def fn(x, v):
        y = x * 1
        y[:, 1:3][0] = v
        return y * x

    def ref(a, b):
        y = a.copy()
        y[0, 1:3] = b
        return y * a
    check_op(fn, (3, 4), (2,), ref=ref)


def test_gather_scatter_values_and_gradients():
    """gather/scatter/scatter_add along a dim match numpy and pass gradcheck."""
    idx = [[0, 2], [1, 1], [2, 0]]      # row 1 repeats column 1
    check_op(lambda x: x.gather(1, T(idx)), (3, 4),
             ref=lambda a: np.take_along_axis(a, np.array(idx), 1))
    check_op(lambda x: disttrain.gather(x, 0, T([[2, 0, 1, 1]])), (3, 4),
             ref=lambda a: np.take_along_axis(a, np.array([[2, 0, 1, 1]]), 0))
    distinct = [[0, 2], [1, 3], [2, 0]]
    check_op(lambda x, s: x.scatter(1, T(distinct), s), (3, 4), (3, 2),
             ref=lambda a, s: _scatter(a, s, distinct, add=False))
    check_op(lambda x, s: x.scatter_add(1, T(idx), s), (3, 4), (3, 2),
             ref=lambda a, s: _scatter(a, s, idx, add=True))
    check_op(lambda x: x.scatter(1, T(distinct), 7.0), (3, 4),
             ref=lambda a: _scatter(a, np.full((3, 2), 7.0), distinct, add=False))
    r = disttrain.zeros(3).scatter(0, T([0, 0, 2]), T([1., 2., 3.]), reduce="add")
    assert r.tolist() == [3., 0., 3.]
    r = disttrain.ones(3).scatter(0, T([1, 1]), 3., reduce="multiply")
    assert r.tolist() == [1., 9., 1.]


def _scatter(a, s, index, add):
    out = a.copy()
    for i, row in enumerate(index):
        for j, k in enumerate(row):
            out[i, k] = out[i, k] + s[i, j] if add else s[i, j]
    return out


def test_index_select_masked_and_index_ops():
    """index_select, masked_fill/select and index_add/copy/fill match numpy with gradients."""
    i = T([2, 0, 2])
    check_op(lambda x: x.index_select(1, i), (3, 4), ref=lambda a: a[:, [2, 0, 2]])
    check_op(lambda x: disttrain.index_select(x, 0, T([1])), (3, 4), ref=lambda a: a[[1]])
    check_op(lambda x: x.masked_fill(x > 0, -1.), (3, 4), ref=lambda a: np.where(a > 0, -1., a))
    check_op(lambda x, v: x.masked_fill(x > 0, v.sum()), (3, 4), (2,),
             ref=lambda a, b: np.where(a > 0, b.sum(), a))
    check_op(lambda x: x.masked_fill(T([True, False, False, True]), 0.), (3, 4),
             ref=lambda a: np.where([True, False, False, True], 0., a))
    check_op(lambda x: x.masked_select(x > 0), (3, 4), ref=lambda a: a[a > 0])

    def add_ref(a, s):
        a = a.copy()
        np.add.at(a, (slice(None), [2, 0, 2]), s * 2)
        return a
    check_op(lambda x, s: x.index_add(1, i, s, alpha=2), (3, 4), (3, 3), ref=add_ref)
    check_op(lambda x, s: x.index_copy(0, T([2, 0]), s), (3, 4), (2, 4),
             ref=lambda a, s: np.stack([s[1], a[1], s[0]]))
    check_op(lambda x: x.index_fill(1, T([1, 3]), 0.5), (3, 4),
             ref=lambda a: np.where([False, True, False, True], 0.5, a))
    y = disttrain.zeros(2, 3)
    assert y.index_add_(0, T([1, 1]), disttrain.ones(2, 3)) is y
    assert y.tolist() == [[0.] * 3, [2.] * 3]


def test_nonzero_where_argwhere():
    """nonzero (both forms), one-argument where and argwhere give int64 coordinates."""
    m = T([[0, 3], [5, 0]])
    assert m.nonzero().tolist() == [[0, 1], [1, 0]] and m.nonzero().dtype == disttrain.int64
    rows, cols = m.nonzero(as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert [t.tolist() for t in disttrain.where(m > 0)] == [[0, 1], [1, 0]]
    assert disttrain.argwhere(m).tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize("fn, exc, msg", [
    (lambda x: x[3], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda x: x[0, -5], IndexError, "index -5 is out of bounds for dimension 1 with size 4"),
    (lambda x: x[0, 0, 0], IndexError, "too many indices for tensor of dimension 2"),
    (lambda x: x[T([3])], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda x: x[:, T([-5])], IndexError, "index -5 is out of bounds for dimension 0 with size 4"),
    (lambda x: x[T([0]), T([9])], IndexError,
     "index 9 is out of bounds for dimension 1 with size 4"),
    (lambda x: x[1.5], IndexError,
     "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
     "indices (got float)"),
    (lambda x: x[T([0.])], IndexError,
     "tensors used as indices must be long, int, byte or bool tensors"),
    (lambda x: x[T([True, False])], IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor "
     "[3, 4] at index 0"),
    (lambda x: x[:, T([True, False])], IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor "
     "[3, 4] at index 1"),
    (lambda x: x[[0, 1], [0, 1, 2]], IndexError,
     "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]"),
    (lambda x: x.__setitem__(0, disttrain.ones(3)), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
     "dimension 0.  Target sizes: [4].  Tensor sizes: [3]"),
    (lambda x: x.__setitem__(T([0, 1]), disttrain.ones(3)), RuntimeError,
     "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing result of "
     "shape [2, 4]"),
    (lambda x: x.__setitem__(3, 1.), IndexError,
     "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda x: x.__setitem__(T([5]), 1.), IndexError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda x: x.requires_grad_().__setitem__(0, 1.), RuntimeError,
     "a view of a leaf Variable that requires grad is being used in an in-place operation."),
    (lambda x: x.requires_grad_().__setitem__(T([0]), 1.), RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
    (lambda x: x.index_select(0, T([[0]])), IndexError,
     "index_select(): Index is supposed to be a vector"),
    (lambda x: x.index_select(0, T([0.])), RuntimeError,
     "index_select(): Expected dtype int32 or int64 for index"),
    (lambda x: x.index_select(0, T([-1])), IndexError, "index out of range in self"),
    (lambda x: x.gather(1, T([0])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda x: x.gather(0, disttrain.zeros(1, 5, dtype=disttrain.int64)), RuntimeError,
     "Size does not match at dimension 1 expected index [1, 5] to be no larger than self "
     "[3, 4] apart from dimension 0"),
    (lambda x: x.gather(1, T([[-1]])), RuntimeError,
     "index -1 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.gather(0, disttrain.zeros(1, 1)), RuntimeError,
     "gather(): Expected dtype int32/int64 for index"),
    (lambda x: x.scatter(1, T([[0, 1]]), disttrain.ones(1, 1)), RuntimeError,
     "Expected index [1, 2] to be no larger than self [3, 4] apart from dimension 1 and to be "
     "no larger size than src [1, 1]"),
    (lambda x: x.scatter(0, T([0]), 1.), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda x: x.scatter(1, T([[4]]), 1.), RuntimeError,
     "index 4 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.scatter(1, T([[0]]), 1., reduce="mean"), RuntimeError,
     "reduce argument must be either add or multiply."),
    (lambda x: x.scatter(1, T([[0]]), disttrain.ones(1, 1, dtype=disttrain.float64)),
     RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype"),
    (lambda x: x.scatter_add(1, T([[0]]), 1.), TypeError,
     "scatter_add(): argument 'src' (position 3) must be Tensor, not float"),
    (lambda x: x.masked_fill(disttrain.ones(3, 4), 0.), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype float"),
    (lambda x: x.masked_fill(disttrain.ones(3, 4, dtype=disttrain.uint8), 0.), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype unsigned char"),
    (lambda x: x.masked_fill(x > 0, disttrain.ones(2)), RuntimeError,
     "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
     "dimension(s)."),
    (lambda x: x.masked_fill(T([True, False]), 0.), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (4) at non-singleton "
     "dimension 1"),
])
def test_errors_match_pytorch(fn, exc, msg):
    """Bad indices, values and shapes raise PyTorch's exception and message."""
    with raises(exc, msg):
        fn(disttrain.zeros(3, 4))


def test_masked_fill_broadcasts_a_larger_mask():
    """Out of place, masked_fill broadcasts the tensor to a larger mask (as PyTorch)."""
    x = leaf(randn(3, 4))
    r = x.masked_fill(disttrain.ones(2, 3, 4, dtype=disttrain.bool), 0.)
    assert r.shape == (2, 3, 4)
    assert gradcheck(lambda a: a.masked_fill(T([[[True], [False], [True]]] * 2), 1.), (x,))
    assert_close(r.sum(), 0.)


def _assign(a):
    y = a * a
    y[0] = a[1] * 2
    return y


@pytest.mark.parametrize("fn", [
    lambda a: (a * a)[T([0, 0, 1])], lambda a: (a * a)[:, 1:], _assign,
    lambda a: (a * a).gather(1, T([[0, 0], [2, 1], [1, 1]])),
    lambda a: (a * a).scatter(1, T([[0], [2], [1]]), a[:, :1] * 3),
    lambda a: (a * a).masked_fill(a > 0, 1.), lambda a: (a * a).index_select(1, T([2, 0, 2])),
    lambda a: (a * a).masked_select(a > 0), lambda a: (a * a).index_add(1, T([0, 0]), a[:, :2]),
], ids=["index", "slice", "setitem", "gather", "scatter", "masked_fill", "index_select",
        "masked_select", "index_add"])
def test_second_derivatives(fn):
    """Indexing backwards are differentiable themselves (create_graph): gradgradcheck."""
    assert gradgradcheck(fn, (leaf(randn(3, 3)),))
