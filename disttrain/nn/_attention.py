"""Functional attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

Both are compositions of differentiable Tensor ops (linear, bmm, softmax, dropout), so they
need no backward of their own; masks are turned into additive float masks first, as
PyTorch does.
"""
import math

from ..core import creation as _c, dtype as _dt, functions as _f
from ..core.ops import linalg as _linalg

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _dropout(x, p, training):
    if not training or p == 0.0:
        return x
    from .functional import dropout     # defined beside the other activations
    return dropout(x, p, training)


def _additive(mask, dtype, name="attn_mask"):
    """A boolean mask (True = masked out) or a float mask, as a float mask to add to scores."""
    if mask is None:
        return None
    if mask.dtype.name == "bool":
        zeros = _c.zeros(mask.shape, dtype=dtype, device=mask.device)
        return zeros.masked_fill(mask, float("-inf"))
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask.to(dtype)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """``softmax(Q K^T * scale + mask) V`` over the last two dimensions.

    Args:
        query (Tensor): (..., L, E).
        key (Tensor): (..., S, E).
        value (Tensor): (..., S, Ev).
        attn_mask (Tensor, optional): broadcastable to (..., L, S); a boolean mask marks the
            positions that *take part* (True), a float mask is added to the scores.
        dropout_p (float): dropout on the attention weights.
        is_causal (bool): mask out the upper triangle (position i sees j <= i).
        scale (float, optional): default ``1 / sqrt(E)``.

    Example::

        >>> q = k = v = disttrain.randn(2, 3, 4)
        >>> F.scaled_dot_product_attention(q, k, v).shape
        disttrain.Size([2, 3, 4])
    """
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key, value = (t.unsqueeze(-3).expand(*t.shape[:-2], rep, *t.shape[-2:])
                      .reshape(*t.shape[:-3], t.shape[-3] * rep, *t.shape[-2:])
                      for t in (key, value))
    scores = query.matmul(key.transpose(-2, -1)) * scale
    keep = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        keep = _c.ones((L, S), dtype=_dt.bool, device=query.device).tril()
    elif attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            keep = attn_mask
        else:
            scores = scores + attn_mask
    if keep is None:
        weights = scores.softmax(-1)
    else:
        # A query that may attend to nothing gets zero output (PyTorch's rule), not NaN:
        # its scores are neutralised before the softmax and its weights zeroed after.
        dead = keep.logical_not().all(-1, keepdim=True)
        scores = scores.masked_fill(keep.logical_not(), float("-inf")).masked_fill(dead, 0.0)
        weights = scores.softmax(-1).masked_fill(dead, 0.0)
    return _dropout(weights, dropout_p, True).matmul(value)


def _in_projection(query, key, value, e, in_proj_weight, in_proj_bias, separate, qw, kw, vw):
    if not separate:
        ws = in_proj_weight.chunk(3) if in_proj_weight is not None else (None,) * 3
    else:
        ws = (qw, kw, vw)
    bs = in_proj_bias.chunk(3) if in_proj_bias is not None else (None,) * 3
    return tuple(_linear(x, w, b) for x, w, b in zip((query, key, value), ws, bs))


def _linear(x, w, b):
    return _linalg.Linear.apply(x, w, b) if b is not None else _linalg.Linear.apply(x, w)


def _append_bias_kv(k, v, bias_k, bias_v, attn_mask, key_padding_mask):
    n = k.shape[1]
    k = _f.cat([k, bias_k.repeat(1, n, 1)])
    v = _f.cat([v, bias_v.repeat(1, n, 1)])
    from ._resample import pad
    if attn_mask is not None:
        attn_mask = pad(attn_mask, (0, 1))
    if key_padding_mask is not None:
        key_padding_mask = pad(key_padding_mask, (0, 1))
    return k, v, attn_mask, key_padding_mask


def _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads):
    batched = query.dim() == 3
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.dim()}-D query tensor")
    if key.dim() != query.dim() or value.dim() != query.dim():
        raise AssertionError(f"For {'batched' if batched else 'unbatched'} "
                             f"({query.dim()}-D) `query`, expected `key` and `value` to be "
                             f"{query.dim()}-D but found {key.dim()}-D and {value.dim()}-D "
                             f"tensors respectively")
    if attn_mask is not None and attn_mask.dim() not in (2, 3):
        raise AssertionError(f"For {'batched' if batched else 'unbatched'} ({query.dim()}-D) "
                             f"`query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                             f"{attn_mask.dim()}-D tensor instead")
    return batched


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p,
                                 out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Multi-head attention on sequence-first inputs (L, N, E), or unbatched (L, E).

    Returns ``(attn_output, attn_weights)``: (L, N, E) and (N, L, S) averaged over heads
    (or (N, H, L, S) with ``average_attn_weights=False``; None unless ``need_weights``).
    """
    batched = _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, e = query.shape
    if e != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {e}")
    head_dim = e // num_heads
    if head_dim * num_heads != e:
        raise AssertionError(f"embed_dim {e} not divisible by num_heads {num_heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint.")
    q, k, v = _in_projection(query, key, value, e, in_proj_weight, in_proj_bias,
                             use_separate_proj_weight, q_proj_weight, k_proj_weight,
                             v_proj_weight)
    attn_mask = _additive(attn_mask, q.dtype)
    key_padding_mask = _additive(key_padding_mask, q.dtype, "key_padding_mask")
    if attn_mask is not None and attn_mask.dim() == 2:
        src_len = key.shape[0] if static_k is None else static_k.shape[1]
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should "
                               f"be {(tgt_len, src_len)}.")
        attn_mask = attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        k, v, attn_mask, key_padding_mask = _append_bias_kv(k, v, bias_k, bias_v, attn_mask,
                                                            key_padding_mask)
    # (L, N, E) -> (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (static_k if static_k is not None else
         k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1))
    v = (static_v if static_v is not None else
         v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1))
    if add_zero_attn:
        zeros = _c.zeros((bsz * num_heads, 1, head_dim), dtype=q.dtype, device=q.device)
        k, v = _f.cat([k, zeros], dim=1), _f.cat([v, zeros], dim=1)
        from ._resample import pad
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but "
                                 f"got {key_padding_mask.shape}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    scores = (q * math.sqrt(1.0 / head_dim)).bmm(k.transpose(-2, -1))
    if attn_mask is not None:
        scores = scores + attn_mask
    weights = _dropout(scores.softmax(-1), dropout_p, True)
    out = weights.bmm(v)                                   # (N * H, L, head_dim)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, e)
    out = _linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, e)
    if not batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        weights = weights.squeeze(0)
    return out, weights
