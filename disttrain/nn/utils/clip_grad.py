"""Gradient clipping: scale all gradients so that their joint norm stays under a bound."""
import math

import numpy as np

from ...core.tensor import Tensor
from ...core.device import array_module

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm(arr, p):
    """The p-norm of one array as a float (accumulated in float64)."""
    xp = array_module(arr)
    a = xp.abs(arr.astype(np.float64))
    if a.size == 0:
        return 0.0
    if p == math.inf:
        return float(a.max())
    if p == -math.inf:
        return float(a.min())
    if p == 0:
        return float((a != 0).sum())
    if p == 1:
        return float(a.sum())
    if p == 2:
        return float(np.sqrt((a * a).sum()))
    return float((a ** p).sum() ** (1.0 / p))


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the per-tensor norms of ``tensors`` (the norm of their concatenation).

    Args:
        tensors (Tensor or iterable of Tensors): typically the gradients.
        norm_type (float or 'inf'): the p of the norm. Default: 2.
        error_if_nonfinite (bool): raise if the norm is nan or inf. Default: ``False``.
        foreach: accepted for compatibility and ignored.
    """
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = [t for t in tensors if t is not None]
    p = float(norm_type)
    if not tensors:
        return Tensor._make(np.array(0.0, dtype=np.float32))
    per = [_norm(t._data, p) for t in tensors]
    total = _norm(np.array(per), p)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {p} for gradients from `parameters` is "
                           f"non-finite, so it cannot be clipped. To disable this error and "
                           f"scale the gradients by the non-finite norm anyway, set "
                           f"`error_if_nonfinite=False`")
    dtype = tensors[0]._data.dtype
    xp = array_module(tensors[0]._data)
    return Tensor._make(xp.asarray(total, dtype=dtype))


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    grads = _grads(parameters)
    if not grads:
        return
    coef = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0) \
        if not math.isnan(float(total_norm)) else math.nan
    for g in grads:
        g._data *= g._data.dtype.type(coef)
        g._version[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale gradients in place so that their total norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one vector.

    Args:
        parameters (Tensor or iterable of Tensors): whose ``.grad`` get clipped.
        max_norm (float): the bound.
        norm_type (float or 'inf'): the p of the norm. Default: 2.
        error_if_nonfinite (bool): raise if the total norm is nan or inf. Default: ``False``.
        foreach: accepted for compatibility and ignored.

    Returns:
        The total norm of the gradients before clipping (a 0-d Tensor).

    Example::

        >>> loss.backward()
        >>> nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                   foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_`."""
    import warnings
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = array_module(g._data)
        xp.clip(g._data, -clip_value, clip_value, out=g._data)
        g._version[0] += 1
