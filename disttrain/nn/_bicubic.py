"""Bicubic interpolation (cubic convolution, a = -0.75, as PyTorch) for ``interpolate``.

Each spatial axis is resampled by a constant (out, in) matrix holding the four cubic weights
of every output position at its clamped source indices, so the resize is two matmuls and
its gradient is exact.
"""
import numpy as np

from ..core.device import array_module
from ..core.tensor import Tensor

__all__ = ["cubic_weights", "bicubic_resize"]

_A = -0.75


def _coord_scale(n_in, n_out, scale, align_corners):
    """PyTorch's source/destination ratio for one axis (every interpolation mode's)."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def cubic_weights(t):
    """The four cubic-convolution weights of taps -1, 0, 1, 2 for fractional offsets ``t``."""
    def near(x):
        return ((_A + 2) * x - (_A + 3)) * x * x + 1

    def far(x):
        return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A
    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _matrix(n_in, n_out, scale, align_corners):
    s = _coord_scale(n_in, n_out, scale, align_corners)
    dst = np.arange(n_out, dtype=np.float64)
    src = s * dst if align_corners else s * (dst + 0.5) - 0.5
    i0 = np.floor(src).astype(np.int64)
    ws = cubic_weights(src - i0)
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    for k, w in enumerate(ws):
        np.add.at(m, (rows, np.clip(i0 - 1 + k, 0, n_in - 1)), w)
    return m


def bicubic_resize(input, sizes, scales, align_corners):
    """Resize the last two dims of (N, C, H, W) to ``sizes`` by bicubic interpolation."""
    out = input
    xp = array_module(input._data)
    for i, (n_out, sc) in enumerate(zip(sizes, scales)):
        ax = 2 + i
        m = _matrix(input.shape[ax], n_out, sc, bool(align_corners))
        mt = Tensor._make(xp.asarray(m.T, dtype=input._data.dtype))
        out = out.movedim(ax, -1).matmul(mt).movedim(-1, ax)
    return out
