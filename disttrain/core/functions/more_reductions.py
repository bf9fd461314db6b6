"""More reductions and scans: ``cummax``/``cummin``/``logcumsumexp``, order statistics
(``median``, ``nanmedian``, ``mode``, ``kthvalue``, ``quantile``), NaN-ignoring sums,
``diff`` and the trapezoid rules, counting (``histc``, ``bincount``, ``histogram``,
``bucketize``, ``searchsorted``, ``unique_consecutive``), ``cov``/``corrcoef``,
``aminmax`` and ``renorm``.

Order statistics find their positions without gradient and then ``gather`` the values, so the
gradient reaches exactly the chosen elements; ``logcumsumexp`` is one Function.
"""
import builtins

import numpy as np

from .. import _names, dtype as _dt
from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor
from ._common import ValuesIndices, array_module_of, values_indices
from . import math_ops as M, reductions as R, shaping as SH, sorting as SO

__all__ = [
    "cummax", "cummin", "logcumsumexp", "median", "nanmedian", "mode", "kthvalue", "quantile",
    "nanquantile", "nansum", "nanmean", "diff", "trapezoid", "trapz", "cumulative_trapezoid",
    "histc", "bincount", "histogram", "bucketize", "searchsorted", "unique_consecutive",
    "aminmax", "renorm", "cov", "corrcoef", "msort",
]


def _host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a


def _picked(input, d, idx, keepdim, name):
    """Values of ``input`` at ``idx`` (keepdim-shaped, along ``d``), with their indices."""
    if input.dim() == 0:
        return ValuesIndices(input.clone(), Tensor._make(np.zeros((), np.int64)), name)
    it = Tensor._make(idx)
    vals = SH.gather(input, d, it)
    if not keepdim:
        vals, it = vals.squeeze(d), it.squeeze(d)
    return ValuesIndices(vals, it, name)


# ------------------------------------------------------------------- scans
def _cum_extreme(input, dim, is_max, name):
    d = input._dim(dim) if input.dim() else 0
    if input.dim() == 0:
        return ValuesIndices(input.clone(), Tensor._make(np.zeros((), np.int64)), name)
    xp = array_module_of(input)
    x = np.moveaxis(_host(input._data), d, -1)
    with np.errstate(invalid="ignore"):
        run = (np.maximum if is_max else np.minimum).accumulate(x, axis=-1)
        # an element that equals the running extreme (or is NaN, which wins and stays) takes
        # over the index; ties take the later one, as in PyTorch
        takes = (x == run) | (np.isnan(x) if x.dtype.kind == "f" else False)
    pos = np.where(takes, np.arange(x.shape[-1]), 0)
    idx = np.maximum.accumulate(pos, axis=-1) if x.shape[-1] else pos.astype(np.int64)
    idx = xp.asarray(np.moveaxis(idx, -1, d))
    it = Tensor._make(idx)
    return ValuesIndices(SH.gather(input, d, it), it, name)


def cummax(input, dim, *, out=None):
    """The running maximum along ``dim`` and where it was found (the latest of equal values)."""
    return values_indices(_cum_extreme(input, dim, True, "cummax"), out, "cummax")


def cummin(input, dim, *, out=None):
    """The running minimum along ``dim`` and where it was found (the latest of equal values)."""
    return values_indices(_cum_extreme(input, dim, False, "cummin"), out, "cummin")


class LogCumSumExp(Function):
    """Fused: log(cumsum(exp(x))) in one accumulate that never overflows; composed it would."""
    node_name = "LogcumsumexpBackward0"

    @staticmethod
    def forward(ctx, x, d):
        xd = x._data
        if xd.dtype.kind != "f":
            xd = xd.astype(_dt.get_default_dtype().np)
        xp = array_module(xd)
        with np.errstate(divide="ignore", invalid="ignore"):    # -inf entries are valid
            if xp is np:
                y = np.logaddexp.accumulate(xd, axis=d) if xd.ndim else xd.copy()
            else:
                m = xp.max(xd, axis=d, keepdims=True)
                m = xp.where(xp.isfinite(m), m, 0)
                y = xp.log(xp.cumsum(xp.exp(xd - m), axis=d)) + m
        ctx.d = d
        if ctx._recording:
            ctx.save_for_backward(x, y)   # y: the output, so double backward sees its graph
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        d = ctx.d

        def rev(z):
            return LogCumSumExp.apply(z.flip(d), d).flip(d) if z.dim() else z

        # sum_{i>=j} g_i exp(x_j - y_i), in log space split by the sign of g
        neg_inf = float("-inf")
        # where a prefix is all -inf so is y: those inputs get gradient 0, not -inf - -inf
        y = y.masked_fill(y == neg_inf, 0.0)
        pos, neg = g > 0, g < 0
        lp = M.where(pos, g, g.new_ones(())).log().masked_fill(~pos, neg_inf)
        ln = M.where(neg, -g, g.new_ones(())).log().masked_fill(~neg, neg_inf)
        return (x + rev(lp - y)).exp() - (x + rev(ln - y)).exp(), None


