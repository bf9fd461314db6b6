"""Elementwise math, comparisons, logical and bitwise ops, matrix products and softmax:
``disttrain.add``, ``disttrain.exp``, ``disttrain.eq``, ``disttrain.matmul`` ...
"""
import builtins

import numpy as np

from .. import dtype as _dt
from ..tensor import Tensor
from ..ops import elementwise as E, linalg as L, nn_ops as _nn_ops
from ._common import array_module_of, write_out
from .sorting import nonzero

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
    "floor_divide", "remainder", "fmod", "neg", "rsub", "negative", "pow", "exp", "expm1",
    "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "square", "sin", "cos",
    "tan", "tanh", "sigmoid", "asin", "acos", "atan", "sinh", "cosh", "relu", "abs", "sign",
    "floor", "ceil", "trunc", "frac", "round", "clamp", "clip", "maximum", "minimum", "where",
    "eq", "ne", "lt", "le", "gt", "ge", "equal", "allclose", "isclose", "isnan", "isinf",
    "isfinite", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "matmul", "mm", "bmm", "dot", "mv", "outer",
    "einsum", "lerp", "addcmul", "addcdiv", "atan2", "softmax", "log_softmax",
]


def _scalar_or_tensor(x, op):
    if isinstance(x, (Tensor, int, float, bool, complex, np.number, np.bool_)):
        return x
    raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not "
                    f"{type(x).__name__}")


def _check_alpha(input, other, alpha):
    if isinstance(alpha, float) and not builtins.any(
            isinstance(v, Tensor) and v.is_floating_point() or isinstance(v, float)
            for v in (input, other)):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other``, broadcasting, with PyTorch's type promotion."""
    other = _scalar_or_tensor(other, "add")
    if alpha != 1:
        _check_alpha(input, other, alpha)
    return write_out(E.Add.apply(input, other, alpha), out, "add")


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``, broadcasting, with PyTorch's type promotion."""
    other = _scalar_or_tensor(other, "sub")
    if alpha != 1:
        _check_alpha(input, other, alpha)
    return write_out(E.Sub.apply(input, other, alpha), out, "sub")


subtract = sub


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    if isinstance(other, Tensor):
        return E.RsubTensor.apply(input, other, alpha)
    return E.Rsub.apply(input, other, alpha)


def mul(input, other, *, out=None):
    return write_out(E.Mul.apply(input, _scalar_or_tensor(other, "mul")), out, "mul")


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        return write_out(E.Div.apply(input, _scalar_or_tensor(other, "div")), out, "div")
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    other = _scalar_or_tensor(other, "div")
    return write_out(E.DivMode.apply(input, other, rounding_mode), out, "div")


divide = true_divide = div


def floor_divide(input, other, *, out=None):
    return write_out(E.FloorDivide.apply(input, other), out, "floor_divide")


def remainder(input, other, *, out=None):
    cls = E.Remainder if isinstance(other, Tensor) else E.RemainderScalar
    return write_out(cls.apply(input, other), out, "remainder")


def fmod(input, other, *, out=None):
    cls = E.Fmod if isinstance(other, Tensor) else E.FmodScalar
    return write_out(cls.apply(input, other), out, "fmod")


def neg(input, *, out=None):
    return write_out(E.Neg.apply(input), out, "neg")


negative = neg


def pow(input, exponent, *, out=None):
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        return write_out(E.PowScalar.apply(input, exponent), out, "pow")
    if not isinstance(input, Tensor):
        return write_out(E.RPow.apply(input, exponent), out, "pow")
    return write_out(E.Pow.apply(input, exponent), out, "pow")


def _unary_fn(cls):
    def fn(input, *, out=None):
        return write_out(cls.apply(input), out, fn.__name__)
    return fn


exp, expm1, log, log2, log10, log1p = map(_unary_fn, (E.Exp, E.Expm1, E.Log, E.Log2, E.Log10,
                                                        E.Log1p))
sqrt, rsqrt, reciprocal, square = map(_unary_fn, (E.Sqrt, E.Rsqrt, E.Reciprocal, E.Square))
sin, cos, tan, tanh, sigmoid = map(_unary_fn, (E.Sin, E.Cos, E.Tan, E.Tanh, E.Sigmoid))
asin, acos, atan, sinh, cosh = map(_unary_fn, (E.Asin, E.Acos, E.Atan, E.Sinh, E.Cosh))
relu, abs, sign, floor, ceil, trunc, frac = map(_unary_fn, (E.Relu, E.Abs, E.Sign, E.Floor,
                                                            E.Ceil, E.Trunc, E.Frac))
