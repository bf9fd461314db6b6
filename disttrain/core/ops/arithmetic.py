"""Arithmetic with broadcasting and PyTorch's type promotion: + - * /, the rounded
divisions and remainders, negation, powers and atan2."""
import numpy as np

from .. import dtype as _dt
from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor
from ._util import (apply_binary, binary_arrays, call_binary, float_array, on_1d, shape_of,
                    unbroadcast)
from .complex_ops import conj_if_complex

__all__ = []


class Add(Function):
    """Primitive: ``a + alpha * b`` with broadcasting."""
    node_name = "AddBackward0"
    graph_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.shapes, ctx.alpha = (shape_of(a), shape_of(b)), alpha
        if alpha != 1:
            return apply_binary(lambda x, y: x + y * alpha, a, b)
        return apply_binary(_add, a, b)

    @staticmethod
    def backward(ctx, g):
        return _linear_grads(ctx, g, 1, ctx.alpha)


def _add(x, y):
    return x + y


def _linear_grads(ctx, g, sa, sb):
    """The gradients of ``sa * a + sb * b``, each unbroadcast to its operand's shape."""
    na, nb = ctx.needs_input_grad[:2]
    ga = unbroadcast(_scaled(g, sa), ctx.shapes[0]) if na else None
    gb = unbroadcast(_scaled(g, sb), ctx.shapes[1]) if nb else None
    return ga, gb, None


def _scaled(g, s):
    return g if s == 1 else -g if s == -1 else g * s


class Sub(Function):
    """``input - alpha * other``; with ``_reversed``, ``other - alpha * input`` (rsub)."""

    node_name = "SubBackward0"
    graph_inputs = (0, 1)
    _reversed = False

    @classmethod
    def forward(cls, ctx, a, b, alpha=1):
        ctx.shapes, ctx.alpha = (shape_of(a), shape_of(b)), alpha
        if cls._reversed:
            a, b = b, a
        _check_bool_sub(a, b)
        if alpha != 1:
            return apply_binary(lambda x, y: x - y * alpha, a, b)
        return apply_binary(_sub, a, b)

    @classmethod
    def backward(cls, ctx, g):
        if cls._reversed:
            return _linear_grads(ctx, g, -ctx.alpha, 1)
        return _linear_grads(ctx, g, 1, -ctx.alpha)


def _sub(x, y):
    return x - y


def _is_bool(v):
    """Whether an operand (Tensor, array or Python scalar) is boolean."""
    if isinstance(v, Tensor):
        v = v._data
    return v.dtype == np.bool_ if hasattr(v, "dtype") else isinstance(v, bool)


def _check_bool_sub(x, y):
    if _is_bool(x) or _is_bool(y):
        _bool_sub_error(x, y)


def _bool_sub_error(x, y):
    if _is_bool(x) and _is_bool(y):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                       "If you are trying to invert a mask, use the `~` or `logical_not()` "
                       "operator instead.")


class RsubTensor(Sub):
    """``other - alpha * input`` for a tensor ``other`` (``disttrain.rsub``)."""

    node_name = "RsubBackward0"
    _reversed = True


class Rsub(RsubTensor):
    """``other - alpha * input`` for a Python-number ``other`` (``scalar - tensor``)."""

    node_name = "RsubBackward1"
    graph_inputs = None  # the scalar is no input of PyTorch's node


class Mul(Function):
    """Primitive: ``a * b`` with broadcasting."""
    node_name = "MulBackward0"
    graph_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        if ctx._recording:
            ctx.save_for_backward(a, b)
        return apply_binary(_mul, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g * conj_if_complex(b), ctx.shapes[0]) if na else None
        gb = unbroadcast(g * conj_if_complex(a), ctx.shapes[1]) if nb else None
        return ga, gb


def _mul(x, y):
    return x * y


