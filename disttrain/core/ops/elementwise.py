"""Elementwise ops with broadcasting: arithmetic, unary math, comparisons, where, clamp, casts."""
import numpy as np

from .. import dtype as _dt
from ..autograd import Function
from ..device import array_module, move_array
from ..tensor import Tensor
from ._util import (binary_arrays, broadcast_msg, float_array, sigmoid_array, type_name,
                    unbroadcast)

__all__ = []


def _shape(x):
    return x._data.shape if isinstance(x, Tensor) else ()


_broadcast_msg = broadcast_msg      # the name other modules import


def _binary(fn, a, b):
    ad, bd = binary_arrays(a, b)
    return _call(fn, ad, bd)


def _call(fn, ad, bd):
    """``fn(ad, bd)`` with numpy's broadcasting ValueError turned into PyTorch's message."""
    try:
        return fn(ad, bd)
    except ValueError:
        raise RuntimeError(broadcast_msg(np.shape(ad), np.shape(bd))) from None


class Add(Function):
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.shapes, ctx.alpha = (_shape(a), _shape(b)), alpha
        if alpha != 1:
            return _binary(lambda x, y: x + y * alpha, a, b)
        return _binary(_add, a, b)

    @staticmethod
    def backward(ctx, g):
        return _sum_grads(ctx, g, ctx.alpha)


def _add(x, y):
    return x + y


def _sum_grads(ctx, g, scale):
    """The gradients of ``a + scale * b``: ``g`` and ``scale * g``, each unbroadcast."""
    na, nb = ctx.needs_input_grad[:2]
    ga = unbroadcast(g, ctx.shapes[0]) if na else None
    gb = None
    if nb:
        gb = unbroadcast(g if scale == 1 else -g if scale == -1 else g * scale, ctx.shapes[1])
    return ga, gb, None


class Sub(Function):
    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.shapes, ctx.alpha = (_shape(a), _shape(b)), alpha
        _check_bool_sub(a, b)
        if alpha != 1:
            return _binary(lambda x, y: x - y * alpha, a, b)
        return _binary(_sub, a, b)

    @staticmethod
    def backward(ctx, g):
        return _sum_grads(ctx, g, -ctx.alpha)


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


class Rsub(Function):
    """``scalar - tensor``."""

    node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, a, s):
        _check_bool_sub(s, a)
        return _binary(lambda x, y: y - x, a, s)

    @staticmethod
    def backward(ctx, g):
        return -g, None


class Mul(Function):
    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        if ctx._recording:
            ctx.save_for_backward(a, b)
        return _binary(_mul, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g * b, ctx.shapes[0]) if na else None
        gb = unbroadcast(g * a, ctx.shapes[1]) if nb else None
        return ga, gb


def _mul(x, y):
    return x * y


class Div(Function):
    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        # true division computes in floating point: an int scalar is a float one here
        ad, bd = binary_arrays(float(a) if type(a) is int else a,
                               float(b) if type(b) is int else b)
        ad, bd = _true_div_operands(ad, bd)
        if ctx._recording:
            ctx.save_for_backward(a, b)
        xp = array_module(ad if hasattr(ad, "dtype") else bd)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _call(xp.true_divide, ad, bd)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad[:2]
        ga = unbroadcast(g / b, ctx.shapes[0]) if na else None
        gb = unbroadcast(-g * a / (b * b), ctx.shapes[1]) if nb else None
        return ga, gb


class DivMode(Function):
    """``div`` with ``rounding_mode`` 'trunc' or 'floor': piecewise constant, zero gradient."""

    node_name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, rounding_mode):
        ctx.shapes = (_shape(a), _shape(b))
        return _binary(lambda x, y: _rounded_div(x, y, rounding_mode), a, b)

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
    _name, _kernel, _rounding = "remainder", "mod", "floor"

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        ad, bd = binary_arrays(a, b)
        if ctx._recording:
            ctx.save_for_backward(a, b)
        xp = array_module(ad if hasattr(ad, "dtype") else bd)
        _check_int_zero(xp, ad, bd, cls._name)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _call(getattr(xp, cls._kernel), ad, bd)

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