def logcumsumexp(input, dim, *, out=None):
    """``log(cumsum(exp(input), dim))`` without overflow."""
    from ._common import write_out
    d = input._dim(dim) if input.dim() else 0
    return write_out(LogCumSumExp.apply(input, d), out, "logcumsumexp")


# ------------------------------------------------------------------- order statistics
def _order(input, d):
    """Stable ascending order along ``d`` (NaN last), as host arrays: values, indices."""
    x = _host(input.detach()._data)
    idx = np.argsort(x, axis=d, kind="stable")
    return np.take_along_axis(x, idx, d), idx


def _at_rank(input, d, k, keepdim, name):
    """The element of rank ``k`` (array broadcastable to the reduced shape) along ``d``."""
    xp = array_module_of(input)
    vals, order = _order(input, d)
    kk = np.expand_dims(np.broadcast_to(k, np.delete(vals.shape, d)), d)
    pos = np.take_along_axis(order, kk.astype(np.int64), d)
    return _picked(input, d, xp.asarray(pos), keepdim, name)


def median(input, dim=None, keepdim=False, *, out=None):
    """The lower median (of all elements, or along ``dim`` with its index); NaN if the slice
    holds one."""
    if dim is None:
        flat = input.reshape(-1)
        if flat.numel() == 0:
            return flat.new_full((), float("nan"))
        return _median_dim(flat, 0, False, "median").values
    return values_indices(_median_dim(input, dim, keepdim, "median"), out, "median")


