"""Tensor factories: tensor, as_tensor, from_numpy, zeros/ones/full/eye/arange/linspace, the
``*_like`` and ``new_*`` forms, with PyTorch's dtype inference, values and errors.

VALUES and ERRORS were printed by PyTorch 2.13 for the same expressions (``torch.`` written
``disttrain.``).
"""
import numpy as np
import pytest

import disttrain

from .conftest import evaluate, raises, shown

VALUES = [
    ('disttrain.tensor([1.7, -1.7], dtype=disttrain.long)',
     'tensor([ 1, -1])'),
    ('disttrain.tensor([True, False], dtype=disttrain.float32)',
     'tensor([1., 0.])'),
    ('disttrain.tensor(3.5, dtype=disttrain.int32)',
     'tensor(3, dtype=disttrain.int32)'),
    ('disttrain.tensor([disttrain.tensor(1.5), disttrain.tensor(2.)])',
     'tensor([1.5000, 2.0000])'),
    ('disttrain.tensor([[1, 2], [3, 4.5]])',
     ('tensor([[1.0000, 2.0000],\n'
      '        [3.0000, 4.5000]])')),
    ('disttrain.tensor(np.float32(2.5))',
     'tensor(2.5000)'),
    ('disttrain.tensor(np.float64(2.5))',
     'tensor(2.5000, dtype=disttrain.float64)'),
    ('disttrain.tensor(np.int32(3))',
     'tensor(3, dtype=disttrain.int32)'),
    ('disttrain.tensor(np.array([1, 2], dtype=np.int32))',
     'tensor([1, 2], dtype=disttrain.int32)'),
    ('disttrain.tensor(np.array([1., 2.]))',
     'tensor([1., 2.], dtype=disttrain.float64)'),
    ('disttrain.tensor([])',
     'tensor([])'),
    ('disttrain.tensor([[]])',
     'tensor([], size=(1, 0))'),
    ('disttrain.tensor(())',
     'tensor([])'),
    ('disttrain.tensor(2**63 - 1)',
     'tensor(9223372036854775807)'),
    ('disttrain.tensor([1, 2**40])',
     'tensor([            1, 1099511627776])'),
    ('disttrain.tensor([True, 1])',
     'tensor([1, 1])'),
    ('disttrain.tensor([True, 1.5])',
     'tensor([1.0000, 1.5000])'),
    ('disttrain.tensor([1, 2], dtype=disttrain.float64)',
     'tensor([1., 2.], dtype=disttrain.float64)'),
    ('disttrain.tensor([0.1, 0.2], dtype=disttrain.float64).tolist()',
     '[0.1, 0.2]'),
    ('disttrain.tensor((1, 2))',
     'tensor([1, 2])'),
    ('disttrain.tensor([[1, 2], [3, 4]], dtype=disttrain.int16)',
     ('tensor([[1, 2],\n'
      '        [3, 4]], dtype=disttrain.int16)')),
    ('disttrain.as_tensor([1, 2])',
     'tensor([1, 2])'),
    ('disttrain.as_tensor([1.5], dtype=disttrain.float64)',
     'tensor([1.5000], dtype=disttrain.float64)'),
    ('disttrain.as_tensor(np.array([1., 2.]))',
     'tensor([1., 2.], dtype=disttrain.float64)'),
    ('disttrain.zeros(2, 3)',
     ('tensor([[0., 0., 0.],\n'
      '        [0., 0., 0.]])')),
    ('disttrain.zeros((2, 3))',
     ('tensor([[0., 0., 0.],\n'
      '        [0., 0., 0.]])')),
    ('disttrain.zeros([2, 3])',
     ('tensor([[0., 0., 0.],\n'
      '        [0., 0., 0.]])')),
    ('disttrain.zeros(2, 3, dtype=disttrain.int32)',
     ('tensor([[0, 0, 0],\n'
      '        [0, 0, 0]], dtype=disttrain.int32)')),
    ('disttrain.zeros(())',
     'tensor(0.)'),
    ('disttrain.zeros(0)',
     'tensor([])'),
    ('disttrain.zeros(2, 3, requires_grad=True)',
     ('tensor([[0., 0., 0.],\n'
      '        [0., 0., 0.]], requires_grad=True)')),
    ('disttrain.ones(disttrain.Size([2, 1]))',
     ('tensor([[1.],\n'
      '        [1.]])')),
    ('disttrain.ones(3, dtype=disttrain.bool)',
     'tensor([True, True, True])'),
    ('disttrain.ones(2, 2, dtype=disttrain.float64)',
     ('tensor([[1., 1.],\n'
      '        [1., 1.]], dtype=disttrain.float64)')),
    ('disttrain.empty(2, 3).shape',
     'disttrain.Size([2, 3])'),
    ('disttrain.full((2, 2), 7)',
     ('tensor([[7, 7],\n'
      '        [7, 7]])')),
    ('disttrain.full((2, 2), 7.)',
     ('tensor([[7., 7.],\n'
      '        [7., 7.]])')),
    ('disttrain.full((2,), True)',
     'tensor([True, True])'),
    ('disttrain.full((2, 2), 7, dtype=disttrain.float32)',
     ('tensor([[7., 7.],\n'
      '        [7., 7.]])')),
    ('disttrain.full([3], 1.5, requires_grad=True)',
     'tensor([1.5000, 1.5000, 1.5000], requires_grad=True)'),
    ("disttrain.full((2,), float('nan'))",
     'tensor([nan, nan])'),
    ('disttrain.eye(3)',
     ('tensor([[1., 0., 0.],\n'
      '        [0., 1., 0.],\n'
      '        [0., 0., 1.]])')),
    ('disttrain.eye(2, 3)',
     ('tensor([[1., 0., 0.],\n'
      '        [0., 1., 0.]])')),
    ('disttrain.eye(3, dtype=disttrain.long)',
     ('tensor([[1, 0, 0],\n'
      '        [0, 1, 0],\n'
      '        [0, 0, 1]])')),
    ('disttrain.eye(2, requires_grad=True)',
     ('tensor([[1., 0.],\n'
      '        [0., 1.]], requires_grad=True)')),
    ('disttrain.eye(0)',
     'tensor([], size=(0, 0))'),
    ('disttrain.arange(5)',
     'tensor([0, 1, 2, 3, 4])'),
    ('disttrain.arange(1, 4)',
     'tensor([1, 2, 3])'),
    ('disttrain.arange(0, 1, 0.25)',
     'tensor([0.0000, 0.2500, 0.5000, 0.7500])'),
    ('disttrain.arange(5.)',
     'tensor([0., 1., 2., 3., 4.])'),
    ('disttrain.arange(1, 2.5, 0.5)',
     'tensor([1.0000, 1.5000, 2.0000])'),
    ('disttrain.arange(10, 0, -3)',
     'tensor([10,  7,  4,  1])'),
    ('disttrain.arange(0, 1, 0.1)',
     ('tensor([0.0000, 0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000, 0.8000,\n'
      '        0.9000])')),
    ('disttrain.arange(5, dtype=disttrain.float64)',
     'tensor([0., 1., 2., 3., 4.], dtype=disttrain.float64)'),
    ('disttrain.arange(0.5, 3)',
     'tensor([0.5000, 1.5000, 2.5000])'),
    ('disttrain.arange(0, -3, -1)',
     'tensor([ 0, -1, -2])'),
    ('disttrain.arange(disttrain.tensor(3))',
     'tensor([0, 1, 2])'),
    ('disttrain.arange(3., requires_grad=True)',
     'tensor([0., 1., 2.], requires_grad=True)'),
    ('disttrain.arange(1, 3, dtype=disttrain.int32)',
     'tensor([1, 2], dtype=disttrain.int32)'),
    ('disttrain.arange(0, 10, 3.)',
     'tensor([0., 3., 6., 9.])'),
    ('disttrain.arange(-1.5, 1.5)',
     'tensor([-1.5000, -0.5000,  0.5000])'),
    ('disttrain.arange(1e-3, 5e-3, 1e-3)',
     'tensor([0.0010, 0.0020, 0.0030, 0.0040])'),
    ('disttrain.linspace(0, 1, 5)',
     'tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])'),
    ('disttrain.linspace(0, 10, 3)',
     'tensor([ 0.,  5., 10.])'),
    ('disttrain.linspace(-1, 1, 1)',
     'tensor([-1.])'),
    ('disttrain.linspace(0, 1, 0)',
     'tensor([])'),
    ('disttrain.linspace(0, 1, 4, dtype=disttrain.float64)',
     'tensor([0.0000, 0.3333, 0.6667, 1.0000], dtype=disttrain.float64)'),
    ('disttrain.linspace(1, 5, 5, dtype=disttrain.long)',
     'tensor([1, 2, 3, 4, 5])'),
    ('disttrain.linspace(3, -3, 7)',
     'tensor([ 3.,  2.,  1.,  0., -1., -2., -3.])'),
    ('disttrain.linspace(0, 1, 3, requires_grad=True)',
     'tensor([0.0000, 0.5000, 1.0000], requires_grad=True)'),
    ('disttrain.logspace(0, 2, 3)',
     'tensor([  1.,  10., 100.])'),
    ('disttrain.zeros_like(disttrain.ones(2, 3))',
     ('tensor([[0., 0., 0.],\n'
      '        [0., 0., 0.]])')),
    ('disttrain.ones_like(disttrain.ones(2, dtype=disttrain.long))',
     'tensor([1, 1])'),
    ('disttrain.ones_like(disttrain.ones(2), dtype=disttrain.float64)',
     'tensor([1., 1.], dtype=disttrain.float64)'),
    ('disttrain.full_like(disttrain.ones(2), 5)',
     'tensor([5., 5.])'),
    ('disttrain.full_like(disttrain.ones(2, dtype=disttrain.long), 2.7)',
     'tensor([2, 2])'),
    ('disttrain.empty_like(disttrain.ones(2, 3)).shape',
     'disttrain.Size([2, 3])'),
    ('disttrain.zeros_like(disttrain.ones(2, requires_grad=True))',
     'tensor([0., 0.])'),
    ('disttrain.ones_like(disttrain.ones(2), requires_grad=True)',
     'tensor([1., 1.], requires_grad=True)'),
    ('disttrain.ones(2, dtype=disttrain.float64).new_ones(3)',
     'tensor([1., 1., 1.], dtype=disttrain.float64)'),
    ('disttrain.ones(2, dtype=disttrain.float64).new_zeros((2, 2))',
     ('tensor([[0., 0.],\n'
      '        [0., 0.]], dtype=disttrain.float64)')),
    ('disttrain.ones(2, dtype=disttrain.float64).new_zeros(2, 2)',
     ('tensor([[0., 0.],\n'
      '        [0., 0.]], dtype=disttrain.float64)')),
    ('disttrain.ones(2, dtype=disttrain.float64).new_full((2,), 3)',
     'tensor([3., 3.], dtype=disttrain.float64)'),
    ('disttrain.ones(2, dtype=disttrain.float64).new_tensor([1, 2])',
     'tensor([1., 2.], dtype=disttrain.float64)'),
    ('disttrain.ones(2, dtype=disttrain.float64).new_tensor([1, 2], dtype=disttrain.long)',
     'tensor([1, 2])'),
    ('disttrain.ones(2, dtype=disttrain.long).new_tensor([1.5, 2])',
     'tensor([1, 2])'),
    ('disttrain.ones(2, dtype=disttrain.float64).new_empty(3).dtype',
     'disttrain.float64'),
    ('disttrain.ones(2).new_ones(2, requires_grad=True)',
     'tensor([1., 1.], requires_grad=True)'),
    ('disttrain.ones(2).new_ones(2, dtype=disttrain.double)',
     'tensor([1., 1.], dtype=disttrain.float64)'),
    ('disttrain.ones(2, dtype=disttrain.long).new_ones(2)',
     'tensor([1, 1])'),
    ('disttrain.ones(2).new_tensor(5)',
     'tensor(5.)'),
    ('disttrain.tensor([5.5, 3]).new_ones(5, 3, dtype=disttrain.double)',
     ('tensor([[1., 1., 1.],\n'
      '        [1., 1., 1.],\n'
      '        [1., 1., 1.],\n'
      '        [1., 1., 1.],\n'
      '        [1., 1., 1.]], dtype=disttrain.float64)')),
    ('disttrain.scalar_tensor(3)',
     'tensor(3.)'),
    ('disttrain.FloatTensor([1, 2])',
     'tensor([1., 2.])'),
    ('disttrain.LongTensor([1, 2])',
     'tensor([1, 2])'),
    ('disttrain.FloatTensor(2, 3).shape',
     'disttrain.Size([2, 3])'),
    ('disttrain.Tensor([1, 2])',
     'tensor([1., 2.])'),
    ('disttrain.Tensor(2).shape',
     'disttrain.Size([2])'),
    ('disttrain.DoubleTensor([1])',
     'tensor([1.], dtype=disttrain.float64)'),
    ('disttrain.BoolTensor([1, 0])',
     'tensor([ True, False])'),
    ('disttrain.IntTensor([1])',
     'tensor([1], dtype=disttrain.int32)'),
]

