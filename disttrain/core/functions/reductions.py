"""Reductions: ``disttrain.sum``, ``mean``, ``max``/``min`` (all three forms), ``var``/``std``,
``norm``, ``logsumexp``, cumulative sums and products, ``all``/``any``.
"""
from .. import dtype as _dt
from ..tensor import Tensor
from ..ops import reduce as R
from ._common import values_indices, write_out
from .math_ops import maximum, minimum

__all__ = [
    "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var",
    "std_mean", "var_mean", "norm", "logsumexp", "cumsum", "cumprod", "all", "any",
    "count_nonzero",
]


def _dim_arg(dim, axis):
    return axis if dim is None else dim


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, out=None):
    dim = _dim_arg(dim, axis)
    cls = R.SumAll if dim is None else R.Sum
    return write_out(cls.apply(input, dim, keepdim, _dt.to_dtype(dtype)), out, "sum")


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, out=None):
    dim = _dim_arg(dim, axis)
    cls = R.MeanAll if dim is None else R.Mean
    return write_out(cls.apply(input, dim, keepdim, _dt.to_dtype(dtype)), out, "mean")


def prod(input, dim=None, keepdim=False, *, dtype=None):
    cls = R.ProdAll if dim is None else R.Prod
    return cls.apply(input, dim, keepdim, _dt.to_dtype(dtype))


def max(input, dim=None, keepdim=False, *, out=None):
    """The largest element, ``maximum(input, other)`` for a tensor ``dim``, or (values,
    indices) along ``dim``."""
    return _extreme(input, dim, keepdim, out, "max", maximum, R.MaxAll, R.MaxMinDim)


def min(input, dim=None, keepdim=False, *, out=None):
    """The smallest element, ``minimum(input, other)`` for a tensor ``dim``, or (values,
    indices) along ``dim``."""
    return _extreme(input, dim, keepdim, out, "min", minimum, R.MinAll, R.MinDim)


def _extreme(input, dim, keepdim, out, name, pairwise, all_cls, dim_cls):
    """max/min: PyTorch's three forms, told apart by ``dim``."""
    if isinstance(dim, Tensor):
        return pairwise(input, dim, out=out)
    if dim is None:
        return write_out(all_cls.apply(input), out, name)
    return values_indices(dim_cls.apply(input, dim, keepdim), out, name)


def amax(input, dim=(), keepdim=False):
    """The largest values over ``dim`` (all dims by default); ties share the gradient."""
    return R.Amax.apply(input, dim, keepdim)


def amin(input, dim=(), keepdim=False):
    """The smallest values over ``dim`` (all dims by default); ties share the gradient."""
    return R.Amin.apply(input, dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    return R.ArgMax.apply(input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return R.ArgMin.apply(input, dim, keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):          # var(x, False): the old positional ``unbiased``
        dim, unbiased = None, dim
    return R.Var.apply(input, dim, _correction(unbiased, correction), keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return R.Std.apply(input, dim, _correction(unbiased, correction), keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm of ``input`` over ``dim`` (all elements by default).

    Args:
        p (float or str): the order; ``'fro'`` (default) is the 2-norm, ``inf``/``-inf`` the
            largest/smallest absolute value, 0 the count of non-zeros.
        dim (int or tuple of ints, optional): the dims to reduce.
        keepdim (bool): keep the reduced dims with size 1.
        dtype (disttrain.dtype, optional): cast the input to this dtype first.
    """
    if dtype is not None:
        input = input.to(_dt.to_dtype(dtype))
    if p is None or p == "fro":
        p = 2
    elif p == "nuc":
        from .. import linalg
        return linalg.matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)
    elif isinstance(p, str):
        raise RuntimeError(f"norm(): unsupported norm type '{p}'")
    return R.Norm.apply(input, float(p), dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    return R.LogSumExp.apply(input, dim, keepdim)


def cumsum(input, dim, *, dtype=None):
    return R.Cumsum.apply(input, dim, _dt.to_dtype(dtype))


def cumprod(input, dim, *, dtype=None):
    return R.Cumprod.apply(input, dim, _dt.to_dtype(dtype))


def all(input, dim=None, keepdim=False):
    return R.AllAny.apply(input, "all", dim, keepdim)


def any(input, dim=None, keepdim=False):
    return R.AllAny.apply(input, "any", dim, keepdim)


def count_nonzero(input, dim=None):
    return (input != 0).sum(dim)
