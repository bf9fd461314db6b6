"""Large convolution weight gradients (the blocked transposing copy) against a direct sum."""
import numpy as np
import pytest

import disttrain
import disttrain.nn.functional as F


@pytest.mark.parametrize("groups,stride,batch,size", [(1, 1, 2, 5), (2, 2, 2, 5),
                                                       (1, 1, 4, 16), (2, 1, 4, 16)])
def test_large_weight_gradient_matches_direct_correlation(groups, stride, batch, size):
    """Short products (gy @ cols^T) and long ones (cols @ gy^T, transposed in blocks)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 64, size, size))
    w = disttrain.tensor(rng.standard_normal((130, 64 // groups, 3, 3)), requires_grad=True)
    y = F.conv2d(disttrain.tensor(x), w, padding=1, stride=stride, groups=groups)
    r = rng.standard_normal(tuple(y.shape))
    (y * disttrain.tensor(r)).sum().backward()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    oh = y.shape[2]
    want = np.zeros(w.shape)
    og, cg = 130 // groups, 64 // groups
    for i in range(3):
        for j in range(3):
            win = xp[:, :, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (oh - 1) + 1:stride]
            for g in range(groups):
                want[g * og:(g + 1) * og, :, i, j] = np.einsum(
                    "nohw,nchw->oc", r[:, g * og:(g + 1) * og], win[:, g * cg:(g + 1) * cg])
    assert w.grad.is_contiguous()
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("size,dilation", [(18, 1), (24, 2), (5, 1)])
def test_flat_and_plain_windows_agree(monkeypatch, size, dilation):
    """Stride-1 convolutions use flat windows on large images and plain ones on small; both
    give the same output and gradients (forward, input gradient and weight gradient)."""
    from disttrain.core.ops import conv as conv_ops
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((2, 3, size, size + 1))
    w0 = rng.standard_normal((4, 3, 3, 3))
    r = None
    results = []
    for flat in (True, False):
        monkeypatch.setattr(conv_ops, "_flat_windows",
                            lambda spec, wp, kw, weight=16, flat=flat:
                            flat and spec.stride == (1, 1))
        x = disttrain.tensor(x0, requires_grad=True)
        w = disttrain.tensor(w0, requires_grad=True)
        y = F.conv2d(x, w, padding=1, dilation=dilation)
        r = rng.standard_normal(tuple(y.shape)) if r is None else r
        (y * disttrain.tensor(r)).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy(), w.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k,stride,dilation,padding,size", [
    (4, 2, 1, 1, 8), (3, 2, 1, 1, 9), (3, 3, 2, 2, 11), (1, 2, 1, 0, 7), (2, 3, 1, 1, 10),
    (5, 2, 2, 3, 12), ((3, 2), (2, 3), (1, 2), (0, 1), 9)])
def test_strided_input_gradient_is_the_adjoint(k, stride, dilation, padding, size):
    """<conv(x), r> == <x, conv_input_grad(r)> for strided convolutions, whose col2im works
    phase by phase (kernels larger and smaller than the stride, dilated, padded)."""
    rng = np.random.default_rng(2)
    x = disttrain.tensor(rng.standard_normal((2, 3, size, size + 2)), requires_grad=True)
    kk = k if isinstance(k, tuple) else (k, k)
    w = disttrain.tensor(rng.standard_normal((4, 3) + kk))
    y = F.conv2d(x, w, stride=stride, dilation=dilation, padding=padding)
    r = rng.standard_normal(tuple(y.shape))
    (y * disttrain.tensor(r)).sum().backward()
    lhs = float((y.detach().numpy() * r).sum())
    rhs = float((x.detach().numpy() * x.grad.numpy()).sum())
    assert abs(lhs - rhs) <= 1e-9 * max(1.0, abs(lhs))
    # and the transposed convolution (the same kernel as a layer) gives that gradient
    up = F.conv_transpose2d(disttrain.tensor(r), w, stride=stride, dilation=dilation,
                            padding=padding, output_padding=_output_padding(x, y, kk, stride,
                                                                            dilation, padding))
    np.testing.assert_allclose(up.numpy(), x.grad.numpy(), rtol=1e-12, atol=1e-12)


def _output_padding(x, y, k, stride, dilation, padding):
    st = stride if isinstance(stride, tuple) else (stride, stride)
    dl = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    pd = padding if isinstance(padding, tuple) else (padding, padding)
    return tuple(int(x.shape[2 + a] - ((y.shape[2 + a] - 1) * st[a] - 2 * pd[a]
                                         + dl[a] * (k[a] - 1) + 1)) for a in range(2))


@pytest.mark.parametrize("stride,dilation,padding", [(1, 1, 1), (2, 1, 1), (1, 2, 2),
                                                      ((2, 1), (1, 2), (0, 3)), (3, 1, 0)])
def test_depthwise_path_matches_grouped_gemm(monkeypatch, stride, dilation, padding):
    """Depthwise convolutions (direct multiply-adds) give what the grouped gemm gives:
    output, input gradient and weight gradient; and a depthwise transposed convolution."""
    from disttrain.core.ops import _depthwise
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((2, 4, 9, 8))
    w0 = rng.standard_normal((4, 1, 3, 2))
    results, r = [], None
    for direct in (True, False):
        if not direct:
            monkeypatch.setattr(_depthwise, "is_depthwise", lambda w_shape, spec: False)
        x = disttrain.tensor(x0, requires_grad=True)
        w = disttrain.tensor(w0, requires_grad=True)
        y = F.conv2d(x, w, stride=stride, dilation=dilation, padding=padding, groups=4)
        r = rng.standard_normal(tuple(y.shape)) if r is None else r
        (y * disttrain.tensor(r)).sum().backward()
        up = F.conv_transpose2d(disttrain.tensor(r), w.detach(), stride=stride,
                                dilation=dilation, padding=padding, groups=4)
        results.append((y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), up.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_depthwise_gradcheck():
    from disttrain.autograd import gradcheck
    rng = np.random.default_rng(4)
    x = disttrain.tensor(rng.standard_normal((1, 3, 5, 4)), requires_grad=True)
    w = disttrain.tensor(rng.standard_normal((3, 1, 2, 3)), requires_grad=True)
    b = disttrain.tensor(rng.standard_normal(3), requires_grad=True)
    assert gradcheck(lambda *a: F.conv2d(*a, stride=(2, 1), padding=1, groups=3), (x, w, b))
    assert gradcheck(lambda a, c: F.conv1d(a[:, :, 0], c[:, :, 0], groups=3), (x, w))