ERRORS = [
    ("disttrain.tensor('abc')",
     TypeError, "new(): invalid data type 'str'"),
    ("disttrain.tensor([1, 'a'])",
     TypeError, "new(): invalid data type 'str'"),
    ('disttrain.tensor([[1, 2], [3]])',
     ValueError, 'expected sequence of length 2 at dim 1 (got 1)'),
    ('disttrain.tensor(None)',
     RuntimeError, 'Could not infer dtype of NoneType'),
    ('disttrain.tensor([None])',
     RuntimeError, 'Could not infer dtype of NoneType'),
    ('disttrain.tensor({})',
     RuntimeError, 'Could not infer dtype of dict'),
    ('disttrain.tensor(2**64)',
     ValueError, 'Overflow when unpacking long long'),
    ('disttrain.from_numpy([1, 2])',
     TypeError, 'expected np.ndarray (got list)'),
    ('disttrain.zeros(2.5)',
     TypeError, "zeros(): argument 'size' (position 1) must be tuple of ints, not float"),
    ('disttrain.ones(2, -1)',
     RuntimeError, 'Trying to create tensor with negative dimension -1: [2, -1]'),
    ('disttrain.full(3, 1.5)',
     TypeError, "full(): argument 'size' (position 1) must be tuple of ints, not int"),
    ('disttrain.eye(-1)',
     RuntimeError, 'n must be greater or equal to 0, got -1'),
    ('disttrain.eye(2, -1)',
     RuntimeError, 'm must be greater or equal to 0, got -1'),
    ('disttrain.arange(0, 5, 0)',
     RuntimeError, 'step must be nonzero'),
    ('disttrain.arange(5, 0)',
     RuntimeError, 'upper bound and lower bound inconsistent with step sign'),
    ("disttrain.arange(0, float('inf'))",
     RuntimeError, 'unsupported range: 0 -> inf'),
    ('disttrain.linspace(0, 1, -1)',
     RuntimeError, 'number of steps must be non-negative'),
    ('disttrain.rand(2, dtype=disttrain.long)',
     NotImplementedError, '"check_uniform_bounds" not implemented for \'Long\''),
    ('disttrain.randn(2, dtype=disttrain.int32)',
     NotImplementedError, '"normal_kernel_cpu" not implemented for \'Int\''),
    ('disttrain.rand(-1)',
     RuntimeError, 'Trying to create tensor with negative dimension -1: [-1]'),
    ('disttrain.randint(5, 5, (2,))',
     RuntimeError, "random_ expects 'from' to be less than 'to', but got from=5 >= to=5"),
    ('disttrain.normal(0., -1., (2,))',
     RuntimeError, 'normal expects std >= 0.0, but found std -1'),
    ('disttrain.normal(disttrain.zeros(2), -1.)',
     RuntimeError, 'normal expects std >= 0.0, but found std -1'),
    ('disttrain.normal(disttrain.zeros(2), disttrain.tensor([1., -1.]))',
     RuntimeError, 'normal expects all elements of std >= 0.0'),
    ('disttrain.zeros(2, dtype=disttrain.long, requires_grad=True)',
     RuntimeError, 'Only Tensors of floating point and complex dtype can require gradients'),
    ("disttrain.device('cuda:x')",
     RuntimeError, "Invalid device string: 'cuda:x'"),
    ("disttrain.device('cuda:0', 1)",
     RuntimeError, 'type (string) must not include an index because index was passed explicitly: cuda:0'),
    ("disttrain.device('cuda', -1)",
     RuntimeError, 'Device index must not be negative'),
]



