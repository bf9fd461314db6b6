"""Large convolution weight gradients (the blocked transposing copy) against a direct sum."""
import numpy as np
import pytest

import disttrain
import disttrain.nn.functional as F


@pytest.mark.parametrize("groups,stride", [(1, 1), (2, 2)])
def test_large_weight_gradient_matches_direct_correlation(groups, stride):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 64, 5, 5))
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
