"""Batch, layer and group normalisation as one fused kernel (a ``Function`` per PyTorch node).

The three differ only in which elements share a mean and variance and which share an
affine weight, so one ``NormLayout`` describes each: the shape the input is viewed as for
the statistics, the axes reduced there, and the shape the weight and bias broadcast to.

Backward is the closed-form normalisation gradient on arrays. When the backward itself
is recorded (``create_graph=True``) the same forward is rebuilt from Tensor ops and
differentiated instead, so higher-order gradients stay exact.
"""
from collections import namedtuple

from ..autograd import Function
from ..engine import grad as _autograd_grad
from ..device import array_module
from ..grad_mode import state as _grad_state
from ..tensor import Tensor
from ._util import float_sum

__all__ = ["NormLayout", "BatchNormFn", "LayerNormFn", "GroupNormFn", "batch_layout",
           "layer_layout", "group_layout"]

#: view: shape for the statistics; red: axes of ``view`` they reduce;
#: aff: shape the weight/bias broadcast to against the input; aff_red: input axes to sum
#: for the weight/bias gradients
NormLayout = namedtuple("NormLayout", "view red aff aff_red")


def batch_layout(shape):
    c, nd = shape[1], len(shape)
    axes = (0,) + tuple(range(2, nd))
    return NormLayout(tuple(shape), axes, (1, c) + (1,) * (nd - 2), axes)


def layer_layout(shape, normalized_shape):
    k, nd = len(normalized_shape), len(shape)
    return NormLayout(tuple(shape), tuple(range(nd - k, nd)), tuple(normalized_shape),
                      tuple(range(nd - k)))


def group_layout(shape, groups):
    n, c, nd = shape[0], shape[1], len(shape)
    per_group = c // groups
    for s in shape[2:]:
        per_group *= s
    return NormLayout((n, groups, per_group), (2,), (1, c) + (1,) * (nd - 2),
                      (0,) + tuple(range(2, nd)))


def _stats(xv, red, eps):
    if xv.size == 0:        # an empty batch: nothing to average, nothing to warn about
        shape = tuple(1 if i in red else s for i, s in enumerate(xv.shape))
        xp = array_module(xv)
        return xp.zeros(shape, xv.dtype), xp.ones(shape, xv.dtype), xv
    count = xv.size // _channels(xv, red)
    mean = float_sum(xv, red) / count
    xc = xv - mean
    var = float_sum(xc * xc, red) / count
    return mean, var, xc


def _channels(xv, red):
    n = 1
    for i, s in enumerate(xv.shape):
        if i not in red:
            n *= s
    return n


