"""``float_sum``: sums over the channels-free axes, trailing runs and leading axes of
contiguous float arrays as matrix-vector products, equal to numpy's sums to rounding."""
import numpy as np
import pytest

import disttrain as torch
from disttrain.autograd import gradcheck
from disttrain.core.ops._util import MATVEC_RUN, float_sum

CASES = [((8, 64, 128), (2,)), ((8, 4, 64, 64), (3,)), ((8, 64, 128), (1, 2)),
         ((2048, 512), (0,)), ((8, 64, 512), (0, 1)), ((16, 32, 5, 5), (0, 2, 3)),
         ((4, MATVEC_RUN + 8), (1,)), ((3, 300), (1,)), ((300, 3), (1,)), ((2, 3, 50), (0,)),
         ((6, 100), (0, 1))]


@pytest.mark.parametrize("shape,axes", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("keepdims", [True, False])
def test_equals_numpys_sum(shape, axes, dtype, keepdims):
    rng = np.random.default_rng(sum(shape))
    a = rng.standard_normal(shape).astype(dtype)
    a.reshape(-1)[::97] = 0.0
    got = float_sum(a, axes, keepdims)
    want = a.astype(np.float64).sum(axis=axes, keepdims=keepdims)
    assert got.shape == want.shape and got.dtype == dtype
    run = np.prod([shape[i] for i in axes])
    tol = (2e-6 if dtype == np.float32 else 1e-14) * np.sqrt(run) * np.abs(a).max()
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)


def test_nan_and_inf_propagate_and_views_fall_back():
    a = np.ones((64, 32), np.float32)
    a[3, 5], a[7, 0], a[7, 1], a[9, 2] = np.nan, np.inf, -np.inf, np.inf
    rows, cols = float_sum(a, (1,), False), float_sum(a, (0,), False)
    assert np.isnan(rows[3]) and np.isnan(rows[7]) and rows[9] == np.inf and rows[0] == 32
    assert np.isnan(cols[5]) and cols[0] == np.inf and cols[1] == -np.inf and cols[2] == np.inf
    assert cols[3] == 64
    view = np.arange(4096, dtype=np.float32).reshape(64, 64)[:, ::2]
    np.testing.assert_array_equal(float_sum(view, (1,), False), view.sum(1))


def test_tensor_reductions_on_the_fast_paths_match_pytorch():
    # PyTorch 2.13: x = torch.arange(4*130, dtype=torch.float32).reshape(4, 130) / 7
    x = torch.arange(4 * 130, dtype=torch.float32).reshape(4, 130) / 7
    assert x.sum(-1).tolist() == pytest.approx([1197.8570556640625, 3612.142822265625,
                                                6026.4287109375, 8440.7138671875], rel=1e-6)
    assert x.mean(0)[:3].tolist() == pytest.approx([27.85714340209961, 28.0, 28.14285659790039],
                                                   rel=1e-6)


def test_gradients_through_the_fast_paths():
    x = torch.randn(3, 4, 90, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda t: t.sum(-1), (x,))
    assert gradcheck(lambda t: t.mean((0, 1)), (x,))
    assert gradcheck(lambda t: torch.softmax(t, -1), (x,))
    assert gradcheck(lambda t: torch.nn.functional.layer_norm(t, (90,)), (x,))
