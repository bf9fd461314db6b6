"""Reductions: sum, mean, prod, max/min, arg*, var/std, norm, logsumexp, cumsum, all/any."""
import numpy as np

from .. import dtype as _dt
from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor

__all__ = []


def norm_dims(x, dim):
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes, or None."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        dims = tuple(sorted(x._dim(d) for d in dim))
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
        return dims
    return (x._dim(dim),)


def _restore_shape(g, in_shape, dims, keepdim):
    """Give a reduced gradient back its reduced axes (size 1) so it broadcasts over the input."""
    if dims is None:
        return g.reshape((1,) * len(in_shape)) if in_shape else g
    if keepdim:
        return g
    shape = list(g.shape)
    for d in dims:
        shape.insert(d, 1)
    return g.reshape(shape)


def _sum_dtype(arr, dtype):
    if dtype is not None:
        return dtype.np
    if arr.dtype.kind in "biu":
        return np.int64
    return None


class Sum(Function):
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        dims = norm_dims(x, dim)
        ctx.in_shape, ctx.dims, ctx.keepdim = x._data.shape, dims, keepdim
        xd = x._data
        return xd.sum(axis=dims, keepdims=keepdim, dtype=_sum_dtype(xd, dtype))

    @staticmethod
    def backward(ctx, g):
        return _restore_shape(g, ctx.in_shape, ctx.dims, ctx.keepdim).expand(ctx.in_shape), \
            None, None, None


class SumAll(Sum):
    node_name = "SumBackward0"


class Mean(Function):
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        xd = x._data
        if dtype is not None:
            xd = xd.astype(dtype.np)
        if xd.dtype.kind in "biu":
            name = _dt.from_numpy_dtype(xd.dtype).name.title()
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {name}")
        dims = norm_dims(x, dim)
        ctx.in_shape, ctx.dims, ctx.keepdim = xd.shape, dims, keepdim
        n = xd.size if dims is None else int(np.prod([xd.shape[d] for d in dims]))
        ctx.n = n
        with np.errstate(invalid="ignore", divide="ignore"):
            s = xd.sum(axis=dims, keepdims=keepdim)
            return s / xd.dtype.type(n) if n else s * xd.dtype.type(np.nan)

    @staticmethod
    def backward(ctx, g):
        g = _restore_shape(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        return (g / ctx.n).expand(ctx.in_shape), None, None, None


class MeanAll(Mean):
    node_name = "MeanBackward0"


class Prod(Function):
    node_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        dims = norm_dims(x, dim)
        ctx.in_shape, ctx.dims, ctx.keepdim = x._data.shape, dims, keepdim
        y = x._data.prod(axis=dims, keepdims=keepdim, dtype=_sum_dtype(x._data, dtype))
        if ctx._recording:
            ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        g = _restore_shape(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        # product of all the others, exact where zeros occur: prod over elements != self
        dims = ctx.dims if ctx.dims is not None else tuple(range(x.dim()))
        others = _prod_excluding(x, dims)
        return g * others, None, None, None


def _prod_excluding(x, dims):
    """For each element, the product of the other elements along ``dims`` (zeros handled)."""
    xp = array_module(x._data)
    moved = x
    n = len(dims)
    # flatten the reduced dims to the end, then use exclusive cumulative products both ways
    perm = [d for d in range(x.dim()) if d not in dims] + list(dims)
    moved = x.permute(perm)
    kept = moved.shape[: x.dim() - n]
    flat = moved.reshape(tuple(kept) + (-1,))
    ones = flat.new_ones(tuple(kept) + (1,))
    left = Tensor.cat_([ones, flat[..., :-1]], -1).cumprod(-1)
    right = Tensor.cat_([ones, flat.flip(-1)[..., :-1]], -1).cumprod(-1).flip(-1)
    out = (left * right).reshape(moved.shape)
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    del xp
    return out.permute(inv)


class Cumsum(Function):
    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, dim, dtype=None):
        d = x._dim(dim)
        ctx.dim = d
        return x._data.cumsum(axis=d, dtype=_sum_dtype(x._data, dtype))

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim), None, None


class Cumprod(Function):
    node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, dim, dtype=None):
        d = x._dim(dim)
        ctx.dim = d
        y = x._data.cumprod(axis=d, dtype=_sum_dtype(x._data, dtype))
        if ctx._recording:
            ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        d = ctx.dim
        # valid where x has no zeros; the common case for the uses of cumprod in this engine
        return (g * y).flip(d).cumsum(d).flip(d) / x, None, None


