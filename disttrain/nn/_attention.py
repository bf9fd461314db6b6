"""Functional attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

The attention itself is one node (``_sdpa``); multi-head attention adds the projections
around it. Masks are turned into additive float masks first, as PyTorch does.
"""
import math

from ..core import creation as _c, functions as _f
from ..core.ops import linalg as _linalg
from ._sdpa import ScaledDotProductAttention, _keep_mask, scaled_dot_product_attention

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


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


def _in_projection(query, key, value, e, in_proj_weight, in_proj_bias, separate, qw, kw, vw):
    if not separate:
        ws = in_proj_weight.chunk(3) if in_proj_weight is not None else (None,) * 3
    else:
        ws = (qw, kw, vw)
    bs = in_proj_bias.chunk(3) if in_proj_bias is not None else (None,) * 3
    return tuple(_linear(x, w, b) for x, w, b in zip((query, key, value), ws, bs))


def _linear(x, w, b):
    """``x @ w.T + b`` over the last dim (Linear folds a strided 3-d input into one 2-d gemm)."""
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
    drop = None
    if dropout_p > 0.0:
        drop = _keep_mask(q, k, v, 1, None, attn_mask, dropout_p)
    # with the weights returned, a query that sees no key gets NaN weights (a plain softmax),
    # without them zeros: PyTorch's two paths do the same
    out, weights = ScaledDotProductAttention.apply(q, k, v, attn_mask, None,
                                                   math.sqrt(1.0 / head_dim), 1, drop,
                                                   need_weights)
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