def _median_dim(input, dim, keepdim, name, ignore_nan=False):
    if input.dim() == 0:
        return ValuesIndices(input.clone(), Tensor._make(np.zeros((), np.int64)), name)
    d = input._dim(dim)
    n = input.shape[d]
    if n == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    x = _host(input.detach()._data)
    valid = (~np.isnan(x)).sum(d) if x.dtype.kind == "f" else np.full(np.delete(x.shape, d), n)
    if ignore_nan:
        k = np.where(valid > 0, (valid - 1) // 2, 0)
    else:
        # a slice with NaN answers NaN: the first NaN in sorted order
        k = np.where(valid < n, valid, (n - 1) // 2)
    return _at_rank(input, d, k, keepdim, name)


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """``median`` ignoring NaN (NaN only where a slice is all NaN)."""
    if dim is None:
        flat = input.reshape(-1)
        if flat.numel() == 0:
            return flat.new_full((), float("nan"))
        return _median_dim(flat, 0, False, "nanmedian", True).values
    return values_indices(_median_dim(input, dim, keepdim, "nanmedian", True), out,
                          "nanmedian")


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """The ``k``-th smallest element along ``dim`` and its index."""
    d = input._dim(dim) if input.dim() else 0
    n = input.shape[d] if input.dim() else 1
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if input.dim() == 0:
        return values_indices(_picked(input, 0, None, keepdim, "kthvalue"), out, "kthvalue")
    return values_indices(_at_rank(input, d, np.asarray(k - 1), keepdim, "kthvalue"), out,
                          "kthvalue")


def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the
    index of its last occurrence."""
    if input.dim() == 0:
        return values_indices(_picked(input, 0, None, keepdim, "mode"), out, "mode")
    d = input._dim(dim)
    x = np.moveaxis(_host(input.detach()._data), d, -1)
    n = x.shape[-1]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    rows = x.reshape(-1, n)
    order = np.argsort(rows, axis=-1, kind="stable")
    srt = np.take_along_axis(rows, order, -1)
    # runs of equal values in sorted order: each position learns its run's start and end
    new_run = np.concatenate([np.ones((rows.shape[0], 1), bool), srt[:, 1:] != srt[:, :-1]], 1)
    ar = np.arange(n)
    start = np.maximum.accumulate(np.where(new_run, ar, 0), axis=1)
    ends_at = np.concatenate([new_run[:, 1:], np.ones((rows.shape[0], 1), bool)], 1)
    end = np.minimum.accumulate(np.where(ends_at, ar, n)[:, ::-1], axis=1)[:, ::-1]
    best = np.argmax(end - start, axis=1)        # the first longest run: the smallest value
    last = end[np.arange(rows.shape[0]), best]   # stable sort: its last original occurrence
    pos = order[np.arange(rows.shape[0]), last]
    pos = np.expand_dims(pos.reshape(x.shape[:-1]), d)
    return values_indices(_picked(input, d, array_module_of(input).asarray(pos), keepdim,
                                  "mode"), out, "mode")


_INTERP = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, name):
    if interpolation not in _INTERP:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest. Got {interpolation}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    scalar_q = not isinstance(q, Tensor)
    qa = np.asarray(q if scalar_q else _host(q._data), dtype=np.float64)
    if qa.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if ((qa < 0) | (qa > 1)).any():
        if scalar_q:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    if dim is None:
        x, d = input.reshape(-1), 0
    else:
        x, d = input, input._dim(dim)
    if x.dim() == 0:
        x, d = x.reshape(1), 0
    n = x.shape[d]
    if n == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    srt = SO.sort(x, d)[0]                       # NaN last; differentiable values
    xh = _host(x.detach()._data)
    valid = (~np.isnan(xh)).sum(d, keepdims=True)
    has_nan = valid < n
    outs = []
    for qq in qa.reshape(-1):
        cnt = valid if ignore_nan else np.full_like(valid, n)
        rank = qq * (np.maximum(cnt, 1) - 1)
        lo = np.floor(rank).astype(np.int64)
        hi = np.ceil(rank).astype(np.int64)
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        elif interpolation == "nearest":
            lo = hi = np.round(rank).astype(np.int64)   # round half to even, as PyTorch
        xp = array_module_of(x)
        vlo = SH.gather(srt, d, Tensor._make(xp.asarray(lo)))
        vhi = SH.gather(srt, d, Tensor._make(xp.asarray(hi)))
        if interpolation == "midpoint":
            w = 0.5
        elif interpolation == "linear":
            w = Tensor._make(xp.asarray((rank - lo).astype(x._data.dtype)))
        else:
            w = 0.0
        v = vlo + (vhi - vlo) * w if interpolation in ("linear", "midpoint") else vlo
        nan_here = has_nan if not ignore_nan else (valid == 0)
        v = v.masked_fill(Tensor._make(xp.asarray(nan_here)), float("nan"))
        if not keepdim:
            v = v.squeeze(d)
        elif dim is None:
            v = v.reshape((1,) * input.dim())
        outs.append(v)
    return outs[0] if scalar_q or qa.ndim == 0 else SH.stack(outs, 0)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """The ``q``-th quantiles along ``dim`` (of all elements by default); NaN where a slice
    holds NaN."""
    from ._common import write_out
    return write_out(_quantile(input, q, dim, keepdim, interpolation, False, "quantile"), out,
                     "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """``quantile`` ignoring NaN."""
    from ._common import write_out
    return write_out(_quantile(input, q, dim, keepdim, interpolation, True, "nanquantile"),
                     out, "nanquantile")


def msort(input):
    """``input`` sorted along dim 0."""
    return SO.sort(input, 0)[0]


# ------------------------------------------------------------------- NaN-ignoring sums
def _nan_zeroed(input):
    if not input.dtype.is_floating_point:
        return input
    return M.where(M.isnan(input), input.new_zeros(()), input)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """``sum`` treating NaN as zero."""
    x = _nan_zeroed(input)
    return R.sum(x, dim, keepdim, dtype=dtype) if dim is not None else R.sum(x, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """``mean`` over the non-NaN elements."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex "
                           f"dtype but got {_dt.to_dtype(input.dtype)}".replace(
                               "disttrain.", "").replace("int64", "Long"))
    cnt = (~M.isnan(input)).to(input.dtype)
    s = nansum(input, dim, keepdim, dtype=dtype)
    c = R.sum(cnt, dim, keepdim) if dim is not None else R.sum(cnt)
    return s / c


# ------------------------------------------------------------------- differences, integrals
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim``, after joining ``prepend``/``append``."""
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = input._dim(dim)
    x = input
    if prepend is not None or append is not None:
        side = tuple(input.shape[:d]) + (1,) + tuple(input.shape[d + 1:])
        parts = [t if isinstance(t, Tensor) or t is input else input.new_full(side, t)
                 for t in (prepend, input, append) if t is not None]
        x = SH.cat(parts, d)
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        if x.dtype is _dt.bool:
            x = M.logical_xor(x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1))
        else:
            x = x.narrow(d, 1, m - 1) - x.narrow(d, 0, m - 1)
    return x


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid-rule integral of ``y`` along ``dim`` (sample points ``x`` or spacing
    ``dx``, 1 by default)."""
    d = y._dim(dim)
    n = y.shape[d]
    if n == 0:
        return R.sum(y, d) * 0
    avg = (y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)) / 2
    if x is not None and isinstance(x, Tensor):
        if x.dim() == 1:
            shape = [1] * y.dim()
            shape[d] = -1
            dxs = diff(x).reshape(shape)
        else:
            dxs = diff(x, dim=dim)
        return R.sum(avg * dxs, d)
    step = dx if dx is not None else (x if x is not None else 1)
    return R.sum(avg, d) * step