class Fmod(Remainder):
    """C's ``fmod``: the remainder takes the sign of the dividend, ``a - b * trunc(a / b)``."""

    node_name = "FmodBackward1"
    _name, _kernel, _rounding = "fmod", "fmod", "trunc"


class FmodScalar(Fmod):
    node_name = "FmodBackward0"


class Neg(Function):
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
        if p == 2:
            return xd * xd
        return array_module(xd).power(xd, p) if p != 0.5 else array_module(xd).sqrt(xd)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return g * 0, None
        if p == 2:
            return g * (2 * x), None
        return g * (p * x ** (p - 1)), None


class Pow(Function):
    """``a ** b`` with a tensor exponent (or a scalar base)."""

    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
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
        f = _call(xp.power, xp.asarray(ad, dtype=np.float64), xp.asarray(bd, dtype=np.float64))
    return xp.trunc(f).astype(rt)


class RPow(Pow):
    """``scalar ** tensor``."""

    node_name = "PowBackward2"


def _unary(name, node, fwd, bwd, saves="x", float_only=True):
    """Build a one-input Function from array forward and Tensor backward formulas."""

    def forward(ctx, x):
        xd = x._data
        if float_only:
            xd = float_array(xd)
        xp = array_module(xd)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            y = fwd(xp, xd)
        if ctx._recording:
            ctx.save_for_backward(x if saves == "x" else y)
        return y

    def backward(ctx, g):
        s, = ctx.saved_tensors
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
              "y")
Sigmoid = _unary("Sigmoid", "SigmoidBackward0", sigmoid_array,
                 lambda g, y: g * (y * (1 - y)), "y")
Asin = _unary("Asin", "AsinBackward0", lambda xp, x: xp.arcsin(x),
              lambda g, x: g * (1 - x * x).rsqrt())
Acos = _unary("Acos", "AcosBackward0", lambda xp, x: xp.arccos(x),
              lambda g, x: -g * (1 - x * x).rsqrt())
Atan = _unary("Atan", "AtanBackward0", lambda xp, x: xp.arctan(x),
              lambda g, x: g / (1 + x * x))
Sinh = _unary("Sinh", "SinhBackward0", lambda xp, x: xp.sinh(x), lambda g, x: g * x.cosh())
Cosh = _unary("Cosh", "CoshBackward0", lambda xp, x: xp.cosh(x), lambda g, x: g * x.sinh())
Relu = _unary("Relu", "ReluBackward0", lambda xp, x: xp.maximum(x, 0),
              lambda g, y: g * (y > 0), "y", float_only=False)
Abs = _unary("Abs", "AbsBackward0", lambda xp, x: xp.abs(x), lambda g, x: g * x.sign(),
             float_only=False)
Sign = _unary("Sign", "SignBackward0", lambda xp, x: xp.sign(x), lambda g, x: g * 0,
              float_only=False)
Floor = _unary("Floor", "FloorBackward0", lambda xp, x: xp.floor(x) if x.dtype.kind == "f" else
               x.copy(), lambda g, x: g * 0, float_only=False)
Ceil = _unary("Ceil", "CeilBackward0", lambda xp, x: xp.ceil(x) if x.dtype.kind == "f" else
              x.copy(), lambda g, x: g * 0, float_only=False)
Trunc = _unary("Trunc", "TruncBackward0", lambda xp, x: xp.trunc(x) if x.dtype.kind == "f" else
               x.copy(), lambda g, x: g * 0, float_only=False)
Frac = _unary("Frac", "FracBackward0", lambda xp, x: _frac(xp, x), lambda g, x: g,
              float_only=False)


def _frac(xp, x):
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"frac_cpu\" not implemented for '{type_name(x.dtype)}'")
    return x - xp.trunc(x)
Square = _unary("Square", "PowBackward0", lambda xp, x: x * x, lambda g, x: g * (2 * x),
                float_only=False)


class Round(Function):
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