@pytest.mark.parametrize("expr, expected", VALUES, ids=[v[0] for v in VALUES])
def test_factory_matches_pytorch(expr, expected):
    """Each factory call prints exactly what PyTorch prints (values, dtype, suffixes)."""
    assert shown(expr) == expected


@pytest.mark.parametrize("expr, exc, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_factory_errors_match_pytorch(expr, exc, message):
    """Bad arguments raise PyTorch's exception type and message."""
    with raises(exc, message):
        evaluate(expr)


def test_float64_keeps_every_digit():
    """tensor(list, dtype=float64) converts Python floats directly, not via float32."""
    t = disttrain.tensor([0.1, 1234567.891], dtype=disttrain.float64)
    assert t.tolist() == [0.1, 1234567.891]


@pytest.mark.parametrize("data, dtype", [
    ([1, 2], disttrain.int64), ([1., 2], disttrain.float32), ([True], disttrain.bool),
    ([True, 2], disttrain.int64), ([1, 2.5], disttrain.float32), (3, disttrain.int64),
    (3.0, disttrain.float32), (np.array([1, 2], dtype=np.int16), disttrain.int16),
    (np.array([1.], dtype=np.float16), disttrain.float16), (np.float64(1), disttrain.float64)])
def test_dtype_inference(data, dtype):
    """Python ints give int64, floats the default dtype, numpy keeps its own dtype."""
    assert disttrain.tensor(data).dtype is dtype


def test_default_dtype_changes_inference():
    """set_default_dtype(float64) makes float data and float factories float64."""
    disttrain.set_default_dtype(disttrain.float64)
    try:
        assert disttrain.tensor([1.5]).dtype is disttrain.float64
        assert disttrain.ones(1).dtype is disttrain.float64
        assert disttrain.arange(2.).dtype is disttrain.float64
        assert repr(disttrain.tensor([1.5])) == "tensor([1.5000])"
    finally:
        disttrain.set_default_dtype(disttrain.float32)
    assert repr(disttrain.tensor([1.5], dtype=disttrain.float64)) == \
        "tensor([1.5000], dtype=disttrain.float64)"


def test_tensor_copies_and_warns_on_tensor_input():
    """tensor() copies its data; given a Tensor it warns like PyTorch."""
    a = np.ones(3)
    t = disttrain.tensor(a)
    a[0] = 5
    assert t.tolist() == [1., 1., 1.]
    with pytest.warns(UserWarning, match="To copy construct from a tensor, it is recommended"):
        u = disttrain.tensor(t)
    u[0] = 9
    assert t.tolist() == [1., 1., 1.]


def test_from_numpy_shares_memory_both_ways():
    """from_numpy: numpy writes show in the tensor and tensor writes in the array."""
    a = np.ones(5)
    b = disttrain.from_numpy(a)
    np.add(a, 1, out=a)
    assert repr(b) == "tensor([2., 2., 2., 2., 2.], dtype=disttrain.float64)"
    b.add_(1)
    b[0] = 7
    assert a.tolist() == [7., 3., 3., 3., 3.]
    strided = np.arange(6.).reshape(2, 3)[:, ::2]
    assert disttrain.from_numpy(strided).tolist() == [[0., 2.], [3., 5.]]


def test_from_numpy_rejects_unsupported_types():
    """Arrays of strings, objects or complex numbers are refused with PyTorch's message."""
    with pytest.raises(TypeError, match=r"^can't convert np.ndarray of type numpy.str_. The "
                                        r"only supported types are: "):
        disttrain.from_numpy(np.array(["a"]))


def test_as_tensor_shares_when_it_can():
    """as_tensor shares a numpy array's memory unless a dtype change forces a copy."""
    a = np.array([1., 2.])
    shared, copied = disttrain.as_tensor(a), disttrain.as_tensor(a, dtype=disttrain.float32)
    a[0] = 9
    assert shared.tolist() == [9., 2.] and copied.tolist() == [1., 2.]
    t = disttrain.ones(2)
    assert disttrain.as_tensor(t) is t


def test_out_argument():
    """Factories write into out= (resized to the result's shape) and return it."""
    out = disttrain.empty(5)
    r = disttrain.arange(3, out=out)
    assert r is out and repr(out) == "tensor([0., 1., 2.])"
    assert disttrain.zeros(2, 2, out=out) is out and out.shape == (2, 2)


@pytest.mark.parametrize("factory", [disttrain.zeros, disttrain.ones, disttrain.empty,
                                     disttrain.rand, disttrain.randn])
@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([2, 3],), (disttrain.Size([2, 3]),)])
def test_size_forms(factory, size):
    """Sizes may be given as ints, a tuple, a list or a Size."""
    t = factory(*size, dtype=disttrain.float64, requires_grad=True)
    assert t.shape == (2, 3) and t.dtype is disttrain.float64 and t.requires_grad


