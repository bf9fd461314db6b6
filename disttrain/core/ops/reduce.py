"""Reductions: sum, mean, prod, max/min, arg*, var/std, norm, logsumexp, cumsum, all/any."""
import numpy as np

from ..autograd import Function
from ..device import array_module
from ..grad_mode import state as _grad_state
from ..tensor import Tensor
from .shape import Expand
from ._util import finite_max, float_array, float_sum, type_name

__all__ = []


def norm_dims(x, dim):
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes, or None (all).

    A 0-d tensor accepts dim 0 or -1 and reduces nothing: the result is ``()``.
    """
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        dims = tuple(sorted(x._dim(d) for d in dim))
        for a, b in zip(dims, dims[1:]):
            if a == b:
                raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    else:
        dims = (x._dim(dim),)
    return dims if x._data.ndim else ()


def _note_dims(ctx, x, dims, keepdim):
    """Note on ``ctx`` what ``_restore`` needs to give a reduced tensor its axes back."""
    ctx.in_shape, ctx.dims, ctx.keepdim = x._data.shape, dims, keepdim
    return dims


def _restore(ctx, t):
    """A reduced tensor (gradient or output) with its reduced axes back as size 1, so that it
    broadcasts over the input."""
    if ctx.dims is None:
        return t.reshape((1,) * len(ctx.in_shape)) if ctx.in_shape else t
    if ctx.keepdim:
        return t
    shape = list(t.shape)
    for d in ctx.dims:
        shape.insert(d, 1)
    return t.reshape(shape)


def _numel(shape, dims):
    """How many elements a reduction over ``dims`` (all when None) combines."""
    return int(np.prod(shape if dims is None else [shape[d] for d in dims]))


def _sum_dtype(arr, dtype):
    if dtype is not None:
        return dtype.np
    if arr.dtype.kind in "biu":
        return np.int64
    return None


class Sum(Function):
    """Primitive: sum over dims."""
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        xd = x._data
        dims = _note_dims(ctx, x, norm_dims(x, dim), keepdim)
        if dtype is None and dims is not None and xd.dtype.kind == "f":
            return float_sum(xd, dims, keepdim)
        return xd.sum(axis=dims, keepdims=keepdim, dtype=_sum_dtype(xd, dtype))

    @staticmethod
    def backward(ctx, g):
        return _restore(ctx, g).expand(ctx.in_shape), None, None, None


class SumAll(Sum):
    """Primitive: sum of every element (Sum's fast path: the gradient is one expand)."""
    node_name = "SumBackward0"

    @staticmethod
    def backward(ctx, g):
        # every input element gets the one gradient value: a broadcast view, no reshape first
        return Expand.apply(g, ctx.in_shape), None, None, None


class Mean(Function):
    """Primitive: mean over dims."""
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        xd = x._data
        if dtype is not None:
            xd = xd.astype(dtype.np)
        if xd.dtype.kind in "biu":
            name = type_name(xd.dtype)
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {name}")
        dims = _note_dims(ctx, x, norm_dims(x, dim), keepdim)
        ctx.n = n = _numel(xd.shape, dims)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = float_sum(xd, dims, keepdim) if dims is not None and \
                xd.dtype.kind == "f" else xd.sum(axis=dims, keepdims=keepdim)
            return s / xd.dtype.type(n) if n else s * xd.dtype.type(np.nan)

    @staticmethod
    def backward(ctx, g):
        return (_restore(ctx, g) / ctx.n).expand(ctx.in_shape), None, None, None


class MeanAll(Mean):
    """Primitive: mean of every element (Mean's fast path: the gradient is one expand)."""
    node_name = "MeanBackward0"

    @staticmethod
    def backward(ctx, g):
        return Expand.apply(g / ctx.n, ctx.in_shape), None, None, None


class Prod(Function):
    """``prod`` along dims; the gradient is exact where the input has zeros."""

    node_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        dims = _note_dims(ctx, x, norm_dims(x, dim), keepdim)
        y = x._data.prod(axis=dims, keepdims=keepdim, dtype=_sum_dtype(x._data, dtype))
        if ctx._recording:
            ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        # product of all the others, exact where zeros occur: prod over elements != self
        dims = ctx.dims if ctx.dims is not None else tuple(range(x.dim()))
        return _restore(ctx, g) * _prod_excluding(x, dims), None, None, None


class ProdAll(Prod):
    node_name = "ProdBackward0"


def _prod_excluding(x, dims):
    """For each element, the product of the other elements along ``dims`` (zeros handled)."""
    from .shape import cat
    if not dims:
        return x * 0 + 1
    n = len(dims)
    # move the reduced dims to the end and flatten them, then multiply the exclusive
    # cumulative products from the left and from the right: no division, so zeros are exact
    perm = [d for d in range(x.dim()) if d not in dims] + list(dims)
    moved = x.permute(perm)
    kept = tuple(moved.shape[: x.dim() - n])
    flat = moved.reshape(kept + (-1,))
    ones = flat.new_ones(kept + (1,))
    left = cat([ones, flat[..., :-1]], -1).cumprod(-1)
    right = cat([ones, flat.flip(-1)[..., :-1]], -1).cumprod(-1).flip(-1)
    out = (left * right).reshape(moved.shape)
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return out.permute(inv)


class Cumsum(Function):
    """Primitive: cumulative sum along a dim."""
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
    """Primitive: cumulative product along a dim (zeros take a separate, exact backward)."""
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
        if x.numel() == 0 or not bool((x._data == 0).any()):
            # d/dx_k of sum_i g_i y_i is sum_{i>=k} g_i y_i / x_k when no x is zero
            return (g * y).flip(d).cumsum(d).flip(d) / x, None, None
        if _grad_state.enabled:
            # a recorded backward (double backward) needs the form that is differentiable
            # everywhere, also in the inputs after a zero
            return _cumprod_grad_table(x, g, d), None, None
        return _cumprod_grad_with_zeros(x, y, g, d), None, None


def _cumprod_grad_with_zeros(x, y, g, d):
    """d/dx_k of sum_i g_i y_i without dividing by zero, per slice along ``d`` with its first
    zero at z: before z the usual sum_{i>=k} g_i y_i / x_k (y is 0 from z on); at z the
    products skip x_z, i.e. the cumulative product of x with x_z set to 1; after z, 0."""
    xp = array_module(x._data)
    is_zero = x._data == 0
    seen = xp.cumsum(is_zero, axis=d)
    before = Tensor._make(seen == 0)
    first = Tensor._make(is_zero & (seen == 1))
    head = ((g * y).flip(d).cumsum(d).flip(d) / x.masked_fill(~before, 1)).masked_fill(
        ~before, 0)
    skip = x.masked_fill(first, 1).cumprod(d)
    at_zero = (g * skip).flip(d).cumsum(d).flip(d).masked_fill(~first, 0)
    return head + at_zero


def _cumprod_grad_table(x, g, d):
    """sum_{i>=k} g_i prod_{j<=i, j!=k} x_j for every k, as differentiable ops: row k of an
    n x n table is x with x_k set to 1, whose cumulative product is masked to i >= k."""
    xm, gm = x.movedim(d, -1), g.movedim(d, -1)
    n = xm.shape[-1]
    xp = array_module(x._data)
    eye = Tensor._make(xp.eye(n, dtype=bool))
    upper = Tensor._make(xp.triu(xp.ones((n, n), dtype=x._data.dtype)))
    table = xm.unsqueeze(-2).expand(*xm.shape[:-1], n, n).masked_fill(eye, 1).cumprod(-1)
    return (table * upper * gm.unsqueeze(-2)).sum(-1).movedim(-1, d)


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


class ArgMax(Function):
    differentiable = False
    _is_max = True

    @classmethod
    def forward(cls, ctx, x, dim=None, keepdim=False):
        xd = x._data
        xp = array_module(xd)
        if xd.size == 0:
            raise IndexError(f"{'argmax' if cls._is_max else 'argmin'}(): Expected reduction "
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
    """Fused: the variance in one node (composed, mean/sub/square/sum would be four nodes
    keeping the centred copy)."""
    node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        return _var(ctx, x, dim, correction, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return _restore(ctx, g) * (2.0 * _inv_dof(ctx)) * _centered(x, ctx.dims), None, None, None


def _var(ctx, x, dim, correction, keepdim):
    xd = x._data
    if xd.dtype.kind in "biu":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dims = _note_dims(ctx, x, norm_dims(x, dim), keepdim)
    ctx.n, ctx.corr = _numel(xd.shape, dims), correction
    if ctx._recording:
        ctx.save_for_backward(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = xd - xd.mean(axis=dims, keepdims=True)
        # complex: the mean of |x - mean|², a real number
        sq = dev * dev if dev.dtype.kind != "c" else dev.real * dev.real + dev.imag * dev.imag
        ss = sq.sum(axis=dims, keepdims=keepdim)
        return ss / ss.dtype.type(max(ctx.n - correction, 0))


def _inv_dof(ctx):
    # no degrees of freedom left: the forward is inf/nan, so is the gradient
    d = ctx.n - ctx.corr
    return 1.0 / d if d > 0 else float("inf")


def _centered(x, dims):
    if dims == ():
        return x - x
    return x - x.mean(dim=dims, keepdim=True) if dims is not None else x - x.mean()


class Std(Function):
    """Fused: standard deviation as sqrt(var) in one node, sharing var's pass."""
    node_name = "StdBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        v = _var(ctx, x, dim, correction, keepdim)
        y = array_module(v).sqrt(v)
        if ctx._recording:
            ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _restore(ctx, g / y) * _inv_dof(ctx) * _centered(x, ctx.dims), None, None, None


class Norm(Function):
    """The vector p-norm over ``dims`` (all when None): ``linalg.vector_norm``."""

    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p=2, dim=None, keepdim=False):
        xd = x._data
        if xd.dtype.kind in "biu":
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                               f"as input. Got {type_name(xd.dtype)}")
        xp = array_module(xd)
        dims = norm_dims(x, dim)
        a = xp.abs(xd)
        if p == 2:
            y = xp.sqrt((xd * xd).sum(axis=dims, keepdims=keepdim))
        elif p == 1:
            y = a.sum(axis=dims, keepdims=keepdim)
        elif p == float("inf"):
            y = a.max(axis=dims, keepdims=keepdim)
        elif p == float("-inf"):
            y = a.min(axis=dims, keepdims=keepdim)
        elif p == 0:
            y = (xd != 0).sum(axis=dims, keepdims=keepdim).astype(xd.dtype)
        else:
            y = (a ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)
        ctx.p = p
        _note_dims(ctx, x, dims, keepdim)
        if ctx._recording:
            ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        p = ctx.p
        g, y = _restore(ctx, g), _restore(ctx, y)
        if p == 0:
            return x * 0 * g, None, None, None
        if p == 1:
            return g * x.sign(), None, None, None
        if p in (float("inf"), float("-inf")):
            hit = (x.abs() == y).to(x.dtype)
            return g * x.sign() * hit / _count(hit, ctx.dims), None, None, None
        # the norm's gradient is 0 at 0 (a subgradient), as in PyTorch
        safe = y.masked_fill(y == 0, 1)
        if p == 2:
            return g * x / safe, None, None, None
        scale = x * x.abs() ** (p - 2) / safe ** (p - 1)
        return g * scale.masked_fill(y == 0, 0), None, None, None


def _count(mask, dims):
    return mask.sum(dim=dims, keepdim=True) if dims is not None else mask.sum()


class Amax(Function):
    """``amax`` over dims; ties share the gradient evenly."""

    node_name = "AmaxBackward0"
    _name, _is_max = "amax", True

    @classmethod
    def forward(cls, ctx, x, dim=None, keepdim=False):
        dims = norm_dims(x, dim) if dim not in ((), []) else None
        return _extreme(cls, ctx, x, dims, keepdim)

    @staticmethod
    def backward(ctx, g):
        return _share_ties(ctx, g), None, None


class Amin(Amax):
    node_name = "AminBackward0"
    _name, _is_max = "amin", False


class MaxAll(Function):
    """``max()`` of every element: ``amax`` over all dims, under PyTorch's other node name."""

    node_name = "MaxBackward1"
    _name, _is_max = "max", True

    @classmethod
    def forward(cls, ctx, x):
        return _extreme(cls, ctx, x, None, False)

    @staticmethod
    def backward(ctx, g):
        return _share_ties(ctx, g)


class MinAll(MaxAll):
    node_name = "MinBackward1"
    _name, _is_max = "min", False


def _extreme(cls, ctx, x, dims, keepdim):
    """The forward of amax/amin/max()/min(): the extreme value over ``dims``."""
    xd = x._data
    if xd.size == 0:
        raise RuntimeError(f"{cls._name}(): Expected reduction dim to be specified for "
                           f"input.numel() == 0. Specify the reduction dim with the 'dim' "
                           f"argument.")
    y = (xd.max if cls._is_max else xd.min)(axis=dims, keepdims=keepdim)
    _note_dims(ctx, x, dims, keepdim)
    if ctx._recording:
        ctx.save_for_backward(x, y)
    return y


def _share_ties(ctx, g):
    """The gradient of an extreme value, split evenly among the elements that attain it."""
    x, y = ctx.saved_tensors
    hit = (x == _restore(ctx, y)).to(g.dtype)
    return _restore(ctx, g) * hit / _count(hit, ctx.dims)


class LogSumExp(Function):
    """Fused: log(sum(exp(x))) shifted by the max, which composed ops would overflow."""
    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim=False):
        xd = float_array(x._data)
        xp = array_module(xd)
        dims = norm_dims(x, dim) if not (isinstance(dim, (list, tuple)) and not dim) else \
            tuple(range(xd.ndim))
        m = finite_max(xp, xd, dims)
        with np.errstate(divide="ignore"):
            y = xp.log(xp.exp(xd - m).sum(axis=dims, keepdims=True)) + m
        _note_dims(ctx, x, dims, keepdim)
        out = y if keepdim else y.reshape([s for i, s in enumerate(xd.shape) if i not in dims])
        if ctx._recording:
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _restore(ctx, g) * (x - _restore(ctx, y)).exp(), None, None


class AllAny(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, x, kind, dim=None, keepdim=False):
        dims = norm_dims(x, dim)
        xd = x._data
        r = (xd.all if kind == "all" else xd.any)(axis=dims, keepdims=keepdim)
        # uint8 inputs give uint8 results, as in PyTorch
        return r.astype(np.uint8) if xd.dtype == np.uint8 else r
