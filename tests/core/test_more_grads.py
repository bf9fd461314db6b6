"""Gradients of the functions added for PyTorch parity: finite differences (float64) on
generic inputs, including overlapping strided windows, zeros and infinities; and, where
inputs tie (median, mode, cummax, amax scatter), the exact gradient PyTorch 2.13 gives."""
import numpy as np
import pytest

import disttrain as T
from disttrain.autograd import gradcheck, gradgradcheck

from .conftest import assert_close, leaf, randn

ix = lambda *v: T.tensor(list(v))  # noqa: E731

GRAD_CASES = {
    "diagonal": (lambda x: x.diagonal(1, 0, 2), [(3, 4, 5)]),
    "diagonal_neg": (lambda x: T.diagonal(x, -1), [(3, 4)]),
    "unfold_overlap": (lambda x: x.unfold(1, 3, 1), [(2, 5)]),
    "unfold_gap": (lambda x: x.unfold(0, 2, 3), [(8,)]),
    "as_strided_overlap": (lambda x: T.as_strided(x, (3, 3), (1, 1), 1), [(6,)]),
    "diag_embed": (lambda x: T.diag_embed(x, 1, 0, 2), [(2, 3)]),
    "diagflat": (lambda x: T.diagflat(x, -1), [(2, 2)]),
    "block_diag": (lambda a, b: T.block_diag(a, b), [(2, 2), (3,)]),
    "rot90": (lambda x: T.rot90(x, 3, [1, 2]), [(2, 3, 4)]),
    "tensor_split": (lambda x: T.tensor_split(x, 3, 1), [(2, 7)]),
    "dstack": (lambda a, b: T.dstack([a, b]), [(2, 3), (2, 3)]),
    "column_stack": (lambda a, b: T.column_stack([a, b]), [(3,), (3, 2)]),
    "repeat_interleave": (lambda x: x.repeat_interleave(ix(2, 0, 3), 1), [(2, 3)]),
    "take_wrap": (lambda x: T.take(x, ix(0, -1, 5, 5)), [(2, 3)]),
    "take_along_dim": (lambda x: T.take_along_dim(x, ix([0], [2]), 1), [(2, 3)]),
    "put_accumulate": (lambda x, s: T.put(x, ix(1, 4, 1), s, accumulate=True), [(2, 3), (3,)]),
    "index_put": (lambda x, v: T.index_put(x, (ix(0, 2), ix(1, 1)), v), [(3, 3), (2,)]),
    "masked_scatter": (lambda x, s: T.masked_scatter(
        x, T.tensor([[True, False], [False, True]]), s), [(2, 2), (3,)]),
    "scatter_reduce_sum": (lambda x, s: T.scatter_reduce(x, 0, ix(0, 0, 2), s, "sum"),
                           [(3,), (3,)]),
    "scatter_reduce_mean": (lambda x, s: T.scatter_reduce(
        x, 0, ix(0, 0, 2), s, "mean", include_self=False), [(3,), (3,)]),
    "scatter_reduce_prod": (lambda x, s: T.scatter_reduce(x, 0, ix(0, 0, 2), s, "prod"),
                            [(3,), (3,)]),
    "scatter_reduce_amax": (lambda x, s: T.scatter_reduce(x, 0, ix(0, 0, 2), s, "amax"),
                            [(3,), (3,)]),
    "select_scatter": (lambda x, s: T.select_scatter(x, s, 1, 0), [(2, 3), (2,)]),
    "slice_scatter": (lambda x, s: T.slice_scatter(x, s, 0, 0, 4, 2), [(4, 2), (2, 2)]),
    "diagonal_scatter": (lambda x, s: T.diagonal_scatter(x, s, 1), [(3, 3), (2,)]),
    "cartesian_prod": (lambda a, b: T.cartesian_prod(a, b), [(2,), (3,)]),
    "combinations": (lambda x: T.combinations(x, 2, True), [(3,)]),
    "meshgrid_xy": (lambda a, b: T.meshgrid(a, b, indexing="xy"), [(2,), (3,)]),
    "asinh": (lambda x: T.asinh(x), [(3, 4)]),
    "acosh": (lambda x: T.acosh(x.abs() + 1.2), [(3, 4)]),
    "copysign": (lambda a, b: T.copysign(a, b), [(3, 4), (3, 4)]),
    "copysign_zero_sign": (lambda a: T.copysign(a, T.tensor([-0.0, 0.0, -1.0, 2.0],
                                                            dtype=T.float64)), [(3, 4)]),
    "clamp_min_max": (lambda x: T.clamp_max(T.clamp_min(x, -0.5), 0.5), [(3, 4)]),
    "mode_distinct": (lambda x: T.mode(x, 1)[0], [(3, 4)]),
    "msort": (lambda x: T.msort(x), [(4, 3)]),
    "segment_reduce": (lambda x: T.segment_reduce(x, "max", lengths=T.tensor([2, 0, 3]),
                                                  initial=-1.0), [(5,)]),
    "segment_reduce_mean": (lambda x: T.segment_reduce(x, "mean", lengths=T.tensor([3, 2]),
                                                       axis=0), [(5, 2)]),
    "vander": (lambda x: T.vander(x, 4), [(3,)]),
    "gradient": (lambda x: T.gradient(x, spacing=0.5, edge_order=2)[0], [(6,)]),
    "gradient_coords": (lambda x: T.gradient(x, spacing=(T.tensor(
        [0.0, 1.0, 1.5, 3.5], dtype=T.float64),))[0], [(4,)]),
    "fill_tensor_value": (lambda v: T.fill(T.ones(2, 3, dtype=T.float64), v.sum()), [(2,)]),
    "index_reduce_amax": (lambda x, s: x.index_reduce(0, ix(0, 2, 0), s, "amax"),
                          [(3, 2), (3, 2)]),
    "rot90_2": (lambda x: T.rot90(x, 2), [(3, 4)]),
    "hsplit_vsplit": (lambda x: T.hsplit(x, 2)[1].sum() * T.vsplit(x, [1])[0], [(2, 4)]),
    "atleast_3d": (lambda x: T.atleast_3d(x), [(2, 3)]),
    "fliplr_flipud": (lambda x: T.fliplr(x) + T.flipud(x), [(3, 3)]),
    "atanh": (lambda x: T.atanh(x * 0.3), [(3, 4)]),
    "logaddexp": (lambda a, b: T.logaddexp(a, b * 30), [(3, 4), (4,)]),
    "logaddexp2": (lambda a, b: T.logaddexp2(a, b), [(3, 4), (3, 4)]),
    "hypot": (lambda a, b: T.hypot(a, b), [(3, 4), (3, 4)]),
    "fmax": (lambda a, b: T.fmax(a, b), [(3, 4), (3, 4)]),
    "fmin": (lambda a, b: T.fmin(a, b), [(3, 4), (4,)]),
    "addmm": (lambda i, a, b: T.addmm(i, a, b, beta=0.5, alpha=2), [(2, 1), (2, 3), (3, 2)]),
    "addmm_beta0": (lambda i, a, b: T.addmm(i, a, b, beta=0), [(2, 2), (2, 3), (3, 2)]),
    "addbmm": (lambda i, a, b: T.addbmm(i, a, b), [(2, 2), (3, 2, 4), (3, 4, 2)]),
    "baddbmm": (lambda i, a, b: T.baddbmm(i, a, b, alpha=-1), [(3, 2, 2), (3, 2, 4),
                                                                 (3, 4, 2)]),
    "addmv": (lambda i, a, b: T.addmv(i, a, b), [(2,), (2, 3), (3,)]),
    "addr": (lambda i, a, b: T.addr(i, a, b, beta=2), [(2, 3), (2,), (3,)]),
    "chain_matmul": (lambda a, b, c: T.chain_matmul(a, b, c), [(2, 3), (3, 4), (4, 2)]),
    "exp2": (lambda x: T.exp2(x), [(3,)]),
    "ldexp": (lambda x: T.ldexp(x, ix(1, -2, 0)), [(3,)]),
    "float_power": (lambda a, b: T.float_power(a.abs() + 0.5, b), [(3,), (3,)]),
    "deg2rad": (lambda x: T.rad2deg(T.deg2rad(x)), [(3,)]),
    "cummax": (lambda x: T.cummax(x, 1)[0], [(3, 5)]),
    "cummin": (lambda x: T.cummin(x, 0)[0], [(4, 2)]),
    "logcumsumexp": (lambda x: T.logcumsumexp(x * 5, 1), [(3, 5)]),
    "median_dim": (lambda x: T.median(x, 1, True)[0], [(3, 5)]),
    "median_all": (lambda x: T.median(x), [(3, 4)]),
    "nanmedian": (lambda x: T.nanmedian(x, 0)[0], [(4, 3)]),
    "kthvalue": (lambda x: T.kthvalue(x, 2, 0)[0], [(4, 3)]),
    "quantile_linear": (lambda x: T.quantile(x, T.tensor([0.1, 0.5, 0.9],
                                                           dtype=T.float64), 1), [(2, 6)]),
    "quantile_midpoint": (lambda x: T.quantile(x, 0.3, interpolation="midpoint"), [(7,)]),
    "nanquantile": (lambda x: T.nanquantile(x, 0.4, 0, keepdim=True), [(5, 2)]),
    "nansum": (lambda x: T.nansum(x, 1), [(3, 4)]),
    "nanmean": (lambda x: T.nanmean(x, 0), [(3, 4)]),
    "diff": (lambda x, p: T.diff(x, 2, 0, prepend=p), [(4, 3), (1, 3)]),
    "trapezoid_x": (lambda y, x: T.trapezoid(y, x), [(3, 4), (4,)]),
    "cumulative_trapezoid": (lambda y: T.cumulative_trapezoid(y, dx=0.5, dim=0), [(4, 3)]),
    "renorm": (lambda x: T.renorm(x, 2, 0, 1.0), [(3, 4)]),
    "cov": (lambda x, w: T.cov(x, aweights=w.abs() + 0.5), [(3, 5), (5,)]),
    "corrcoef": (lambda x: T.corrcoef(x), [(3, 5)]),
    "aminmax": (lambda x: T.aminmax(x, dim=0), [(3, 4)]),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_gradcheck(name):
    """The analytic gradient matches finite differences."""
    fn, shapes = GRAD_CASES[name]
    leaves = [leaf(randn(*s, seed=i + 1)) for i, s in enumerate(shapes)]
    assert gradcheck(fn, leaves)


@pytest.mark.parametrize("name", ["diagonal", "unfold_overlap", "logcumsumexp", "logaddexp",
                                  "quantile_linear", "cumulative_trapezoid", "addmm"])
def test_gradgradcheck(name):
    """Second derivatives are right too (backward is built from differentiable ops)."""
    fn, shapes = GRAD_CASES[name]
    leaves = [leaf(randn(*s, seed=i + 1)) for i, s in enumerate(shapes)]
    assert gradgradcheck(fn, leaves)


def _grad(fn, arr):
    x = leaf(arr)
    out = fn(x)
    out = out[0] if isinstance(out, tuple) else out
    out.backward(T.arange(1.0, out.numel() + 1, dtype=T.float64).reshape(out.shape))
    return x.grad


TIES = [
    (lambda x: T.cummax(x, 0), [1.0, 3.0, 3.0, 2.0, 5.0, 5.0],
     [1.0, 2.0, 7.0, 0.0, 5.0, 6.0]),
    (lambda x: T.cummin(x, 0), [2.0, 1.0, 1.0, 4.0], [1.0, 2.0, 7.0, 0.0]),
    (lambda x: T.median(x, 1), [[2.0, 1.0, 2.0, 1.0, 3.0], [4.0, 4.0, 4.0, 1.0, 1.0]],
     [[1.0, 0.0, 0.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0, 0.0]]),
    (lambda x: T.mode(x, 1), [[2.0, 1.0, 2.0, 1.0, 3.0], [4.0, 4.0, 4.0, 1.0, 1.0]],
     [[0.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 2.0, 0.0, 0.0]]),
    (lambda x: T.kthvalue(x, 2, 1), [[2.0, 1.0, 2.0, 1.0, 3.0], [4.0, 4.0, 4.0, 1.0, 1.0]],
     [[0.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 2.0]]),
    (lambda x: T.quantile(x, 0.5, 1), [[1.0, 1.0, 2.0, 2.0]], [[0.0, 0.5, 0.5, 0.0]]),
    (lambda x: T.scatter_reduce(T.zeros(2, dtype=T.float64), 0, ix(0, 0, 0, 1), x, "amax",
                                include_self=False), [1.0, 5.0, 5.0, 2.0],
     [0.0, 0.5, 0.5, 2.0]),
    (lambda x: T.scatter_reduce(T.ones(2, dtype=T.float64) * 5, 0, ix(0, 0, 0, 1), x, "prod"),
     [1.0, 5.0, 0.0, 2.0], [0.0, 0.0, 25.0, 10.0]),
    (lambda x: T.logcumsumexp(x, 0), [0.0, float("-inf"), 0.0],
     [1.0 / 1 + 2.0 / 1 + 3.0 / 2, 0.0, 3.0 / 2]),
]


@pytest.mark.parametrize("case", range(len(TIES)))
def test_gradient_with_ties_matches_pytorch(case):
    """Where values tie, the gradient goes to the element PyTorch picks."""
    fn, arr, expected = TIES[case]
    assert_close(_grad(fn, arr), np.array(expected))


def test_logcumsumexp_stays_finite_over_a_wide_range():
    """No overflow or underflow: the early small terms keep their own value."""
    x = T.tensor([-1000.0, 0.0, 1000.0], dtype=T.float64)
    assert_close(T.logcumsumexp(x, 0), [-1000.0, 0.0, 1000.0])
    g = leaf([-1000.0, 0.0, 1000.0])
    T.logcumsumexp(g, 0).sum().backward()
    assert_close(g.grad, [1.0, 1.0, 1.0])


def test_strided_views_write_through_and_keep_gradients():
    """Writing into a diagonal/unfold view changes the base and routes gradients there."""
    base = leaf(np.zeros((3, 3)), requires_grad=False).clone().requires_grad_(False)
    base.diagonal().fill_(2.0)
    assert_close(base, np.eye(3) * 2)
    w = leaf(randn(3, 3))
    y = w * 1.0
    y.diagonal().mul_(3.0)
    y.sum().backward()
    assert_close(w.grad, np.where(np.eye(3) > 0, 3.0, 1.0))


def test_nan_to_num_gradient_passes_only_where_values_are_kept():
    x = leaf([float("inf"), 1.5, float("nan"), -float("inf"), -2.0])
    assert gradcheck(lambda t: T.nan_to_num(t, posinf=5.0, neginf=-5.0), [x])
    T.nan_to_num(x).sum().backward()
    assert_close(x.grad, [0.0, 1.0, 0.0, 0.0, 1.0])


def test_scatter_reduce_scales_to_large_inputs():
    """The prod/amax/amin path needs memory per slot hit, not per (slot, source) pair."""
    T.manual_seed(0)
    idx = T.randint(0, 1000, (100000,))
    src = T.randn(100000, dtype=T.float64)
    out = T.scatter_reduce(T.zeros(100000, dtype=T.float64), 0, idx, src, "amax",
                           include_self=False)
    ref = np.full(100000, -np.inf)
    np.maximum.at(ref, idx.numpy(), src.numpy())
    ref[ref == -np.inf] = 0.0
    assert_close(out, ref)