for _f, _n in ((exp, "exp"), (expm1, "expm1"), (log, "log"), (log2, "log2"), (log10, "log10"),
               (log1p, "log1p"), (sqrt, "sqrt"), (rsqrt, "rsqrt"), (reciprocal, "reciprocal"),
               (square, "square"), (sin, "sin"), (cos, "cos"), (tan, "tan"), (tanh, "tanh"),
               (sigmoid, "sigmoid"), (asin, "asin"), (acos, "acos"), (atan, "atan"),
               (sinh, "sinh"), (cosh, "cosh"), (relu, "relu"), (abs, "abs"), (sign, "sign"),
               (floor, "floor"), (ceil, "ceil"), (trunc, "trunc"), (frac, "frac")):
    _f.__name__ = _f.__qualname__ = _n
    _f.__doc__ = f"Elementwise {_n} of ``input``."


def round(input, *, decimals=0, out=None):
    if decimals:
        return write_out(E.RoundDecimals.apply(input, decimals), out, "round")
    return write_out(E.Round.apply(input), out, "round")


def clamp(input, min=None, max=None, *, out=None):
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return write_out(E.ClampTensor.apply(input, min, max), out, "clamp")
    return write_out(E.Clamp.apply(input, min, max), out, "clamp")


clip = clamp


def maximum(input, other, *, out=None):
    return write_out(E.Maximum.apply(input, other), out, "maximum")


def minimum(input, other, *, out=None):
    return write_out(E.Minimum.apply(input, other), out, "minimum")


def atan2(input, other, *, out=None):
    """The elementwise angle of the point (``other``, ``input``), in [-pi, pi]."""
    for name, t, pos in (("input", input, 1), ("other", other, 2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"atan2(): argument '{name}' (position {pos}) must be Tensor, not "
                            f"{type(t).__name__}")
    return write_out(E.Atan2.apply(input, other), out, "atan2")


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return write_out(E.Where.apply(condition, input, other), out, "where")


def _cmp(cls, name):
    def fn(input, other, *, out=None):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not "
                            f"{type(input).__name__}")
        return write_out(cls.apply(input, other), out, name)
    fn.__name__ = name
    return fn


eq, ne, lt, le, gt, ge = (_cmp(E.Eq, "eq"), _cmp(E.Ne, "ne"), _cmp(E.Lt, "lt"),
                          _cmp(E.Le, "le"), _cmp(E.Gt, "gt"), _cmp(E.Ge, "ge"))
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def equal(input, other):
    return input.shape == other.shape and bool((input._data == other._data).all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    o = other._data if isinstance(other, Tensor) else other
    return Tensor._make(array_module_of(input).isclose(input._data, o, rtol=rtol, atol=atol,
                                                       equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def isnan(input):
    return input != input


def isinf(input):
    return Tensor._make(array_module_of(input).isinf(input._data))


def isfinite(input):
    return Tensor._make(array_module_of(input).isfinite(input._data))


def logical_and(input, other):
    return E.Logical.apply("and", input, other)


def logical_or(input, other):
    return E.Logical.apply("or", input, other)


def logical_xor(input, other):
    return E.Logical.apply("xor", input, other)


def logical_not(input):
    return E.Logical.apply("not", input)


def bitwise_and(input, other):
    return E.BitwiseAnd.apply(input, other)


def bitwise_or(input, other):
    return E.BitwiseOr.apply(input, other)


def bitwise_xor(input, other):
    return E.BitwiseXor.apply(input, other)


def bitwise_not(input):
    return E.BitwiseNot.apply(input)


def lerp(input, end, weight):
    return input + (end - input) * weight


def addcmul(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 / tensor2


def softmax(input, dim, dtype=None):
    x = input if dtype is None else input.to(_dt.to_dtype(dtype))
    return _nn_ops.Softmax.apply(x, x._dim(dim))


def log_softmax(input, dim, dtype=None):
    x = input if dtype is None else input.to(_dt.to_dtype(dtype))
    return _nn_ops.LogSoftmax.apply(x, x._dim(dim))


def matmul(input, other, *, out=None):
    """Matrix product with broadcasting; 1-d operands are vectors (see ``Tensor.__matmul__``)."""
    return write_out(L.matmul(input, other), out, "matmul")


def mm(input, mat2, *, out=None):
    """The product of two matrices."""
    return write_out(L.mm(input, mat2), out, "mm")


def bmm(input, mat2, *, out=None):
    """Batched matrix product of two 3-d tensors."""
    return write_out(L.bmm(input, mat2), out, "bmm")


dot, mv, outer, einsum = L.dot, L.mv, L.outer, L.einsum
inner = dot
ger = outer
