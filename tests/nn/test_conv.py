"""Conv1d/Conv2d/ConvTranspose: values and gradients against PyTorch, gradcheck, errors, repr."""
import math

import pytest

import disttrain
import disttrain.nn as nn
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck, gradgradcheck
from tests.nn.spatial_data import fingerprint, seq, set_params, weighted_loss

# (input shape, weight shape, bias?, kwargs) and PyTorch's (output shape, digests of the
# output and of the input/weight/bias gradients of ``weighted_loss``).
CONV2D_CASES = [
    ((1, 2, 5, 5), (2, 2, 3, 3), True, {}),
    ((2, 4, 5, 6), (4, 2, 3, 2), True, dict(stride=2, padding=1, groups=2)),
    ((1, 2, 7, 6), (3, 2, 2, 3), False, dict(stride=(2, 1), padding=(0, 2), dilation=(2, 1))),
    ((1, 3, 4, 4), (3, 1, 3, 3), True, dict(padding="same", groups=3)),
    ((1, 1, 5, 5), (2, 1, 2, 2), True, dict(padding="same")),
    ((2, 2, 6, 5), (4, 2, 3, 3), True, dict(padding="valid", dilation=2)),
    ((1, 6, 5, 5), (6, 2, 1, 1), False, dict(groups=3, stride=3)),
]
CONV2D_EXPECTED = [
    ((1, 2, 3, 3), (18.179019, -78.685014), (0.107227, -4.23708), (1.996273, -2.624772),
     (0.116547, -0.017992)),
    ((2, 4, 3, 4), (66.388867, -0.308256), (0.887894, -2.040845), (2.861394, -7.868969),
     (-1.093712, 0.208255)),
    ((1, 3, 3, 8), (3.190008, 32.195706), (-13.204498, -1.84452), (-1.060427, -1.713859), None),
    ((1, 3, 4, 4), (40.343494, -0.39956), (0.083453, 3.003654), (3.352563, -21.068319),
     (-2.073006, -0.120204)),
    ((1, 2, 5, 5), (56.298564, -6.841547), (-5.131438, 6.676792), (-3.798784, 3.999205),
     (-2.562555, 0.495359)),
    ((2, 4, 2, 1), (8.178332, -2.033536), (-1.925629, -5.946331), (0.398124, -2.342927),
     (-1.454289, 0.413815)),
    ((1, 6, 2, 2), (-0.481466, -0.045589), (-0.188782, 0.552684), (-0.261298, -0.107365), None),
]
CONV1D_CASES = [
    ((2, 3, 7), (4, 3, 3), False, dict(stride=2, padding=1)),
    ((1, 2, 6), (2, 2, 4), True, dict(padding="same")),
    ((1, 4, 9), (4, 1, 3), True, dict(groups=4, dilation=3)),
]
CONV1D_EXPECTED = [
    ((2, 4, 4), (-1.241933, -0.192244), (-8.260966, 1.679114), (-1.844232, -0.538487), None),
    ((1, 2, 6), (10.109394, -14.143806), (-15.48346, 4.408916), (-0.66148, 1.869652),
     (-1.507273, -0.842299)),
    ((1, 4, 3), (10.830254, -5.977348), (-4.30067, -0.979544), (6.10569, 4.130311),
     (-1.507273, -0.566018)),
]
CONVT_CASES = [
    ((1, 4, 3, 3), (4, 1, 3, 3), True, dict(stride=2, padding=1, output_padding=1, groups=2)),
    ((1, 2, 2, 3), (2, 3, 2, 2), False, dict(stride=(1, 2), dilation=2)),
    ((2, 3, 3, 2), (3, 2, 2, 3), True, dict(stride=3, padding=(1, 0), output_padding=(2, 0))),
]
CONVT_EXPECTED = [
    ((1, 2, 6, 6), (72.530447, 11.91199), (-0.131886, 0.61232), (0.509689, 0.061384),
     (0.08259, 0.071243)),
    ((1, 3, 4, 7), (1.724868, -0.005911), (1.781554, 0.010779), (-1.322577, 0.432713), None),
    ((2, 2, 8, 6), (153.192744, -17.950964), (-2.319372, 17.757428), (0.609289, -7.483199),
     (-2.331902, 0.073409)),
]


