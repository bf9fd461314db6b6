"""Stride-1 convolutions on small images (at most ``conv.BATCH_LAST_WIDTH`` output
columns) build im2col's columns and col2im's sums with the batch innermost: PyTorch's
values, the other ways' results to rounding, gradcheck and double backward, over padding
('same' with an even kernel), dilation and 1-d."""
import pytest

import disttrain
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck, gradgradcheck
from disttrain.core.ops import conv
from tests.nn.spatial_data import fingerprint, seq, weighted_loss

# (function, input shape, weight shape, kwargs) and PyTorch 2.13's (output shape, digests
# of the input and weight gradients of ``weighted_loss``)
CASES = [
    (F.conv2d, (3, 4, 5, 5), (6, 4, 3, 3), dict(padding=1)),
    (F.conv2d, (2, 2, 7, 6), (3, 2, 3, 2), dict(dilation=(2, 1), padding=(1, 1))),
    (F.conv2d, (2, 3, 4, 6), (4, 3, 2, 3), dict(padding="same")),
    (F.conv1d, (2, 3, 5), (5, 3, 3), dict(padding=1)),
]
TORCH = [
    ((3, 6, 5, 5), (-18.155864, -0.599153), (-1.171611, 16.838644)),
    ((2, 3, 5, 7), (3.912496, -9.815385), (-2.124335, 1.841721)),
    ((2, 4, 4, 6), (-0.279474, 40.374521), (-3.246088, 5.124465)),
    ((2, 5, 5), (-28.098841, -20.556417), (-2.458025, 5.677187)),
]
IDS = ["padding", "dilation", "same-even-kernel", "conv1d"]


@pytest.fixture
def taken(monkeypatch):
    """Which batch-innermost kernels ran: the columns (forward, weight gradient) and the
    input gradient's col2im."""
    calls = set()
    for name in ("_im2col_batch_last", "_col2im_batch_last"):
        real = getattr(conv, name)

        def spy(*args, _name=name, _real=real):
            calls.add(_name)
            return _real(*args)
        monkeypatch.setattr(conv, name, spy)
    return calls


def _grads(fn, xs, ws, kw):
    x = seq(*xs, requires_grad=True)
    w = seq(*ws, phase=1.0, requires_grad=True)
    y = fn(x, w, **kw)
    weighted_loss(y).backward()
    return y, x.grad, w.grad


@pytest.mark.parametrize("case,expected", list(zip(CASES, TORCH)), ids=IDS)
def test_values_match_pytorch(case, expected, taken):
    y, gx, gw = _grads(*case)
    assert taken == {"_im2col_batch_last", "_col2im_batch_last"}
    assert tuple(y.shape) == expected[0]
    assert fingerprint(gx) == pytest.approx(expected[1], abs=1e-5)
    assert fingerprint(gw) == pytest.approx(expected[2], abs=1e-5)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_same_as_the_other_ways(case, monkeypatch):
    fast = _grads(*case)
    monkeypatch.setattr(conv, "BATCH_LAST_WIDTH", 0)
    for a, b in zip(fast, _grads(*case)):
        assert disttrain.allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck_and_double_backward(case, taken):
    fn, xs, ws, kw = case
    x = seq(*xs, requires_grad=True)
    w = seq(*ws, phase=1.0, requires_grad=True)
    assert gradcheck(lambda a, b: fn(a, b, **kw), (x, w))
    assert gradgradcheck(lambda a, b: fn(a, b, **kw), (x, w))
    assert taken


# strided: the input gradient's (or transposed convolution's) col2im by output phases
# with the batch innermost; PyTorch 2.13's (output shape, digests of the output and of
# the input, weight and bias gradients)
STRIDED = [
    (F.conv2d, (2, 3, 8, 8), (4, 3, 4, 4), dict(stride=2, padding=1)),
    (F.conv_transpose2d, (2, 4, 3, 3), (4, 3, 4, 4), dict(stride=2, padding=1)),
    (F.conv_transpose2d, (1, 2, 3, 3), (2, 2, 6, 3), dict(stride=(3, 1), padding=(2, 1))),
]
STRIDED_TORCH = [
    ((2, 4, 4, 4), (87.57901, -17.867406), (85.601904, 5.849523), (-25.453872, -2.26629),
     (-2.343536, 0.333102)),
    ((2, 3, 6, 6), (95.305308, -3.834606), (2.898606, 49.931652), (-6.586685, -87.632507),
     (-1.949517, 1.20059)),
    ((1, 2, 8, 3), (38.496571, -0.704147), (5.781058, -5.525943), (-1.537797, -10.247271),
     (-2.073006, -0.399017)),
]


def _strided(fn, xs, ws, kw):
    x = seq(*xs, requires_grad=True)
    w = seq(*ws, phase=1.0, requires_grad=True)
    b = seq(ws[1] if fn is F.conv_transpose2d else ws[0], phase=2.0, requires_grad=True)
    y = fn(x, w, b, **kw)
    weighted_loss(y).backward()
    return y.detach(), x.grad, w.grad, b.grad


@pytest.mark.parametrize("case,expected", list(zip(STRIDED, STRIDED_TORCH)))
def test_strided_values_match_pytorch_and_the_other_way(case, expected, monkeypatch):
    calls = []
    real = conv._col2im_phases
    monkeypatch.setattr(conv, "_col2im_phases",
                        lambda *a, **k: calls.append("batch_inner" in k) or real(*a, **k))
    got = _strided(*case)
    assert any(calls)
    assert tuple(got[0].shape) == expected[0]
    for t, want in zip(got, expected[1:]):
        assert fingerprint(t) == pytest.approx(want, abs=1e-5)
    monkeypatch.setattr(conv, "BATCH_LAST_WIDTH", 0)
    for a, b in zip(got, _strided(*case)):
        assert disttrain.allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", STRIDED[1:])
def test_strided_transposed_gradcheck(case):
    fn, xs, ws, kw = case
    x = seq(*xs, requires_grad=True)
    w = seq(*ws, phase=1.0, requires_grad=True)
    assert gradcheck(lambda a, b: fn(a, b, **kw), (x, w))
    assert gradgradcheck(lambda a, b: fn(a, b, **kw), (x, w))


def test_strided_forward_and_weight_gradient_on_4_columns(monkeypatch):
    """A 4x4 stride-2 convolution down to 4 columns builds its columns batch-innermost
    (DCGAN's discriminator): the same output and gradients as the plain columns, and
    PyTorch's (first STRIDED case at 8x8 input)."""
    calls = []
    real = conv._im2col_batch_last
    monkeypatch.setattr(conv, "_im2col_batch_last",
                        lambda *a: calls.append(1) or real(*a))
    case = STRIDED[0]
    got = _strided(*case)
    assert calls
    for t, want in zip(got, STRIDED_TORCH[0][1:]):
        assert fingerprint(t) == pytest.approx(want, abs=1e-5)
    monkeypatch.setattr(conv, "BATCH_LAST_WIDTH", 0)
    for a, b in zip(got, _strided(*case)):
        assert disttrain.allclose(a, b, rtol=1e-12, atol=1e-12)
    x = seq(1, 2, 8, 7, requires_grad=True)
    w = seq(3, 2, 4, 3, phase=1.0, requires_grad=True)
    monkeypatch.setattr(conv, "BATCH_LAST_WIDTH", 8)
    assert gradcheck(lambda a, b: F.conv2d(a, b, stride=2, padding=1), (x, w))
