"""Reductions: values against numpy and PyTorch, dims/keepdim, gradients (ties, zeros,
strided inputs), grad_fn names and errors."""
import math

import numpy as np
import pytest

import disttrain
from disttrain.autograd import gradcheck, gradgradcheck

from .conftest import assert_close, check_op, leaf, raises, randn

DIMS = [None, 0, -1, (0, 2), [1]]


def _np_dim(dim):
    return tuple(dim) if isinstance(dim, list) else dim


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name, ref", [
    ("sum", np.sum), ("mean", np.mean), ("prod", np.prod), ("amax", np.max), ("amin", np.min),
    ("logsumexp", lambda a, axis, keepdims: np.log(np.exp(a).sum(axis=axis, keepdims=keepdims))),
])
def test_reduction_values_and_gradients(name, ref, dim, keepdim):
    """Each reduction over a dim, several dims or all of them matches numpy and gradcheck."""
    if dim is None and name == "logsumexp":
        dim = (0, 1, 2)        # logsumexp has no all-dims form
    check_op(lambda x: getattr(x, name)(dim, keepdim=keepdim), (2, 3, 2),
             ref=lambda a: ref(a, axis=_np_dim(dim), keepdims=keepdim))


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "std", "norm", "logsumexp"])
def test_reductions_of_strided_inputs(name):
    """Reductions of non-contiguous views give the same values and gradients."""
    refs = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "amax": np.max,
            "std": lambda a, axis: a.std(axis=axis, ddof=1),
            "norm": lambda a, axis: np.sqrt((a * a).sum(axis=axis)),
            "logsumexp": lambda a, axis: np.log(np.exp(a).sum(axis=axis))}
    check_op(lambda x: getattr(x, name)(dim=1), (2, 3), noncontig=True,
             ref=lambda a: refs[name](a, axis=1))
    check_op(lambda x: getattr(x.t(), name)(dim=0), (2, 3), ref=lambda a: refs[name](a.T, axis=0))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)], ids=str)
@pytest.mark.parametrize("correction", [None, 0, 2])
def test_var_std(dim, keepdim, correction):
    """var/std with ``correction`` (default 1), ``dim`` and ``keepdim`` match numpy's ddof and
    pass gradcheck."""
    ddof = 1 if correction is None else correction
    kw = {} if correction is None else {"correction": correction}
    shape = (3, 4)
    for name in ("var", "std"):
        def fn(x):
            return getattr(x, name)(dim, keepdim=keepdim, **kw)

        def ref(a):
            v = a.var(axis=dim, ddof=ddof, keepdims=keepdim)
            return v if name == "var" else np.sqrt(v)
        check_op(fn, shape, ref=ref)


def test_var_std_argument_forms_give_pytorch_values():
    """``unbiased``, positional forms and var_mean/std_mean follow PyTorch 2.13."""
    t = disttrain.tensor([1., 2., 3., 4.])
    assert math.isclose(t.std().item(), 1.2909944487358056, rel_tol=1e-6)
    assert t.var(unbiased=False).item() == 1.25 and t.var(correction=2).item() == 2.5
    assert disttrain.var(t, False).item() == 1.25 and t.std(0, True).item() == t.std().item()
    assert_close(disttrain.tensor([[1., 2.], [3., 5.]]).std(0, correction=0), [1.0, 1.5])
    v, m = disttrain.var_mean(t, unbiased=False)
    s, m2 = disttrain.std_mean(t)
    assert v.item() == 1.25 and m.item() == 2.5 and m2.item() == 2.5
    assert math.isclose(s.item(), 1.2909944487358056, rel_tol=1e-6)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, math.inf, -math.inf, "fro"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, False), ((0, 1), True)], ids=str)
def test_norm(p, dim, keepdim):
    """The vector p-norm over all elements or dims matches numpy and passes gradcheck."""
    def ref(a):
        q = 2 if p == "fro" else p
        b = np.abs(a)
        if q == math.inf:
            r = b.max(axis=dim, keepdims=keepdim)
        elif q == -math.inf:
            r = b.min(axis=dim, keepdims=keepdim)
        else:
            r = (b ** q).sum(axis=dim, keepdims=keepdim) ** (1 / q)
        return r
    check_op(lambda x: x.norm(p, dim, keepdim), (2, 3), ref=ref, away_from=0)


def test_norm_values_and_subgradients():
    """norm gives PyTorch's values for each order and a zero (not nan) gradient at 0."""
    v = disttrain.tensor([3., -4.])
    assert v.norm().item() == 5. and v.norm(1).item() == 7. and v.norm(math.inf).item() == 4.
    assert disttrain.tensor([3., -4., 0.]).norm(0).item() == 2.
    assert math.isclose(v.norm(3).item(), 4.497941445275415, rel_tol=1e-6)
    z = leaf([0., 0.])
    z.norm().backward()
    assert z.grad.tolist() == [0., 0.]
    with raises(RuntimeError, "linalg.vector_norm: Expected a floating point or complex tensor "
                              "as input. Got Long"):
        disttrain.tensor([1, 2]).norm()