def _close(got, want, tol=1e-5):
    assert got == pytest.approx(want, abs=tol)


def _run(fn, xs, ws, bias, kw, n_bias):
    x = seq(*xs, requires_grad=True)
    w = seq(*ws, phase=1.0, requires_grad=True)
    b = seq(n_bias, phase=2.0, requires_grad=True) if bias else None
    y = fn(x, w, b, **kw)
    weighted_loss(y).backward()
    return y, x, w, b


def _check(y, x, w, b, expected):
    shape, fy, fx, fw, fb = expected
    assert tuple(y.shape) == shape
    _close(fingerprint(y), fy)
    _close(fingerprint(x.grad), fx)
    _close(fingerprint(w.grad), fw)
    if fb is not None:
        _close(fingerprint(b.grad), fb)


@pytest.mark.parametrize("case,expected", list(zip(CONV2D_CASES, CONV2D_EXPECTED)))
def test_conv2d_values_and_grads_match_pytorch(case, expected):
    """conv2d over stride/padding/'same'/'valid'/dilation/groups: PyTorch's values and grads."""
    xs, ws, bias, kw = case
    _check(*_run(F.conv2d, xs, ws, bias, kw, ws[0]), expected)


@pytest.mark.parametrize("case,expected", list(zip(CONV1D_CASES, CONV1D_EXPECTED)))
def test_conv1d_values_and_grads_match_pytorch(case, expected):
    """conv1d (run as a height-1 conv2d) gives PyTorch's values and grads."""
    xs, ws, bias, kw = case
    _check(*_run(F.conv1d, xs, ws, bias, kw, ws[0]), expected)


@pytest.mark.parametrize("case,expected", list(zip(CONVT_CASES, CONVT_EXPECTED)))
def test_conv_transpose2d_values_and_grads_match_pytorch(case, expected):
    """conv_transpose2d with stride/padding/output_padding/groups/dilation matches PyTorch."""
    xs, ws, bias, kw = case
    _check(*_run(F.conv_transpose2d, xs, ws, bias, kw, ws[1] * kw.get("groups", 1)), expected)


def test_conv_transpose1d_matches_pytorch():
    """conv_transpose1d gives PyTorch's output."""
    y = F.conv_transpose1d(seq(1, 2, 4), seq(2, 3, 3, phase=1.0), seq(3, phase=2.0), stride=2)
    assert tuple(y.shape) == (1, 3, 9)
    _close(fingerprint(y), (16.315416, 3.533416))


def test_conv2d_unbatched_input_exact_values():
    """A 3-d input is one unbatched sample: PyTorch's exact output, no batch dimension."""
    y = F.conv2d(seq(1, 5, 5), seq(2, 1, 3, 3, phase=1.0))
    want = disttrain.tensor([[[3.5757, 4.1122, 4.0921], [1.0840, -0.4468, -1.9172],
                              [-4.1732, -3.8659, -3.0354]],
                             [[-3.5578, -4.3260, -4.5086], [-1.7014, -0.0715, 1.5681],
                              [4.4956, 4.3654, 3.6443]]], dtype=disttrain.float64)
    assert disttrain.allclose(y, want, atol=1e-4)


@pytest.mark.parametrize("mode,expected", [("reflect", (150.235281, -9.338625)),
                                           ("replicate", (198.562393, -2.931278)),
                                           ("circular", (68.023477, -15.187633))])
def test_conv2d_padding_modes_match_pytorch(mode, expected):
    """Conv2d with padding_mode reflect/replicate/circular pads like PyTorch."""
    m = set_params(nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode).double())
    y = m(seq(1, 2, 3, 4))
    assert tuple(y.shape) == (1, 3, 3, 4)
    _close(fingerprint(y), expected)


