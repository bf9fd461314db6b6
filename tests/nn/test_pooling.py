"""Max/avg/adaptive pooling: values, indices and gradients against PyTorch; gradcheck; errors."""
import pytest

import disttrain
import disttrain.nn as nn
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck, gradgradcheck
from tests.nn.spatial_data import fingerprint, seq, weighted_loss

MAX_CASES = [
    ((1, 2, 5, 5), dict(kernel_size=2)),
    ((2, 2, 7, 8), dict(kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=(1, 2),
                        ceil_mode=True)),
    ((1, 3, 6, 7), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 1, 5, 6), dict(kernel_size=(2, 3), stride=3, padding=(1, 1), ceil_mode=True)),
    ((2, 5, 5), dict(kernel_size=2, stride=1)),
]
# output shape, digests of output, input grad and indices (PyTorch)
MAX_EXPECTED = [
    ((1, 2, 2, 2), (3.479971, 1.134356), (-0.611952, -1.488184), (78.0, -5.230617)),
    ((2, 2, 4, 8), (101.621582, -0.491395), (-2.343536, 4.023479), (3588.0, -21.76678)),
    ((1, 3, 3, 4), (31.028134, 0.318537), (0.170296, -1.41812), (681.0, -7.042526)),
    ((1, 1, 2, 3), (4.786979, -2.244821), (-2.433948, 1.014599), (73.0, -27.108)),
    ((2, 4, 4), (18.731279, -3.346033), (-2.664573, 3.816739), (387.0, -47.902969)),
]
AVG_CASES = [
    ((1, 2, 5, 5), dict(kernel_size=2)),
    ((2, 2, 7, 8), dict(kernel_size=(3, 2), stride=(2, 1), padding=1, ceil_mode=True)),
    ((1, 3, 6, 7), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((1, 1, 5, 6), dict(kernel_size=(2, 3), stride=3, padding=(1, 1), ceil_mode=True,
                        count_include_pad=False)),
    ((1, 2, 5, 5), dict(kernel_size=3, padding=1, divisor_override=2)),
    ((2, 5, 5), dict(kernel_size=2, stride=1)),
]
AVG_EXPECTED = [
    ((1, 2, 2, 2), (0.105587, 1.695276), (-0.611952, 0.277938)),
    ((2, 2, 4, 9), (-1.049696, 0.277186), (3.309077, -1.31007)),
    ((1, 3, 3, 4), (1.368795, 0.608789), (0.170296, -1.330186)),
    ((1, 1, 2, 3), (2.325453, -1.108787), (-2.433948, 0.708696)),
    ((1, 2, 2, 2), (0.166409, -0.589977), (-1.429331, -0.291087)),
    ((2, 4, 4), (0.088413, 0.454581), (-2.664573, 2.009988)),
]
ADAPTIVE_CASES = [((1, 2, 7, 8), (3, 4)), ((2, 1, 5, 5), (5, 5)), ((1, 2, 6, 9), (4, None)),
                  ((1, 3, 5, 7), 2)]
# shape; avg: output, grad; max: output, grad, indices
ADAPTIVE_EXPECTED = [
    ((1, 2, 3, 4), (2.95357, -1.209738), (-2.229722, 0.142998), (18.849349, -2.444491),
     (-2.229722, 1.025474), (694.0, -77.848431)),
    ((2, 1, 5, 5), (0.332818, 1.123976), (-2.562555, 24.380226), (0.332818, 1.123976),
     (-2.562555, 24.380226), (600.0, -32.163791)),
    ((1, 2, 4, 9), (-0.073145, -0.026269), (0.08259, 34.343671), (45.692362, -7.459269),
     (0.08259, 34.368401), (1890.0, 86.743662)),
    ((1, 3, 2, 2), (0.675913, 0.068662), (-1.507273, -0.063235), (11.504554, -1.322093),
     (-1.507273, 0.640527), (173.0, -28.648336)),
]


def _close(got, want, tol=1e-5):
    assert got == pytest.approx(want, abs=tol)


@pytest.mark.parametrize("case,expected", list(zip(MAX_CASES, MAX_EXPECTED)))
def test_max_pool2d_values_indices_grads_match_pytorch(case, expected):
    """max_pool2d over stride/padding/dilation/ceil_mode/unbatched matches PyTorch exactly."""
    xs, kw = case
    x = seq(*xs, requires_grad=True)
    y, idx = F.max_pool2d(x, return_indices=True, **kw)
    weighted_loss(y).backward()
    shape, fy, fx, fi = expected
    assert tuple(y.shape) == shape and idx.dtype == disttrain.int64
    _close(fingerprint(y), fy)
    _close(fingerprint(x.grad), fx)
    _close(fingerprint(idx), fi)


@pytest.mark.parametrize("case,expected", list(zip(AVG_CASES, AVG_EXPECTED)))
def test_avg_pool2d_values_and_grads_match_pytorch(case, expected):
    """avg_pool2d with count_include_pad, ceil_mode and divisor_override matches PyTorch."""
    xs, kw = case
    x = seq(*xs, requires_grad=True)
    y = F.avg_pool2d(x, **kw)
    weighted_loss(y).backward()
    shape, fy, fx = expected
    assert tuple(y.shape) == shape
    _close(fingerprint(y), fy)
    _close(fingerprint(x.grad), fx)


@pytest.mark.parametrize("case,expected", list(zip(ADAPTIVE_CASES, ADAPTIVE_EXPECTED)))
def test_adaptive_pools_match_pytorch(case, expected):
    """adaptive avg/max pool 2d (uneven windows, None sizes) give PyTorch's values and grads."""
    xs, size = case
    shape, fa, fga, fm, fgm, fi = expected
    x = seq(*xs, requires_grad=True)
    y = F.adaptive_avg_pool2d(x, size)
    weighted_loss(y).backward()
    assert tuple(y.shape) == shape
    _close(fingerprint(y), fa)
    _close(fingerprint(x.grad), fga)
    x = seq(*xs, requires_grad=True)
    y, idx = F.adaptive_max_pool2d(x, size, return_indices=True)
    weighted_loss(y).backward()
    _close(fingerprint(y), fm)
    _close(fingerprint(x.grad), fgm)
    _close(fingerprint(idx), fi)


def test_max_pool2d_exact_values_and_indices():
    """2x2 max pooling: PyTorch's exact values and flat h*W+w indices."""
    y, idx = F.max_pool2d(seq(1, 1, 4, 4), 2, return_indices=True)
    assert disttrain.allclose(y, disttrain.tensor([[[[0.9959, 0.8957], [0.1806, -0.5298]]]],
                                                  dtype=disttrain.float64), atol=1e-4)
    assert idx.tolist() == [[[[4, 3], [8, 10]]]]


def test_avg_pool2d_exact_values_without_padding_count():
    """3x3 stride-1 average with padding not counted: PyTorch's exact values."""
    y = F.avg_pool2d(seq(1, 1, 4, 4), 3, stride=1, padding=1, count_include_pad=False)
    want = [[0.5797, 0.6316, 0.7022, 0.7226], [0.3853, 0.3615, 0.2995, 0.2600],
            [-0.0013, -0.0704, -0.1992, -0.2620], [-0.4913, -0.5646, -0.6792, -0.7231]]
    assert disttrain.allclose(y[0, 0], disttrain.tensor(want, dtype=disttrain.float64),
                              atol=1e-4)


def test_pool1d_variants_match_pytorch():
    """max/avg/adaptive 1-d pooling give PyTorch's values, grads and indices."""
    x = seq(2, 3, 9, requires_grad=True)
    y, idx = F.max_pool1d(x, 3, 2, 1, return_indices=True, ceil_mode=True)
    weighted_loss(y).backward()
    assert tuple(y.shape) == (2, 3, 5)
    _close(fingerprint(y), (6.002328, -12.495706))
    _close(fingerprint(x.grad), (-1.802361, 3.148411))
    assert idx[0].tolist() == [[1, 3, 4, 5, 7], [0, 1, 5, 7, 8], [1, 3, 3, 5, 7]]
    x = seq(2, 3, 9, requires_grad=True)
    y = F.avg_pool1d(x, 4, 2, 2, count_include_pad=False)
    weighted_loss(y).backward()
    _close(fingerprint(y), (0.329899, -11.08178))
    _close(fingerprint(x.grad), (-1.802361, -1.144522))
    x = seq(2, 3, 10, requires_grad=True)
    y = F.adaptive_avg_pool1d(x, 4)
    weighted_loss(y).backward()
    _close(fingerprint(y), (2.210168, 2.805962))
    _close(fingerprint(x.grad), (-2.229722, -0.380315))
    y, idx = F.adaptive_max_pool1d(seq(2, 3, 10), 4, return_indices=True)
    assert idx[0, 0].tolist() == [2, 4, 5, 7]
    assert disttrain.allclose(y[0, 0], disttrain.tensor([0.6743, 0.9959, 0.9613, 0.5240],
                                                        dtype=disttrain.float64), atol=1e-4)


def test_max_pool_nan_propagates_and_ties_take_first():
    """A NaN in a window wins (PyTorch's rule); among equal maxima the first index is kept."""
    x = disttrain.tensor([[[[1.0, float("nan")], [3.0, 2.0]]]])
    assert F.max_pool2d(x, 2).isnan().all()
    y, idx = F.max_pool2d(disttrain.ones(1, 1, 2, 2), 2, return_indices=True)
    assert idx.item() == 0


POOL_FNS = [
    lambda x: F.max_pool2d(x, (2, 3), stride=(1, 2), padding=1, ceil_mode=True),
    lambda x: F.max_pool2d(x, 2, stride=1, dilation=2),
    lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    lambda x: F.avg_pool2d(x, 2, divisor_override=3),
    lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
    lambda x: F.adaptive_max_pool2d(x, (2, 3)),
    lambda x: F.max_pool1d(x.flatten(2), 3, stride=2, padding=1),
    lambda x: F.avg_pool1d(x.flatten(2), 3, stride=2, padding=1),
]


@pytest.mark.parametrize("fn", POOL_FNS)
def test_pool_gradcheck_and_second_order(fn):
    """Every pool's gradient (and the gradient of its gradient) matches finite differences."""
    x = seq(1, 2, 4, 5, k=1.3, requires_grad=True)   # k=1.3: no ties within a window
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


ERRORS = [
    (lambda: F.max_pool2d(disttrain.randn(1, 2, 5, 5), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and "
     "dilation=1"),
    (lambda: F.max_pool2d(disttrain.randn(1, 2, 5, 5), 3, padding=2, dilation=2), RuntimeError,
     "pad should be smaller than or equal to half of kernel size, but got padW = 2, padH = 2, "
     "kW = 3, kH = 3"),
    (lambda: F.max_pool2d(disttrain.randn(1, 2, 5, 5), 2, stride=0), RuntimeError,
     "stride should not be zero"),
    (lambda: F.max_pool2d(disttrain.randn(1, 2, 5, 5), 2, dilation=0), RuntimeError,
     "dilation should be greater than zero, but got dilationH: 0 dilationW: 0"),
    (lambda: F.max_pool2d(disttrain.randn(5, 5), 2), RuntimeError,
     "non-empty 3D or 4D (batch mode) tensor expected for input"),
    (lambda: F.max_pool2d(disttrain.randn(1, 1, 2, 2), 3), RuntimeError,
     "Given input size: (1x2x2). Calculated output size: (1x0x0). Output size is too small"),
    (lambda: F.max_pool2d(disttrain.randn(1, 1, 2, 2), (1, 2, 3)), RuntimeError,
     "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    (lambda: F.max_pool1d(disttrain.randn(1, 1, 2, 2, 2), 2), RuntimeError,
     "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
     "input, but got:[1, 1, 2, 2, 2]"),
    (lambda: F.max_pool1d(disttrain.randn(1, 1, 2), 3), RuntimeError,
     "max_pool1d() Invalid computed output size: 0"),
    (lambda: F.max_pool1d(disttrain.randn(1, 1, 5), 3, padding=2), RuntimeError,
     "max_pool1d() padding should be at most half of kernel size, but got padding=2 and "
     "kernel_size=3"),
    (lambda: F.avg_pool2d(disttrain.randn(1, 2, 5, 5), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and "
     "dilation=1"),
    (lambda: F.avg_pool2d(disttrain.randn(5, 5), 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda: F.avg_pool1d(disttrain.randn(2), 3), RuntimeError,
     "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self' (while "
     "checking arguments for avg_pool1d)"),
    (lambda: F.avg_pool1d(disttrain.randn(1, 1, 2), 3), RuntimeError,
     "Given input size: (1x1x2). Calculated output size: (1x1x0). Output size is too small"),
    (lambda: F.adaptive_avg_pool2d(disttrain.randn(5), 3), RuntimeError,
     "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [5]"),
    (lambda: F.adaptive_avg_pool2d(disttrain.randn(1, 2, 5, 5), (3, 3, 3)), RuntimeError,
     "adaptive_avg_pool2d: output_size must be 2"),
    (lambda: F.adaptive_avg_pool1d(disttrain.randn(1, 2, 5, 5), 2), RuntimeError,
     "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while "
     "checking arguments for adaptive_avg_pool1d)"),
    (lambda: F.adaptive_max_pool2d(disttrain.randn(5), 3), RuntimeError,
     "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [5]"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS)
def test_pool_errors_match_pytorch(fn, exc, msg):
    """Bad pooling arguments raise PyTorch's exception type and message."""
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == msg


REPRS = [
    (nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, return_indices=True, ceil_mode=True),
     "MaxPool2d(kernel_size=(2, 3), stride=1, padding=1, dilation=2, ceil_mode=True)"),
    (nn.MaxPool1d(3), "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)"),
    (nn.AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
    (nn.AvgPool2d((2, 3), 1, 1, True, False, 3), "AvgPool2d(kernel_size=(2, 3), stride=1, "
                                                   "padding=1)"),
    (nn.AvgPool1d(3), "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"),
    (nn.AdaptiveAvgPool2d((None, 3)), "AdaptiveAvgPool2d(output_size=(None, 3))"),
    (nn.AdaptiveAvgPool2d(3), "AdaptiveAvgPool2d(output_size=3)"),
    (nn.AdaptiveMaxPool2d(2), "AdaptiveMaxPool2d(output_size=2)"),
    (nn.AdaptiveAvgPool1d(4), "AdaptiveAvgPool1d(output_size=4)"),
    (nn.AdaptiveMaxPool1d(3), "AdaptiveMaxPool1d(output_size=3)"),
]


@pytest.mark.parametrize("module,text", REPRS)
def test_pool_module_repr_matches_pytorch(module, text):
    """print(layer) shows what PyTorch shows."""
    assert repr(module) == text


def test_pool_modules_run_their_functional_forms():
    """The layers give the functional results, indices included when asked."""
    x = seq(2, 3, 6, 6)
    assert disttrain.equal(nn.MaxPool2d(3, 2, 1)(x), F.max_pool2d(x, 3, 2, 1))
    out, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert disttrain.equal(idx, F.max_pool2d(x, 2, return_indices=True)[1])
    assert disttrain.equal(nn.AvgPool2d(2, ceil_mode=True)(x), F.avg_pool2d(x, 2, ceil_mode=True))
    assert disttrain.equal(nn.AdaptiveAvgPool2d((2, 3))(x), F.adaptive_avg_pool2d(x, (2, 3)))
    assert disttrain.equal(nn.AdaptiveMaxPool2d(2)(x), F.adaptive_max_pool2d(x, 2))
    x1 = seq(2, 3, 8)
    assert disttrain.equal(nn.MaxPool1d(2)(x1), F.max_pool1d(x1, 2))
    assert disttrain.equal(nn.AvgPool1d(3, 1, 1)(x1), F.avg_pool1d(x1, 3, 1, 1))
    assert disttrain.equal(nn.AdaptiveAvgPool1d(3)(x1), F.adaptive_avg_pool1d(x1, 3))


def test_max_pool2d_grad_fn_name():
    """max_pool2d's output names PyTorch's backward node."""
    y = F.max_pool2d(seq(1, 1, 4, 4, requires_grad=True), 2)
    assert type(y.grad_fn).__name__ == "MaxPool2DWithIndicesBackward0"
