"""``scaled_dot_product_attention`` as one graph node with a hand-written backward.

The forward is one pass over raw arrays: scores, mask, a softmax shifted by the row max,
dropout, and the product with the values. Only the attention probabilities (and the dropout
keep-mask) are kept for backward. Rows that may attend to nothing (every score ``-inf``)
give zero weights and zero output, as PyTorch's attention does, instead of NaN.

When backward itself is recorded (``create_graph=True``) the probabilities are recomputed
from ``query`` and ``key`` with differentiable Tensor ops, so second derivatives are exact.
"""
import math

import numpy as np

from ..core.autograd import Function
from ..core.device import array_module
from ..core.grad_mode import is_grad_enabled
from ..core.ops._util import finite_max, unbroadcast
from ..core.tensor import Tensor
from .attention import _check_backend

__all__ = ["scaled_dot_product_attention"]


def _probs(xp, q, k, scale, add, keep, dead_nan=False):
    """softmax(q k^T * scale + add) over the keys, with ``keep`` False positions excluded.

    A row with nothing to attend to stays all zero, or all NaN with ``dead_nan`` (what a
    plain softmax of ``-inf`` gives, and PyTorch's attention when it returns the weights).
    """
    s = xp.matmul(q, xp.swapaxes(k, -1, -2)) * scale
    if add is not None:
        s = s + add
    if keep is not None:
        s = xp.where(keep, s, -xp.inf)
    e = xp.exp(s - finite_max(xp, s, -1))
    z = e.sum(axis=-1, keepdims=True)
    if dead_nan:
        with np.errstate(invalid="ignore"):
            return e / z
    return e / xp.where(z == 0, 1, z)


def _probs_tensor(q, k, scale, add, keep, dead_nan=False):
    """:func:`_probs` from differentiable Tensor ops (for a recorded backward)."""
    s = q.matmul(k.transpose(-2, -1)) * scale
    if add is not None:
        s = s + add
    if keep is not None:
        s = s.masked_fill(keep.logical_not(), float("-inf"))
    if dead_nan:
        return s.softmax(-1)
    dead = (s == float("-inf")).all(-1, keepdim=True)
    return s.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)


def _repeat_heads(xp, a, rep):
    return a if rep == 1 else xp.repeat(a, rep, axis=-3)


def _repeat_heads_tensor(t, rep):
    """Each head of ``t`` (dim -3) repeated ``rep`` times in place (repeat_interleave)."""
    if rep == 1:
        return t
    shape = tuple(t.shape)
    return (t.unsqueeze(-3).expand(*shape[:-2], rep, *shape[-2:])
            .reshape(*shape[:-3], shape[-3] * rep, *shape[-2:]))


