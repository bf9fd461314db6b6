"""Functional batch, layer and group normalisation (kernels in ``core.ops.norm``)."""
from ..core.device import array_module
from ..core.ops import norm as _norm

__all__ = ["batch_norm", "layer_norm", "group_norm"]


def _check_len(t, name, c):
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def _update_running(running, value, momentum):
    """``running = (1 - momentum) * running + momentum * value`` in place, as a buffer update."""
    if running is None:
        return
    d = running._data
    d *= 1 - momentum
    d += momentum * value.astype(d.dtype, copy=False)
    running._version[0] += 1


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Normalise each channel of (N, C, *) over the batch and spatial positions.

    In training the batch statistics are used and ``running_mean``/``running_var`` (when
    given) move towards them by ``momentum``, the variance unbiased; otherwise the running
    statistics are used.

    Args:
        input (Tensor): (N, C) or (N, C, *).
        running_mean, running_var (Tensor, optional): (C,) buffers.
        weight, bias (Tensor, optional): (C,) affine parameters.
        training (bool): use (and update with) the batch statistics.
        momentum (float): weight of the new batch statistics in the running ones.
        eps (float): added to the variance for stability.

    Example::

        >>> x = disttrain.randn(4, 3)
        >>> F.batch_norm(x, None, None, training=True).mean(0).abs().max() < 1e-6
        tensor(True)
    """
    if input.dim() < 2:
        raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")
    c = input.shape[1]
    _check_len(running_mean, "running_mean", c)
    _check_len(running_var, "running_var", c)
    _check_len(weight, "weight", c)
    _check_len(bias, "bias", c)
    layout = _norm.batch_layout(input.shape)
    use_batch = training or running_mean is None or running_var is None
    if use_batch:
        m = input.numel() // c
        if training and m <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
        y, mean, var = _norm.BatchNormFn.apply(input, weight, bias, layout, eps)
        if training:
            _update_running(running_mean, mean._data, momentum)
            _update_running(running_var, var._data * (m / max(m - 1, 1)), momentum)
        return y
    xp = array_module(input._data)
    dt = input._data.dtype
    mean = running_mean._data.astype(dt, copy=False).reshape(layout.aff)
    invstd = (1.0 / xp.sqrt(running_var._data.astype(dt, copy=False) + eps)).reshape(layout.aff)
    return _norm.BatchNormFn.apply(input, weight, bias, layout, eps, (mean, invstd))[0]


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalise over the trailing ``normalized_shape`` dimensions of each sample.

    Args:
        input (Tensor): (*, normalized_shape[0], ..., normalized_shape[-1]).
        normalized_shape (int or tuple): the trailing shape to normalise over.
        weight, bias (Tensor, optional): of shape ``normalized_shape``.
        eps (float): added to the variance.

    Example::

        >>> F.layer_norm(disttrain.tensor([[1., 2., 3.]]), (3,))
        tensor([[-1.2247,  0.0000,  1.2247]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
        tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.dim() - k:]) != shape or input.dim() < k:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(shape)}")
    layout = _norm.layer_layout(input.shape, shape)
    return _norm.LayerNormFn.apply(input, weight, bias, layout, eps)[0]


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalise (N, C, *) over groups of ``C / num_groups`` channels and all positions.

    Args:
        input (Tensor): (N, C, *).
        num_groups (int): number of channel groups; must divide C.
        weight, bias (Tensor, optional): per-channel affine parameters (C,).
        eps (float): added to the variance.

    Example::

        >>> F.group_norm(disttrain.randn(2, 6, 5), 3).shape
        disttrain.Size([2, 6, 5])
    """
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    c = input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} and "
                               f"input of shape {list(input.shape)}")
    layout = _norm.group_layout(input.shape, num_groups)
    return _norm.GroupNormFn.apply(input, weight, bias, layout, eps)[0]
