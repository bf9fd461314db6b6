"""Pooling kernels on 4-d arrays: max, average, adaptive average and adaptive max.

Windows are strided slices of a padded copy, one per kernel offset: a loop over KH*KW
offsets, each a whole-tensor numpy op (no loop over output pixels or batch items).
Max pooling marks each window's winner with one boolean mask per kernel offset; its
gradient scatters through the masks (``MaskScatter``), whose own gradient gathers
(``MaskGather``), so the pair is closed under differentiation. Adaptive max pooling does the
same through flat ``h * W + w`` indices (``IndexScatter``/``IndexGather``). Average pooling
and its adjoint are likewise each other's backward.
"""
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor

__all__ = ["PoolSpec", "pool_out_size", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
           "AdaptiveMaxPool2d", "IndexGather", "IndexScatter", "MaskGather", "MaskScatter",
           "adaptive_bounds"]

#: kernel, stride, padding, dilation: (h, w) pairs; ceil_mode: bool
PoolSpec = namedtuple("PoolSpec", "kernel stride padding dilation ceil_mode")


def pool_out_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size: the last window must start inside the (left-padded) input."""
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _out_hw(shape, spec):
    return tuple(pool_out_size(shape[2 + i], spec.kernel[i], spec.stride[i], spec.padding[i],
                               spec.dilation[i], spec.ceil_mode) for i in range(2))


def _padded(xp, x, spec, out_hw, fill):
    """``x`` padded by ``padding`` on the left and enough on the right for every window."""
    n, c, h, w = x.shape
    (ph, pw), (kh, kw) = spec.padding, spec.kernel
    need_h = (out_hw[0] - 1) * spec.stride[0] + spec.dilation[0] * (kh - 1) + 1
    need_w = (out_hw[1] - 1) * spec.stride[1] + spec.dilation[1] * (kw - 1) + 1
    hp, wp = max(need_h, h + ph), max(need_w, w + pw)
    if (hp, wp) == (h, w):
        return x
    out = xp.full((n, c, hp, wp), fill, x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _offsets(spec, out_hw):
    """(i, j, slice_h, slice_w) of every kernel offset: the strided window grid it touches."""
    (kh, kw), (sh, sw), (dh, dw) = spec.kernel, spec.stride, spec.dilation
    oh, ow = out_hw
    for i in range(kh):
        hs = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            yield i, j, hs, slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def max_pool_forward(x, spec):
    """Max over each window, and one boolean mask per kernel offset marking the winners.

    Each output position has exactly one winner: its first maximum, or for a window
    holding NaN (which is then the output, as in PyTorch) the last NaN. Masks, not argmax
    indices, because masked assignment is slow in numpy while comparisons and logical ops
    are fast; flat indices are derived from them only when asked for.
    """
    xp = array_module(x)
    out_hw = _out_hw(x.shape, spec)
    xpad = _padded(xp, x, spec, out_hw, _lowest(x.dtype))
    wins = [xpad[:, :, hs, ws] for _, _, hs, ws in _offsets(spec, out_hw)]
    best = wins[0].copy()
    for win in wins[1:]:
        xp.maximum(best, win, out=best)         # propagates NaN
    masks, taken = [], None
    for win in wins:
        m = win == best
        if taken is None:
            taken = m.copy()
        else:
            m &= ~taken
            taken |= m
        masks.append(m)
    if x.dtype.kind == "f" and len(wins) > 1:
        nan = xp.isnan(best)
        if nan.any():
            _nan_winners(xp, wins, masks, nan)
    return best, masks


def _nan_winners(xp, wins, masks, nan):
    """Where the max is NaN the last NaN of the window wins (PyTorch's scan keeps it)."""
    done = xp.zeros(nan.shape, bool)
    for k in range(len(wins) - 1, -1, -1):
        m = xp.isnan(wins[k]) & nan & ~done
        done |= m
        masks[k] = (masks[k] & ~nan) | m


def flat_index(masks, spec, out_hw, width):
    """Indices ``h * W + w`` (int64) into the unpadded input of each window's winner."""
    xp = array_module(masks[0])
    kw = spec.kernel[1]
    arg = xp.zeros(masks[0].shape, np.int64)
    for k, m in enumerate(masks[1:], 1):
        arg += k * m
    oh = xp.arange(out_hw[0]).reshape(-1, 1) * spec.stride[0] - spec.padding[0]
    ow = xp.arange(out_hw[1]).reshape(1, -1) * spec.stride[1] - spec.padding[1]
    h = oh + (arg // kw) * spec.dilation[0]
    w = ow + (arg % kw) * spec.dilation[1]
    return h * width + w


def _mask_scatter(g, masks, in_shape, spec):
    """Each output gradient added at its window's winner: one masked product per offset."""
    xp = array_module(g)
    n, c, h, w = in_shape
    out_hw = g.shape[2:]
    (ph, pw), (kh, kw) = spec.padding, spec.kernel
    need_h = (out_hw[0] - 1) * spec.stride[0] + spec.dilation[0] * (kh - 1) + 1
    need_w = (out_hw[1] - 1) * spec.stride[1] + spec.dilation[1] * (kw - 1) + 1
    gx = xp.zeros((n, c, max(need_h, h + ph), max(need_w, w + pw)), g.dtype)
    disjoint = all(spec.stride[a] >= spec.dilation[a] * (spec.kernel[a] - 1) + 1
                   for a in range(2))
    for k, (_, _, hs, ws) in enumerate(_offsets(spec, out_hw)):
        if disjoint:    # windows don't overlap: each slice is written once
            xp.multiply(g, masks[k], out=gx[:, :, hs, ws])
        else:
            gx[:, :, hs, ws] += g * masks[k]
    return gx[:, :, ph:ph + h, pw:pw + w]


def _mask_gather(x, masks, spec):
    """The adjoint of ``_mask_scatter``: each window's winner read from ``x``."""
    xp = array_module(x)
    out_hw = masks[0].shape[2:]
    xpad = _padded(xp, x, spec, out_hw, 0)
    out = None
    for k, (_, _, hs, ws) in enumerate(_offsets(spec, out_hw)):
        part = xpad[:, :, hs, ws] * masks[k]
        out = part if out is None else xp.add(out, part, out=out)
    return out


class MaskScatter(Function):
    """The gradient of a max pool, routed by the winner masks; its backward gathers."""

    node_name = "MaxPool2DWithIndicesBackwardBackward0"

    @staticmethod
    def forward(ctx, g, masks, in_shape, spec):
        ctx.args = (masks, spec)
        return _mask_scatter(g._data, masks, in_shape, spec)

    @staticmethod
    def backward(ctx, gg):
        return MaskGather.apply(gg, *ctx.args), None, None, None


class MaskGather(Function):
    """Each window's winner read from ``x``: a max pool once the winners are known."""

    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, masks, spec):
        ctx.args = (masks, x._data.shape, spec)
        return _mask_gather(x._data, masks, spec)

    @staticmethod
    def backward(ctx, g):
        masks, in_shape, spec = ctx.args
        return MaskScatter.apply(g, masks, in_shape, spec), None, None


def _scatter(g, idx, in_shape):
    """Sum ``g`` into an array of ``in_shape`` at the flat spatial positions ``idx``."""
    xp = array_module(g)
    n, c = in_shape[:2]
    hw = int(np.prod(in_shape[2:]))
    flat = idx.reshape(n * c, -1) + (xp.arange(n * c) * hw).reshape(-1, 1)
    out = xp.bincount(flat.ravel(), weights=g.ravel(), minlength=n * c * hw)
    return out.astype(g.dtype, copy=False).reshape(in_shape)


def _gather(x, idx):
    xp = array_module(x)
    n, c = x.shape[:2]
    vals = xp.take_along_axis(x.reshape(n, c, -1), idx.reshape(n, c, -1), axis=2)
    return vals.reshape(idx.shape)


class IndexScatter(Function):
    """The gradient of a max pool: ``g`` summed into the input's shape at ``idx``."""

    node_name = "MaxPool2DWithIndicesBackwardBackward0"

    @staticmethod
    def forward(ctx, g, idx, in_shape):
        ctx.idx = idx
        return _scatter(g._data, idx, in_shape)

    @staticmethod
    def backward(ctx, gg):
        return IndexGather.apply(gg, ctx.idx), None, None


class IndexGather(Function):
    """``x`` read at the flat spatial positions ``idx``: a max pool once ``idx`` is known."""

    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, idx):
        ctx.idx, ctx.in_shape = idx, x._data.shape
        return _gather(x._data, idx)

    @staticmethod
    def backward(ctx, g):
        return IndexScatter.apply(g, ctx.idx, ctx.in_shape), None