def test_conv2d_same_padding_even_kernel_with_reflect():
    """padding='same' with an even kernel pads asymmetrically (extra on the right), as PyTorch."""
    m = set_params(nn.Conv2d(2, 3, (2, 3), padding="same", padding_mode="reflect").double())
    y = m(seq(1, 2, 4, 4))
    assert tuple(y.shape) == (1, 3, 4, 4)
    _close(fingerprint(y), (43.467622, -7.888839))


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1),
                                dict(dilation=2, groups=2, padding=1),
                                dict(padding="same", stride=1)])
def test_conv2d_gradcheck(kw):
    """conv2d's analytical input/weight/bias gradients match finite differences."""
    x = seq(1, 2, 5, 4, requires_grad=True)
    w = seq(2, 2 // kw.get("groups", 1), 2, 3, phase=1.0, requires_grad=True)
    b = seq(2, phase=2.0, requires_grad=True)
    assert gradcheck(lambda a, c, d: F.conv2d(a, c, d, **kw), (x, w, b))


def test_conv2d_second_order_gradients():
    """Double backward of conv2d (conv backward built from conv Functions) is exact."""
    x = seq(1, 2, 4, 4, requires_grad=True)
    w = seq(2, 1, 2, 2, phase=1.0, requires_grad=True)
    assert gradgradcheck(lambda a, c: F.conv2d(a, c, stride=2, padding=1, groups=2), (x, w))


def test_conv_transpose2d_gradcheck_and_second_order():
    """conv_transpose2d passes gradcheck and gradgradcheck in input, weight and bias."""
    x = seq(1, 2, 2, 3, requires_grad=True)
    w = seq(2, 2, 2, 2, phase=1.0, requires_grad=True)
    b = seq(2, phase=2.0, requires_grad=True)

    def fn(a, c, d):
        return F.conv_transpose2d(a, c, d, stride=2, padding=1, output_padding=1)
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_conv1d_gradcheck():
    """conv1d passes gradcheck with stride, padding, dilation and bias."""
    x = seq(2, 2, 6, requires_grad=True)
    w = seq(3, 2, 2, phase=1.0, requires_grad=True)
    b = seq(3, phase=2.0, requires_grad=True)
    assert gradcheck(lambda a, c, d: F.conv1d(a, c, d, stride=2, padding=1, dilation=2),
                     (x, w, b))


def test_conv2d_module_gradcheck_through_parameters():
    """A Conv2d module's parameters get finite-difference-correct gradients."""
    m = nn.Conv2d(2, 2, 2, stride=1, padding=1).double()
    x = seq(1, 2, 3, 3, requires_grad=True)
    assert gradcheck(lambda a, w, b: F.conv2d(a, w, b, padding=1), (x, m.weight, m.bias))


def test_grad_fn_is_convolution_backward():
    """The output's grad_fn carries PyTorch's node name."""
    y = F.conv2d(seq(1, 1, 3, 3, requires_grad=True), seq(1, 1, 2, 2))
    assert type(y.grad_fn).__name__ == "ConvolutionBackward0"


@pytest.mark.parametrize("dtype", [disttrain.float32, disttrain.float64])
def test_conv2d_keeps_dtype(dtype):
    """The output has the input's dtype."""
    y = F.conv2d(seq(1, 2, 4, 4, dtype=dtype), seq(3, 2, 3, 3, dtype=dtype))
    assert y.dtype == dtype


# ---------------------------------------------------------------------------- errors

ERRORS = [
    (lambda: F.conv2d(disttrain.randn(5, 5), disttrain.randn(6, 3, 5, 5)), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [5, 5]"),
    (lambda: F.conv2d(disttrain.randn(1, 1, 32, 32), disttrain.randn(6, 3, 5, 5)), RuntimeError,
     "Given groups=1, weight of size [6, 3, 5, 5], expected input[1, 1, 32, 32] to have 3 "
     "channels, but got 1 channels instead"),
    (lambda: F.conv2d(disttrain.randn(1, 3, 4, 4), disttrain.randn(6, 3, 5, 5)), RuntimeError,
     "Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size "
     "can't be greater than actual input size"),
    (lambda: F.conv2d(disttrain.randn(1, 4, 8, 8), disttrain.randn(6, 2, 3, 3), groups=4),
     RuntimeError, "Given groups=4, expected weight to be divisible by 4 at dimension 0, but "
     "got weight of size [[6, 2, 3, 3]] instead"),
    (lambda: F.conv2d(disttrain.randn(1, 4, 8, 8), disttrain.randn(6, 3, 3, 3), groups=2),
     RuntimeError, "Given groups=2, weight of size [6, 3, 3, 3], expected input[1, 4, 8, 8] to "
     "have 6 channels, but got 4 channels instead"),
    (lambda: F.conv2d(disttrain.randn(1, 4, 8, 8), disttrain.randn(6, 4, 3, 3), stride=0),
     RuntimeError, "non-positive stride is not supported"),
    (lambda: F.conv2d(disttrain.randn(1, 4, 8, 8), disttrain.randn(6, 4, 3, 3), padding=-1),
     RuntimeError, "negative padding is not supported"),
    (lambda: F.conv2d(disttrain.randn(1, 4, 8, 8), disttrain.randn(6, 4, 3, 3), dilation=0),
     RuntimeError, "dilation should be greater than zero, but got [0, 0]"),
    (lambda: F.conv2d(disttrain.randn(1, 4, 8, 8), disttrain.randn(6, 4, 3, 3), groups=0),
     RuntimeError, "non-positive groups is not supported"),
    (lambda: F.conv2d(disttrain.randn(1, 4, 8, 8), disttrain.randn(6, 4, 3, 3), stride=2,
                      padding="same"),
     RuntimeError, "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(disttrain.randn(1, 4, 8, 8), disttrain.randn(6, 4, 3, 3), padding="foo"),
     RuntimeError, "Invalid padding string: 'foo'"),
    (lambda: F.conv2d(disttrain.randn(1, 4, 8, 8), disttrain.randn(6, 4, 3, 3),
                      disttrain.randn(5)),
     RuntimeError, "Given weight of size [6, 4, 3, 3], expected bias to be 1-dimensional with 6 "
     "elements, but got bias of size [5] instead"),
    (lambda: F.conv2d(disttrain.randn(1, 4, 8, 8), disttrain.randn(6, 4, 3)), RuntimeError,
     "expected stride to be a single integer value or a list of 1 values to match the "
     "convolution dimensions, but got stride=[1, 1]"),
    (lambda: F.conv2d(disttrain.randn(1, 3, 8, 8), disttrain.randn(6, 3, 3, 3), stride=(1, 2, 3)),
     RuntimeError, "expected stride to be a single integer value or a list of 2 values to match "
     "the convolution dimensions, but got stride=[1, 2, 3]"),
    (lambda: F.conv2d(disttrain.randn(1, 4, 8, 8), disttrain.randn(6, 4, 3, 3).double()),
     RuntimeError, "expected scalar type Float but found Double"),
    (lambda: F.conv2d(disttrain.randn(1, 3, 8, 8), disttrain.randn(6, 3, 3, 3),
                      disttrain.randn(6).double()),
     RuntimeError, "Input type (float) and bias type (double) should be the same"),
    (lambda: F.conv1d(disttrain.randn(1, 4, 8, 8), disttrain.randn(6, 4, 3)), RuntimeError,
     "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
     "[1, 4, 8, 8]"),
    (lambda: F.conv1d(disttrain.randn(1, 2, 8), disttrain.randn(6, 4, 3)), RuntimeError,
     "Given groups=1, weight of size [6, 4, 3], expected input[1, 2, 8] to have 4 channels, but "
     "got 2 channels instead"),
    (lambda: F.conv_transpose2d(disttrain.randn(1, 4, 3, 3), disttrain.randn(3, 2, 3, 3)),
     RuntimeError, "Given transposed=1, weight of size [3, 2, 3, 3], expected input[1, 4, 3, 3] "
     "to have 3 channels, but got 4 channels instead"),
    (lambda: F.conv_transpose2d(disttrain.randn(1, 4, 3, 3), disttrain.randn(4, 2, 3, 3),
                                stride=2, output_padding=2),
     RuntimeError, "output padding must be smaller than either stride or dilation, but got "
     "output_padding_height: 2 output_padding_width: 2 stride_height: 2 stride_width: 2 "
     "dilation_height: 1 dilation_width: 1"),
    (lambda: F.conv_transpose2d(disttrain.randn(1, 4, 3, 3), disttrain.randn(4, 2, 3, 3),
                                padding=3),
     RuntimeError, "Given input size per channel: (3 x 3). Calculated output size per channel: "
     "(-1 x -1). Output size is too small"),
    (lambda: F.conv_transpose2d(disttrain.randn(4, 3), disttrain.randn(4, 2, 3, 3)),
     RuntimeError, "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got "
     "input of size: [4, 3]"),
    (lambda: nn.Conv2d(4, 6, 3, groups=3), ValueError, "in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), ValueError, "out_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 6, 3, groups=0), ValueError, "groups must be a positive integer"),
    (lambda: nn.Conv2d(4, 6, 3, padding="same", stride=2), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: nn.Conv2d(4, 6, 3, padding="bad"), ValueError,
     "Invalid padding string 'bad', should be one of {'same', 'valid'}"),
    (lambda: nn.Conv2d(4, 6, 3, padding_mode="bad"), ValueError,
     "padding_mode must be one of {'circular', 'zeros', 'replicate', 'reflect'}, but got "
     "padding_mode='bad'"),
    (lambda: nn.Conv2d(1, 6, 5)(disttrain.randn(1, 1, 3, 3)), RuntimeError,
     "Calculated padded input size per channel: (3 x 3). Kernel size: (5 x 5). Kernel size "
     "can't be greater than actual input size"),
    (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2)(disttrain.randn(1, 2, 3, 3),
                                                   output_size=(9, 8)),
     ValueError, "requested an output size of (9, 8), but valid sizes range from [7, 7] to "
     "[8, 8] (for an input of disttrain.Size([3, 3]))"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS)
def test_conv_errors_match_pytorch(fn, exc, msg):
    """Bad inputs and arguments raise PyTorch's exception type and message."""
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == msg


# ---------------------------------------------------------------------------- modules

REPRS = [
    (lambda: nn.Conv2d(1, 6, 5), "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"),
    (lambda: nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, dilation=2, bias=False),
     "Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
     "bias=False)"),
    (lambda: nn.Conv2d(4, 8, 3, padding="same", groups=2, padding_mode="reflect"),
     "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=2, "
     "padding_mode=reflect)"),
    (lambda: nn.Conv2d(2, 2, 3, padding=(1, 0)),
     "Conv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 0))"),
    (lambda: nn.Conv2d(2, 2, 3, padding="valid"),
     "Conv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), padding=valid)"),
    (lambda: nn.Conv1d(4, 8, 3), "Conv1d(4, 8, kernel_size=(3,), stride=(1,))"),
    (lambda: nn.Conv1d(4, 8, 3, stride=2, padding="valid"),
     "Conv1d(4, 8, kernel_size=(3,), stride=(2,), padding=valid)"),
    (lambda: nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
     "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"),
    (lambda: nn.ConvTranspose2d(4, 2, 3, padding=1, dilation=2, groups=2, bias=False),
     "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(2, 2), "
     "groups=2, bias=False)"),
]


