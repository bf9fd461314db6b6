"""Special functions as differentiable Functions: the error-function family, the gamma
family, Bessel functions, sinc/entr/logit and xlogy. The array kernels live in
``special_kernels``; each backward is written with these same Functions so that higher-order
gradients work (lgamma -> digamma -> polygamma(1) -> polygamma(2) ...)."""
import math

import numpy as np

from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor
from . import special_kernels as K
from ._util import apply_binary, float_array, type_name, unbroadcast
from .nn_ops import Erf

__all__ = []

_2_SQRTPI = 2 / math.sqrt(math.pi)
_SQRTPI_2 = math.sqrt(math.pi) / 2
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
_LN2 = math.log(2.0)


def _fn(name, node, kernel, bwd):
    """A one-input Function: ``kernel(array) -> array`` forward, ``bwd(g, x)`` backward
    (Tensors), computing in the default float dtype for integer and bool inputs."""

    def forward(ctx, x):
        xd = float_array(x._data)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            y = kernel(xd)
        if ctx._recording:
            ctx.save_for_backward(x)
        return y

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return bwd(g, x)

    cls = type(name, (Function,), {"node_name": node, "forward": staticmethod(forward),
                                    "backward": staticmethod(backward)})
    return cls


Erfc = _fn("Erfc", "ErfcBackward0", K.erfc_array,
           lambda g, x: g * (-_2_SQRTPI) * (-(x * x)).exp())
Erfcx = _fn("Erfcx", "SpecialErfcxBackward0", K.erfcx_array,
            lambda g, x: g * (2 * x * Erfcx.apply(x) - _2_SQRTPI))
Erfinv = _fn("Erfinv", "ErfinvBackward0", K.erfinv_array,
             lambda g, x: g * _SQRTPI_2 * (Erfinv.apply(x) ** 2).exp())
Ndtr = _fn("Ndtr", "SpecialNdtrBackward0", K.ndtr_array,
           lambda g, x: g * _INV_SQRT_2PI * (-0.5 * x * x).exp())
Ndtri = _fn("Ndtri", "SpecialNdtriBackward0", K.ndtri_array,
            lambda g, x: g * _SQRT_2PI * (0.5 * Ndtri.apply(x) ** 2).exp())
LogNdtr = _fn("LogNdtr", "SpecialLogNdtrBackward0", K.log_ndtr_array,
              lambda g, x: g * _INV_SQRT_2PI * (-(LogNdtr.apply(x) + 0.5 * x * x)).exp())
Lgamma = _fn("Lgamma", "LgammaBackward0", K.lgamma_array,
             lambda g, x: g * Digamma.apply(x))
Digamma = _fn("Digamma", "DigammaBackward0", K.digamma_array,
              lambda g, x: g * Polygamma.apply(x, 1))
I0 = _fn("I0", "I0Backward0", K.i0_array, lambda g, x: g * I1.apply(x))
I0e = _fn("I0e", "SpecialI0EBackward0", K.i0e_array,
          lambda g, x: g * (I1e.apply(x) - x.sign() * I0e.apply(x)))


def _i1_grad(g, x):
    # I1'(x) = I0(x) - I1(x)/x, which is 1/2 at 0
    safe = x.masked_fill(x == 0, 1)
    return g * (I0.apply(x) - I1.apply(x) / safe).masked_fill(x == 0, 0.5)


def _i1e_grad(g, x):
    safe = x.masked_fill(x == 0, 1)
    d = I0e.apply(x) - I1e.apply(x) * (x.sign() + 1 / safe)
    return g * d.masked_fill(x == 0, 0.5)


I1 = _fn("I1", "SpecialI1Backward0", K.i1_array, _i1_grad)
I1e = _fn("I1e", "SpecialI1EBackward0", K.i1e_array, _i1e_grad)


def _sinc_array(x):
    xp = array_module(x)
    px = math.pi * x
    return xp.where(x == 0, 1.0, xp.sin(px) / xp.where(x == 0, 1.0, px)).astype(x.dtype)


def _sinc_grad(g, x):
    px = math.pi * x
    safe = x.masked_fill(x == 0, 1)
    d = (px * px.cos() - px.sin()) / (math.pi * safe * safe)
    return g * d.masked_fill(x == 0, 0)


Sinc = _fn("Sinc", "SincBackward0", _sinc_array, _sinc_grad)


def _entr_array(x):
    xp = array_module(x)
    safe = xp.where(x > 0, x, 1.0)
    out = xp.where(x > 0, -x * xp.log(safe), 0.0)
    out = xp.where(x < 0, -np.inf, out)
    return xp.where(xp.isnan(x), x, out).astype(x.dtype, copy=False)


Entr = _fn("Entr", "SpecialEntrBackward0", _entr_array, lambda g, x: g * -(1 + x.log()))
Exp2 = _fn("Exp2", "Exp2Backward0", lambda x: array_module(x).exp2(x),
           lambda g, x: g * Exp2.apply(x) * _LN2)


