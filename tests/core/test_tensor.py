"""Tensor properties and conversions: shape/size/dim/numel, dtype/device, T, data, item,
tolist, numpy (shared memory), detach, clone, contiguous, to() and the dtype shortcuts.

VALUES and ERRORS were printed by PyTorch 2.13 for the same expressions.
"""
import numpy as np
import pytest

import disttrain

from .conftest import evaluate, raises, shown

VALUES = [
    ('disttrain.ones(2, 3).numel()',
     '6'),
    ('disttrain.ones(2, 3).dim()',
     '2'),
    ('disttrain.ones(2, 3).ndim',
     '2'),
    ('disttrain.ones(2, 3, 4).T.shape',
     'disttrain.Size([4, 3, 2])'),
    ('disttrain.arange(6.).reshape(2, 3).T',
     ('tensor([[0., 3.],\n'
      '        [1., 4.],\n'
      '        [2., 5.]])')),
    ('disttrain.ones(3).T',
     'tensor([1., 1., 1.])'),
    ('disttrain.ones(2, 3).data',
     ('tensor([[1., 1., 1.],\n'
      '        [1., 1., 1.]])')),
    ('disttrain.tensor([1.5, 2]).tolist()',
     '[1.5, 2.0]'),
    ('disttrain.tensor(2).tolist()',
     '2'),
    ('disttrain.tensor([[1, 2]]).tolist()',
     '[[1, 2]]'),
    ('disttrain.tensor([True]).tolist()',
     '[True]'),
    ('disttrain.tensor(2.5).item()',
     '2.5'),
    ('disttrain.tensor([2]).item()',
     '2'),
    ('disttrain.tensor([[True]]).item()',
     'True'),
    ('disttrain.tensor([1.5, 2.]).numpy()',
     'array([1.5, 2. ], dtype=float32)'),
    ('disttrain.tensor([1, 2]).numpy().dtype',
     "dtype('int64')"),
    ('disttrain.tensor(2.).numpy()',
     'array(2., dtype=float32)'),
    ('disttrain.ones(2, 3).t().is_contiguous()',
     'False'),
    ('disttrain.ones(2, 3).is_contiguous()',
     'True'),
    ('disttrain.ones(2, 3).t().contiguous().is_contiguous()',
     'True'),
    ('disttrain.ones(2, 3).t().contiguous().stride()',
     '(2, 1)'),
    ('disttrain.ones(2, 3).stride()',
     '(3, 1)'),
    ('disttrain.ones(2, 3).t().stride()',
     '(1, 3)'),
    ('disttrain.ones(2).to(disttrain.float64)',
     'tensor([1., 1.], dtype=disttrain.float64)'),
    ("disttrain.ones(2).to('cpu')",
     'tensor([1., 1.])'),
    ("disttrain.ones(2).to('cpu', disttrain.long)",
     'tensor([1, 1])'),
    ("disttrain.ones(2).to(device='cpu', dtype=disttrain.int32)",
     'tensor([1, 1], dtype=disttrain.int32)'),
    ('disttrain.ones(2).to(disttrain.ones(1, dtype=disttrain.float64))',
     'tensor([1., 1.], dtype=disttrain.float64)'),
    ('disttrain.tensor([1.7, -2.5]).float()',
     'tensor([ 1.7000, -2.5000])'),
    ('disttrain.tensor([1.7, -2.5]).double()',
     'tensor([ 1.7000, -2.5000], dtype=disttrain.float64)'),
    ('disttrain.tensor([1.7, -2.5]).long()',
     'tensor([ 1, -2])'),
    ('disttrain.tensor([1.7, -2.5]).int()',
     'tensor([ 1, -2], dtype=disttrain.int32)'),
    ('disttrain.tensor([1.7, 0.]).bool()',
     'tensor([ True, False])'),
    ('disttrain.tensor([1.7, -2.5]).cpu()',
     'tensor([ 1.7000, -2.5000])'),
    ('disttrain.tensor([1.7, -2.5]).half()',
     'tensor([ 1.7002, -2.5000], dtype=disttrain.float16)'),
    ('disttrain.tensor([3, 0]).float()',
     'tensor([3., 0.])'),
    ('disttrain.tensor([1.7, -2.5]).short()',
     'tensor([ 1, -2], dtype=disttrain.int16)'),
    ('disttrain.tensor([1.7, -2.5]).char()',
     'tensor([ 1, -2], dtype=disttrain.int8)'),
    ('disttrain.tensor([1.7, -2.5], requires_grad=True).long()',
     'tensor([ 1, -2])'),
    ('disttrain.tensor([1.7, -2.5], requires_grad=True).double()',
     'tensor([ 1.7000, -2.5000], dtype=disttrain.float64, grad_fn=<ToCopyBackward0>)'),
    ('disttrain.tensor([1.7, -2.5], requires_grad=True).float()',
     'tensor([ 1.7000, -2.5000], requires_grad=True)'),
    ('disttrain.ones(2).element_size()',
     '4'),
    ('disttrain.ones(2, dtype=disttrain.float64).element_size()',
     '8'),
    ('disttrain.ones(2).is_floating_point()',
     'True'),
    ('disttrain.ones(2, dtype=disttrain.long).is_floating_point()',
     'False'),
    ('disttrain.ones(2).get_device()',
     '-1'),
    ('disttrain.ones(2).nelement()',
     '2'),
    ('disttrain.ones(()).size()',
     'disttrain.Size([])'),
    ('disttrain.ones(()).dim()',
     '0'),
    ('disttrain.ones(2, 3).shape == (2, 3)',
     'True'),
    ('len(disttrain.ones(2, 3))',
     '2'),
    ('list(disttrain.tensor([1, 2]))',
     '[tensor(1), tensor(2)]'),
    ('bool(disttrain.tensor([0.]))',
     'False'),
    ('float(disttrain.tensor([2.5]))',
     '2.5'),
    ('int(disttrain.tensor(3.7))',
     '3'),
    ('[10, 20, 30][disttrain.tensor(1)]',
     '20'),
    ('disttrain.ones(2, 3).size(1)',
     '3'),
    ('disttrain.ones(2, 3).size(-1)',
     '3'),
    ('disttrain.ones(2).is_cuda',
     'False'),
    ('disttrain.ones(2).device',
     "device(type='cpu')"),
    ('disttrain.ones(2).is_leaf',
     'True'),
    ('disttrain.tensor([1, 2]).dtype',
     'disttrain.int64'),
    ('disttrain.tensor([1., 2]).dtype',
     'disttrain.float32'),
    ('disttrain.tensor([True]).dtype',
     'disttrain.bool'),
    ('disttrain.ones(1).clone()',
     'tensor([1.])'),
    ('disttrain.tensor([1., 2.], requires_grad=True).clone()',
     'tensor([1., 2.], grad_fn=<CloneBackward0>)'),
    ('disttrain.tensor([1., 2.], requires_grad=True).detach()',
     'tensor([1., 2.])'),
    ('disttrain.tensor([1., 2.], requires_grad=True).data',
     'tensor([1., 2.])'),
    ('disttrain.is_tensor(disttrain.ones(1))',
     'True'),
    ('disttrain.is_tensor([1])',
     'False'),
    ('disttrain.numel(disttrain.ones(2, 3))',
     '6'),
    ('disttrain.is_floating_point(disttrain.ones(1))',
     'True'),
    ('isinstance(disttrain.ones(1), disttrain.FloatTensor)',
     'True'),
    ('isinstance(disttrain.ones(1), disttrain.Tensor)',
     'True'),
    ('isinstance(disttrain.ones(1, dtype=disttrain.long), disttrain.FloatTensor)',
     'False'),
    ('disttrain.get_default_dtype()',
     'disttrain.float32'),
]