@pytest.mark.parametrize("make,text", REPRS)
def test_conv_module_repr_matches_pytorch(make, text):
    """print(layer) shows exactly what PyTorch shows."""
    assert repr(make()) == text


def test_conv_parameter_shapes_and_state_dict_keys():
    """Weights are (out, in/groups, k...) for Conv and (in, out/groups, k...) for ConvTranspose."""
    assert tuple(nn.Conv2d(4, 6, (3, 2), groups=2).weight.shape) == (6, 2, 3, 2)
    assert tuple(nn.ConvTranspose2d(4, 2, 3, groups=2).weight.shape) == (4, 1, 3, 3)
    assert tuple(nn.Conv1d(3, 5, 4).weight.shape) == (5, 3, 4)
    assert list(nn.Conv2d(1, 2, 3).state_dict()) == ["weight", "bias"]
    assert nn.Conv2d(1, 2, 3, bias=False).bias is None


def test_default_init_bounds_and_seed_reproducibility():
    """Weights and bias lie in ±1/sqrt(fan_in) (Kaiming a=sqrt(5)); manual_seed reproduces them."""
    disttrain.manual_seed(0)
    m = nn.Conv2d(3, 16, 5)
    bound = 1 / math.sqrt(3 * 5 * 5)
    assert m.weight.abs().max().item() <= bound
    assert m.bias.abs().max().item() <= bound
    assert m.weight.std().item() > bound / 3     # spread over the range, not all zeros
    disttrain.manual_seed(0)
    m2 = nn.Conv2d(3, 16, 5)
    assert disttrain.equal(m.weight, m2.weight) and disttrain.equal(m.bias, m2.bias)