class _Norm(Function):
    """``y = (x - mean) * invstd * w + b``; ``stats=(mean, invstd)`` fixes them (eval mode).

    Returns ``(y, mean, var)`` with the biased batch variance; the last two are not
    differentiable (callers update running statistics from them).
    """

    @staticmethod
    def forward(ctx, x, w, b, layout, eps, stats=None):
        xd = x._data
        xv = xd.reshape(layout.view)
        if stats is None:
            mean, var, xc = _stats(xv, layout.red, eps)
            invstd = 1.0 / array_module(xd).sqrt(var + eps)
        else:
            mean, invstd = stats
            xc = xv - mean
            var = None
        if stats is None and xc is not xv:
            xc *= invstd        # xc is our own temporary: normalise it in place
            xhat = xc.reshape(xd.shape)
        else:
            xhat = (xc * invstd).reshape(xd.shape)
        y = xhat
        if w is not None:
            y = y * w._data.reshape(layout.aff)
        if b is not None:
            if y is xhat:
                y = y + b._data.reshape(layout.aff)
            else:
                y += b._data.reshape(layout.aff)
        if y is xhat and ctx._recording:
            y = xhat.copy()     # xhat is saved: the output must not alias it
        if ctx._recording:
            ctx.save_for_backward(x, w, b)
            ctx.arrays = (xhat, invstd)
            ctx.conf = (layout, eps, stats)
        outs = [Tensor._make(mean.reshape(-1)), Tensor._make(
            var.reshape(-1) if var is not None else invstd.reshape(-1))]
        ctx.mark_non_differentiable(*outs)
        return (y, *outs)

    @staticmethod
    def backward(ctx, g, _gm, _gv):
        if _grad_state.enabled:
            return _backward_recorded(ctx, g)
        layout, eps, stats = ctx.conf
        x, w, b = ctx.saved_tensors
        xhat, invstd = ctx.arrays
        gd = g._data
        needs = ctx.needs_input_grad
        gx = gw = gb = None
        if layout.red == layout.aff_red and layout.view == gd.shape and stats is None and \
                gd.size:
            return _batch_backward(ctx, gd, xhat, invstd, w, b, layout)
        if needs[0]:
            gxhat = gd * w._data.reshape(layout.aff) if w is not None else gd
            gv = gxhat.reshape(layout.view)
            if stats is None and gd.size:
                hv = xhat.reshape(layout.view)
                red = layout.red
                count = gv.size // _channels(gv, red)
                gv = gv - float_sum(gv, red) / count - hv * (float_sum(gv * hv, red) / count)
            gx = Tensor._make((gv * invstd).reshape(gd.shape))
        if w is not None and needs[1]:
            gw = Tensor._make(float_sum(gd * xhat, layout.aff_red, False).reshape(w._data.shape))
        if b is not None and needs[2]:
            gb = Tensor._make(float_sum(gd, layout.aff_red, False).reshape(b._data.shape))
        return gx, gw, gb, None, None, None


def _batch_backward(ctx, gd, xhat, invstd, w, b, layout):
    """The backward when the statistics and the affine parameters reduce the same axes
    (batch norm in training): gx = w·invstd·(g - mean(g) - xhat·mean(g·xhat)), sharing the
    two sums with the parameter gradients and reusing one temporary."""
    needs = ctx.needs_input_grad
    red = layout.red
    count = gd.size // invstd.size
    prod = gd * xhat
    s_gx = float_sum(prod, red)
    s_g = float_sum(gd, red)
    gx = gw = gb = None
    if needs[0]:
        out = gd - s_g / count
        xp_mul = array_module(gd).multiply
        out -= xp_mul(xhat, s_gx / count, out=prod)
        scale = invstd if w is None else invstd * w._data.reshape(layout.aff)
        out *= scale
        gx = Tensor._make(out)
    if w is not None and needs[1]:
        gw = Tensor._make(s_gx.reshape(w._data.shape))
    if b is not None and needs[2]:
        gb = Tensor._make(s_g.reshape(b._data.shape))
    return gx, gw, gb, None, None, None


def _composite(x, w, b, layout, eps, stats):
    """The same normalisation from Tensor ops, for differentiating the backward."""
    xv = x.reshape(layout.view)
    if stats is None:
        mean = xv.mean(layout.red, keepdim=True)
        xc = xv - mean
        xhat = xc * ((xc * xc).mean(layout.red, keepdim=True) + eps).rsqrt()
    else:
        xhat = (xv - Tensor._make(stats[0])) * Tensor._make(stats[1])
    y = xhat.reshape(x.shape)
    if w is not None:
        y = y * w.reshape(layout.aff)
    if b is not None:
        y = y + b.reshape(layout.aff)
    return y


def _backward_recorded(ctx, g):
    layout, eps, stats = ctx.conf
    x, w, b = ctx.saved_tensors
    needs = ctx.needs_input_grad
    ins = [t for t, n in zip((x, w, b), needs) if t is not None and n]
    y = _composite(x, w, b, layout, eps, stats)
    grads = iter(_autograd_grad(y, ins, g, create_graph=True, allow_unused=True))
    out = [next(grads) if t is not None and n else None for t, n in zip((x, w, b), needs)]
    return (*out, None, None, None)


class BatchNormFn(_Norm):
    node_name = "NativeBatchNormBackward0"


class LayerNormFn(_Norm):
    node_name = "NativeLayerNormBackward0"


class GroupNormFn(_Norm):
    node_name = "NativeGroupNormBackward0"
