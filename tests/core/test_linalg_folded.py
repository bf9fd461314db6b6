"""Linear and matmul on (..., k) @ (k, m): computed as one 2-d product on the folded leading
dims, whatever the input's layout (contiguous, a transposed batch-first view, a strided
slice, empty)."""
import numpy as np

import disttrain
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck

from .conftest import assert_close, leaf, randn

W = [[0.5, -1.0, 0.25, 2.0], [1.5, 0.0, -0.5, 1.0], [-2.0, 0.75, 1.0, -0.25]]


def _seq_first():
    """A (T=3, B=2, E=4) float32 tensor: its transpose(0, 1) is a batch-first view."""
    return disttrain.tensor(np.arange(24, dtype=np.float32).reshape(3, 2, 4) / 10 - 1)


def test_linear_on_transposed_view_matches_pytorch():
    x = _seq_first().requires_grad_()
    w, b = disttrain.tensor(W), disttrain.tensor([0.1, -0.2, 0.3])
    xt = x.transpose(0, 1)
    assert not xt.is_contiguous()
    y = F.linear(xt, w, b)
    # PyTorch 2.13: F.linear(x.transpose(0, 1), w, b)
    assert_close(y, [[[-1.1, -2.0, 1.0], [0.3, -0.4, 0.6], [1.7, 1.2, 0.2]],
                     [[-0.4, -1.2, 0.8], [1.0, 0.4, 0.4], [2.4, 2.0, 0.0]]], atol=1e-6)
    assert y.is_contiguous() and y.dtype == disttrain.float32
    (y * disttrain.arange(18.0).reshape(2, 3, 3)).sum().backward()
    assert_close(x.grad, [[[-2.5, 1.5, 1.5, 0.5], [-2.5, -0.75, 8.25, 25.25]],
                          [[-2.5, 0.75, 3.75, 8.75], [-2.5, -1.5, 10.5, 33.5]],
                          [[-2.5, 0.0, 6.0, 17.0], [-2.5, -2.25, 12.75, 41.75]]], atol=1e-5)


def test_matmul_3d_by_2d_on_transposed_view():
    x = _seq_first()
    w = disttrain.tensor(W)
    y = x.transpose(0, 1) @ w.t()
    ref = np.arange(24, dtype=np.float32).reshape(3, 2, 4).transpose(1, 0, 2) / 10 - 1
    assert_close(y, ref @ np.array(W, np.float32).T, atol=1e-6)
    assert abs(float(y.sum()) - 5.70000029) < 1e-5        # PyTorch 2.13


def test_linear_gradcheck_strided_and_4d():
    # leading dims that cannot merge (transposed), a sliced last dim, 4 dims, a zero row
    base = randn(3, 2, 8, seed=1)
    base[0, 1] = 0.0
    x, w, b = leaf(base), leaf(randn(5, 4, seed=2)), leaf(randn(5, seed=3))
    assert gradcheck(lambda x, w, b: F.linear(x.transpose(0, 1)[..., ::2], w, b), (x, w, b))
    x4 = leaf(randn(2, 3, 2, 4, seed=4))
    assert gradcheck(lambda x, w: F.linear(x.permute(2, 0, 1, 3), w), (x4, w))
    assert gradcheck(lambda x, w: x.transpose(0, 2).matmul(w.t()), (x4, w))


def test_empty_leading_dims():
    w = disttrain.tensor(W)
    y = F.linear(disttrain.zeros(0, 2, 4), w, disttrain.zeros(3))
    assert tuple(y.shape) == (0, 2, 3)
    assert tuple((disttrain.zeros(2, 0, 4) @ w.t()).shape) == (2, 0, 3)
    # no inner dim: the product is zeros, plus the bias
    y = F.linear(disttrain.zeros(2, 3, 0), disttrain.zeros(3, 0), disttrain.tensor([1.0, 2, 3]))
    assert_close(y, np.broadcast_to([1.0, 2, 3], (2, 3, 3)))


def test_integer_and_float64_keep_dtype():
    a = disttrain.arange(24).reshape(2, 3, 4).transpose(0, 1)
    m = disttrain.arange(8).reshape(4, 2)
    y = a @ m
    assert y.dtype == disttrain.int64
    assert_close(y, np.arange(24).reshape(2, 3, 4).transpose(1, 0, 2) @ np.arange(8).reshape(4, 2))
