"""Functional ``pad`` and ``interpolate``.

Constant padding is one Function whose adjoint is constant padding by the negated widths
(padding and cropping are each other's transpose). Reflect/replicate/circular padding and
nearest/linear interpolation are, per axis, a gather along precomputed source indices
(``index_select``), so they need no backward of their own; linear modes blend two gathers.
"""
import math

import numpy as np

from ..core.autograd import Function
from ..core.device import array_module
from ..core.tensor import Tensor
from ._poolfn import adaptive_avg_pool1d, adaptive_avg_pool2d
from ._bicubic import bicubic_resize, _coord_scale

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]


class ConstantPad(Function):
    """Pad (or crop, for negative widths) the trailing dims with a constant."""

    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, widths, value):
        xd = x._data
        xp = array_module(xd)
        ctx.widths = widths
        lead = xd.ndim - len(widths)
        shape = list(xd.shape)
        src, dst = [slice(None)] * xd.ndim, [slice(None)] * xd.ndim
        for i, (lo, hi) in enumerate(widths):
            ax = lead + i
            n = xd.shape[ax]
            shape[ax] = n + lo + hi
            if shape[ax] < 0:
                raise RuntimeError(f"The input size {n}, plus negative padding {lo} and {hi} "
                                   f"resulted in a negative output size, which is invalid. "
                                   f"Check dimension {ax} of your input.")
            src[ax] = slice(max(-lo, 0), n - max(-hi, 0))
            dst[ax] = slice(max(lo, 0), shape[ax] - max(hi, 0))
        out = xp.full(shape, value, xd.dtype)
        out[tuple(dst)] = xd[tuple(src)]
        return out

    @staticmethod
    def backward(ctx, g):
        return ConstantPad.apply(g, tuple((-lo, -hi) for lo, hi in ctx.widths), 0), None, None


def _source_index(n, lo, hi, mode):
    """Indices into an axis of length ``n`` that make its padded version."""
    pos = np.arange(-lo, n + hi)
    if mode == "reflect":
        period = 2 * (n - 1)
        pos = np.abs(pos) % period if period else np.zeros_like(pos)
        pos = np.where(pos >= n, period - pos, pos)
    elif mode == "replicate":
        pos = np.clip(pos, 0, n - 1)
    else:    # circular
        pos = pos % n
    return pos


_NON_CONSTANT_DIMS = {1: (2, 3), 2: (3, 4), 3: (4, 5)}


def _non_constant_error(npad, ndim):
    return NotImplementedError(
        f"Padding size {2 * npad} is not supported for {ndim}D input tensor.\n"
        "Supported combinations for non-constant padding:\n"
        "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
        "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
        "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dimensions of ``input``.

    Args:
        input (Tensor): any shape for 'constant'; (C, *) or (N, C, *) otherwise.
        pad (tuple): (left, right) for the last dim, then (top, bottom) for the one before, ...
        mode (str): 'constant', 'reflect', 'replicate' or 'circular'.
        value (float, optional): fill for 'constant' (default 0).

    Example::

        >>> F.pad(disttrain.ones(1, 2), (1, 1))
        tensor([[0., 1., 1., 0.]])
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    npad = len(pad) // 2
    if npad > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.dim()}")
    # pad lists the last dimension first; widths go in dimension order
    widths = tuple((pad[2 * i], pad[2 * i + 1]) for i in reversed(range(npad)))
    if mode == "constant":
        return ConstantPad.apply(input, widths, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if npad not in _NON_CONSTANT_DIMS or input.dim() not in _NON_CONSTANT_DIMS[npad]:
        raise _non_constant_error(npad, input.dim())
    out = input
    for i, (lo, hi) in enumerate(widths):
        ax = input.dim() - npad + i
        n = input.shape[ax]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension {ax} "
                               f"of input {list(input.shape)}")
        idx = _source_index(n, lo, hi, mode)
        out = out.index_select(ax, Tensor._make(array_module(input._data).asarray(idx)))
    return out


