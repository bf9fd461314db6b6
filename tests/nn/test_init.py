"""nn.init: gains, fans, each scheme's distribution or values, in-place and outside autograd."""
import math
import warnings

import numpy as np
import pytest

import disttrain as torch
from disttrain import nn
from disttrain.nn import init


def test_calculate_gain_matches_pytorch():
    """Gains for each nonlinearity equal PyTorch's."""
    names = ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
    want = [1, 1, 1, 1.6666666666666667, 1.4142135623730951, 1.4141428569978354, 0.75]
    assert [init.calculate_gain(n) for n in names] == pytest.approx(want, rel=1e-15)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(1.3867504905630728)


def test_fan_in_fan_out():
    """Fans multiply channels by the receptive field (conv weights)."""
    assert init._calculate_fan_in_and_fan_out(torch.empty(16, 3, 5, 5)) == (75, 400)
    assert init._calculate_fan_in_and_fan_out(torch.empty(7, 4)) == (4, 7)


ERRORS = [
    (lambda: init.calculate_gain("foo"), "Unsupported nonlinearity foo"),
    (lambda: init.calculate_gain("leaky_relu", "x"), "negative_slope x not a valid number"),
    (lambda: init._calculate_fan_in_and_fan_out(torch.empty(3)),
     "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"),
    (lambda: init.kaiming_uniform_(torch.empty(3, 3), mode="fan_avg"),
     "Mode fan_avg not supported, please use one of ['fan_in', 'fan_out']"),
    (lambda: init.eye_(torch.empty(2, 2, 2)), "Only tensors with 2 dimensions are supported"),
    (lambda: init.orthogonal_(torch.empty(3)),
     "Only tensors with 2 or more dimensions are supported"),
    (lambda: init.dirac_(torch.empty(3, 3)),
     "Only tensors with 3, 4, or 5 dimensions are supported"),
]


@pytest.mark.parametrize("fn,msg", ERRORS, ids=[m[:30] for _, m in ERRORS])
def test_errors(fn, msg):
    """Invalid arguments raise PyTorch's ValueError messages."""
    with pytest.raises(ValueError) as info:
        fn()
    assert str(info.value) == msg


def test_in_place_without_history_on_parameters():
    """Init functions fill a requires-grad leaf in place, return it, and record no graph."""
    w = nn.Parameter(torch.empty(30, 20))
    ptr = w.data_ptr()
    for fn in (init.uniform_, init.normal_, init.zeros_, init.ones_, init.xavier_uniform_,
               init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_,
               init.orthogonal_, init.trunc_normal_, init.eye_,
               lambda t: init.constant_(t, 0.3)):
        assert fn(w) is w
        assert w.grad_fn is None and w.is_leaf and w.requires_grad and w.data_ptr() == ptr


