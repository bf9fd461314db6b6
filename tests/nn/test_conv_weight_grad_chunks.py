"""Weight gradients of few-channel convolutions over many pixels (a first layer): the long
inner dimension cut into chunks summed afterwards, against PyTorch and a direct sum."""
import numpy as np
import pytest

import disttrain
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck
from disttrain.core.ops import conv as conv_ops


@pytest.fixture
def chunks(monkeypatch):
    """Records the chunk counts chosen."""
    seen = []
    real = conv_ops._k_chunks

    def spy(out_size, k):
        seen.append(real(out_size, k))
        return seen[-1]
    monkeypatch.setattr(conv_ops, "_k_chunks", spy)
    return seen


def test_one_input_channel_matches_pytorch(chunks):
    x = disttrain.tensor(np.sin(np.arange(8 * 34 * 34) * 0.37).reshape(8, 1, 34, 34))
    w = disttrain.tensor(np.arange(18.0).reshape(2, 1, 3, 3) % 5 - 2, requires_grad=True)
    y = F.conv2d(x, w)
    r = np.cos(np.arange(y.numel()) * 0.11).reshape(tuple(y.shape))
    (y * disttrain.tensor(r)).sum().backward()
    assert chunks == [32]                       # K = 8*32*32 = 8192
    want = [1.656852456964098, 1.5325347269585252, 1.200795611104465, 1.6562389849977084,
            1.5237981989736413, 1.1851184751782606, 1.6553178545981055, 1.5147786143968986,
            1.1692211948856648, 1.421111967473621, 1.074568458818519, 0.582587150290671,
            1.4115436376863255, 1.0586670274522358, 0.5625048014834058, 1.401713103411865,
            1.042568940999138, 0.5423179633348625]       # PyTorch 2.13
    np.testing.assert_allclose(w.grad.numpy().ravel(), want, rtol=1e-10, atol=1e-10)
    assert w.grad.is_contiguous()


@pytest.mark.parametrize("shape,groups,stride,padding,want_chunks", [
    ((4, 2, 48, 48), 2, 1, 0, 32),      # flat windows, pitch 48: K per group 4*46*48
    ((7, 2, 72, 72), 2, 2, 1, 16),      # K = 7*36*36 = 9072: 16 divides it, 32 does not
    ((9, 3, 64, 64), 1, 2, 1, 32),      # strided: K = 9*32*32 = 9216
    ((3, 3, 40, 40), 1, 1, 1, 0),       # K = 3*40*42 = 5040: too short, a plain gemm
])
def test_matches_direct_correlation(chunks, shape, groups, stride, padding, want_chunks):
    rng = np.random.default_rng(8)
    x0 = rng.standard_normal(shape)
    c = shape[1]
    w = disttrain.tensor(rng.standard_normal((2 * groups, c // groups, 3, 3)),
                         requires_grad=True)
    y = F.conv2d(disttrain.tensor(x0), w, stride=stride, padding=padding, groups=groups)
    r = rng.standard_normal(tuple(y.shape))
    (y * disttrain.tensor(r)).sum().backward()
    assert chunks[-1] == want_chunks
    xp = np.pad(x0, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = y.shape[2], y.shape[3]
    want = np.zeros(tuple(w.shape))
    og, cg = 2, c // groups
    for i in range(3):
        for j in range(3):
            win = xp[:, :, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride]
            for g in range(groups):
                want[g * og:(g + 1) * og, :, i, j] = np.einsum(
                    "nohw,nchw->oc", r[:, g * og:(g + 1) * og], win[:, g * cg:(g + 1) * cg])
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-10, atol=1e-9)


def test_chunk_choice():
    assert conv_ops._k_chunks(25 * 6, 64 * 24 * 24) == 32
    assert conv_ops._k_chunks(150, 8192 + 16) == 16
    assert conv_ops._k_chunks(150, 8192 + 8) == 8
    assert conv_ops._k_chunks(150, 8193) == 0              # no chunk count divides it
    assert conv_ops._k_chunks(27 * 64, 1 << 16) == 0       # a larger product: plain gemm


def test_gradcheck_with_zeros_in_the_input(chunks):
    rng = np.random.default_rng(9)
    x0 = rng.standard_normal((8, 1, 34, 34))
    x0[:, :, :5] = 0.0
    x = disttrain.tensor(x0)
    w = disttrain.tensor(rng.standard_normal((1, 1, 3, 3)), requires_grad=True)
    b = disttrain.tensor([0.5], dtype=disttrain.float64, requires_grad=True)
    assert gradcheck(lambda w, b: F.conv2d(x, w, b).tanh(), (w, b))
    assert 32 in chunks
