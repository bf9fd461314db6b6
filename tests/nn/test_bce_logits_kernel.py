"""binary_cross_entropy_with_logits and softplus share one vectorised softplus kernel:
values against PyTorch at the extremes (|x| up to 1e4, infinities), float32 and float64,
and gradients by finite differences."""
import math

import numpy as np

import disttrain
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck

X = [-1e4, -100.0, -20.0, -1.0, 0.0, 1e-8, 0.5, 3.0, 20.0, 100.0, 1e4]
T = [1.0, 0.0, 1.0, 0.25, 1.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.0]


def test_bce_with_logits_extremes_match_pytorch():
    x, t = disttrain.tensor(X), disttrain.tensor(T)
    out = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    assert out.dtype == disttrain.float32
    want = [10000.0, 0.0, 20.0, 0.5632617473602295, 0.6931471824645996, 0.6931471824645996,
            0.4740769863128662, 1.5485873222351074, 20.0, 3.923635700109488e-44, 10000.0]
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6, atol=5e-45)  # denormal ulps
    out = F.binary_cross_entropy_with_logits(x, t, pos_weight=disttrain.tensor(3.0),
                                             reduction="none")
    want = [30000.0, 0.0, 60.0, 1.2198926210403442, 2.079441547393799, 0.6931471824645996,
            1.4222309589385986, 1.5971746444702148, 20.0, 1.1770907100328463e-43, 10000.0]
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6, atol=5e-45)  # denormal ulps
    s = F.binary_cross_entropy_with_logits(x.double(), t.double(), reduction="sum")
    assert abs(float(s) - 20043.972220393513) < 1e-9


def test_bce_with_logits_infinities_are_nan_as_in_pytorch():
    out = F.binary_cross_entropy_with_logits(disttrain.tensor([-math.inf, math.inf]),
                                             disttrain.tensor([0.0, 1.0]), reduction="none")
    assert np.isnan(out.numpy()).all()


def test_softplus_extremes_match_pytorch():
    out = F.softplus(disttrain.tensor(X))
    want = [0.0, 3.7835058537e-44, 2.0611536922e-09, 3.1326168776e-01, 6.9314718246e-01,
            6.9314718246e-01, 9.7407698631e-01, 3.0485873222e+00, 20.0, 100.0, 1e4]
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6, atol=5e-45)  # denormal ulps


def test_bce_with_logits_gradcheck():
    rng = np.random.default_rng(10)
    x0 = rng.standard_normal((3, 4)) * 4
    x0[0, 0] = 0.0                                          # sigmoid's midpoint
    x = disttrain.tensor(x0, requires_grad=True)
    t = disttrain.tensor(rng.uniform(0, 1, (3, 4)), requires_grad=True)
    w = disttrain.tensor(rng.uniform(0.5, 2, (4,)), requires_grad=True)
    pw = disttrain.tensor(rng.uniform(0.5, 2, (4,)), requires_grad=True)
    assert gradcheck(lambda *a: F.binary_cross_entropy_with_logits(
        a[0], a[1], weight=a[2], pos_weight=a[3]), (x, t, w, pw))
    assert gradcheck(lambda a: F.softplus(a, beta=2.0), (x,))