class MaxPool2d(Function):
    """Max pooling: values, and int64 flat indices when ``with_indices``; the gradient flows
    back through the winner masks."""

    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, spec, with_indices=False):
        xd = x._data
        out, masks = max_pool_forward(xd, spec)
        ctx.args = (masks, xd.shape, spec)
        if not with_indices:
            return out
        idx = Tensor._make(flat_index(masks, spec, out.shape[2:], xd.shape[3]))
        ctx.mark_non_differentiable(idx)
        return out, idx

    @staticmethod
    def backward(ctx, g, _gidx=None):
        masks, in_shape, spec = ctx.args
        return MaskScatter.apply(g, masks, in_shape, spec), None, None


def _avg_divisor(xp, in_hw, spec, out_hw, count_include_pad, divisor_override, dtype):
    """The (OH, OW) divisors of PyTorch's average pool (windows clipped to the padded input)."""
    if divisor_override:
        return divisor_override
    sizes = []
    for a in range(2):
        start = xp.arange(out_hw[a]) * spec.stride[a] - spec.padding[a]
        end = xp.minimum(start + spec.kernel[a], in_hw[a] + spec.padding[a])
        full = end - start
        real = xp.minimum(end, in_hw[a]) - xp.maximum(start, 0)
        sizes.append(full if count_include_pad else real)
    return (sizes[0].reshape(-1, 1) * sizes[1].reshape(1, -1)).astype(dtype)


