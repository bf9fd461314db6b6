"""Complex tensors' own ops: real/imag and view_as_real/view_as_complex (views), conj,
angle, and building a complex tensor from parts.

Gradients follow PyTorch's convention: for a real loss L and a complex z = a + ib, z's
gradient is dL/da + i dL/db (the conjugate Wirtinger derivative, times 2), so a gradient
step ``z - lr * z.grad`` descends L as it would on the pair (a, b).
"""
import numpy as np

from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor
from .. import dtype as _dt
from ._util import type_name, unbroadcast

__all__ = ["Real", "Imag", "ViewAsReal", "ViewAsComplex", "Conj", "Angle", "Complex",
           "conj_if_complex", "real_part"]


def conj_if_complex(t):
    """``t.conj()`` for a complex Tensor or number, ``t`` itself otherwise: the factor
    PyTorch's gradient formulas conjugate (mul, div, matmul)."""
    if isinstance(t, Tensor):
        return Conj.apply(t) if t._data.dtype.kind == "c" else t
    return t.conjugate() if isinstance(t, complex) else t


def real_part(g):
    """The gradient a real input receives from a complex one: its real part."""
    return Real.apply(g)


class Real(Function):
    """The real parts, as a view that shares memory (writes go through)."""

    node_name = "RealBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x):
        return x._data.real

    @staticmethod
    def backward(ctx, g):
        return Complex.apply(g, g * 0)


class Imag(Function):
    """Primitive: the imaginary part of a complex tensor."""
    node_name = "ImagBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x):
        xd = x._data
        if xd.dtype.kind != "c":
            raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
        return xd.imag

    @staticmethod
    def backward(ctx, g):
        return Complex.apply(g * 0, g)


class ViewAsReal(Function):
    """(..., ) complex -> (..., 2) real: [real, imag] pairs, sharing memory."""

    node_name = "ViewAsRealBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x):
        xd = x._data
        if xd.dtype.kind != "c":
            raise RuntimeError(f"view_as_real is only supported for complex tensors")
        real = np.float32 if xd.dtype == np.complex64 else np.float64
        if xd.ndim == 0:
            return xd.reshape(1).view(real).reshape(2)
        try:
            return xd.view(real).reshape(xd.shape + (2,))
        except ValueError:
            # a layout numpy cannot reinterpret in place (a broadcast, a strided last dim):
            # the same values, copied
            return array_module(xd).stack((xd.real, xd.imag), -1)

    @staticmethod
    def backward(ctx, g):
        return ViewAsComplex.apply(g.contiguous())


class ViewAsComplex(Function):
    """(..., 2) real -> (...) complex, sharing memory."""

    node_name = "ViewAsComplexBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x):
        xd = x._data
        if xd.dtype not in (np.float32, np.float64):
            raise RuntimeError(f"view_as_complex is only supported for half, float and double "
                               f"tensors, but got a tensor of scalar type: "
                               f"{type_name(xd.dtype)}")
        if xd.ndim == 0 or xd.shape[-1] != 2:
            raise RuntimeError("Tensor must have a last dimension of size 2")
        if not xd.flags.c_contiguous:
            raise RuntimeError("Tensor must have a last dimension with stride 1")
        cplx = np.complex64 if xd.dtype == np.float32 else np.complex128
        return xd.view(cplx).reshape(xd.shape[:-1])

    @staticmethod
    def backward(ctx, g):
        return ViewAsReal.apply(g)


class Conj(Function):
    """The complex conjugate (a copy; for real tensors, the tensor itself)."""

    node_name = "ConjBackward0"

    @staticmethod
    def forward(ctx, x):
        return array_module(x._data).conj(x._data)

    @staticmethod
    def backward(ctx, g):
        return Conj.apply(g)


class Angle(Function):
    """The argument atan2(imag, real); for real inputs 0 or π (nan stays nan)."""

    node_name = "AngleBackward0"

    @staticmethod
    def forward(ctx, x):
        xd = x._data
        xp = array_module(xd)
        if ctx._recording:
            ctx.save_for_backward(x)
        if xd.dtype.kind == "c":
            return xp.angle(xd)
        xd = xd.astype(_dt.get_default_dtype().np) if xd.dtype.kind in "biu" else xd
        return xp.where(xd < 0, np.pi, 0.0).astype(xd.dtype) + xd * 0

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        if x._data.dtype.kind != "c":
            return g * 0
        # d(angle) = (-b da + a db)/|z|², i.e. g · i z / |z|² (0 at z = 0)
        a2 = Real.apply(x * Conj.apply(x))
        safe = a2.masked_fill(a2 == 0, 1)
        return (g * 1j * x / safe).masked_fill(a2 == 0, 0)


class Complex(Function):
    """``real + i·imag`` from two real tensors of one float dtype, broadcast."""

    node_name = "ComplexBackward0"

    @staticmethod
    def forward(ctx, re, im):
        rd, idd = re._data, im._data
        if rd.dtype != idd.dtype:
            raise RuntimeError(f"Expected object of scalar type {type_name(rd.dtype)} but got "
                               f"scalar type {type_name(idd.dtype)} for second argument")
        if rd.dtype.kind != "f" or rd.dtype == np.float16:
            raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but "
                               f"got {type_name(rd.dtype)} and {type_name(idd.dtype)}")
        ctx.shapes = (rd.shape, idd.shape)
        return rd + 1j * idd if rd.dtype == np.float64 else \
            (rd + np.complex64(1j) * idd).astype(np.complex64)

    @staticmethod
    def backward(ctx, g):
        if g._data.dtype.kind != "c":
            return unbroadcast(g, ctx.shapes[0]), unbroadcast(g * 0, ctx.shapes[1])
        return (unbroadcast(Real.apply(g), ctx.shapes[0]),
                unbroadcast(Imag.apply(g), ctx.shapes[1]))