class Div(Function):
    """Primitive: true division ``a / b`` with broadcasting (integers promote to float)."""
    node_name = "DivBackward0"
    graph_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        # true division computes in floating point: an int scalar is a float one here
        ad, bd = binary_arrays(float(a) if type(a) is int else a,
                               float(b) if type(b) is int else b)
        ad, bd = _true_div_operands(ad, bd)
        if ctx._recording:
            ctx.save_for_backward(a, b)
        xp = array_module(ad if hasattr(ad, "dtype") else bd)
        with np.errstate(divide="ignore", invalid="ignore"):
            return call_binary(xp.true_divide, ad, bd)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad[:2]
        b = conj_if_complex(b)
        ga = unbroadcast(g / b, ctx.shapes[0]) if na else None
        gb = unbroadcast(-g * conj_if_complex(a) / (b * b), ctx.shapes[1]) if nb else None
        return ga, gb


class DivMode(Function):
    """``div`` with ``rounding_mode`` 'trunc' or 'floor': piecewise constant, zero gradient."""

    node_name = "DivBackward2"
    graph_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b, rounding_mode):
        ctx.shapes = (shape_of(a), shape_of(b))
        return apply_binary(lambda x, y: _rounded_div(x, y, rounding_mode), a, b)

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad[:2]
        ga = unbroadcast(g * 0, ctx.shapes[0]) if na else None
        gb = unbroadcast(g * 0, ctx.shapes[1]) if nb else None
        return ga, gb, None


def _true_div_operands(ad, bd):
    ka = ad.dtype.kind if hasattr(ad, "dtype") else ("f" if isinstance(ad, float) else "i")
    kb = bd.dtype.kind if hasattr(bd, "dtype") else ("f" if isinstance(bd, float) else "i")
    if ka in "biu" and kb in "biu":
        f = _dt.get_default_dtype().np
        ad = ad.astype(f) if hasattr(ad, "astype") else ad
        bd = bd.astype(f) if hasattr(bd, "astype") else bd
        if not hasattr(ad, "astype") and not hasattr(bd, "astype"):
            ad = f.type(ad)
    return ad, bd


def _rounded_div(ad, bd, mode):
    xp = array_module(ad if hasattr(ad, "dtype") else bd)
    if mode == "floor":
        _check_int_zero(xp, ad, bd, "div_floor")
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.floor_divide(ad, bd)
    if mode == "trunc":
        _check_int_zero(xp, ad, bd, "div_trunc")
        if _is_int(ad) and _is_int(bd):
            q = xp.abs(ad) // xp.abs(bd)
            return (q * xp.sign(ad) * xp.sign(bd)).astype(xp.result_type(ad, bd))
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.trunc(xp.true_divide(ad, bd))
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{mode}'")


def _is_int(x):
    return (x.dtype.kind in "biu") if hasattr(x, "dtype") else isinstance(x, int)


def _check_int_zero(xp, ad, bd, name):
    """Integer division by zero raises as in PyTorch (numpy would return 0 and warn)."""
    if _is_int(ad) and _is_int(bd):
        if _is_bool(ad) and _is_bool(bd):
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
        if xp.any(xp.asarray(bd) == 0):
            raise RuntimeError("ZeroDivisionError")


class FloorDivide(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b)
        return _rounded_div(ad, bd, "floor")


class Remainder(Function):
    """``a % b`` with a tensor divisor (PyTorch names the scalar-divisor node ...Backward0):
    the remainder takes the sign of the divisor, ``a - b * floor(a / b)``."""

    node_name = "RemainderBackward1"
    graph_inputs = (0, 1)
    _name, _kernel, _rounding = "remainder", "mod", "floor"

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        ad, bd = binary_arrays(a, b)
        if ctx._recording:
            ctx.save_for_backward(a, b)
        xp = array_module(ad if hasattr(ad, "dtype") else bd)
        _check_int_zero(xp, ad, bd, cls._name)
        with np.errstate(divide="ignore", invalid="ignore"):
            return call_binary(getattr(xp, cls._kernel), ad, bd)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g, ctx.shapes[0]) if na else None
        gb = None
        if nb:
            gb = unbroadcast(-g * getattr(a / b, cls._rounding)(), ctx.shapes[1])
        return ga, gb


class RemainderScalar(Remainder):
    node_name = "RemainderBackward0"
    graph_inputs = None  # the scalar is no input of PyTorch's node


class Fmod(Remainder):
    """C's ``fmod``: the remainder takes the sign of the dividend, ``a - b * trunc(a / b)``."""

    node_name = "FmodBackward1"
    _name, _kernel, _rounding = "fmod", "fmod", "trunc"


