"""leaky_relu's forward as max(x, slope·x) (min above slope 1): values, signed zeros, nan
and infinities against PyTorch for slopes 0, 0.2, 1, 3 and a negative one; gradients."""
import math

import numpy as np
import pytest

import disttrain
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck, gradgradcheck

X = [-math.inf, -1e38, -3.0, -0.0, 0.0, 1e-45, 2.5, 1e38, math.inf, math.nan]
WANT = {   # PyTorch 2.13, float32
    0.2: [-math.inf, -1.9999999867631625e+37, -0.6000000238418579, -0.0, 0.0,
          1.401298464324817e-45, 2.5, 9.999999680285692e+37, math.inf, math.nan],
    0.0: [math.nan, -0.0, -0.0, -0.0, 0.0, 1.401298464324817e-45, 2.5,
          9.999999680285692e+37, math.inf, math.nan],
    -0.5: [math.inf, 4.999999840142846e+37, 1.5, 0.0, -0.0, 1.401298464324817e-45, 2.5,
           9.999999680285692e+37, math.inf, math.nan],
    1.0: [-math.inf, -9.999999680285692e+37, -3.0, -0.0, 0.0, 1.401298464324817e-45, 2.5,
          9.999999680285692e+37, math.inf, math.nan],
    3.0: [-math.inf, -3.0000000054977558e+38, -9.0, -0.0, 0.0, 1.401298464324817e-45, 2.5,
          9.999999680285692e+37, math.inf, math.nan],
}


@pytest.mark.parametrize("slope", sorted(WANT))
def test_values_match_pytorch(slope):
    out = F.leaky_relu(disttrain.tensor(X), slope).numpy()
    want = np.array(WANT[slope], np.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, want)
    real = ~np.isnan(want)
    np.testing.assert_array_equal(np.signbit(out[real]), np.signbit(want[real]))  # -0.0


def test_module_float64_and_in_place():
    x = disttrain.tensor([-2.0, 0.5], dtype=disttrain.float64)
    assert F.leaky_relu(x).tolist() == [-0.02, 0.5]
    y = x.clone()
    F.leaky_relu_(y, 0.1)
    assert y.tolist() == [-0.2, 0.5]


def test_gradcheck():
    rng = np.random.default_rng(11)
    a = rng.standard_normal((3, 5))
    a[np.abs(a) < 0.05] += 0.2                              # away from the kink
    x = disttrain.tensor(a, requires_grad=True)
    for slope in (0.01, 0.0, 2.5, -0.3):
        assert gradcheck(lambda t: F.leaky_relu(t, slope), (x,))
        assert gradgradcheck(lambda t: F.leaky_relu(t, slope), (x,))
