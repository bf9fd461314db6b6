"""Ops that pick elements: ``sort`` and ``topk`` (values with their indices) and the
triangles ``tril``/``triu``."""
import numpy as np

from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor
from .index import IndexAccumulate, index_grid

__all__ = []


def sort_indices(xp, a, dim, descending):
    """The stable order of ``a`` along ``dim``, as PyTorch sorts: equal elements keep their
    order and nan counts as the largest value, in both directions. Descending order sorts
    the reversed array instead of the negated one, which would wrap unsigned and bool data."""
    if not descending:
        return xp.argsort(a, axis=dim, kind="stable")
    rev = xp.argsort(xp.flip(a, dim), axis=dim, kind="stable")
    return a.shape[dim] - 1 - xp.flip(rev, dim)


class Sort(Function):
    """``sort`` along ``dim``: (values, indices). The gradient of each value goes back to the
    element it came from."""

    node_name = "SortBackward0"

    @staticmethod
    def forward(ctx, x, dim, descending=False):
        return _picked(ctx, x, dim, descending, None)

    @staticmethod
    def backward(ctx, g, gi):
        if ctx.in_shape:
            g = IndexAccumulate.apply(g, index_grid(ctx.idx, ctx.dim), ctx.in_shape)
        return (g,) + (None,) * (len(ctx.needs_input_grad) - 1)


class Topk(Sort):
    """The ``k`` largest (or smallest) elements along ``dim``, in order, with their indices."""

    node_name = "TopkBackward0"

    @staticmethod
    def forward(ctx, x, k, dim, largest=True, sorted=True):
        return _picked(ctx, x, dim, largest, k)


def _picked(ctx, x, dim, descending, k):
    """The forward of sort (``k`` None) and topk: values and their int64 indices."""
    xd = x._data
    xp = array_module(xd)
    if xd.ndim == 0:                  # one element, sorted already
        idx = xp.zeros((), np.int64)
        values = xd.copy()
    else:
        idx = sort_indices(xp, xd, dim, descending)
        if k is not None:
            idx = idx[(slice(None),) * dim + (slice(0, k),)]
        values = xp.take_along_axis(xd, idx, dim)
    ctx.dim, ctx.idx, ctx.in_shape = dim, idx, xd.shape
    indices = Tensor._make(idx.astype(np.int64, copy=False))
    ctx.mark_non_differentiable(indices)
    return values, indices


class Tril(Function):
    """The lower triangle of the last two dims (on and below diagonal ``diagonal``), zeros
    elsewhere; the gradient is masked the same way."""

    node_name = "TrilBackward0"
    _kernel = "tril"

    @classmethod
    def forward(cls, ctx, x, diagonal=0):
        xd = x._data
        if xd.ndim < 2:
            raise RuntimeError(f"{cls._kernel}: input tensor must have at least 2 dimensions")
        ctx.diagonal = diagonal
        return getattr(array_module(xd), cls._kernel)(xd, diagonal)

    @classmethod
    def backward(cls, ctx, g):
        return cls.apply(g, ctx.diagonal), None


class Triu(Tril):
    """The upper triangle of the last two dims (on and above diagonal ``diagonal``)."""

    node_name = "TriuBackward0"
    _kernel = "triu"
