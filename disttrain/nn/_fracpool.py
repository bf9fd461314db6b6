"""Fractional max pooling (Graham, 2014): max over pseudo-random, overlapping windows.

Each (sample, channel) plane gets its own window starts, drawn from ``_random_samples``
(uniform in [0, 1), from the default generator unless given) by PyTorch's interval rule, so
the same samples give PyTorch's windows. The max is a gather plus a reduction: its gradient
goes to the first maximum of each window.
"""
import numpy as np

from ..core.tensor import Tensor

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]


def _intervals(samples, n_in, n_out, k):
    """Window starts per plane: samples (P,) -> (P, n_out), computed in the samples' dtype
    and truncated as PyTorch's ``generate_intervals`` does."""
    seq = np.zeros((samples.shape[0], n_out), dtype=np.int64)
    if n_out > 1:
        alpha = samples.dtype.type(n_in - k) / samples.dtype.type(n_out - 1)
        i = np.arange(n_out - 1, dtype=samples.dtype)
        seq[:, :-1] = ((i[None, :] + samples[:, None]) * alpha).astype(np.int64) - \
            (samples * alpha).astype(np.int64)[:, None]
    if n_out > 0:
        seq[:, -1] = n_in - k
    return seq


def _fractional(input, nd, kernel_size, output_size, output_ratio, _random_samples, name):
    from .modules.utils import _ntuple
    tup = _ntuple(nd)
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an "
                         f"output_ratio")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    batched = input.dim() == nd + 2
    x = input if batched else input.unsqueeze(0)
    sizes = tuple(x.shape[2:])
    k = tup(kernel_size)
    if output_size is None:
        ratio = tup(output_ratio)
        out = tuple(int(sizes[i] * ratio[i]) for i in range(nd))
    else:
        out = tup(output_size)
    axes = ("height", "width") if nd == 2 else ("time", "height", "width")
    op = name if nd == 2 else name + "_out"
    for i in range(nd):
        if out[i] + k[i] - 1 > sizes[i]:
            raise RuntimeError(f"{op}(): pool {axes[i]} {k[i]} too large relative to input "
                               f"{axes[i]} {sizes[i]}")
    n, c = x.shape[:2]
    if _random_samples is None:
        from ..core import creation as _c
        _random_samples = _c.rand(n, c, nd, dtype=x.dtype, device=x.device)
    samples = np.asarray(_random_samples.detach().tolist(),
                         dtype=np.dtype(str(_random_samples._data.dtype))).reshape(n * c, nd)
    # samples[..., 0] drives the last (width) axis, [..., 1] the one before, ...
    flat = np.zeros((n * c,) + out + k, dtype=np.int64)
    stride = 1
    for a in reversed(range(nd)):
        starts = _intervals(samples[:, nd - 1 - a], sizes[a], out[a], k[a])   # (P, out_a)
        pos = starts[:, :, None] + np.arange(k[a])[None, None, :]            # (P, out_a, k_a)
        shape = [n * c] + [1] * (2 * nd)
        shape[1 + a], shape[1 + nd + a] = out[a], k[a]
        flat = flat + pos.reshape(shape) * stride
        stride *= sizes[a]
    from ..core.device import array_module
    idx = Tensor._make(array_module(x._data).asarray(flat.reshape(n, c, -1)))
    vals = x.reshape(n, c, -1).gather(2, idx).reshape(n, c, *out, int(np.prod(k)))
    result, arg = vals.max(-1)
    indices = idx.reshape(n, c, *out, -1).gather(-1, arg.unsqueeze(-1)).squeeze(-1)
    if not batched:
        result, indices = result.squeeze(0), indices.squeeze(0)
    return result, indices


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None,
                                       output_ratio=None, return_indices=False,
                                       _random_samples=None):
    """Fractional max pooling of (N, C, H, W); returns values and flat ``h * W + w``
    indices."""
    return _fractional(input, 2, kernel_size, output_size, output_ratio, _random_samples,
                       "fractional_max_pool2d")


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Max over ``kernel_size`` windows at pseudo-random positions, to ``output_size`` or
    ``output_ratio`` of the input size.

    Example::

        >>> F.fractional_max_pool2d(disttrain.randn(1, 2, 9, 9), 3, output_size=5).shape
        disttrain.Size([1, 2, 5, 5])
    """
    out, idx = _fractional(input, 2, kernel_size, output_size, output_ratio, _random_samples,
                           "fractional_max_pool2d")
    return (out, idx) if return_indices else out


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None,
                                       output_ratio=None, return_indices=False,
                                       _random_samples=None):
    """Fractional max pooling of (N, C, D, H, W); returns values and flat indices."""
    return _fractional(input, 3, kernel_size, output_size, output_ratio, _random_samples,
                       "fractional_max_pool3d")


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """3-d :func:`fractional_max_pool2d`."""
    out, idx = _fractional(input, 3, kernel_size, output_size, output_ratio, _random_samples,
                           "fractional_max_pool3d")
    return (out, idx) if return_indices else out