def test_max_min_along_dim_return_values_and_indices():
    """max/min(dim) return a (values, indices) pair with attribute access; the gradient goes
    to the first maximal element; argmax/argmin agree."""
    x = disttrain.tensor([[1., 3., 3.], [2., 2., 0.]], requires_grad=True)
    r = x.max(1)
    assert r.values.tolist() == [3., 2.] and r.indices.tolist() == [1, 0]
    v, i = x.min(0, keepdim=True)
    assert v.tolist() == [[1., 2., 0.]] and i.tolist() == [[0, 1, 1]]
    assert i.dtype == disttrain.int64 and not i.requires_grad
    assert type(r.values.grad_fn).__name__ == "MaxBackward0"
    assert type(v.grad_fn).__name__ == "MinBackward0"
    r.values.sum().backward()
    assert x.grad.tolist() == [[0., 1., 0.], [1., 0., 0.]]
    assert x.argmax(1).tolist() == [1, 0] and x.argmin().item() == 5
    assert x.argmax(1, keepdim=True).shape == (2, 1) and x.argmax(keepdim=True).shape == (1, 1)
    assert "disttrain.return_types.max(" in repr(r)


def test_ties_share_the_gradient_in_full_max_and_amax():
    """max()/min() and amax/amin split the gradient evenly between tied elements."""
    data = [[1., 3., 3.], [2., 2., 0.]]
    x = leaf(data)
    x.max().backward()
    assert x.grad.tolist() == [[0., .5, .5], [0., 0., 0.]]
    x.grad = None
    x.amax(1).sum().backward()
    assert x.grad.tolist() == [[0., .5, .5], [.5, .5, 0.]]
    x.grad = None
    x.min().backward()
    assert x.grad.tolist() == [[0., 0., 0.], [0., 0., 1.]]
    check_op(lambda a: a.max(1).values, (3, 4), ref=lambda a: a.max(axis=1))
    check_op(lambda a: a.min(), (3, 4), ref=lambda a: a.min())


def test_prod_gradient_with_zeros():
    """prod's gradient is exact when inputs contain one or several zeros."""
    for data in ([[2., 0., 3.], [1., 4., 5.]], [[0., 0., 3.], [0., 4., 5.]]):
        assert gradcheck(lambda x: x.prod(1), (leaf(data),))
        assert gradcheck(lambda x: x.prod(), (leaf(data),))
    x = leaf([2., 0., 3.])
    x.prod().backward()
    assert x.grad.tolist() == [0., 6., 0.]


def test_cumsum_cumprod():
    """cumsum/cumprod along a dim match numpy and pass gradcheck."""
    check_op(lambda x: x.cumsum(1), (2, 3), ref=lambda a: a.cumsum(1))
    check_op(lambda x: disttrain.cumsum(x, dim=-2), (2, 3), ref=lambda a: a.cumsum(0))
    check_op(lambda x: x.cumsum(0), (2, 3), noncontig=True, ref=lambda a: a.cumsum(0))
    check_op(lambda x: x.cumprod(1), (2, 3), ref=lambda a: a.cumprod(1))
    assert disttrain.tensor([[True, True], [False, True]]).cumsum(1).tolist() == [[1, 2], [0, 1]]


def test_nan_and_extreme_values_follow_pytorch():
    """NaN propagates through max (its index wins), logsumexp is stable, empty reductions
    give their identities."""
    nan = float("nan")
    t = disttrain.tensor
    assert math.isnan(t([1., nan, 3.]).max().item())
    r = t([[1., nan, 3.]]).max(1)
    assert math.isnan(r.values.item()) and r.indices.item() == 1
    assert t([1., nan, 3.]).argmax().item() == 1
    assert math.isclose(t([1000., 1000.]).logsumexp(0).item(), 1000.6931471805599, rel_tol=1e-6)
    assert t([-math.inf, -math.inf]).logsumexp(0).item() == -math.inf
    assert t([]).sum().item() == 0. and t([]).prod().item() == 1.
    assert math.isnan(t([]).mean().item())
    assert disttrain.empty(0, 3).max(1).values.shape == (0,)


def test_all_any():
    """all/any reduce to bool (uint8 stays uint8), over all elements or a dim."""
    t = disttrain.tensor
    assert t([[True, False], [True, True]]).all(1).tolist() == [False, True]
    assert t([[0, 2], [0, 0]]).any(1).tolist() == [True, False]
    assert t([1., 0.]).all().dtype == disttrain.bool and not t([1., 0.]).all().item()
    u = t([2, 3], dtype=disttrain.uint8).all()
    assert u.dtype == disttrain.uint8 and u.item() == 1
    assert t([[0, 1]]).any(0, keepdim=True).tolist() == [[False, True]]