ERRORS = [
    ('disttrain.tensor([1, 2]).item()',
     RuntimeError, 'a Tensor with 2 elements cannot be converted to Scalar'),
    ('disttrain.tensor([]).item()',
     RuntimeError, 'a Tensor with 0 elements cannot be converted to Scalar'),
    ('len(disttrain.tensor(1.))',
     TypeError, 'len() of a 0-d tensor'),
    ('bool(disttrain.tensor([1., 2.]))',
     RuntimeError, 'Boolean value of Tensor with more than one value is ambiguous'),
    ('int(disttrain.tensor([1, 2]))',
     ValueError, 'only one element tensors can be converted to Python scalars'),
    ('float(disttrain.tensor([1., 2.]))',
     ValueError, 'only one element tensors can be converted to Python scalars'),
    ('[10, 20, 30][disttrain.tensor(1.)]',
     TypeError, 'only integer tensors of a single element can be converted to an index'),
    ('disttrain.ones(2, 3).size(2)',
     IndexError, 'Dimension out of range (expected to be in range of [-2, 1], but got 2)'),
    ('disttrain.ones(2, 3).size(-3)',
     IndexError, 'Dimension out of range (expected to be in range of [-2, 1], but got -3)'),
    ('disttrain.ones(2, requires_grad=True).numpy()',
     RuntimeError, "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."),
    ('[t for t in disttrain.tensor(1.)]',
     TypeError, 'iteration over a 0-d tensor'),
]