def _fold_heads(g, rep):
    """Sum the gradient of heads repeated ``rep`` times back onto the shared heads."""
    if rep == 1:
        return g
    shape = tuple(g.shape)
    return g.reshape(*shape[:-3], shape[-3] // rep, rep, *shape[-2:]).sum(-3)


class ScaledDotProductAttention(Function):
    """softmax(Q K^T · scale + mask) V with dropout on the weights, one node.

    Returns the output and the (dropped-out) weights it used; both are differentiable.
    """

    node_name = "ScaledDotProductAttentionBackward0"

    @staticmethod
    def forward(ctx, q, k, v, mask, keep, scale, rep, drop, dead_nan=False):
        xp = array_module(q._data)
        # batched matmul of strided views (heads split by reshape/transpose) takes numpy's
        # slow generic path: one copy each is far cheaper
        qd, kd, vd = (xp.ascontiguousarray(t._data) for t in (q, k, v))
        kd, vd = _repeat_heads(xp, kd, rep), _repeat_heads(xp, vd, rep)
        add = None if mask is None else mask._data
        keep_d = None if keep is None else keep._data
        p = _probs(xp, qd, kd, scale, add, keep_d, dead_nan)
        pd = p if drop is None else p * drop
        out = xp.matmul(pd, vd)
        if ctx._recording:
            ctx.save_for_backward(q, k, v, mask)
            ctx.p, ctx.keep, ctx.scale, ctx.rep, ctx.drop = p, keep, scale, rep, drop
            ctx.dead_nan = dead_nan
            ctx.set_materialize_grads(False)
        return out, pd

    @staticmethod
    def backward(ctx, g, gw):
        q, k, v, mask = ctx.saved_tensors
        q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
        rep, scale, drop = ctx.rep, ctx.scale, ctx.drop
        kr, vr = _repeat_heads_tensor(k, rep), _repeat_heads_tensor(v, rep)
        if is_grad_enabled():          # a recorded backward: P as a function of q, k, mask
            p = _probs_tensor(q, kr, scale, mask, ctx.keep, ctx.dead_nan)
        else:
            p = Tensor._wrap(ctx.p)
        dropt = None if drop is None else Tensor._wrap(drop)
        pd = p if dropt is None else p * dropt
        need = ctx.needs_input_grad
        gq = gk = gv = gm = None
        if g is None:               # only the weights were used
            g = p.new_zeros(tuple(p.shape[:-1]) + (vr.shape[-1],))
            need = (need[0], need[1], False, need[3])
        if need[2]:
            gv = unbroadcast(_fold_heads(pd.transpose(-2, -1).matmul(g), rep), v.shape)
        if need[0] or need[1] or need[3]:
            dp = g.matmul(vr.transpose(-2, -1))
            if gw is not None:
                dp = dp + gw
            if dropt is not None:
                dp = dp * dropt
            ds = p * (dp - (dp * p).sum(-1, keepdim=True))
            if need[0]:
                gq = unbroadcast(ds.matmul(kr) * scale, q.shape)
            if need[1]:
                gk = unbroadcast(_fold_heads(ds.transpose(-2, -1).matmul(q) * scale, rep),
                                 k.shape)
            if need[3]:
                gm = unbroadcast(ds, mask.shape)
        return gq, gk, gv, gm, None, None, None, None, None


def _check(query, key, value, attn_mask, dropout_p, is_causal, enable_gqa):
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_name(query)} key.dtype: {_name(key)} and "
                           f"value.dtype: {_name(value)} instead.")
    if attn_mask is not None and attn_mask.dtype.name != "bool" and \
            not attn_mask.dtype.is_floating_point:
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: {_name(attn_mask)} and  "
                           f"query.dtype: {_name(query)} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    rep = 1
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk != hv or hq % hk:
            raise RuntimeError("Number of heads in key and value must divide the number of "
                               "heads in ")
        rep = hq // hk
    return rep


def _name(t):
    from ..core.ops._util import c_type_name
    return c_type_name(t._data.dtype)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """``softmax(Q K^T * scale + mask) V`` over the last two dimensions, as one graph node.

    Args:
        query (Tensor): (..., Hq, L, E).
        key (Tensor): (..., H, S, E); batch dimensions broadcast against ``query``'s.
        value (Tensor): (..., H, S, Ev).
        attn_mask (Tensor, optional): broadcastable to (..., L, S); a boolean mask marks the
            positions that *take part* (True), a float mask is added to the scores.
        dropout_p (float): dropout on the attention weights (always applied when > 0, as
            PyTorch does: pass 0.0 in evaluation).
        is_causal (bool): mask out the upper triangle (position i sees j <= i).
        scale (float, optional): default ``1 / sqrt(E)``.
        enable_gqa (bool): grouped-query attention: ``key``/``value`` heads are shared by
            ``Hq / H`` query heads each.

    A query row that may attend to no key gives zeros (not NaN), as in PyTorch.

    Example::

        >>> q = k = v = disttrain.randn(2, 3, 4)
        >>> F.scaled_dot_product_attention(q, k, v).shape
        disttrain.Size([2, 3, 4])
    """
    _check_backend()
    rep = _check(query, key, value, attn_mask, dropout_p, is_causal, enable_gqa)
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    mask = keep = None
    if is_causal:
        from ..core import creation as _c, dtype as _dt
        keep = _c.ones((L, S), dtype=_dt.bool, device=query.device).tril()
    elif attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            keep = attn_mask
        else:
            mask = attn_mask.to(query.dtype)
    drop = None
    if dropout_p > 0.0:
        drop = _keep_mask(query, key, value, rep, keep, mask, dropout_p)
    return ScaledDotProductAttention.apply(query, key, value, mask, keep, float(scale), rep,
                                           drop)[0]


def _keep_mask(query, key, value, rep, keep, mask, p):
    """The dropout keep-mask over the weights' shape, scaled by 1/(1-p), from the default
    generator (so ``manual_seed`` makes it repeatable)."""
    import numpy as np
    from ._basicfn import _dropout_mask
    kshape = list(key.shape[:-2])
    if rep > 1:
        kshape[-1] *= rep
    L, S = query.shape[-2], key.shape[-2]
    shapes = [tuple(query.shape[:-2]) + (L, S), tuple(kshape) + (L, S)]
    shapes += [tuple(t.shape) for t in (keep, mask) if t is not None]
    shape = np.broadcast_shapes(*shapes)
    return _dropout_mask(query, shape, p)._data