@pytest.mark.parametrize("like, kwargs", [
    (disttrain.zeros_like, {}), (disttrain.ones_like, {}), (disttrain.empty_like, {}),
    (disttrain.rand_like, {}), (disttrain.randn_like, {}),
    (disttrain.full_like, {"fill_value": 2})])
def test_like_forms_keep_shape_dtype_device(like, kwargs):
    """*_like copy size, dtype and device from the input, and accept overrides."""
    src = disttrain.ones(2, 3, dtype=disttrain.float64)
    t = like(src, **kwargs)
    assert t.shape == (2, 3) and t.dtype is disttrain.float64 and t.device == src.device
    t = like(src, dtype=disttrain.float32, requires_grad=True, **kwargs)
    assert t.dtype is disttrain.float32 and t.requires_grad


def test_randn_like_seed_example():
    """The tutorial: randn_like(x, dtype=float) of a double tensor is a float32 5x3."""
    x = disttrain.tensor([5.5, 3]).new_ones(5, 3, dtype=disttrain.double)
    y = disttrain.randn_like(x, dtype=disttrain.float)
    assert y.dtype is disttrain.float32 and y.size() == (5, 3)


def test_new_methods_keep_dtype():
    """new_* use the source's dtype unless told otherwise, and accept requires_grad."""
    x = disttrain.ones(2, dtype=disttrain.float64)
    for t in (x.new_ones(3), x.new_zeros(3), x.new_empty(3), x.new_full((3,), 1.5),
              x.new_tensor([1., 2., 3.])):
        assert t.dtype is disttrain.float64 and t.shape == (3,) and not t.requires_grad
    assert x.new_zeros(2, requires_grad=True).requires_grad
