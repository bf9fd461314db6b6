"""The ``torch.*`` forms of ``nn.functional`` ops (``torch.conv2d``, ``torch.layer_norm``,
``torch.embedding``, ``torch.kl_div`` ...), with the signatures of PyTorch's own operators:
their argument order (``torch.embedding(weight, indices)``, ``torch.batch_norm(input, weight,
bias, running_mean, running_var, ...)``), losses' ``reduction`` as ATen's integer (1 mean,
2 sum, any other none; left out it is none, as PyTorch's Python binding gives it), pools'
``stride=[]`` for the kernel size, and the ``cudnn_enabled`` flags (accepted; there is no
cuDNN here). Each calls the ``nn.functional`` op, so values and
gradients are those. Reached as ``disttrain.<name>`` (loaded with ``nn`` on first use).
"""
import warnings

from . import functional as F

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "avg_pool1d", "max_pool1d", "max_pool2d", "max_pool3d",
           "max_pool1d_with_indices", "adaptive_avg_pool1d", "adaptive_max_pool1d",
           "batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "embedding",
           "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
           "cosine_similarity", "pairwise_distance", "pdist", "prelu", "selu", "selu_", "celu",
           "celu_", "rrelu", "rrelu_", "threshold", "threshold_", "hardshrink", "kl_div",
           "binary_cross_entropy_with_logits", "bilinear", "cosine_embedding_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss",
           "poisson_nll_loss", "ctc_loss", "constant_pad_nd"]

conv1d, conv2d, conv3d = F.conv1d, F.conv2d, F.conv3d
conv_transpose1d, conv_transpose2d, conv_transpose3d = (F.conv_transpose1d, F.conv_transpose2d,
                                                        F.conv_transpose3d)
adaptive_avg_pool1d = F.adaptive_avg_pool1d
pixel_shuffle, pixel_unshuffle = F.pixel_shuffle, F.pixel_unshuffle
channel_shuffle = native_channel_shuffle = F.channel_shuffle
cosine_similarity, pairwise_distance, pdist = F.cosine_similarity, F.pairwise_distance, F.pdist
prelu, hardshrink, bilinear = F.prelu, F.hardshrink, F.bilinear
selu_, celu_ = F.selu_, F.celu_

def _reduction(name, value, position):
    """ATen's integer reduction as ``nn.functional``'s string: 1 mean, 2 sum, else none."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}(): argument 'reduction' (position {position}) must be int, "
                        f"not {type(value).__name__}")
    return {1: "mean", 2: "sum"}.get(value, "none")


def _stride(stride):
    """ATen's ``stride=[]`` (the kernel size) as ``nn.functional``'s None."""
    return None if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else stride


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False,
               count_include_pad=True):
    """``F.avg_pool1d`` (``stride=[]``: the kernel size)."""
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode,
                        count_include_pad)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``F.max_pool1d`` (``stride=[]``: the kernel size)."""
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``F.max_pool2d`` (``stride=[]``: the kernel size)."""
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``F.max_pool3d`` (``stride=[]``: the kernel size)."""
    return F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """``(values, indices)`` of ``F.max_pool1d``."""
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode,
                        return_indices=True)


def adaptive_max_pool1d(input, output_size):
    """``(values, indices)`` of ``F.adaptive_max_pool1d``."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    """``F.batch_norm`` in ATen's argument order."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                        eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    """``F.layer_norm``."""
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    """``F.group_norm``."""
    return F.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    """``F.instance_norm`` in ATen's argument order."""
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``F.rms_norm``."""
    return F.rms_norm(input, normalized_shape, weight, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``F.embedding(indices, weight, ...)``: ATen's order, weight first; ``padding_idx``
    -1 (or any negative) is none, as in ATen (``F.embedding`` reads -1 as the last row)."""
    return F.embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def selu(input):
    """``F.selu``."""
    return F.selu(input)


def celu(input, alpha=1.0):
    """``F.celu``."""
    return F.celu(input, alpha)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """``F.rrelu``, its slopes in training drawn from ``generator``."""
    return F.rrelu(input, lower, upper, training, generator=generator)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """In-place :func:`rrelu`."""
    return F.rrelu(input, lower, upper, training, True, generator=generator)


def threshold(input, threshold, value):
    """``F.threshold``."""
    return F.threshold(input, threshold, value)


def threshold_(input, threshold, value):
    """``F.threshold_``."""
    return F.threshold_(input, threshold, value)


def kl_div(input, target, reduction=0, *, log_target=False):
    """``F.kl_div``; ``reduction`` 1 (mean) averages over every element, without the
    warning ``F.kl_div`` gives for it (PyTorch's operator gives none)."""
    red = _reduction("kl_div", reduction, 3)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "reduction: 'mean' divides", UserWarning)
        return F.kl_div(input, target, reduction=red, log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,
                                     reduction=0):
    """``F.binary_cross_entropy_with_logits``."""
    return F.binary_cross_entropy_with_logits(
        input, target, weight,
        reduction=_reduction("binary_cross_entropy_with_logits", reduction, 5),
        pos_weight=pos_weight)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    """``F.cosine_embedding_loss``."""
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction("cosine_embedding_loss", reduction, 5))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    """``F.margin_ranking_loss``."""
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 reduction=_reduction("margin_ranking_loss", reduction, 5))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    """``F.hinge_embedding_loss``."""
    return F.hinge_embedding_loss(input, target, margin,
                                  reduction=_reduction("hinge_embedding_loss", reduction, 4))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False,
                        reduction=0):
    """``F.triplet_margin_loss``."""
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction("triplet_margin_loss", reduction, 8))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """``F.poisson_nll_loss`` (every argument required, as in ATen)."""
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction("poisson_nll_loss", reduction, 6))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
             zero_infinity=False):
    """``F.ctc_loss``."""
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                      _reduction("ctc_loss", reduction, 6), zero_infinity)


def constant_pad_nd(input, pad, value=0):
    """``F.pad(input, pad, 'constant', value)``."""
    return F.pad(input, pad, "constant", value)