class Clamp(Function):
    """``clamp`` with Python-number bounds."""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("disttrain.clamp: At least one of 'min' or 'max' must not be None")
        xd = x._data
        xp = array_module(xd)
        lo, hi = min, max
        if isinstance(lo, float) or isinstance(hi, float):
            xd = float_array(xd)
        y = xd
        if lo is not None:
            y = xp.maximum(y, lo)
        if hi is not None:
            y = xp.minimum(y, hi)
        if y is xd:
            y = xd.copy()
        if ctx._recording:
            mask = xp.ones(xd.shape, bool)
            if lo is not None:
                mask &= xd >= lo
            if hi is not None:
                mask &= xd <= hi
            ctx.mask = Tensor._make(mask)
        return y.astype(xd.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.mask, None, None


class ClampTensor(Function):
    """``clamp`` with tensor bounds, which broadcast and receive gradients too."""

    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        ops = [v for v in (x, min, max) if v is not None]
        rt = _dt.result_type(ops).np
        xp = array_module(x._data)
        arrs = [None if v is None else xp.asarray(v._data if isinstance(v, Tensor) else v, rt)
                for v in (x, min, max)]
        xd, lo, hi = arrs
        try:
            shape = np.broadcast_shapes(*[a.shape for a in arrs if a is not None])
        except ValueError:
            shapes = [a.shape for a in arrs if a is not None]
            raise RuntimeError(broadcast_msg(*_first_clash(shapes))) from None
        y = xd if lo is None else xp.maximum(xd, lo)
        y = y if hi is None else xp.minimum(y, hi)
        ctx.shapes = [_shape(v) for v in (x, min, max)]
        if ctx._recording:
            ctx.save_for_backward(x, min, max)
        return xp.broadcast_to(y, shape).copy() if y.shape != shape or y is xd else y

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        nx, nlo, nhi = ctx.needs_input_grad
        # y = min(max(x, lo), hi): the gradient goes to whichever operand y equals
        m = x if lo is None else _max_of(x, lo)
        inside = None if hi is None else m <= hi
        gm = g if inside is None else g * inside
        gx = glo = ghi = None
        if nx:
            gx = unbroadcast(gm if lo is None else gm * (x >= lo), ctx.shapes[0])
        if nlo:
            glo = unbroadcast(gm * (x < lo), ctx.shapes[1])
        if nhi:
            ghi = unbroadcast(g * ~inside, ctx.shapes[2])
        return gx, glo, ghi


def _max_of(a, b):
    return Maximum.apply(a, b)


def _first_clash(shapes):
    """The pair of shapes whose broadcast fails first, left to right (for the error message)."""
    acc = shapes[0]
    for s in shapes[1:]:
        try:
            acc = np.broadcast_shapes(acc, s)
        except ValueError:
            return acc, s
    return shapes[0], shapes[-1]


class Maximum(Function):
    node_name = "MaximumBackward0"
    _greater = True

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        if ctx._recording:
            ctx.save_for_backward(a, b)
        xp = array_module((a if isinstance(a, Tensor) else b)._data)
        return _binary(xp.maximum if cls._greater else xp.minimum, a, b)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        wins = (a > b) if cls._greater else (a < b)
        # ties split the gradient evenly, as PyTorch does
        share = wins.to(g.dtype) + (a == b).to(g.dtype) * 0.5
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g * share, ctx.shapes[0]) if na else None
        gb = unbroadcast(g * (1 - share), ctx.shapes[1]) if nb else None
        return ga, gb


class Minimum(Maximum):
    node_name = "MinimumBackward0"
    _greater = False


class Where(Function):
    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, cond, a, b):
        cd = cond._data
        if cd.dtype != np.bool_:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {type_name(cd.dtype)}")
        xp = array_module(cd)
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            ad, bd = binary_arrays(a, b)
        else:
            rt = _dt.result_type((a, b)).np
            ad, bd = xp.asarray(a, rt), xp.asarray(b, rt)
        ctx.cond = cond
        ctx.shapes = (_shape(a), _shape(b))
        try:
            return xp.where(cd, ad, bd)
        except ValueError:
            shapes = [cd.shape, np.shape(ad), np.shape(bd)]
            raise RuntimeError(broadcast_msg(*_first_clash(shapes))) from None

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad[1:]
        c = ctx.cond
        ga = unbroadcast(g * c, ctx.shapes[0]) if na else None
        gb = unbroadcast(g * ~c, ctx.shapes[1]) if nb else None
        return None, ga, gb


