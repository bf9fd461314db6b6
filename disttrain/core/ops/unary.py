"""One-input math: exp/log, roots, trigonometric and hyperbolic functions, relu,
abs/sign and the rounding family, each a Function with its derivative beside it."""
import numpy as np

from ..autograd import Function
from ..device import array_module
from ._util import float_array, keep_where, relu_array, sigmoid_array, type_name
from .complex_ops import Conj

__all__ = []


def _unary(name, node, fwd, bwd, saves="x", float_only=True, may_warn=True):
    """Build a one-input Function from array forward and Tensor backward formulas.

    A kernel that ``may_warn`` (overflow, a domain error) runs with numpy's warnings off, as
    PyTorch computes inf/nan silently; the others skip that context, which costs more than
    the kernel itself on small tensors.
    """

    def kernel(xp, xd):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return fwd(xp, xd)

    run = kernel if may_warn else fwd

    def forward(ctx, x):
        xd = x._data
        if float_only:
            xd = float_array(xd)
        y = run(array_module(xd), xd)
        if ctx._recording:
            ctx.save_for_backward(x if saves == "x" else y)
        return y

    def backward(ctx, g):
        s, = ctx.saved_tensors
        if g._data.dtype.kind == "c":
            # PyTorch's convention for complex z: g·conj(f'(z)), i.e. conj(conj(g)·f'(z));
            # the real-valued and piecewise-constant ops here give the same either way
            return Conj.apply(bwd(Conj.apply(g), s))
        return bwd(g, s)

    cls = type(name, (Function,), {"node_name": node, "forward": staticmethod(forward),
                                    "backward": staticmethod(backward)})
    return cls


Exp = _unary("Exp", "ExpBackward0", lambda xp, x: xp.exp(x), lambda g, y: g * y, "y")
Expm1 = _unary("Expm1", "Expm1Backward0", lambda xp, x: xp.expm1(x), lambda g, y: g * (y + 1),
               "y")
Log = _unary("Log", "LogBackward0", lambda xp, x: xp.log(x), lambda g, x: g / x)
Log2 = _unary("Log2", "Log2Backward0", lambda xp, x: xp.log2(x),
              lambda g, x: g / (x * 0.6931471805599453))
Log10 = _unary("Log10", "Log10Backward0", lambda xp, x: xp.log10(x),
               lambda g, x: g / (x * 2.302585092994046))
Log1p = _unary("Log1p", "Log1PBackward0", lambda xp, x: xp.log1p(x), lambda g, x: g / (x + 1))
Sqrt = _unary("Sqrt", "SqrtBackward0", lambda xp, x: xp.sqrt(x), lambda g, y: g / (2 * y), "y")
Rsqrt = _unary("Rsqrt", "RsqrtBackward0", lambda xp, x: 1 / xp.sqrt(x),
               lambda g, y: g * (-0.5 * y * y * y), "y")
Reciprocal = _unary("Reciprocal", "ReciprocalBackward0", lambda xp, x: 1 / x,
                    lambda g, y: -g * y * y, "y")
Sin = _unary("Sin", "SinBackward0", lambda xp, x: xp.sin(x), lambda g, x: g * x.cos())
Cos = _unary("Cos", "CosBackward0", lambda xp, x: xp.cos(x), lambda g, x: -g * x.sin())
Tan = _unary("Tan", "TanBackward0", lambda xp, x: xp.tan(x), lambda g, y: g * (1 + y * y), "y")
Tanh = _unary("Tanh", "TanhBackward0", lambda xp, x: xp.tanh(x), lambda g, y: g * (1 - y * y),
              "y", may_warn=False)
Sigmoid = _unary("Sigmoid", "SigmoidBackward0", sigmoid_array,
                 lambda g, y: g * (y * (1 - y)), "y", may_warn=False)
Asin = _unary("Asin", "AsinBackward0", lambda xp, x: xp.arcsin(x),
              lambda g, x: g * (1 - x * x).rsqrt())
Acos = _unary("Acos", "AcosBackward0", lambda xp, x: xp.arccos(x),
              lambda g, x: -g * (1 - x * x).rsqrt())
Atan = _unary("Atan", "AtanBackward0", lambda xp, x: xp.arctan(x),
              lambda g, x: g / (1 + x * x), may_warn=False)
Sinh = _unary("Sinh", "SinhBackward0", lambda xp, x: xp.sinh(x), lambda g, x: g * x.cosh())
Cosh = _unary("Cosh", "CoshBackward0", lambda xp, x: xp.cosh(x), lambda g, x: g * x.sinh())
Abs = _unary("Abs", "AbsBackward0", lambda xp, x: xp.abs(x), lambda g, x: g * x.sign(),
             float_only=False, may_warn=False)
Sign = _unary("Sign", "SignBackward0", lambda xp, x: xp.sign(x), lambda g, x: g * 0,
              float_only=False, may_warn=False)
Floor = _unary("Floor", "FloorBackward0", lambda xp, x: xp.floor(x) if x.dtype.kind == "f" else
               x.copy(), lambda g, x: g * 0, float_only=False, may_warn=False)
Ceil = _unary("Ceil", "CeilBackward0", lambda xp, x: xp.ceil(x) if x.dtype.kind == "f" else
              x.copy(), lambda g, x: g * 0, float_only=False, may_warn=False)
Trunc = _unary("Trunc", "TruncBackward0", lambda xp, x: xp.trunc(x) if x.dtype.kind == "f" else
               x.copy(), lambda g, x: g * 0, float_only=False, may_warn=False)
Frac = _unary("Frac", "FracBackward0", lambda xp, x: _frac(xp, x), lambda g, x: g,
              float_only=False)


def _frac(xp, x):
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"frac_cpu\" not implemented for '{type_name(x.dtype)}'")
    return x - xp.trunc(x)
Square = _unary("Square", "PowBackward0", lambda xp, x: x * x, lambda g, x: g * (2 * x),
                float_only=False)


class Round(Function):
    """Primitive: round to ``decimals``; its gradient is zero almost everywhere."""
    node_name = "RoundBackward0"

    @staticmethod
    def forward(ctx, x, decimals=0):
        xd = x._data
        if xd.dtype.kind != "f":
            return xd.copy()
        return array_module(xd).round(xd, decimals)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


class RoundDecimals(Round):
    node_name = "RoundBackward1"


class Relu(Function):
    """``max(x, 0)``. Its backward is one ``ThresholdBackward``, whose own backward exists, so
    the hot path costs one op and double backward still works."""

    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, x):
        xd = x._data
        y = relu_array(array_module(xd), xd)
        if ctx._recording:
            ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return ThresholdBackward.apply(g, y)


class ThresholdBackward(Function):
    """relu's gradient, PyTorch's ``threshold_backward``: ``g`` where the output ``y`` is
    positive (or nan), 0 elsewhere, even where ``g`` is inf or nan."""

    node_name = "ThresholdBackwardBackward0"

    @staticmethod
    def forward(ctx, g, y):
        yd = y._data
        if ctx._recording:
            ctx.save_for_backward(y)
        return keep_where(array_module(yd), ~(yd <= 0), g._data)

    @staticmethod
    def backward(ctx, gg):
        y, = ctx.saved_tensors
        ggrad = ThresholdBackward.apply(gg, y) if ctx.needs_input_grad[0] else None
        # relu is piecewise linear: y's own gradient is zero (PyTorch's too, not None)
        gy = gg.new_zeros(gg.shape) if ctx.needs_input_grad[1] else None
        return ggrad, gy