@pytest.mark.parametrize("expr, expected", VALUES, ids=[v[0] for v in VALUES])
def test_property_matches_pytorch(expr, expected):
    """Each property or conversion gives PyTorch's value, printed the same way."""
    assert shown(expr) == expected


@pytest.mark.parametrize("expr, exc, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_pytorch(expr, exc, message):
    """Invalid conversions raise PyTorch's exception type and message."""
    with raises(exc, message):
        evaluate(expr)


def test_numpy_shares_memory():
    """numpy() returns the tensor's own memory: the tutorial's add_ shows in both."""
    a = disttrain.ones(5)
    b = a.numpy()
    a.add_(1)
    assert repr(a) == "tensor([2., 2., 2., 2., 2.])" and str(b) == "[2. 2. 2. 2. 2.]"
    b[0] = 5
    assert a[0].item() == 5.0


def test_numpy_of_grad_tensor():
    """A tensor that requires grad refuses numpy(); detach().numpy() shares its memory."""
    x = disttrain.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^Can't call numpy\(\) on Tensor that requires "
                                           r"grad. Use tensor.detach\(\).numpy\(\) instead.$"):
        x.numpy()
    n = x.detach().numpy()
    n[1] = 3
    assert x.tolist() == [1., 3.]
    assert np.asarray(x).tolist() == [1., 3.]


def test_item_and_tolist_types():
    """item() and tolist() give Python numbers of the matching kind."""
    assert type(disttrain.tensor(2.5).item()) is float
    assert type(disttrain.tensor([3]).item()) is int
    assert type(disttrain.tensor(True).item()) is bool
    assert disttrain.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    x = disttrain.tensor([0.26873132586479187])
    assert x.item() == 0.26873132586479187 and repr(x) == "tensor([0.2687])"


def test_clone_detach_data_memory():
    """clone copies; detach and .data share memory; clone keeps the graph."""
    x = disttrain.tensor([1., 2.], requires_grad=True)
    c, d = x.clone(), x.detach()
    assert c.grad_fn.name() == "CloneBackward0" and d.grad_fn is None
    with disttrain.no_grad():
        c[0] = 10.
    d[1] = 20.
    assert x.tolist() == [1., 20.]
    x.data[0] = 30.
    assert x.tolist() == [30., 20.] and x.requires_grad and x.is_leaf


def test_to_returns_self_when_nothing_changes():
    """to()/float()/cpu()/contiguous() return the tensor itself when no work is needed."""
    x = disttrain.ones(2)
    assert x.to("cpu") is x and x.to(disttrain.float32) is x and x.float() is x
    assert x.cpu() is x and x.contiguous() is x
    assert x.to(disttrain.float32, copy=True) is not x


def test_dtype_conversion_is_differentiable():
    """double() of a tensor that requires grad is ToCopyBackward0 and passes gradients."""
    x = disttrain.tensor([1.7, -2.5], requires_grad=True)
    y = x.double()
    assert repr(y) == ("tensor([ 1.7000, -2.5000], dtype=disttrain.float64, "
                       "grad_fn=<ToCopyBackward0>)")
    (y * 2).sum().backward()
    assert x.grad.dtype is disttrain.float32 and x.grad.tolist() == [2., 2.]