def _compare(name, fn):
    def forward(ctx, a, b):
        return _binary(fn, a, b)
    return type(name, (Function,), {"differentiable": False, "forward": staticmethod(forward)})


Eq = _compare("Eq", lambda x, y: x == y)
Ne = _compare("Ne", lambda x, y: x != y)
Lt = _compare("Lt", lambda x, y: x < y)
Le = _compare("Le", lambda x, y: x <= y)
Gt = _compare("Gt", lambda x, y: x > y)
Ge = _compare("Ge", lambda x, y: x >= y)


def _bitwise(name, fn):
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b)
        for v in (ad, bd):
            if getattr(v, "dtype", None) is not None and v.dtype.kind == "f":
                raise NotImplementedError(f"\"{name}_cpu\" not implemented for "
                                          f"'{type_name(v.dtype)}'")
        return _call(fn, ad, bd)
    return type(name.title(), (Function,), {"differentiable": False,
                                            "forward": staticmethod(forward)})


BitwiseAnd = _bitwise("bitwise_and", lambda x, y: x & y)
BitwiseOr = _bitwise("bitwise_or", lambda x, y: x | y)
BitwiseXor = _bitwise("bitwise_xor", lambda x, y: x ^ y)


class BitwiseNot(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, x):
        if x._data.dtype.kind == "f":
            raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for "
                                      f"'{type_name(x._data.dtype)}'")
        return ~x._data


class Logical(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, kind, a, b=None):
        xp = array_module(a._data)
        ad = a._data
        bd = b._data if isinstance(b, Tensor) else b
        if kind == "not":
            return xp.logical_not(ad)
        fn = {"and": xp.logical_and, "or": xp.logical_or, "xor": xp.logical_xor}[kind]
        return _call(fn, ad, bd)


class Cast(Function):
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.src = x.dtype
        return x._data.astype(dtype.np)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.src), None


class ToDevice(Cast):
    """The copy to another device; its gradient goes back to the source device."""

    @staticmethod
    def forward(ctx, x, dev):
        ctx.src = x.device
        return move_array(x._data, dev)


class Clone(Function):
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x, memory_format=None):
        return x._data.copy()

    @staticmethod
    def backward(ctx, g):
        return g, None


class Fill(Function):
    """Every element set to one value: the graph node of ``fill_`` on tracked tensors."""

    node_name = "FillBackward2"

    @staticmethod
    def forward(ctx, x, value):
        xp = array_module(x._data)
        v = value._data if isinstance(value, Tensor) else value
        return xp.full(x._data.shape, v, dtype=x._data.dtype)

    @staticmethod
    def backward(ctx, g):
        gv = g.sum() if ctx.needs_input_grad[1] else None
        return g * 0, gv


class FillTensor(Fill):
    """``fill_`` with a 0-d tensor value, which receives the sum of the gradient."""

    node_name = "FillBackward3"


class Zero(Fill):
    node_name = "ZeroBackward0"


class Copy(Function):
    """``dst.copy_(src)`` on tracked tensors: the gradient flows to ``src`` only."""

    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, dst, src):
        ctx.src_shape, ctx.src_dtype, ctx.src_dev = src._data.shape, src.dtype, src.device
        s = move_array(src._data, dst.device)
        xp = array_module(dst._data)
        return xp.broadcast_to(s, dst._data.shape).astype(dst._data.dtype, copy=True)

    @staticmethod
    def backward(ctx, g):
        gs = None
        if ctx.needs_input_grad[1]:
            gs = unbroadcast(g, ctx.src_shape).to(ctx.src_dev).to(ctx.src_dtype)
        return g * 0, gs