# ------------------------------------------------------------------------ interpolate

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_LINEAR_DIMS = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _sizes_and_scales(input, size, scale_factor, recompute):
    nd = input.dim() - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(f"Input and output must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of "
                                 f"{spatial} and output size of {tuple(size)}. Please provide "
                                 f"input tensor in (N, C, d1, d2, ...,dK) format and output size "
                                 f"in (o1, o2, ...,oK) format.")
            return [int(s) for s in size], [None] * nd
        return [int(size)] * nd, [None] * nd
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of {spatial} "
                             f"and scale_factor of shape {tuple(scale_factor)}. Please provide "
                             f"input tensor in (N, C, d1, d2, ...,dK) format and scale_factor "
                             f"in (s1, s2, ...,sK) format.")
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * nd
    sizes = [int(math.floor(n * s)) for n, s in zip(spatial, scales)]
    return sizes, ([None] * nd if recompute else scales)


def _nearest_index(n_in, n_out, scale, exact):
    s = np.float32(_coord_scale(n_in, n_out, scale, False))
    dst = np.arange(n_out, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
    return np.minimum(np.floor(dst * s).astype(np.int64), n_in - 1)


def _linear_weights(n_in, n_out, scale, align_corners):
    """(i0, i1, w1): each output blends source i0 (weight 1 - w1) and i1 (weight w1)."""
    s = _coord_scale(n_in, n_out, scale, align_corners)
    dst = np.arange(n_out, dtype=np.float64)
    src = s * dst if align_corners else np.maximum(s * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, src - i0


def _gather(x, ax, idx):
    return x.index_select(ax, Tensor._make(array_module(x._data).asarray(idx)))


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dimensions of (N, C, *) by ``size`` or ``scale_factor``.

    Args:
        input (Tensor): (N, C, L), (N, C, H, W) or (N, C, D, H, W).
        size (int or tuple, optional): the output spatial size.
        scale_factor (float or tuple, optional): multiplier of the spatial size.
        mode (str): 'nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear'
            or 'area'.
        align_corners (bool, optional): linear modes only; map corner pixels onto each other.
        recompute_scale_factor (bool, optional): derive the coordinate scale from the sizes.

    Example::

        >>> F.interpolate(disttrain.tensor([[[1., 2.]]]), scale_factor=2)
        tensor([[[1., 1., 2., 2.]]])
    """
    if mode not in _MODES or input.dim() not in (3, 4, 5) or \
            (mode == "bicubic" and input.dim() != 4):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
            f"nearest-exact (got {mode})")
    if align_corners is not None and mode not in _LINEAR_DIMS and mode != "bicubic":
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if mode in _LINEAR_DIMS and input.dim() != _LINEAR_DIMS[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{_LINEAR_DIMS[mode]}D input")
    if antialias:
        raise NotImplementedError(f"interpolate: mode '{mode}' with antialias={antialias} is not "
                                  f"implemented")
    sizes, scales = _sizes_and_scales(input, size, scale_factor, recompute_scale_factor)
    if mode == "bicubic":
        return bicubic_resize(input, sizes, scales, align_corners)
    if mode == "area":
        if input.dim() == 3:
            return adaptive_avg_pool1d(input, sizes)
        if input.dim() == 4:
            return adaptive_avg_pool2d(input, sizes)
        raise NotImplementedError("interpolate: mode 'area' supports 3D and 4D inputs")
    out = input
    for i, (n_out, sc) in enumerate(zip(sizes, scales)):
        ax, n_in = 2 + i, input.shape[2 + i]
        if mode in ("nearest", "nearest-exact"):
            out = _gather(out, ax, _nearest_index(n_in, n_out, sc, mode == "nearest-exact"))
            continue
        i0, i1, w1 = _linear_weights(n_in, n_out, sc, bool(align_corners))
        shape = [1] * input.dim()
        shape[ax] = n_out
        xp = array_module(input._data)
        w1t = Tensor._make(xp.asarray(w1.reshape(shape), dtype=input._data.dtype))
        a, b = _gather(out, ax, i0), _gather(out, ax, i1)
        out = a + (b - a) * w1t
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
