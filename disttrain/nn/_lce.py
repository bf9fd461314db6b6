"""``linear_cross_entropy``: cross entropy of a linear projection, optionally chunked.

The reference path is ``cross_entropy(linear(input, W, b), target)``. With ``options`` (a
``LinearCrossEntropyOptions``) the batch is processed in chunks by one graph node whose
forward keeps only per-row log-sum-exps and whose backward recomputes each chunk's logits,
so the (batch, classes) logits never exist all at once: what an LLM vocabulary head needs.
"""
import dataclasses
import math
import warnings

from ..core import creation as _c, functions as _fn
from ..core.autograd import Function
from ..core.device import array_module
from ..core.tensor import Tensor

__all__ = ["linear_cross_entropy", "LinearCrossEntropyOptions"]


@dataclasses.dataclass
class LinearCrossEntropyOptions:
    """How the chunked :func:`linear_cross_entropy` splits the batch.

    Args:
        allow_retain_graph (bool): accepted; the chunked node always supports a second
            backward. Default False.
        batch_chunk_size (int, optional): rows per chunk; default from ``chunking_method``.
        chunking_method (str, optional): ``'aspect_ratio:k'`` makes chunks of
            k·in_features rows; ``'auto'`` (default) is ``'aspect_ratio:2'``.
        acc_policy (str): 'accurate', 'balanced', 'compact' or 'auto'; gradients are
            accumulated in ``acc_dtype`` (or the input's dtype) whichever is chosen.
        acc_dtype (dtype, optional): accumulation dtype of the weight gradient.
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int = None
    chunking_method: str = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in {"auto", "accurate", "balanced", "compact"}:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            if not sep:
                factor = "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        if not (self.batch_chunk_size is None or (isinstance(self.batch_chunk_size, int)
                                                  and self.batch_chunk_size > 0)):
            raise ValueError(f"batch_chunk_size must be positive int or None, got "
                             f"{self.batch_chunk_size!r}")

    def _chunk(self, in_features):
        if self.batch_chunk_size is not None:
            return self.batch_chunk_size
        method = self.chunking_method or "auto"
        factor = 2 if method == "auto" else int(method.partition(":")[2] or 1)
        return max(1, factor * in_features)


class _ChunkedLinearCrossEntropy(Function):
    """Per-row -w[y]·log softmax(x W^T + b)[y] (0 for ignored rows), chunk by chunk."""

    node_name = "LinearCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, w, b, target, cls_weight, ignore_index, chunk):
        xd, wd = x._data, w._data
        xp = array_module(xd)
        td = target._data
        n = xd.shape[0]
        out = xp.zeros(n, dtype=xd.dtype)
        valid = td != ignore_index
        safe = xp.where(valid, td, 0)
        for s in range(0, n, chunk):
            logits = xd[s:s + chunk] @ wd.T
            if b is not None:
                logits = logits + b._data
            m = logits.max(axis=1, keepdims=True)
            lse = (m + xp.log(xp.exp(logits - m).sum(axis=1, keepdims=True)))[:, 0]
            picked = xp.take_along_axis(logits, safe[s:s + chunk, None], 1)[:, 0]
            out[s:s + chunk] = lse - picked
        if cls_weight is not None:
            out = out * cls_weight._data[safe]
        out = xp.where(valid, out, 0).astype(xd.dtype)
        if ctx._recording:
            ctx.save_for_backward(x, w, b, cls_weight)
            ctx.safe, ctx.valid, ctx.chunk = safe, valid, chunk
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, b, cls_weight = ctx.saved_tensors
        safe = Tensor._make(ctx.safe)
        scale = g.masked_fill(Tensor._make(~ctx.valid), 0.0)
        if cls_weight is not None:
            scale = scale * cls_weight.index_select(0, safe)
        n, chunk = x.shape[0], ctx.chunk
        gxs, gw, gb = [], None, None
        for s in range(0, n, chunk):
            xc = x[s:s + chunk]
            logits = xc.matmul(w.t())
            if b is not None:
                logits = logits + b
            d = logits.softmax(1)
            onehot = _c.zeros(*d.shape, dtype=d.dtype, device=d.device).scatter_(
                1, safe[s:s + chunk].unsqueeze(1), 1.0)
            d = (d - onehot) * scale[s:s + chunk].unsqueeze(1)
            gxs.append(d.matmul(w))
            part = d.t().matmul(xc)
            gw = part if gw is None else gw + part
            if b is not None:
                pb = d.sum(0)
                gb = pb if gb is None else gb + pb
        gx = _fn.cat(gxs, 0) if gxs else x * 0
        return gx, gw, gb, None, None, None, None


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction="mean", ignore_index=None, label_smoothing=0.0,
                         options=None):
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``.

    Args:
        input (Tensor): (N, in_features) or (in_features,).
        linear_weight (Tensor): (C, in_features), or (C, d_1, ..., d_K, in_features) for a
            K-dimensional loss.
        target (Tensor): class indices (N) / (N, d_1, ...), or class probabilities shaped
            like the logits.
        linear_bias (Tensor, optional): (C,) or (C, d_1, ..., d_K).
        weight, reduction, label_smoothing: as in :func:`cross_entropy`.
        ignore_index (int, optional): default -100 for class indices; must stay None for
            probabilities.
        options (LinearCrossEntropyOptions, optional): process the batch in chunks without
            materialising all logits (class-index targets, no label smoothing, 2-d weight).

    Example::

        >>> x, w = disttrain.randn(6, 4), disttrain.randn(10, 4)
        >>> t = disttrain.tensor([1, 2, 3, 4, 5, 6])
        >>> F.linear_cross_entropy(x, w, t).dim()
        0
    """
    from ._functional_loss import cross_entropy
    from ._basicfn import linear
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.dim()}")
    num_batches = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"expected equal input and linear_weight last dimensions "
                           f"(in_features), got {input.shape[-1]} and "
                           f"{linear_weight.shape[-1]}, respectively")
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not num_batches:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape "
                           f"{tuple(linear_weight.shape)} requires batched input, (N, "
                           f"{in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    logits_shape = (*num_batches, num_classes, *out_features)
    probs = tuple(target.shape) == logits_shape
    if probs and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains "
                           "probabilities")
    ignore_index = ignore_index if ignore_index is not None else -100
    chunkable = (reduction in {"mean", "sum", "none"} and label_smoothing == 0.0
                 and target.dtype.name == "int64" and not out_features)
    if options is not None and not chunkable:
        warnings.warn(f"linear_cross_entropy: ``options`` ignored; chunked path needs "
                      f"reduction in {{'mean','sum','none'}}, label_smoothing == 0, "
                      f"target.dtype == int64, out_features == (). Got "
                      f"reduction={reduction!r}, label_smoothing={label_smoothing}, "
                      f"target.dtype={target.dtype}, out_features={out_features}, "
                      f"tracing=False, linear_bias.shape="
                      f"{tuple(linear_bias.shape) if linear_bias is not None else None}.",
                      stacklevel=2)
    if options is not None and chunkable:
        return _chunked(input, linear_weight, target, linear_bias, weight, reduction,
                        ignore_index, options._chunk(in_features))
    w2, b2 = linear_weight, linear_bias
    if out_features:
        w2 = linear_weight.reshape(math.prod(out_features, start=num_classes), in_features)
        if linear_bias is not None:
            b2 = linear_bias.reshape(math.prod(out_features, start=num_classes))
    logits = linear(input, w2, b2).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, ignore_index=ignore_index,
                         reduction=reduction, label_smoothing=label_smoothing)


def _chunked(input, w, target, b, weight, reduction, ignore_index, chunk):
    batched = input.dim() == 2
    x = input if batched else input.unsqueeze(0)
    t = target if batched else target.reshape(1)
    per_row = _ChunkedLinearCrossEntropy.apply(x, w, b, t, weight, ignore_index, chunk)
    if reduction == "none":
        return per_row if batched else per_row.squeeze(0)
    if reduction == "sum":
        return per_row.sum()
    valid = t != ignore_index
    if weight is not None:
        safe = t.masked_fill(~valid, 0)
        denom = weight.index_select(0, safe).masked_fill(~valid, 0.0).sum()
    else:
        denom = valid.sum().to(per_row.dtype)
    return per_row.sum() / denom