def test_conv_transpose2d_output_size_argument():
    """ConvTranspose2d(output_size=...) picks the output_padding that gives that size."""
    m = nn.ConvTranspose2d(2, 3, 3, stride=2)
    assert tuple(m(seq(1, 2, 3, 3, dtype=disttrain.float32), output_size=(8, 8)).shape) == \
        (1, 3, 8, 8)
    assert tuple(m(seq(1, 2, 3, 3, dtype=disttrain.float32), output_size=[1, 3, 7, 8]).shape) == \
        (1, 3, 7, 8)


def test_conv2d_module_trains_kernel_to_target():
    """The tutorial's kernel-learning loop recovers a [1, -1] edge kernel from data."""
    X = disttrain.ones(6, 8)
    X[:, 2:6] = 0
    K = disttrain.tensor([[1.0, -1.0]])
    Y = F.conv2d(X.reshape(1, 1, 6, 8), K.reshape(1, 1, 1, 2))
    disttrain.manual_seed(0)
    conv = nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False)
    for _ in range(30):
        loss = ((conv(X.reshape(1, 1, 6, 8)) - Y) ** 2).sum()
        conv.zero_grad()
        loss.backward()
        conv.weight.data[:] -= 3e-2 * conv.weight.grad
    assert disttrain.allclose(conv.weight.data.reshape(1, 2), K, atol=0.05)


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1), dict(stride=1, padding=0),
                                dict(stride=(2, 1), padding=(0, 1), groups=2)])
def test_conv_transpose_backward_shares_columns_and_equals_the_recorded_path(kw):
    """A plain backward of conv_transpose2d builds the columns of the incoming gradient once
    for both the input and weight gradients; create_graph=True takes the differentiable
    Functions instead. Both give the same gradients."""
    x = seq(2, 4, 3, 3, requires_grad=True)
    w = seq(4, 3, 3, 3, phase=1.0, requires_grad=True)
    plain = disttrain.autograd.grad(weighted_loss(F.conv_transpose2d(x, w, **kw)), (x, w))
    recorded = disttrain.autograd.grad(weighted_loss(F.conv_transpose2d(x, w, **kw)), (x, w),
                                       create_graph=True)
    for a, b in zip(plain, recorded):
        assert disttrain.allclose(a, b.detach(), rtol=1e-13, atol=1e-13)
