"""The one-dimensional discrete Fourier transforms as Functions: complex-to-complex,
real-to-complex (one-sided) and complex-to-real, each along one dim of already-sized input.

Each backward is the adjoint transform (PyTorch's formulas): the opposite direction with the
normalisation that makes it the conjugate transpose, so gradients follow the conjugate
Wirtinger convention and second derivatives come from these same Functions.
"""
import numpy as np

from ..autograd import Function
from ..device import array_module
from .. import dtype as _dt
from ._util import type_name

__all__ = ["C2C", "R2C", "C2R", "ADJOINT_NORM"]

# the normalisation of the adjoint: the unscaled direction's adjoint is unscaled, ...
ADJOINT_NORM = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _complex_dtype(d):
    """complex64 for float32/float16/int inputs, complex128 for float64/complex128."""
    if d in (np.float64, np.complex128):
        return np.complex128
    if d.kind in "biu":
        return _dt.default_complex_dtype().np
    return np.complex64


def _real_dtype(d):
    return np.float64 if d in (np.float64, np.complex128) else np.float32


class C2C(Function):
    """``fft`` (forward) or ``ifft`` along ``dim`` with ``norm``."""

    node_name = "FftC2CBackward0"

    @staticmethod
    def forward(ctx, x, dim, norm, forward):
        xd = x._data
        xp = array_module(xd)
        ctx.args = (dim, norm, forward)
        fn = xp.fft.fft if forward else xp.fft.ifft
        return fn(xd, axis=dim, norm=norm).astype(_complex_dtype(xd.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        dim, norm, forward = ctx.args
        return C2C.apply(g, dim, ADJOINT_NORM[norm], not forward), None, None, None


class R2C(Function):
    """``rfft`` along ``dim``: the n//2 + 1 non-negative frequencies of a real signal."""

    node_name = "FftR2CBackward0"

    @staticmethod
    def forward(ctx, x, dim, norm):
        xd = x._data
        if xd.dtype.kind == "c":
            raise RuntimeError(f"rfft expects a real input tensor, but got {type_name(xd.dtype)}")
        xp = array_module(xd)
        if xd.dtype.kind in "biu":
            xd = xd.astype(_dt.get_default_dtype().np)
        ctx.args = (dim, norm, xd.shape[dim])
        return xp.fft.rfft(xd, axis=dim, norm=norm).astype(_complex_dtype(xd.dtype),
                                                            copy=False)

    @staticmethod
    def backward(ctx, g):
        dim, norm, n = ctx.args
        # the adjoint of "full FFT, keep the first n//2+1": zero-fill the rest, inverse
        from ..functions.shaping import cat
        missing = n - g.shape[dim]
        if missing:
            shape = list(g.shape)
            shape[dim] = missing
            g = cat([g, g.new_zeros(shape)], dim)
        from .complex_ops import Real
        return Real.apply(C2C.apply(g, dim, ADJOINT_NORM[norm], False)), None, None


class C2R(Function):
    """``irfft`` along ``dim`` to ``n`` real points from n//2 + 1 (Hermitian) frequencies."""

    node_name = "FftC2RBackward0"

    @staticmethod
    def forward(ctx, x, dim, norm, n):
        xd = x._data
        xp = array_module(xd)
        ctx.args = (dim, norm, n)
        out = xp.fft.irfft(xd, n=n, axis=dim, norm=norm)
        return out.astype(_real_dtype(xd.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        dim, norm, n = ctx.args
        gi = R2C.apply(g, dim, ADJOINT_NORM[norm])
        # the frequencies 1 .. n - (n//2+1) stand for themselves and their mirror images
        double = n - gi.shape[dim]
        if double > 0:
            xp = array_module(gi._data)
            shape = [1] * gi.dim()
            shape[dim] = gi.shape[dim]
            w = np.ones(gi.shape[dim])
            w[1:1 + double] = 2
            from ..tensor import Tensor
            gi = gi * Tensor._make(xp.asarray(w.reshape(shape), dtype=_real_dtype(
                gi._data.dtype)))
        return gi, None, None, None