def test_zero_dim_inputs_accept_dim_zero():
    """A 0-d tensor reduces over dim 0 or -1 to itself."""
    s = leaf(2.5)
    assert s.sum(0).item() == 2.5 and s.mean(-1).item() == 2.5 and s.amax(0).item() == 2.5
    assert s.max(0).values.item() == 2.5 and s.argmax().item() == 0
    assert gradcheck(lambda x: x.sum(0) * x.prod(0), (leaf(1.5),))


@pytest.mark.parametrize("expr, name", [
    ("x.sum()", "SumBackward0"), ("x.sum(0)", "SumBackward1"), ("x.mean()", "MeanBackward0"),
    ("x.mean(1)", "MeanBackward1"), ("x.prod()", "ProdBackward0"), ("x.prod(0)", "ProdBackward1"),
    ("x.max()", "MaxBackward1"), ("x.min()", "MinBackward1"), ("x.amax(0)", "AmaxBackward0"),
    ("x.amin(0)", "AminBackward0"), ("x.std()", "StdBackward0"), ("x.var(0)", "VarBackward0"),
    ("x.norm()", "LinalgVectorNormBackward0"), ("x.norm(dim=0)", "LinalgVectorNormBackward0"),
    ("x.logsumexp(0)", "LogsumexpBackward0"), ("x.cumsum(0)", "CumsumBackward0"),
])
def test_grad_fn_names_match_pytorch(expr, name):
    """Reduction nodes carry PyTorch's names."""
    x = leaf(randn(2, 3))
    assert type(eval(expr).grad_fn).__name__ == name


@pytest.mark.parametrize("fn, exc, msg", [
    (lambda x: x.sum(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda x: x.mean(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda x: x.max(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda x: x.std(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda x: x.cumsum(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda x: disttrain.tensor(1.).sum(1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda x: x.sum((0, 0)), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (lambda x: disttrain.tensor([1, 2]).mean(), RuntimeError,
     "mean(): could not infer output dtype. Input dtype must be either a floating point or "
     "complex dtype. Got: Long"),
    (lambda x: disttrain.tensor([1, 2]).std(), RuntimeError,
     "std and var only support floating point and complex dtypes"),
    (lambda x: disttrain.empty(0).max(), RuntimeError,
     "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
     "reduction dim with the 'dim' argument."),
    (lambda x: disttrain.empty(0).amax(), RuntimeError,
     "amax(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
     "reduction dim with the 'dim' argument."),
    (lambda x: disttrain.empty(0, 3).max(0), IndexError,
     "max(): Expected reduction dim 0 to have non-zero size."),
    (lambda x: disttrain.empty(0).argmax(), IndexError,
     "argmax(): Expected reduction dim to be specified for input.numel() == 0."),
])
def test_errors_match_pytorch(fn, exc, msg):
    """Bad dims and dtypes raise PyTorch's exception and message."""
    with raises(exc, msg):
        fn(disttrain.ones(2, 3))


@pytest.mark.parametrize("fn", [
    lambda a: a.prod(1), lambda a: a.prod(), lambda a: a.std(1), lambda a: a.var(),
    lambda a: a.norm(dim=1), lambda a: a.norm(3), lambda a: a.logsumexp(1),
    lambda a: (a * a).amax(1), lambda a: (a * a).max(1).values, lambda a: (a * a).max(),
    lambda a: (a * a).cumsum(1), lambda a: (a * a).mean(0), lambda a: a.cumprod(1),
    lambda a: (a * a).sum(), lambda a: (a * a).mean(),
], ids=["prod_dim", "prod", "std", "var", "norm", "norm3", "logsumexp", "amax", "max_dim",
        "max", "cumsum", "mean", "cumprod", "sum_all", "mean_all"])
def test_second_derivatives(fn):
    """Reduction backwards are differentiable themselves (create_graph): gradgradcheck."""
    assert gradgradcheck(fn, (leaf(randn(2, 3)),))
@pytest.mark.parametrize("shape", [(3, 4, 5, 6), (2, 3, 7), (1, 5, 1, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_over_all_but_the_channel_axis(shape, dtype, keepdim):
    """The per-channel sum (batch norm, conv bias gradients) takes a BLAS path for
    contiguous float arrays: same values as numpy's reduction, also for a transposed input
    (which takes numpy's path)."""
    a = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    dims = (0,) + tuple(range(2, len(shape)))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for t, arr in [(disttrain.tensor(a), a),
                   (disttrain.tensor(a).transpose(0, -1), a.swapaxes(0, -1))]:
        got = t.sum(dims, keepdim=keepdim).numpy()
        want = arr.sum(axis=dims, keepdims=keepdim)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