class MaxMinDim(Function):
    """max/min along a dim: (values, indices); the gradient goes to the chosen element."""

    node_name = "MaxBackward0"
    _is_max = True

    @classmethod
    def forward(cls, ctx, x, dim, keepdim=False):
        d = x._dim(dim)
        xd = x._data
        if xd.shape and xd.shape[d] == 0 if xd.ndim else False:
            raise IndexError(f"{'max' if cls._is_max else 'min'}(): Expected reduction dim {d} "
                             f"to have non-zero size.")
        xp = array_module(xd)
        idx = (xp.nanargmax if False else xp.argmax)(xd, axis=d) if cls._is_max else \
            xp.argmin(xd, axis=d)
        idx = _nan_aware(xp, xd, d, idx)
        kidx = xp.expand_dims(idx, d) if xd.ndim else idx
        vals = xp.take_along_axis(xd, kidx, d) if xd.ndim else xd.copy()
        ctx.d, ctx.keepdim, ctx.in_shape = d, keepdim, xd.shape
        ctx.kidx = kidx
        if not keepdim and xd.ndim:
            vals = vals.squeeze(d)
        else:
            idx = kidx
        idx_t = Tensor._make(idx.astype(np.int64, copy=False))
        ctx.mark_non_differentiable(idx_t)
        return vals, idx_t

    @staticmethod
    def backward(ctx, g, gi):
        if not ctx.in_shape:
            return g, None, None
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.d)
        z = g.new_zeros(ctx.in_shape)
        return z.scatter(ctx.d, Tensor._make(ctx.kidx.astype(np.int64)), g), None, None


def _nan_aware(xp, xd, d, idx):
    # PyTorch propagates NaN: the index of the first NaN wins
    if xd.dtype.kind == "f" and xd.size:
        nan = xp.isnan(xd)
        if nan.any():
            has = nan.any(axis=d)
            return xp.where(has, xp.argmax(nan, axis=d), idx)
    return idx


class MinDim(MaxMinDim):
    node_name = "MinBackward0"
    _is_max = False


class MaxAll(Function):
    node_name = "MaxBackward1"
    _is_max = True

    @classmethod
    def forward(cls, ctx, x):
        xd = x._data
        if xd.size == 0:
            raise RuntimeError(f"{'max' if cls._is_max else 'min'}(): Expected reduction dim to "
                               f"be specified for input.numel() == 0. Specify the reduction dim "
                               f"with the 'dim' argument.")
        y = xd.max() if cls._is_max else xd.min()
        if ctx._recording:
            ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        mask = (x == y).to(g.dtype)
        return g * mask / mask.sum()


class MinAll(MaxAll):
    node_name = "MinBackward1"
    _is_max = False


class ArgMax(Function):
    differentiable = False
    _is_max = True

    @classmethod
    def forward(cls, ctx, x, dim=None, keepdim=False):
        xd = x._data
        xp = array_module(xd)
        if xd.size == 0:
            raise RuntimeError(f"{'argmax' if cls._is_max else 'argmin'}(): Expected reduction "
                               f"dim to be specified for input.numel() == 0.")
        fn = xp.argmax if cls._is_max else xp.argmin
        if dim is None:
            r = _nan_aware(xp, xd.reshape(-1), 0, fn(xd.reshape(-1), axis=0))
            r = xp.asarray(r, dtype=np.int64)
            return r.reshape((1,) * xd.ndim) if keepdim else r
        d = x._dim(dim)
        r = _nan_aware(xp, xd, d, fn(xd, axis=d)).astype(np.int64)
        return xp.expand_dims(r, d) if keepdim else r


class ArgMin(ArgMax):
    _is_max = False


class Var(Function):
    node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        xd = x._data
        if xd.dtype.kind in "biu":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        dims = norm_dims(x, dim)
        n = xd.size if dims is None else int(np.prod([xd.shape[d] for d in dims]))
        ctx.in_shape, ctx.dims, ctx.keepdim, ctx.n, ctx.corr = xd.shape, dims, keepdim, n, \
            correction
        if ctx._recording:
            ctx.save_for_backward(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = xd.mean(axis=dims, keepdims=True)
            dev = xd - mean
            ss = (dev * dev).sum(axis=dims, keepdims=keepdim)
            return ss / xd.dtype.type(max(n - correction, 0))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        g = _restore_shape(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        dims = ctx.dims if ctx.dims is not None else tuple(range(x.dim()))
        mean = x.mean(dim=dims, keepdim=True) if dims else x
        return g * (2.0 / max(ctx.n - ctx.corr, 0)) * (x - mean), None, None, None


class LogSumExp(Function):
    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim=False):
        xd = _float(x._data)
        xp = array_module(xd)
        dims = norm_dims(x, dim) if not (isinstance(dim, (list, tuple)) and not dim) else \
            tuple(range(xd.ndim))
        m = xd.max(axis=dims, keepdims=True) if xd.size else xp.zeros((1,) * xd.ndim, xd.dtype)
        m = xp.where(xp.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):
            y = xp.log(xp.exp(xd - m).sum(axis=dims, keepdims=True)) + m
        ctx.dims, ctx.keepdim, ctx.in_shape = dims, keepdim, xd.shape
        out = y if keepdim else y.reshape([s for i, s in enumerate(xd.shape) if i not in dims])
        if ctx._recording:
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g = _restore_shape(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        y = _restore_shape(y, ctx.in_shape, ctx.dims, ctx.keepdim)
        return g * (x - y).exp(), None, None


def _float(a):
    return a.astype(_dt.get_default_dtype().np) if a.dtype.kind in "biu" else a


class AllAny(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, x, kind, dim=None, keepdim=False):
        dims = norm_dims(x, dim)
        fn = x._data.all if kind == "all" else x._data.any
        return fn(axis=dims, keepdims=keepdim)