def trapz(y, x=None, *, dx=None, dim=-1):
    """Alias of ``trapezoid``."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid-rule integral of ``y`` along ``dim`` (one element shorter)."""
    d = y._dim(dim)
    n = y.shape[d]
    if n == 0:
        return y.clone()
    avg = (y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)) / 2
    if isinstance(x, Tensor):
        if x.dim() == 1:
            shape = [1] * y.dim()
            shape[d] = -1
            avg = avg * diff(x).reshape(shape)
        else:
            avg = avg * diff(x, dim=dim)
    else:
        step = dx if dx is not None else (x if x is not None else 1)
        avg = avg * step
    return R.cumsum(avg, d)


# ------------------------------------------------------------------- counting
def histc(input, bins=100, min=0, max=0, *, out=None):
    """A histogram of ``bins`` equal bins over [min, max] (the data's range when both are 0);
    values outside are ignored."""
    from ._common import write_out
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '"
                           f"{'Long' if input.dtype is _dt.int64 else input.dtype}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for bins")
    x = _host(input._data).reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"torch.histc(): max must be larger than min, but got min {min} "
                           f"max {max}")
    counts, _ = np.histogram(x[(x >= lo) & (x <= hi)], bins=bins, range=(lo, hi))
    res = Tensor._make(array_module_of(input).asarray(counts.astype(input._data.dtype)))
    return write_out(res, out, "histc")


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """``(hist, bin_edges)``: counts (or weights, or a density) over ``bins`` bins."""
    x = _host(input._data).reshape(-1)
    b = _host(bins._data) if isinstance(bins, Tensor) else bins
    w = _host(weight._data).reshape(-1) if weight is not None else None
    h, edges = np.histogram(x, bins=b, range=range, weights=w, density=density)
    xp = array_module_of(input)
    dt = input._data.dtype
    return _Histogram((Tensor._make(xp.asarray(h.astype(dt))),
                       Tensor._make(xp.asarray(edges.astype(dt)))))


class _Histogram(tuple):
    """``torch.return_types.histogram``: ``(hist, bin_edges)``."""

    hist = property(lambda self: self[0])
    bin_edges = property(lambda self: self[1])

    def __repr__(self):
        return (f"disttrain.return_types.histogram(\nhist={self[0]!r},\n"
                f"bin_edges={self[1]!r})")