def test_constant_ones_zeros_eye_dirac_values():
    """Deterministic schemes give exactly PyTorch's values."""
    assert init.constant_(torch.empty(2), 0.5).tolist() == [0.5, 0.5]
    assert init.ones_(torch.empty(2)).tolist() == [1.0, 1.0]
    assert init.zeros_(torch.empty(2)).tolist() == [0.0, 0.0]
    assert init.eye_(torch.empty(2, 3)).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert init.dirac_(torch.empty(2, 3, 3)).tolist() == [
        [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]
    assert init.dirac_(torch.empty(4, 2, 3), groups=2).tolist() == [
        [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]


def _stats(t):
    a = t.numpy().astype(np.float64)
    return a.min(), a.max(), a.mean(), a.std()


@pytest.mark.parametrize("shape", [(256, 128), (64, 16, 3, 3)])
def test_random_schemes_have_the_documented_distribution(shape):
    """Bounds and standard deviations follow the formulas of each scheme."""
    torch.manual_seed(0)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    t = torch.empty(*shape)
    lo, hi, mean, _ = _stats(init.uniform_(t, -0.3, 0.7))
    assert -0.3 <= lo < -0.29 and 0.69 < hi <= 0.7 and abs(mean - 0.2) < 0.01
    _, _, mean, std = _stats(init.normal_(t, 1.0, 2.0))
    n = t.numel()           # within 5 standard errors: fails for a wrong formula, not by chance
    assert abs(mean - 1.0) < 5 * 2.0 / math.sqrt(n) and abs(std - 2.0) < 5 * 2.0 / math.sqrt(2 * n)
    a = math.sqrt(6.0 / (fan_in + fan_out))
    lo, hi, _, _ = _stats(init.xavier_uniform_(t))
    assert -a <= lo < -0.99 * a and 0.99 * a < hi <= a
    _, _, _, std = _stats(init.xavier_normal_(t, gain=2.0))
    assert abs(std - 2 * math.sqrt(2.0 / (fan_in + fan_out))) < 0.02 * std
    bound = math.sqrt(6.0 / fan_in)           # relu gain √2 times √(3/fan_in)
    lo, hi, _, _ = _stats(init.kaiming_uniform_(t, nonlinearity="relu"))
    assert -bound <= lo < -0.99 * bound and 0.99 * bound < hi <= bound
    _, _, _, std = _stats(init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"))
    assert abs(std - math.sqrt(2.0 / fan_out)) < 0.02 * std
    lo, hi, mean, _ = _stats(init.trunc_normal_(t, 0.5, 1.0, a=-1.0, b=1.5))
    assert -1.0 <= lo < -0.95 and 1.45 < hi <= 1.5


def test_orthogonal_rows_or_columns_are_orthonormal():
    """orthogonal_ gives QᵀQ = I (tall) or QQᵀ = I (wide), times the gain."""
    torch.manual_seed(0)
    tall = init.orthogonal_(torch.empty(6, 3), gain=2.0).numpy().astype(np.float64)
    np.testing.assert_allclose(tall.T @ tall, 4 * np.eye(3), atol=1e-5)
    wide = init.orthogonal_(torch.empty(3, 2, 4)).numpy().reshape(3, 8).astype(np.float64)
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-5)


def test_generator_and_seed_reproducibility():
    """A Generator argument or manual_seed reproduces the same draws."""
    g = torch.Generator().manual_seed(3)
    a = init.kaiming_uniform_(torch.empty(4, 4), generator=g).tolist()
    g.manual_seed(3)
    assert init.kaiming_uniform_(torch.empty(4, 4), generator=g).tolist() == a
    torch.manual_seed(9)
    b = init.trunc_normal_(torch.empty(10)).tolist()
    torch.manual_seed(9)
    assert init.trunc_normal_(torch.empty(10)).tolist() == b


def test_warnings():
    """Zero-element kaiming init warns; deprecated aliases warn with FutureWarning."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        init.kaiming_uniform_(torch.empty(0, 3))
        init.uniform(torch.empty(2))
    assert [str(w.message) for w in rec] == [
        "Initializing zero-element tensors is a no-op",
        "`nn.init.uniform` is now deprecated in favor of `nn.init.uniform_`."]
    assert [w.category for w in rec] == [UserWarning, FutureWarning]


def test_float64_tensors():
    """Schemes fill float64 tensors without changing their dtype."""
    t = torch.empty(5, 5, dtype=torch.float64)
    assert init.orthogonal_(t).dtype is torch.float64
    assert init.trunc_normal_(t).dtype is torch.float64


def test_deprecated_eye_dirac_sparse_aliases_warn_and_work():
    """eye/dirac/sparse (no underscore) warn as PyTorch does and fill like their _ forms."""
    with pytest.warns(FutureWarning, match="`nn.init.eye` is now deprecated in favor of "
                                           "`nn.init.eye_`."):
        assert init.eye(torch.empty(2, 3)).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    with pytest.warns(FutureWarning, match="`nn.init.dirac` is now deprecated"):
        assert init.dirac(torch.empty(1, 1, 3)).tolist() == [[[0.0, 1.0, 0.0]]]
    with pytest.warns(FutureWarning, match="`nn.init.sparse` is now deprecated"):
        t = init.sparse(torch.empty(4, 2), sparsity=0.5)
    assert (t == 0).sum(0).tolist() == [2, 2]