def avg_pool_forward(x, spec, div):
    xp = array_module(x)
    out_hw = _out_hw(x.shape, spec)
    xpad = _padded(xp, x, spec, out_hw, 0)
    acc = None
    for _, _, hs, ws in _offsets(spec, out_hw):
        win = xpad[:, :, hs, ws]
        acc = win.copy() if acc is None else xp.add(acc, win, out=acc)
    return acc / div if x.dtype.kind == "f" else (acc // div).astype(x.dtype)


def avg_pool_adjoint(g, in_shape, spec, div):
    xp = array_module(g)
    out_hw = g.shape[2:]
    n, c, h, w = in_shape
    (ph, pw), (kh, kw) = spec.padding, spec.kernel
    hp = max(h + ph, (out_hw[0] - 1) * spec.stride[0] + kh)
    wp = max(w + pw, (out_hw[1] - 1) * spec.stride[1] + kw)
    gx = xp.zeros((n, c, hp, wp), g.dtype)
    gd = g / div
    for _, _, hs, ws in _offsets(spec, out_hw):
        gx[:, :, hs, ws] += gd
    return gx[:, :, ph:ph + h, pw:pw + w]


class AvgPool2d(Function):
    """Average pooling; its backward is ``AvgPoolAdjoint``, whose backward is this again."""

    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, spec, count_include_pad, divisor_override):
        xd = x._data
        xp = array_module(xd)
        out_hw = _out_hw(xd.shape, spec)
        div = _avg_divisor(xp, xd.shape[2:], spec, out_hw, count_include_pad, divisor_override,
                           xd.dtype if xd.dtype.kind == "f" else np.int64)
        ctx.args = (xd.shape, spec, div)
        return avg_pool_forward(xd, spec, div)

    @staticmethod
    def backward(ctx, g):
        return AvgPoolAdjoint.apply(g, *ctx.args), None, None, None


