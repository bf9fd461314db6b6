"""More functional losses: triplet, multi-class/multi-label margin and Gaussian NLL.

Compositions of differentiable Tensor ops, with PyTorch's arguments, defaults and errors.
"""
import math

from ..core import functions as _fn
from ._functional_loss import _reduce, _reduction

__all__ = ["triplet_margin_loss", "triplet_margin_with_distance_loss", "multi_margin_loss",
           "multilabel_margin_loss", "multilabel_soft_margin_loss", "gaussian_nll_loss"]


def _check_triplet(anchor, positive, negative):
    a, p, n = anchor.dim(), positive.dim(), negative.dim()
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {a}D, positive "
                           f"{p}D, and negative {n}D inputs")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) with d the p-norm pairwise distance.

    With ``swap`` the negative distance is min(d(a, n), d(p, n)).
    """
    from ._basicfn import pairwise_distance
    reduction = _reduction(reduction, size_average, reduce)
    _check_triplet(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _fn.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) with any distance (default: pairwise_distance)."""
    from ._basicfn import pairwise_distance
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than "
                         f"0, got {margin} instead")
    reduction = _reduction(reduction)
    _check_triplet(anchor, positive, negative)
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = _fn.minimum(d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


def _class_target(input, target, name):
    if input.dim() not in (1, 2) or (input.dim() == 2 and input.shape[1] == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(input.shape)}")
    x = input if input.dim() == 2 else input.unsqueeze(0)
    t = target.reshape(-1) if input.dim() == 2 or target.dim() else target.reshape(1)
    return x, t


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Σ_{i≠y} max(0, margin - x[y] + x[i])^p / C per sample (multi-class hinge loss)."""
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x, t = _class_target(input, target, "multi_margin_loss")
    n, c = x.shape
    if t.shape[0] != n:
        raise RuntimeError(f"inconsistent target size, expected {n} but got "
                           f"{list(target.shape)}")
    xy = x.gather(1, t.unsqueeze(1))
    z = (margin - xy + x).clamp(min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.index_select(0, t).unsqueeze(1)
    from ._basicfn import one_hot
    z = z.masked_fill(one_hot(t, c).bool(), 0.0)
    loss = z.sum(1) / c
    if input.dim() == 1 and reduction == "none":
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Σ_{j ∈ targets} Σ_{i ∉ targets} max(0, 1 - (x[j] - x[i])) / C per sample.

    ``target`` holds class indices, ended early by the first -1 in a row.
    """
    reduction = _reduction(reduction, size_average, reduce)
    x = input if input.dim() == 2 else input.unsqueeze(0)
    t = target if target.dim() == 2 else target.unsqueeze(0)
    if tuple(t.shape) != tuple(x.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    n, c = x.shape
    # targets before the first -1 count; a row's target set as a (N, C) 0/1 mask
    valid = (t >= 0).long().cumprod(1).bool()
    idx = t.masked_fill(~valid, 0)
    from ._basicfn import one_hot
    is_target = (one_hot(idx, c) * valid.long().unsqueeze(-1)).sum(1) > 0
    xj = x.gather(1, idx)                                # (N, C) target scores (by slot)
    z = (1 - (xj.unsqueeze(2) - x.unsqueeze(1))).clamp(min=0)   # (N, slot, class)
    keep = valid.unsqueeze(2) & ~is_target.unsqueeze(1)
    loss = z.masked_fill(~keep, 0.0).sum((1, 2)) / c
    if input.dim() == 1:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """-mean_i (y_i·log σ(x_i) + (1 - y_i)·log σ(-x_i)) per sample (one-vs-all)."""
    from ._basicfn import logsigmoid
    reduction = _reduction(reduction, size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(dim=input.dim() - 1) / input.shape[-1]
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5·(log(max(var, eps)) + (input - target)² / max(var, eps)) (+ 0.5·log(2π) if full).

    ``var`` may have one dimension fewer than ``input`` or a last dimension of 1
    (homoscedastic); the clamp to ``eps`` does not pass gradients through, as in PyTorch.
    """
    if isinstance(var, (int, float)):
        from ..core import creation as _c
        var = _c.full(tuple(input.shape), float(var), dtype=input.dtype, device=input.device)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    # clamp without a gradient through the clamp itself: var + (clamped - var).detach()
    v = var + (var.detach().clamp(min=eps) - var.detach())
    loss = 0.5 * (v.log() + (input - target) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
