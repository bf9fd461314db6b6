"""The float32 fast paths of erf, GELU, SiLU and scalar powers give PyTorch's numbers."""
import numpy as np
import pytest

import disttrain
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck, gradgradcheck
from disttrain.core.ops.nn_ops import erf_array

XS = [-9.0, -4.0, -3.9, -2.5, -1.3524, -0.93, -0.92, -0.5, -1e-3, -1e-30, 0.0, 1e-20, 0.1, 0.4,
      0.927, 0.928, 1.0, 1.5, 2.2, 3.1, 3.92773, 4.5, 10.0]
# torch.erf / F.gelu of XS in float32 (PyTorch 2.13)
ERF = [-1.0, -1.0, -0.9999999403953552, -0.9995930194854736, -0.9441984295845032,
       -0.8115635514259338, -0.8067677021026611, -0.5204998850822449, -0.001128378789871931,
       -1.1283792206876573e-30, 0.0, 1.1283791263479627e-20, 0.11246291548013687,
       0.42839235067367554, 0.8101341128349304, 0.8106114864349365, 0.8427007794380188,
       0.9661051630973816, 0.9981371760368347, 0.9999883770942688, 0.9999999403953552, 1.0, 1.0]
GELU = [-0.0, -0.0001264810562133789, -0.00018770992755889893, -0.015524178743362427,
        -0.11917854100465775, -0.16385255753993988, -0.1644834578037262, -0.1542687714099884,
        -0.0004996010684408247, -5.000000015855384e-31, 0.0, 4.999999841327613e-21,
        0.05398278310894966, 0.2621687054634094, 0.7629550099372864, 0.7640188336372375,
        0.8413447141647339, 1.3997890949249268, 2.16941237449646, 3.0970003604888916,
        3.9275615215301514, 4.499984264373779, 10.0]
GELU_TANH = [-0.0, -7.021427154541016e-05, -0.00011216104030609131, -0.015084296464920044,
             -0.11941202729940414, -0.16398049890995026, -0.16460788249969482,
             -0.1542859971523285, -0.0004996010684408247, -5.000000015855384e-31, 0.0,
             4.999999841327613e-21, 0.053982753306627274, 0.26216116547584534,
             0.7628281116485596, 0.7638916373252869, 0.8411920070648193, 1.3995715379714966,
             2.1696784496307373, 3.0973732471466064, 3.927631378173828, 4.49999475479126, 10.0]


def _ulps(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float32)
    return np.abs(got - want) / np.spacing(np.maximum(np.abs(want), np.float32(1e-38)))


def test_erf_float32_within_one_ulp_of_pytorch():
    y = erf_array(np.array(XS, np.float32))
    assert y.dtype == np.float32
    assert _ulps(y, ERF).max() <= 1.0


def test_erf_float32_dense_grid_against_float64():
    """On a dense grid (tails included) the float32 kernel is within 1.5 ulp of the exact
    value, and monotone, odd and saturating as erf is."""
    x = np.linspace(-7, 7, 200001).astype(np.float32)
    y32 = erf_array(x)
    exact = erf_array(x.astype(np.float64))
    assert _ulps(y32, exact.astype(np.float32)).max() <= 1.5
    assert np.all(np.diff(y32) >= 0)
    np.testing.assert_array_equal(y32, -erf_array(-x))
    special = erf_array(np.array([np.inf, -np.inf, np.nan, -0.0, 1e-45], np.float32))
    assert special[0] == 1 and special[1] == -1 and np.isnan(special[2])
    assert special[3] == 0 and np.signbit(special[3]) and special[4] == np.float32(1e-45)


def test_erf_float64_stays_exact():
    import math
    x = np.linspace(-6, 6, 1201)
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf_array(x), want, rtol=4e-16, atol=1e-300)


@pytest.mark.parametrize("approximate,expected", [("none", GELU), ("tanh", GELU_TANH)])
def test_gelu_float32_matches_pytorch(approximate, expected):
    """Within 2 ulp, or for negative x (where 1 + erf(x/√2) cancels, in PyTorch's kernel as
    in ours) within |x|/2 times 1 ulp of 1, erf's own error near -1."""
    y = F.gelu(disttrain.tensor(XS), approximate=approximate).numpy()
    assert y.dtype == np.float32
    slack = np.abs(np.array(XS)) * 0.5 * 2.0 ** -23
    assert np.all((_ulps(y, expected) <= 2.0) | (np.abs(y - np.array(expected)) <= slack))


@pytest.mark.parametrize("fn", [lambda x: F.gelu(x), lambda x: F.gelu(x, approximate="tanh"),
                                F.silu])