@pytest.mark.parametrize("method, dtype", [
    ("float", disttrain.float32), ("double", disttrain.float64), ("half", disttrain.float16),
    ("long", disttrain.int64), ("int", disttrain.int32), ("short", disttrain.int16),
    ("char", disttrain.int8), ("byte", disttrain.uint8), ("bool", disttrain.bool)])
def test_dtype_shortcuts(method, dtype):
    """x.float(), x.long(), ... convert to their dtype (truncating toward zero)."""
    t = getattr(disttrain.tensor([1.7, -0.5, 2.0]), method)()
    assert t.dtype is dtype
    if not dtype.is_floating_point and dtype is not disttrain.bool:
        assert t.tolist()[0] == 1


def test_to_forms():
    """to(dtype), to(device), to(device, dtype), to(other) and keyword forms."""
    x = disttrain.ones(2)
    assert x.to(disttrain.float64).dtype is disttrain.float64
    assert x.to("cpu", disttrain.int64).dtype is disttrain.int64
    assert x.to(device="cpu", dtype=disttrain.int32).dtype is disttrain.int32
    assert x.to(disttrain.device("cpu")).device == disttrain.device("cpu")
    assert x.to(disttrain.ones(1, dtype=disttrain.float16)).dtype is disttrain.float16


def test_contiguous_and_strides():
    """t() is a non-contiguous view; contiguous() makes a row-major copy."""
    x = disttrain.arange(6.).reshape(2, 3)
    t = x.t()
    assert not t.is_contiguous() and t.stride() == (1, 3)
    c = t.contiguous()
    assert c.is_contiguous() and c.stride() == (2, 1) and c.tolist() == t.tolist()
    t[0, 1] = 100.
    assert x[1, 0].item() == 100. and c[0, 1].item() == 3.


def test_T_reverses_dims():
    """T transposes a matrix and reverses the dims of other tensors."""
    x = disttrain.arange(6.).reshape(2, 3)
    assert x.T.tolist() == [[0., 3.], [1., 4.], [2., 5.]]
    assert disttrain.ones(2, 3, 4).T.shape == (4, 3, 2)


def test_python_protocol():
    """len, iteration, bool, float/int/index conversions behave like PyTorch."""
    x = disttrain.tensor([[1, 2], [3, 4]])
    assert len(x) == 2 and [r.tolist() for r in x] == [[1, 2], [3, 4]]
    assert bool(disttrain.tensor([1.])) and not bool(disttrain.tensor(0))
    assert float(disttrain.tensor([2.5])) == 2.5 and int(disttrain.tensor(3.7)) == 3
    assert [10, 20, 30][disttrain.tensor(2)] == 30


def test_legacy_constructors():
    """Tensor() is empty, Tensor(Size) and Tensor(2, 3) are shapes, Tensor(list) is data."""
    assert repr(disttrain.Tensor()) == "tensor([])"
    assert disttrain.Tensor(disttrain.Size([2, 3])).shape == (2, 3)
    assert disttrain.FloatTensor(2, 3).shape == (2, 3)
    assert repr(disttrain.LongTensor([1, 2])) == "tensor([1, 2])"
    assert repr(disttrain.Tensor([1, 2])) == "tensor([1., 2.])"


def test_bool_of_empty_tensor():
    """bool() of an empty tensor is ambiguous, as in PyTorch."""
    with pytest.raises(RuntimeError, match="^Boolean value of Tensor with no values is "
                                           "ambiguous$"):
        bool(disttrain.tensor([]))


def test_size_and_view_from_tutorial():
    """x.view(16) and x.view(-1, 8) of a 4x4 tensor have the tutorial's sizes."""
    x = disttrain.randn(4, 4)
    y, z = x.view(16), x.view(-1, 8)
    assert str((x.size(), y.size(), z.size())) == \
        "(disttrain.Size([4, 4]), disttrain.Size([16]), disttrain.Size([2, 8]))"