def bincount(input, weights=None, minlength=0):
    """How often each non-negative integer occurs in a 1-d tensor (or the sum of its
    ``weights``)."""
    if input.dim() != 1 or input.dtype.is_floating_point:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    xp = array_module_of(input)
    x = input._data
    if x.size and int(x.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None:
        if weights.shape != input.shape:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        out = xp.bincount(x, weights._data, minlength=minlength)
        dt = weights._data.dtype if weights.dtype.is_floating_point else np.float64
        return Tensor._make(out.astype(dt if weights.dtype is not _dt.float32 else np.float32))
    return Tensor._make(xp.bincount(x, minlength=minlength).astype(np.int64))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    """Where each value of ``input`` would go into the last dim of ``sorted_sequence`` to keep
    it sorted (``right``/``side='right'``: after equal values)."""
    from ._common import write_out
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    xp = array_module_of(sorted_sequence)
    seq = sorted_sequence._data
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, -1)
    vals = input._data if isinstance(input, Tensor) else xp.asarray(input)
    s = "right" if right else "left"
    if seq.ndim == 1:
        res = xp.searchsorted(seq, vals, side=s)
    else:
        if seq.shape[:-1] != vals.shape[:-1]:
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension "
                               f"or the first N-1 dimensions of boundaries tensor and input "
                               f"value tensor must match, but we got boundaries tensor "
                               f"{list(seq.shape)} and input value tensor {list(vals.shape)}")
        s2, v2 = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        res = xp.stack([xp.searchsorted(a, b, side=s) for a, b in zip(s2, v2)]).reshape(
            vals.shape)
    res = Tensor._make(xp.asarray(res).astype(np.int32 if out_int32 else np.int64))
    return write_out(res, out, "searchsorted")


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The index of the bucket of 1-d ``boundaries`` each value of ``input`` falls into."""
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse each run of equal consecutive values (slices along ``dim``) to one."""
    xp = array_module_of(input)
    x = input._data.reshape(-1) if dim is None else xp.moveaxis(input._data, input._dim(dim),
                                                                0)
    n = x.shape[0]
    if n == 0:
        change = xp.zeros(0, bool)
    else:
        neq = x[1:] != x[:-1]
        if neq.ndim > 1:
            neq = neq.reshape(n - 1, -1).any(1)
        change = xp.concatenate([xp.ones(1, bool), neq])
    starts = xp.nonzero(change)[0]
    vals = x[starts]
    if dim is not None:
        vals = xp.moveaxis(vals, 0, input._dim(dim))
    out = [Tensor._make(xp.ascontiguousarray(vals))]
    if return_inverse:
        inv = xp.cumsum(change) - 1
        out.append(Tensor._make(inv.reshape(input.shape if dim is None else (n,)).astype(
            np.int64)))
    if return_counts:
        ends = xp.concatenate([starts[1:], xp.asarray([n])]) if n else starts
        out.append(Tensor._make((ends - starts).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


# ------------------------------------------------------------------- misc reductions
def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` of all elements or along ``dim``."""
    if input.numel() == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    if dim is None:
        lo, hi = R.amin(input), R.amax(input)
        if keepdim:
            lo, hi = lo.reshape((1,) * input.dim()), hi.reshape((1,) * input.dim())
    else:
        lo, hi = R.amin(input, dim, keepdim), R.amax(input, dim, keepdim)
    return _MinMax((lo, hi))


class _MinMax(tuple):
    """``torch.return_types.aminmax``: ``(min, max)``."""

    min = property(lambda self: self[0])
    max = property(lambda self: self[1])

    def __repr__(self):
        return _names.qualified(f"return_types.aminmax(\nmin={self[0]!r},\nmax={self[1]!r})")


def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` rescaled so that its ``p``-norm is at most ``maxnorm``."""
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported")
    d = input._dim(dim)
    others = tuple(k for k in range(input.dim()) if k != d)
    norms = R.norm(input, p, others, keepdim=True) if others else input.abs()
    # PyTorch's factor: maxnorm / (norm + 1e-7) where the norm is too large, else 1
    factor = M.where(norms > maxnorm, maxnorm / (norms + 1e-7), norms.new_ones(()))
    return input * factor


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of ``input`` (observations in
    columns)."""
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    if not x.dtype.is_floating_point:
        x = x.to(_dt.get_default_dtype())
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights.to(x.dtype)
    if aweights is not None:
        w = aweights.to(x.dtype) if w is None else w * aweights.to(x.dtype)
    if w is None:
        avg = R.mean(x, 1, keepdim=True)
        wsum = float(n)
        dof = wsum - correction
        xc = x - avg
        c = M.mm(xc, xc.t()) / builtins.max(dof, 0)
    else:
        wsum = R.sum(w)
        avg = R.sum(x * w, 1, keepdim=True) / wsum
        if correction == 0:
            norm = wsum
        elif aweights is None:
            norm = wsum - correction
        else:
            norm = wsum - correction * R.sum(w * aweights.to(x.dtype)) / wsum
        xc = x - avg
        c = M.mm(xc * w, xc.t()) / norm.clamp(min=0)
    return c.squeeze() if input.dim() < 2 else c


def corrcoef(input):
    """The Pearson correlation coefficients of the variables in the rows of ``input``."""
    c = cov(input)
    if c.dim() == 0:
        return c / c
    s = c.diagonal().sqrt()
    r = c / s.reshape(-1, 1) / s.reshape(1, -1)
    return r.clamp(-1, 1)
