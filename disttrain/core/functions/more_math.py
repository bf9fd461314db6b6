"""More elementwise math and matrix sums: inverse hyperbolics, ``logaddexp``, ``hypot``,
``copysign``, ``fmax``/``fmin``, ``addmm`` and friends, angle conversions, integer ops
(``gcd``, shifts), predicates (``isin``, ``isposinf``, ``signbit``) and type queries
(``result_type``, ``can_cast``).

Differentiable ones are compositions of existing differentiable ops, so their gradients (and
second derivatives) come from those; the integer and boolean ones are plain array kernels.
"""
import builtins
import functools
import math

import numpy as np

from .. import dtype as _dt
from ..tensor import Tensor
from ..ops import strided as ST
from ._common import array_module_of, write_out
from . import math_ops as M

__all__ = [
    "acosh", "asinh", "atanh", "arccosh", "arcsinh", "arctanh", "arccos", "arcsin", "arctan",
    "arctan2", "absolute", "logaddexp", "logaddexp2", "hypot", "copysign", "fmax", "fmin",
    "float_power", "deg2rad", "rad2deg", "signbit", "positive", "fix",
    "clamp_min", "clamp_max", "heaviside", "gcd", "lcm", "bitwise_left_shift",
    "bitwise_right_shift", "isin", "isneginf", "isposinf", "isreal", "is_same_size",
    "result_type", "can_cast", "addmm", "addbmm", "baddbmm", "addmv", "addr", "chain_matmul",
    "ldexp", "frexp", "nextafter", "nan_to_num", "is_nonzero", "is_signed", "inner", "ger",
    "greater", "less", "greater_equal", "less_equal", "not_equal", "vdot",
]


def _tensor_arg(x, like):
    if isinstance(x, Tensor):
        return x
    from ..creation import tensor
    return tensor(x, device=like.device)


def acosh(input, *, out=None):
    """The inverse hyperbolic cosine, elementwise."""
    return write_out(ST.Acosh.apply(input), out, "acosh")


def asinh(input, *, out=None):
    """The inverse hyperbolic sine, elementwise."""
    return write_out(ST.Asinh.apply(input), out, "asinh")


def atanh(input, *, out=None):
    """The inverse hyperbolic tangent, elementwise."""
    return write_out(ST.Atanh.apply(input), out, "atanh")


arccosh, arcsinh, arctanh = acosh, asinh, atanh
arccos, arcsin, arctan, arctan2, absolute = M.acos, M.asin, M.atan, M.atan2, M.abs
greater, less, greater_equal, less_equal, not_equal = M.gt, M.lt, M.ge, M.le, M.ne
inner, ger = M.inner, M.ger


def _float(x):
    return x if x.dtype.is_floating_point else x.to(_dt.get_default_dtype())


def logaddexp(input, other):
    """``log(exp(input) + exp(other))``, computed without overflow."""
    a, b = _float(input), _float(_tensor_arg(other, input))
    m = M.maximum(a, b).detach()
    # where both are -inf (or +inf) the shifted form is nan; the answer is m itself
    same_inf = (a == b) & M.isinf(m)
    safe = M.where(same_inf, m.new_zeros(()), m)
    out = safe + ((a - safe).exp() + (b - safe).exp()).log()
    return M.where(same_inf, a, out)


def logaddexp2(input, other):
    """``log2(2**input + 2**other)``, computed without overflow."""
    ln2 = math.log(2.0)
    return logaddexp(_float(input) * ln2, _float(_tensor_arg(other, input)) * ln2) / ln2


def hypot(input, other):
    """``sqrt(input**2 + other**2)`` elementwise."""
    return (input * input + other * other).sqrt()


def copysign(input, other):
    """The magnitude of ``input`` with the sign (sign bit: ``-0.0`` counts) of ``other``."""
    a = _float(input)
    neg = signbit(_tensor_arg(other, a))
    mag = a.abs()
    return M.where(neg, -mag, mag)


def fmax(input, other):
    """The elementwise maximum, where a NaN loses to a number (``maximum`` propagates it)."""
    pick_a = (input >= other) | M.isnan(other)
    return M.where(pick_a, input, other)


def fmin(input, other):
    """The elementwise minimum, where a NaN loses to a number (``minimum`` propagates it)."""
    pick_a = (input <= other) | M.isnan(other)
    return M.where(pick_a, input, other)


def float_power(input, exponent):
    """``input ** exponent`` computed in double precision."""
    a = input.double() if isinstance(input, Tensor) else input
    e = exponent.double() if isinstance(exponent, Tensor) else exponent
    if not isinstance(a, Tensor):
        return M.pow(_tensor_arg(float(a), e).double(), e)
    return M.pow(a, e)


