"""Stride-1 convolution input gradients computed as a forward convolution of the output
gradient with the flipped kernel (instead of col2im): values against PyTorch, agreement
with col2im over padding, dilation, groups and 1-d, and gradients of gradients."""
import numpy as np
import pytest

import disttrain
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck, gradgradcheck
from disttrain.core.ops import conv as conv_ops


@pytest.fixture
def taken(monkeypatch):
    """Counts the input gradients that went the forward-convolution way (small images would
    take the batch-innermost col2im, which tests/nn/test_conv_batch_last.py covers)."""
    monkeypatch.setattr(conv_ops, "BATCH_LAST_WIDTH", 0)
    calls = []
    real = conv_ops._input_grad_by_forward

    def spy(*args):
        calls.append(1)
        return real(*args)
    monkeypatch.setattr(conv_ops, "_input_grad_by_forward", spy)
    return calls


def test_same_padding_even_kernel_matches_pytorch(taken):
    # padding='same' with a 2x3 kernel pads unevenly: (0, 1) rows, (1, 1) columns
    x = disttrain.tensor(np.arange(64.0).reshape(2, 2, 4, 4) % 7 - 3, requires_grad=True)
    w = disttrain.tensor((np.arange(24.0).reshape(2, 2, 2, 3) % 5 - 2) / 2, requires_grad=True)
    y = F.conv2d(x, w, padding="same")
    r = disttrain.tensor(np.arange(64.0).reshape(2, 2, 4, 4) % 4 - 1.5)
    (y * r).sum().backward()
    assert taken
    row0 = [0.5, -2.0, -2.0, 0.5, 0.0, -1.0, -2.0, 0.75, 0.0, -1.0, -2.0, 0.75,
            0.0, -1.0, -2.0, 0.75]
    row1 = [-1.5, 0.25, 0.75, 1.25, -0.25, 1.0, 1.0, -0.25, -0.25, 1.0, 1.0, -0.25,
            -0.25, 1.0, 1.0, -0.25]
    # PyTorch 2.13
    np.testing.assert_allclose(x.grad.numpy().ravel(), (row0 + row1) * 2, atol=1e-12)
    wg = [4.0, -9.0, -12.0, 0.0, -8.5, -9.5, 0.0, 8.5, 9.5, 4.0, 9.0, 4.0]
    np.testing.assert_allclose(w.grad.numpy().ravel(), wg * 2, atol=1e-12)


def test_dilated_grouped_matches_pytorch(taken):
    x = disttrain.tensor(np.arange(100.0).reshape(1, 4, 5, 5) % 9 - 4, requires_grad=True)
    w = disttrain.tensor((np.arange(72.0).reshape(4, 2, 3, 3) % 7 - 3) / 3)
    y = F.conv2d(x, w, padding=2, dilation=2, groups=2)
    r = disttrain.tensor(np.arange(100.0).reshape(1, 4, 5, 5) % 3 - 1)
    (y * r).sum().backward()
    assert taken
    g = x.grad.numpy()
    # PyTorch 2.13, a few entries of each group
    np.testing.assert_allclose(g[0, 0, 0], [7 / 3, -5 / 3, -1 / 3, -4 / 3, -2 / 3], atol=1e-12)
    np.testing.assert_allclose(g[0, 1, 2], [1 / 3, 1.0, 0.0, -4 / 3, 10 / 3], atol=1e-12)
    np.testing.assert_allclose(g[0, 3, 4], [-2.0, -2.0, 13 / 3, -5 / 3, -2 / 3], atol=1e-12)
    np.testing.assert_allclose(g.sum(), -5 / 3, atol=1e-9)


CASES = [  # (x shape, w shape, conv kwargs)
    ((2, 3, 6, 7), (3, 3, 3, 3), dict(padding=1)),
    ((1, 4, 5, 6), (4, 2, 3, 2), dict(padding=(2, 1), dilation=(2, 1), groups=2)),
    ((2, 2, 5, 5), (2, 2, 4, 4), dict(padding="same")),
    ((2, 3, 4, 4), (2, 3, 3, 3), dict(padding=0)),
    ((1, 2, 3, 3), (2, 2, 5, 5), dict(padding=4)),          # kernel wider than the input
    ((2, 3, 9), (3, 3, 4), dict(padding=2, dilation=2)),    # 1-d
    ((1, 6, 1, 1), (1, 6, 4, 4), dict(padding=3)),          # one output channel
]


@pytest.mark.parametrize("xs,ws,kw", CASES)
def test_agrees_with_col2im(monkeypatch, xs, ws, kw):
    rng = np.random.default_rng(5)
    x0, w0 = rng.standard_normal(xs), rng.standard_normal(ws)
    conv = F.conv1d if len(xs) == 3 else F.conv2d
    grads, r = [], None
    for way in ("forward", "col2im"):
        if way == "col2im":
            monkeypatch.setattr(conv_ops, "_as_forward", lambda spec, kh, kw: False)
        x = disttrain.tensor(x0, requires_grad=True)
        y = conv(x, disttrain.tensor(w0), **kw)
        r = rng.standard_normal(tuple(y.shape)) if r is None else r
        (y * disttrain.tensor(r)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)


def test_padding_beyond_the_kernel_keeps_col2im(taken):
    # padding 3 > dilation*(k-1) = 2: the forward way would need negative padding
    x = disttrain.tensor(np.ones((1, 2, 4, 4)), requires_grad=True)
    y = F.conv2d(x, disttrain.ones(2, 2, 3, 3, dtype=disttrain.float64), padding=3)
    assert tuple(y.shape) == (1, 2, 8, 8)
    y.sum().backward()
    assert not taken
    np.testing.assert_allclose(x.grad.numpy(), np.full((1, 2, 4, 4), 18.0))


def test_conv_transpose_stride_1_matches_its_adjoint():
    # a stride-1 transposed convolution is this input gradient
    rng = np.random.default_rng(6)
    w = disttrain.tensor(rng.standard_normal((3, 3, 3, 3)))
    x = disttrain.tensor(rng.standard_normal((2, 3, 5, 5)))
    r = rng.standard_normal((2, 3, 5, 5))
    up = F.conv_transpose2d(disttrain.tensor(r), w, padding=1)
    lhs = float((F.conv2d(x, w, padding=1).numpy() * r).sum())
    assert abs(lhs - float((x.numpy() * up.numpy()).sum())) < 1e-9


def test_gradcheck_and_double_backward(taken):
    rng = np.random.default_rng(7)
    x = disttrain.tensor(rng.standard_normal((2, 2, 4, 3)), requires_grad=True)
    w = disttrain.tensor(rng.standard_normal((2, 2, 3, 2)), requires_grad=True)
    x.data[0, 0, 0] = 0.0                                  # a row of zeros

    def f(a, b):
        return F.conv2d(a, b, padding=(1, 1), dilation=(1, 2))
    assert gradcheck(f, (x, w))
    assert gradgradcheck(f, (x, w))
    assert taken