def test_fused_activation_backward_gradchecks_to_second_order(fn):
    x = disttrain.tensor([-3.0, -1.2, -0.4, 0.0, 0.3, 1.1, 2.5], dtype=disttrain.float64,
                         requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


X2 = [-2.5, -1.1, -0.3, 0.7, 1.7, 3.3]
POW = {3: [-15.625, -1.3310000896453857, -0.027000002562999725, 0.34299999475479126,
           4.913000106811523, 35.93699645996094],
       -1: [-0.4000000059604645, -0.9090908765792847, -3.3333332538604736, 1.4285714626312256,
            0.5882352590560913, 0.3030303120613098],
       -2: [0.1599999964237213, 0.8264462351799011, 11.11111068725586, 2.040816307067871,
            0.34602075815200806, 0.09182737022638321],
       -0.5: [0.6324555277824402, 0.9534626007080078, 1.8257417678833008, 1.1952285766601562,
              0.7669649720191956, 0.550481915473938]}


@pytest.mark.parametrize("p", [3, 3.0, -1, -2, -0.5])
def test_special_powers_equal_pytorch_bit_for_bit(p):
    x = disttrain.tensor(X2)
    if p == -0.5:
        x = x.abs()
    y = x ** p
    assert y.dtype == disttrain.float32
    np.testing.assert_array_equal(y.numpy(), np.array(POW[p], np.float32))


def test_special_powers_edge_values_and_integers():
    x = disttrain.tensor([0.0, -0.0, float("inf"), -1.0])
    with np.errstate(all="raise"):      # no floating-point warnings escape
        assert x.pow(-1).tolist() == [float("inf"), float("-inf"), 0.0, -1.0]
        assert x.pow(-2).tolist() == [float("inf"), float("inf"), 0.0, 1.0]
        r = x.pow(-0.5).tolist()
    assert r[:3] == [float("inf"), float("-inf"), 0.0] and np.isnan(r[3])
    i = disttrain.tensor([-3, 2, 5])
    assert (i ** 3).tolist() == [-27, 8, 125] and (i ** 3).dtype == disttrain.int64
    x = disttrain.tensor([0.5, -1.5, 2.0], dtype=disttrain.float64, requires_grad=True)
    for p in (3, -1, -2, 1):
        assert gradcheck(lambda t: t ** p, (x,))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_bitmask_select_equals_where(dtype):
    from disttrain.core.ops._util import keep_where, select
    rng = np.random.default_rng(5)
    a = rng.standard_normal(1000).astype(dtype)
    b = rng.standard_normal(1000).astype(dtype)
    a[:4] = [np.inf, -np.inf, np.nan, -0.0]
    b[4:8] = [np.inf, -np.inf, np.nan, -0.0]
    cond = rng.standard_normal(1000) > 0
    cond[:8] = [False, False, False, False, True, True, True, True]
    got = select(np, cond, a, b)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, np.where(cond, a, b))
    assert np.signbit(select(np, cond, b, a)[7])        # -0.0 keeps its sign
    kept = keep_where(np, cond, a)
    np.testing.assert_array_equal(kept, np.where(cond, a, 0))
    assert not np.isnan(kept[:4]).any()
    # other operands (a scalar, broadcasting) fall back to where
    np.testing.assert_array_equal(select(np, cond, a, np.float32(2)), np.where(cond, a, 2))
    np.testing.assert_array_equal(select(np, cond[:, None] & True, a[:, None], b[None, :2]),
                                  np.where(cond[:, None], a[:, None], b[None, :2]))


def test_relu_gradient_zero_where_output_is_not_positive_even_for_inf():
    x = disttrain.tensor([-1.0, 0.0, 2.0, float("nan")], requires_grad=True)
    y = disttrain.relu(x)
    y.backward(disttrain.tensor([float("inf"), float("nan"), 3.0, 4.0]))
    got = x.grad.tolist()
    assert got[:3] == [0.0, 0.0, 3.0] and got[3] == 4.0


def test_leaky_relu_selects_without_branches_and_differentiates_twice():
    x = disttrain.tensor([-2.0, -0.5, 0.0, 0.7, 3.0], dtype=disttrain.float64,
                         requires_grad=True)
    y = F.leaky_relu(x, 0.2)
    assert y.tolist() == [-0.4, -0.1, 0.0, 0.7, 3.0]
    y.backward(disttrain.tensor([1.0, float("inf"), 5.0, 2.0, float("nan")],
                                dtype=disttrain.float64))
    g = x.grad.tolist()
    assert g[:4] == [0.2, float("inf"), 1.0, 2.0] and np.isnan(g[4])
    x = disttrain.tensor([-2.0, -0.5, 0.7, 3.0], dtype=disttrain.float64, requires_grad=True)
    assert gradgradcheck(lambda t: F.leaky_relu(t, 0.2) * t, (x,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_of_a_large_array_goes_through_in_blocks_with_the_same_values(dtype):
    """More elements than one block of zeros, specials at the block edges, and a
    non-contiguous view: relu gives numpy's maximum(x, 0) everywhere (nan kept)."""
    n = 3 * (1 << 17) + 5
    x = np.random.default_rng(3).standard_normal(n).astype(dtype)
    x[[0, (1 << 17) - 1, 1 << 17, n - 1]] = [np.nan, -np.inf, np.inf, -0.0]
    for arr in (x, x[::3]):
        got = disttrain.relu(disttrain.tensor(arr)).numpy()
        np.testing.assert_array_equal(got, np.maximum(arr, 0))
        assert got.dtype == dtype


def test_relu_keeps_the_sign_bit_of_zero_and_nan_as_pytorch():
    """PyTorch 2.13: relu(tensor([-0., 0., nan, -nan, -inf, 3.])) prints
    tensor([-0., 0., nan, nan, 0., 3.]) with the sign bits of -0. and -nan kept."""
    special = [-0.0, 0.0, np.nan, -np.nan, -np.inf, 3.0]
    for n in (1, 4000):      # the direct path and the blocked one
        x = np.tile(np.array(special, np.float32), n)
        got = disttrain.relu(disttrain.tensor(x))
        np.testing.assert_array_equal(np.signbit(got.numpy()), np.signbit(x) & (x != -np.inf))
    assert str(disttrain.relu(disttrain.tensor(special))) == \
        "tensor([-0., 0., nan, nan, 0., 3.])"