def deg2rad(input):
    """Degrees to radians."""
    return _float(input) * (math.pi / 180.0)


def rad2deg(input):
    """Radians to degrees."""
    return _float(input) * (180.0 / math.pi)


def signbit(input):
    """Whether each element's sign bit is set (true for ``-0.0``)."""
    xp = array_module_of(input)
    return Tensor._make(xp.signbit(input._data))


def positive(input):
    """``input`` itself (``+input``); booleans are refused as PyTorch does."""
    if input.dtype is _dt.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def fix(input):
    """Alias of ``trunc``."""
    return M.trunc(input)


def clamp_min(input, min):
    """``clamp(input, min=min)``."""
    return M.clamp(input, min=min)


def clamp_max(input, max):
    """``clamp(input, max=max)``."""
    return M.clamp(input, max=max)


def heaviside(input, values):
    """The Heaviside step: 0 below zero, 1 above, ``values`` at zero."""
    if input.dtype is not values.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different "
                           f"dtypes")
    xp = array_module_of(input)
    a, v = input._data, values._data
    out = xp.where(a == 0, v, (a > 0).astype(a.dtype))
    return Tensor._make(xp.asarray(out, dtype=a.dtype))


def _arrays(a, b):
    dt = _dt.promote_types(a.dtype, b.dtype).np
    return a._data.astype(dt, copy=False), b._data.astype(dt, copy=False)


def _wrap_int(name, kernel, doc):
    def op(input, other):
        other = _tensor_arg(other, input)
        for t in (input, other):
            if t.dtype.is_floating_point:
                raise NotImplementedError(f"\"{name}_cpu\" not implemented for "
                                   f"'{_torch_type(t.dtype)}'")
        a, b = _arrays(input, other)
        return Tensor._make(kernel(array_module_of(input), a, b))
    op.__name__, op.__doc__ = name, doc
    return op


def _torch_type(dtype):
    from ..ops._util import type_name
    return type_name(dtype.np)


gcd = _wrap_int("gcd", lambda xp, a, b: xp.gcd(a, b),
                "The greatest common divisor of integer tensors, elementwise.")
lcm = _wrap_int("lcm", lambda xp, a, b: xp.lcm(a, b),
                "The least common multiple of integer tensors, elementwise.")


def _shift(left):
    def op(input, other):
        other = _tensor_arg(other, input)
        a, b = _arrays(input, other)
        xp = array_module_of(input)
        if a.dtype.kind == "f":
            raise NotImplementedError(f"\"{'lshift' if left else 'rshift'}_cpu\" not "
                                      f"implemented for "
                               f"'{_torch_type(input.dtype)}'")
        bits = a.dtype.itemsize * 8
        big = (b >= bits) | (b < 0)
        bb = xp.where(big, 0, b)
        if left:
            out = xp.where(big, 0, xp.left_shift(a, bb))
        else:
            out = xp.where(big, xp.where(a < 0, -1, 0), xp.right_shift(a, bb))
        return Tensor._make(out.astype(a.dtype))
    op.__name__ = "bitwise_left_shift" if left else "bitwise_right_shift"
    op.__doc__ = f"Shift the bits of ``input`` {'left' if left else 'right'} by ``other``."
    return op