class AvgPoolAdjoint(Function):
    """Primitive: the adjoint of average pooling (its backward), differentiable for double
    backward."""
    node_name = "AvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, in_shape, spec, div):
        ctx.args = (spec, div)
        return avg_pool_adjoint(g._data, in_shape, spec, div)

    @staticmethod
    def backward(ctx, gg):
        spec, div = ctx.args
        return _AvgPoolFixed.apply(gg, spec, div), None, None, None


class _AvgPoolFixed(Function):
    """Average pooling with known divisors (the double backward of ``AvgPool2d``)."""

    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, spec, div):
        ctx.args = (x._data.shape, spec, div)
        return avg_pool_forward(x._data, spec, div)

    @staticmethod
    def backward(ctx, g):
        return AvgPoolAdjoint.apply(g, *ctx.args), None, None


def adaptive_bounds(size, out):
    """PyTorch's adaptive windows: [floor(i*size/out), ceil((i+1)*size/out)) for each i."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _avg_matrix(size, out, dtype):
    """(out, size) averaging matrix: adaptive average pooling is separable per axis."""
    start, end = adaptive_bounds(size, out)
    pos = np.arange(size)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2d(Function):
    """``Ph @ x @ Pw^T`` with constant averaging matrices; backward is the transposed product."""

    node_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out_hw):
        xd = x._data
        xp = array_module(xd)
        ph = xp.asarray(_avg_matrix(xd.shape[2], out_hw[0], xd.dtype))
        pw = xp.asarray(_avg_matrix(xd.shape[3], out_hw[1], xd.dtype))
        ctx.mats = (Tensor._make(ph), Tensor._make(pw))
        return ph @ xd @ pw.T

    @staticmethod
    def backward(ctx, g):
        ph, pw = ctx.mats
        return ph.t().matmul(g).matmul(pw), None


def adaptive_max_forward(x, out_hw):
    """Max over PyTorch's adaptive windows, gathered with a fixed-width index grid per axis."""
    xp = array_module(x)
    n, c, h, w = x.shape
    grids = []
    for size, out in ((h, out_hw[0]), (w, out_hw[1])):
        start, end = adaptive_bounds(size, out)
        width = int((end - start).max()) if out else 1
        # Positions past a window's end repeat its last element: harmless for a max,
        # and the first maximum keeps its index.
        grids.append(np.minimum(start[:, None] + np.arange(width), (end - 1)[:, None]))
    gh, gw = (xp.asarray(g) for g in grids)
    kh, kw = gh.shape[1], gw.shape[1]
    flat = (gh[:, None, :, None] * w + gw[None, :, None, :]).reshape(-1)     # (OH*OW*KH*KW)
    wins = x.reshape(n, c, h * w)[:, :, flat].reshape(n, c, out_hw[0], out_hw[1], kh * kw)
    arg = wins.argmax(axis=4)[..., None]
    vals = xp.take_along_axis(wins, arg, axis=4)[..., 0]
    idx = xp.take_along_axis(flat.reshape(out_hw[0], out_hw[1], kh * kw)[None, None],
                             arg, axis=4)[..., 0]
    return vals, idx.astype(np.int64)


class AdaptiveMaxPool2d(Function):
    """Primitive: adaptive 2-d max pooling, returning the argmax indices (not differentiable)."""
    node_name = "AdaptiveMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out_hw):
        out, idx = adaptive_max_forward(x._data, out_hw)
        ctx.idx, ctx.in_shape = idx, x._data.shape
        idx_t = Tensor._make(idx)
        ctx.mark_non_differentiable(idx_t)
        return out, idx_t

    @staticmethod
    def backward(ctx, g, _gidx):
        return IndexScatter.apply(g, ctx.idx, ctx.in_shape), None
