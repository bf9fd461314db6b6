"""Views that step through a tensor's memory with new strides (``diagonal``, ``unfold``,
``as_strided``), and the inverse hyperbolic functions.

A strided view is described in the coordinates of its input: output dim ``j`` advances the
input's index by ``coefs[j]`` (one step per input dim) and the view starts at input index
``start``. The same recipe applied to the array of flat positions ``arange(numel)`` names the
input element under every output element, which is all the backward needs (a scatter-add,
so windows that overlap, as ``unfold`` with ``step < size`` makes, add their gradients).
"""
import numpy as np

from ..autograd import Function
from ..device import array_module
from .index import IndexAccumulate
from .unary import _unary

__all__ = ["StridedView", "strided_positions", "Acosh", "Asinh", "Atanh"]


def _strided(arr, size, coefs, start):
    xp = array_module(arr)
    if arr.ndim:
        arr = arr[tuple(slice(s, None) for s in start)]
    strides = tuple(int(sum(c * s for c, s in zip(cj, arr.strides))) for cj in coefs)
    return xp.lib.stride_tricks.as_strided(arr, shape=tuple(size), strides=strides)


def strided_positions(shape, size, coefs, start, xp=np):
    """The flat input position (C order) read by each element of the strided view."""
    flat = xp.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64).reshape(shape)
    return _strided(flat, size, coefs, start)


def _check(shape, size, coefs, start):
    for k, n in enumerate(shape):
        last = start[k] + sum((sz - 1) * cj[k] for sz, cj in zip(size, coefs) if sz > 0)
        if any(sz == 0 for sz in size):
            last = start[k]
        if start[k] < 0 or (last >= n and n > 0 and not any(sz == 0 for sz in size)):
            raise RuntimeError(f"setStorage: sizes {list(size)} reach past the end of the "
                               f"input's dim {k} of size {n}")


class StridedView(Function):
    """``x`` seen through new sizes and strides (in ``x``'s own index coordinates); a view."""

    node_name = "AsStridedBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x, size, coefs, start):
        _check(x._data.shape, size, coefs, start)
        ctx.recipe = (x._data.shape, tuple(size), coefs, start)
        return _strided(x._data, size, coefs, start)

    @staticmethod
    def backward(ctx, g):
        shape, size, coefs, start = ctx.recipe
        pos = strided_positions(shape, size, coefs, start, array_module(g._data))
        n = int(np.prod(shape, dtype=np.int64))
        return IndexAccumulate.apply(g, pos, (n,)).reshape(shape), None, None, None


Acosh = _unary("Acosh", "AcoshBackward0", lambda xp, x: xp.arccosh(x),
               lambda g, x: g * (x * x - 1).rsqrt())
Asinh = _unary("Asinh", "AsinhBackward0", lambda xp, x: xp.arcsinh(x),
               lambda g, x: g * (x * x + 1).rsqrt())
Atanh = _unary("Atanh", "AtanhBackward0", lambda xp, x: xp.arctanh(x),
               lambda g, x: g / (1 - x * x))
