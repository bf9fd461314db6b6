"""Loss functions of ``nn.functional``: argument checks as PyTorch makes them, then one kernel.

The kernels (``core/ops/loss.py``) compute stably: cross-entropy is log-softmax followed by
the NLL gather, so logits of 1e4 give finite losses and gradients.
"""
import warnings

import numpy as np

from ..core.ops import loss as L, nn_ops as K
from ..core.ops._util import type_name
from ..core.ops.elementwise import _broadcast_msg
from ..core import dtype as _dt

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "poisson_nll_loss", "soft_margin_loss", "margin_ranking_loss",
           "cosine_embedding_loss", "hinge_embedding_loss"]

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce, emit_warning=True):
    """The ``reduction`` string meant by the deprecated ``size_average``/``reduce`` flags."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _reduction(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(t, reduction):
    return t.mean() if reduction == "mean" else t.sum() if reduction == "sum" else t


def _broadcast_pair(input, target, warn=True):
    """Check that the shapes broadcast, warning (as PyTorch does) when they differ."""
    if target.shape != input.shape and warn:
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input "
                      f"size ({input.size()}). This will likely lead to incorrect results due "
                      f"to broadcasting. Please ensure they have the same size.", stacklevel=3)
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise RuntimeError(_broadcast_msg(input.shape, target.shape)) from None
    if target.dtype is not input.dtype and input.dtype.is_floating_point:
        target = target.to(input.dtype)
    return target


# ----------------------------------------------------------------------------- regression
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean squared error: reduce((input - target)²)."""
    reduction = _reduction(reduction, size_average, reduce)
    target = _broadcast_pair(input, target)
    return L.MseLoss.apply(input, target, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error: reduce(|input - target|)."""
    reduction = _reduction(reduction, size_average, reduce)
    target = _broadcast_pair(input, target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Squared error below ``beta`` (scaled by 1/beta), absolute error above."""
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    target = _broadcast_pair(input, target)
    return L.SmoothL1Loss.apply(input, target, reduction, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Squared error below ``delta``, ``delta``-scaled absolute error above."""
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    target = _broadcast_pair(input, target)
    return L.HuberLoss.apply(input, target, reduction, float(delta))


# ------------------------------------------------------------------------- classification
def _check_class_target(input, target, weight):
    nd = input.dim()
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd == 1 and target.dim() != 0 or nd == 2 and target.dim() != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if nd >= 2 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if nd > 2:
        want = [input.shape[0]] + list(input.shape[2:])
        if list(target.shape) != want:
            raise RuntimeError(f"Expected target size {want}, got {list(target.shape)}")
    if target.dtype not in (_dt.int64, _dt.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{type_name(target._data.dtype)}")
    n_cls = input.shape[0] if nd == 1 else input.shape[1]
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_cls):
        raise RuntimeError(f"weight tensor should be defined either for all {n_cls} classes or "
                           f"no classes but got weight tensor of shape: {list(weight.shape)}")


def _nll(logp, target, weight, reduction, ignore_index):
    kernel = L.NllLoss2d if logp.dim() > 2 else L.NllLoss
    return kernel.apply(logp, target.to(_dt.int64) if target.dtype is _dt.uint8 else target,
                        weight, reduction, ignore_index)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of the target classes, given log-probabilities ``input``.

    Shape:
        input ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``; target ``(N)``, ``()`` or
        ``(N, d1, ...)`` of class indices in ``[0, C)`` (``ignore_index`` skipped).
    """
    reduction = _reduction(reduction, size_average, reduce)
    _check_class_target(input, target, weight)
    return _nll(input, target, weight, reduction, ignore_index)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits ``input`` and class indices or class probabilities.

    Args:
        input (Tensor): unnormalised logits, ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``.
        target (Tensor): class indices (int64, shape of input without the class dim) or
            probabilities (float, same shape as input).
        weight (Tensor, optional): a rescaling weight per class, shape ``(C,)``.
        ignore_index (int): target value whose entries do not count. Default: -100.
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.
        label_smoothing (float): mixes the target with the uniform distribution. Default: 0.
    """
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    if input.dim() == 0:
        class_dim = 0
    if target.shape == input.shape:
        return _cross_entropy_probs(input, target, weight, reduction, ignore_index,
                                    label_smoothing, class_dim)
    _check_class_target(input, target, weight)
    logp = K.LogSoftmax.apply(input, class_dim)
    nll = _nll(logp, target, weight, reduction, ignore_index)
    if label_smoothing == 0.0:
        return nll
    return _smoothed(logp, target, weight, reduction, ignore_index, label_smoothing, class_dim,
                     nll)


def _class_view(weight, ndim, class_dim):
    shape = [1] * ndim
    shape[class_dim] = -1
    return weight.reshape(shape)


def _smoothed(logp, target, weight, reduction, ignore_index, eps, class_dim, nll):
    n_cls = logp.shape[class_dim]
    lp = logp if weight is None else logp * _class_view(weight, logp.dim(), class_dim)
    smooth = -lp.sum(class_dim)
    ignored = target == ignore_index
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        keep = ~ignored
        if weight is not None:
            denom = weight[target.masked_select(keep)].sum()
        else:
            denom = keep.sum()
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - eps) + smooth * (eps / n_cls)


def _cross_entropy_probs(input, target, weight, reduction, ignore_index, eps, class_dim):
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"Expected floating point type for target with class probabilities, "
                           f"got {type_name(target._data.dtype)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    n_cls = input.shape[class_dim]
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_cls):
        raise RuntimeError(f"weight tensor should be defined either for all {n_cls} classes or "
                           f"no classes but got weight tensor of shape: {list(weight.shape)}")
    if eps > 0:
        target = target * (1 - eps) + eps / n_cls
    logp = K.LogSoftmax.apply(input, class_dim)
    prod = logp * target
    if weight is not None:
        prod = prod * _class_view(weight, input.dim(), class_dim)
    loss = -prod.sum(class_dim)
    if reduction == "mean":
        return loss.sum() / (input.numel() // n_cls if input.numel() else 1)
    return loss.sum() if reduction == "sum" else loss


def _float_target(target):
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"Found dtype {type_name(target._data.dtype)} but expected "
                           f"{type_name(_dt.get_default_dtype().np)}")


def _expand_weight(weight, shape):
    if weight is None or weight.shape == shape:
        return weight
    return weight.expand(np.broadcast_shapes(weight.shape, shape))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-w·(t·log(x) + (1-t)·log(1-x)) for probabilities ``input``; logs clamped at -100."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.size()}) that is different to the "
                         f"input size ({input.size()}) is deprecated. Please ensure they have "
                         f"the same size.")
    _float_target(target)
    weight = _expand_weight(weight, input.shape)
    return L.BinaryCrossEntropy.apply(input, target.to(input.dtype), weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """BCE on logits, stable for any magnitude; ``pos_weight`` scales the positive term."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type {type_name(input._data.dtype)} can't be cast to the "
                           f"desired output type {type_name(target._data.dtype)}")
    return L.BinaryCrossEntropyWithLogits.apply(input, target.to(input.dtype), weight,
                                                pos_weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence with ``input`` given as log-probabilities.

    ``reduction='batchmean'`` divides the sum by the batch size (the mathematical KL);
    ``'mean'`` divides by the number of elements.
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # t·log(t) with 0·log(0) = 0; the where keeps log's argument positive
        safe = target.where(target > 0, 1.0)
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() else loss.sum()
    return _reduce(loss, reduction)


# --------------------------------------------------------------------------- less common
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Negative log-likelihood of a Poisson target with rate exp(input) (or input)."""
    reduction = _reduction(reduction, size_average, reduce)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        t = target
        stirling = t * t.log() - t + 0.5 * (2 * np.pi * t).log()
        loss = loss + stirling.masked_fill(t <= 1, 0)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y·x)) for targets ±1."""
    reduction = _reduction(reduction, size_average, reduce)
    return _reduce(K.Softplus.apply(-target * input, 1.0, 20.0), reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y·(x1 - x2) + margin)."""
    reduction = _reduction(reduction, size_average, reduce)
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1."""
    reduction = _reduction(reduction, size_average, reduce)
    pos = input.masked_fill(target != 1, 0)
    neg = (margin - input).clamp(min=0).masked_fill(target != -1, 0)
    return _reduce(pos + neg, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1."""
    reduction = _reduction(reduction, size_average, reduce)
    eps = 1e-12
    cos = (input1 * input2).sum(-1) / ((input1 * input1).sum(-1) + eps).sqrt() / (
        (input2 * input2).sum(-1) + eps).sqrt()
    pos = (1 - cos).masked_fill(target != 1, 0)
    neg = (cos - margin).clamp(min=0).masked_fill(target != -1, 0)
    return _reduce(pos + neg, reduction)