class FmodScalar(Fmod):
    node_name = "FmodBackward0"
    graph_inputs = None  # the scalar is no input of PyTorch's node


class Neg(Function):
    """Primitive: ``-x``."""
    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, x):
        if x._data.dtype == np.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return -x._data

    @staticmethod
    def backward(ctx, g):
        return -g


class PowScalar(Function):
    """``x ** p`` for a Python number ``p``."""

    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, x, p):
        ctx.p = p
        if ctx._recording:
            ctx.save_for_backward(x)
        xd = x._data
        if isinstance(p, float) and xd.dtype.kind in "biu":
            xd = float_array(xd)
        if xd.dtype.kind in "biu" and isinstance(p, int) and p < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        fast = _pow_by_products(xd, p)
        if fast is not None:
            return fast
        xp = array_module(xd)
        # a negative base to a fractional power is nan, and 0 to a negative power inf, silently
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return xp.power(xd, p)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return g * 0, None
        if p == 2:
            return g * conj_if_complex(2 * x), None
        return g * conj_if_complex(p * x ** (p - 1)), None


@on_1d
def _pow_by_products(xd, p):
    """``xd ** p`` by products, square roots and reciprocals for the exponents PyTorch
    special-cases the same way (2, 3, 0.5, -0.5, -1, -2), None for others. ``power`` is a
    general-purpose routine many times slower; these give PyTorch's numbers (its x**3 is
    x*x*x, its x**-2 is 1/(x*x))."""
    if p == 2:
        return xd * xd
    if p == 3:
        out = xd * xd
        out *= xd
        return out
    if p == 1:
        return xd.copy()
    if xd.dtype.kind not in "fc":
        return None
    xp = array_module(xd)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 0.5:
            return xp.sqrt(xd)
        if p == -1:
            return xp.reciprocal(xd)
        if p == -2:
            out = xd * xd
            return xp.reciprocal(out, out=out)
        if p == -0.5:
            out = xp.sqrt(xd)
            return xp.reciprocal(out, out=out)
    return None


class Pow(Function):
    """``a ** b`` with a tensor exponent (or a scalar base)."""

    node_name = "PowBackward1"
    graph_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        ad, bd = binary_arrays(a, b)
        xp = array_module(ad if hasattr(ad, "dtype") else bd)
        with np.errstate(divide="ignore", invalid="ignore"):
            try:
                y = xp.power(ad, bd)
            except ValueError:
                y = _int_power_negative(xp, ad, bd)
        if ctx._recording:
            ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g * b * a ** (b - 1), ctx.shapes[0]) if na else None
        gb = None
        if nb:
            if not isinstance(a, Tensor):
                a = Tensor._make(array_module(y._data).asarray(a, dtype=y._data.dtype))
            # 0 ** b has a zero derivative in b for b >= 0 (log 0 would make it nan)
            gb = (g * y * a.log()).masked_fill((a == 0) & (b >= 0), 0)
            gb = unbroadcast(gb, ctx.shapes[1])
        return ga, gb


def _int_power_negative(xp, ad, bd):
    """Integer powers with negative integer exponents, which numpy refuses: PyTorch truncates
    the exact result (``2 ** -1 == 0``, ``(-1) ** -3 == -1``)."""
    rt = xp.result_type(ad, bd)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = call_binary(xp.power, xp.asarray(ad, dtype=np.float64),
                        xp.asarray(bd, dtype=np.float64))
    return xp.trunc(f).astype(rt)


class RPow(Pow):
    """``scalar ** tensor``."""

    node_name = "PowBackward2"
    graph_inputs = None  # the scalar is no input of PyTorch's node


class Atan2(Function):
    """The angle of the point (``b``, ``a``): ``atan(a / b)`` placed in the right quadrant,
    with the signed zeros and infinities of C's ``atan2``."""

    node_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        ad, bd = binary_arrays(a, b)
        ad, bd = float_array(ad), float_array(bd)
        if ctx._recording:
            ctx.save_for_backward(a, b)
        return call_binary(array_module(ad).arctan2, ad, bd)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        scale = g / (a * a + b * b)
        ga = unbroadcast(scale * b, ctx.shapes[0]) if na else None
        gb = unbroadcast(scale * -a, ctx.shapes[1]) if nb else None
        return ga, gb