bitwise_left_shift, bitwise_right_shift = _shift(True), _shift(False)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` occurs in ``test_elements``."""
    e = elements if isinstance(elements, Tensor) else _tensor_arg(elements, test_elements)
    t = test_elements if isinstance(test_elements, Tensor) else \
        _tensor_arg(test_elements, e)
    xp = array_module_of(e)
    return Tensor._make(xp.isin(e._data, t._data, invert=invert))


def isneginf(input):
    """Whether each element is negative infinity."""
    d = input._data
    return Tensor._make(array_module_of(input).isinf(d) & (d < 0))


def isposinf(input):
    """Whether each element is positive infinity."""
    d = input._data
    return Tensor._make(array_module_of(input).isinf(d) & (d > 0))


def isreal(input):
    """Whether each element is real-valued (always true for real dtypes)."""
    return Tensor._make(array_module_of(input).ones(input._data.shape, bool))


def is_same_size(input, other):
    """Whether the two tensors have the same shape."""
    return tuple(input.shape) == tuple(other.shape)


def is_nonzero(input):
    """The truth of a one-element tensor; PyTorch's errors for other sizes."""
    if input.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins.bool(input.item())


def is_signed(input):
    """Whether the dtype is signed (false for ``uint8`` and ``bool``)."""
    return input.dtype not in (_dt.uint8, _dt.bool)


def result_type(tensor, other):
    """The dtype an arithmetic op on these operands returns (Python numbers and 0-d tensors
    weigh less than tensors of dimension, as in PyTorch's promotion)."""
    for x in (tensor, other):
        if not isinstance(x, (Tensor, builtins.bool, int, float, np.number)):
            raise TypeError(f"result_type(): argument 'other' must be Number, not "
                            f"{type(x).__name__}")
    return _dt.result_type((tensor, other))


def can_cast(from_, to):
    """Whether PyTorch's casting rules allow ``from_`` to ``to`` (no float into integer, no
    integer into bool)."""
    return from_._category <= to._category


def _beta_alpha(input, prod, beta, alpha):
    p = prod if alpha == 1 else prod * alpha
    if beta == 0:
        # beta=0 ignores input entirely: nan/inf in it do not propagate
        np.broadcast_shapes(tuple(input.shape), tuple(p.shape))
        return p
    return (input if beta == 1 else input * beta) + p


def _same_dtype(msg, *ts):
    if any(t.dtype is not ts[0].dtype for t in ts):
        from ..ops._util import type_name, c_type_name
        raise RuntimeError(msg(*[type_name(t.dtype.np) for t in ts],
                               *[c_type_name(t.dtype.np) for t in ts]))


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``."""
    _same_dtype(lambda a, b, c, *_: f"self and mat2 must have the same dtype, but got {a} and "
                f"{c}", input, mat1, mat2)
    return write_out(_beta_alpha(input, M.mm(mat1, mat2), beta, alpha), out, "addmm")


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat @ vec)``."""
    _same_dtype(lambda a, b, c, *_: f"addmv input tensors must have the same dtype, but got "
                f"{a}, {b}, and {c}", input, mat, vec)
    return write_out(_beta_alpha(input, M.mv(mat, vec), beta, alpha), out, "addmv")


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * outer(vec1, vec2)``."""
    return write_out(_beta_alpha(input, M.outer(vec1, vec2), beta, alpha), out, "addr")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (batch1 @ batch2)`` per batch."""
    _same_dtype(lambda a, b, c, ca, cb, cc: f"Input dtypes must be the same, got: input {ca}, "
                f"batch1: {cb}, batch2: {cc}", input, batch1, batch2)
    return write_out(_beta_alpha(input, M.bmm(batch1, batch2), beta, alpha), out, "baddbmm")


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    _same_dtype(lambda a, b, c, *_: f"self and mat2 must have the same dtype, but got {a} and "
                f"{c}", input, batch1, batch2)
    return write_out(_beta_alpha(input, M.bmm(batch1, batch2).sum(0), beta, alpha), out,
                     "addbmm")


def chain_matmul(*matrices):
    """The product of the 2-d matrices, left to right (deprecated in PyTorch for
    ``linalg.multi_dot``)."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    if len(matrices) == 1:
        return matrices[0].clone()
    return functools.reduce(M.mm, matrices)


def vdot(input, other):
    """The dot product of two 1-d tensors (for real tensors, ``dot``)."""
    return M.dot(input, other)


def ldexp(input, other):
    """``input * 2 ** other``."""
    return _float(input) * M.pow(_float(input).new_full((), 2.0), other)


def frexp(input):
    """The mantissa (in [0.5, 1)) and integer exponent of each element."""
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    xp = array_module_of(input)
    m, e = xp.frexp(input._data)
    return _Frexp((Tensor._make(m), Tensor._make(e.astype(np.int32))))


class _Frexp(tuple):
    """``torch.return_types.frexp``: ``(mantissa, exponent)``."""

    def __new__(cls, pair):
        return tuple.__new__(cls, tuple(pair))

    mantissa = property(lambda self: self[0])
    exponent = property(lambda self: self[1])

    def __repr__(self):
        return (f"disttrain.return_types.frexp(\nmantissa={self[0]!r},\n"
                f"exponent={self[1]!r})")


def nextafter(input, other):
    """The next representable float after ``input`` toward ``other``."""
    a, b = _arrays(input, _tensor_arg(other, input))
    return Tensor._make(array_module_of(input).nextafter(a, b))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """``input`` with NaN, +inf and -inf replaced (by 0 and the dtype's largest/smallest
    finite values unless given); the gradient passes where values are kept."""
    if not input.dtype.is_floating_point:
        return write_out(input.clone(), out, "nan_to_num")
    info = np.finfo(input._data.dtype)
    hi = float(info.max) if posinf is None else posinf
    lo = float(info.min) if neginf is None else neginf
    xp = array_module_of(input)
    d = input._data
    z = input.new_zeros(())
    inf = xp.isinf(d)
    res = M.where(Tensor._make(xp.isnan(d)), z + nan, input)
    res = M.where(Tensor._make(inf & (d > 0)), z + hi, res)
    res = M.where(Tensor._make(inf & (d < 0)), z + lo, res)
    return write_out(res, out, "nan_to_num")