class Polygamma(Function):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma; its gradient is ψ⁽ⁿ⁺¹⁾."""

    node_name = "PolygammaBackward0"

    @staticmethod
    def forward(ctx, x, n):
        ctx.n = n
        if ctx._recording:
            ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return K.polygamma_array(n, float_array(x._data))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * Polygamma.apply(x, ctx.n + 1), None


class Logit(Function):
    """log(x / (1 - x)), with x first clamped to [eps, 1 - eps] when ``eps`` is given."""

    node_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, x, eps=None):
        xd = float_array(x._data)
        xp = array_module(xd)
        ctx.eps = eps
        if ctx._recording:
            ctx.save_for_backward(x)
        z = xd if eps is None else xp.clip(xd, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.log(z / (1 - z)).astype(xd.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        eps = ctx.eps
        d = g / (x * (1 - x))
        if eps is None:
            # outside [0, 1] the function is nan, and so is its gradient
            return d.masked_fill((x < 0) | (x > 1), float("nan")), None
        return d.masked_fill((x < eps) | (x > 1 - eps), 0), None


class Xlogy(Function):
    """x·log(y), 0 where x is 0 (unless y is nan); ``log1p`` makes it xlog1py."""

    node_name = "XlogyBackward0"
    _log1p = False

    @classmethod
    def forward(cls, ctx, x, y):
        log1p = cls._log1p

        def kernel(a, b):
            arr = a if hasattr(a, "dtype") else b      # operands are promoted already
            xp = array_module(arr)
            dt = float_array(arr[:0]).dtype
            with np.errstate(divide="ignore", invalid="ignore"):
                b = xp.asarray(b, dtype=dt)
                lg = xp.log1p(b) if log1p else xp.log(b)
                out = xp.where((xp.asarray(a) == 0) & ~xp.isnan(b), 0.0, a * lg)
            return out.astype(dt, copy=False)

        ctx.shapes = (np.shape(x._data) if isinstance(x, Tensor) else (),
                      np.shape(y._data) if isinstance(y, Tensor) else ())
        if ctx._recording:
            ctx.save_for_backward(x if isinstance(x, Tensor) else None,
                                  y if isinstance(y, Tensor) else None)
            ctx.scalars = (x, y)
        return apply_binary(kernel, x, y)

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved_tensors
        x = x if x is not None else ctx.scalars[0]
        y = y if y is not None else ctx.scalars[1]
        gx = gy = None
        if ctx.needs_input_grad[0]:
            bound = -1 if cls._log1p else 0
            gx = cls.apply(g, y)
            gx = gx.masked_fill((x == 0) & (y <= bound), 0)
            gx = unbroadcast(gx, ctx.shapes[0])
        if ctx.needs_input_grad[1]:
            gy = unbroadcast(g * x / (y + 1 if cls._log1p else y), ctx.shapes[1])
        return gx, gy


class Xlog1py(Xlogy):
    node_name = "SpecialXlog1PyBackward0"
    _log1p = True


class Zeta(Function):
    """The Hurwitz zeta function ζ(x, q); differentiable in q only, as in PyTorch."""

    node_name = "SpecialZetaBackward0"

    @staticmethod
    def forward(ctx, x, q):
        ctx.x_is_tensor = isinstance(x, Tensor)
        if ctx._recording:
            ctx.save_for_backward(x if isinstance(x, Tensor) else None,
                                  q if isinstance(q, Tensor) else None)
            ctx.scalars = (x, q)

        def kernel(a, b):
            dt = np.result_type(getattr(a, "dtype", np.float64), getattr(b, "dtype",
                                                                          np.float64))
            dt = dt if dt.kind == "f" else np.dtype(np.float32)
            return K.zeta_array(a, b).astype(dt, copy=False)

        return apply_binary(kernel, x, q)

    @staticmethod
    def backward(ctx, g):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        x, q = ctx.saved_tensors
        x = x if x is not None else ctx.scalars[0]
        gq = g * -x * Zeta.apply(x + 1, q)
        return None, unbroadcast(gq, q.shape)



class Igamma(Function):
    """The regularised lower incomplete gamma function P(a, x) (``upper``: Q = 1 - P);
    differentiable in x only, as in PyTorch."""

    node_name = "IgammaBackward0"
    _upper = False

    @classmethod
    def forward(cls, ctx, a, x):
        ctx.shapes = (np.shape(a._data) if isinstance(a, Tensor) else (),
                      np.shape(x._data) if isinstance(x, Tensor) else ())
        if ctx._recording:
            ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                                  x if isinstance(x, Tensor) else None)
            ctx.scalars = (a, x)
        kernel = K.gammaincc_array if cls._upper else K.gammainc_array
        for t in (a, x):
            if isinstance(t, Tensor) and t._data.dtype.kind in "biu":
                name = "igammac" if cls._upper else "igamma"
                raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                          f"'{type_name(t._data.dtype)}'")

        def run(ad, xd):
            arr = ad if hasattr(ad, "dtype") else xd
            return kernel(ad, xd).astype(float_array(arr[:0] if arr.ndim else
                                                      arr.reshape(1)[:0]).dtype, copy=False)

        return apply_binary(run, a, x)

    @classmethod
    def backward(cls, ctx, g):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'igamma: input' is not implemented.")
        a, x = ctx.saved_tensors
        a = a if a is not None else ctx.scalars[0]
        # dP/dx = x^(a-1) e^-x / Γ(a)
        d = ((a - 1) * x.log() - x - Lgamma.apply(a if isinstance(a, Tensor) else
                                                  x * 0 + a)).exp()
        gx = g * (-d if cls._upper else d)
        return None, unbroadcast(gx, ctx.shapes[1])


class Igammac(Igamma):
    node_name = "IgammacBackward0"
    _upper = True


class BesselJ(Function):
    """The Bessel functions of the first kind J0, J1; not differentiable, as in PyTorch."""

    differentiable = False

    @staticmethod
    def forward(ctx, x, order):
        kernel = K.bessel_j0_array if order == 0 else K.bessel_j1_array
        return kernel(float_array(x._data))
