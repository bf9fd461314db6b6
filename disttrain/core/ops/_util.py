"""Helpers the ops share: operand promotion, gradient unbroadcasting, PyTorch's error
wording, and the numerically careful array kernels more than one op needs."""
import math

import numpy as np

from .. import dtype as _dt
from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor

__all__ = ["binary_arrays", "apply_binary", "call_binary", "shape_of", "unbroadcast",
           "SumToSize", "as_array", "shape_str", "type_name", "c_type_name", "check_cast",
           "broadcast_msg", "float_array", "finite_max", "sigmoid_array", "select",
           "keep_where", "on_1d"]

_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
               "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
               "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
# the C++ type names some of PyTorch's messages print
_C_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double",
            "int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int",
            "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}


def shape_str(shape):
    return "x".join(str(s) for s in shape) if len(shape) else "[]"


def check_cast(src, dst):
    """PyTorch's error when a result of dtype ``src`` would be written into a ``dst`` tensor
    of a lower category (float into int, int into bool)."""
    if src is not dst and src._category > dst._category:
        raise RuntimeError(f"result type {type_name(src.np)} can't be cast to the desired output "
                           f"type {type_name(dst.np)}")


def type_name(np_dtype):
    """PyTorch's scalar-type name of a numpy dtype, as its error messages print it ('Long')."""
    return _TYPE_NAMES[np.dtype(np_dtype).name]


def c_type_name(np_dtype):
    """The C++ name of a numpy dtype, as some PyTorch messages print it ('long int')."""
    return _C_NAMES[np.dtype(np_dtype).name]


def broadcast_msg(a, b):
    """PyTorch's message for two shapes that do not broadcast, naming the first clash."""
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return (f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                    f"at non-singleton dimension {i}")
    return f"shapes {list(a)} and {list(b)} cannot be broadcast"


def float_array(arr):
    """Integer and bool inputs of float-valued math compute in the default float dtype."""
    return arr.astype(_dt.get_default_dtype().np) if arr.dtype.kind in "biu" else arr


def finite_max(xp, a, axis):
    """The max over ``axis`` (kept as size 1), 0 where it is not finite or ``a`` is empty:
    the shift that keeps softmax-type exponentials in range without making ``inf - inf``."""
    if not a.size:
        return 0
    m = a.max(axis=axis, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)


_ARRAY_TYPES = (np.ndarray, np.generic)   # cupy's ndarray is matched by its name


def on_1d(kernel):
    """Run an array kernel that writes into its own temporaries (``out=``, ``copyto``) on
    1-element arrays when it is given 0-d ones: numpy returns a scalar, not a 0-d array, from
    a ufunc or arithmetic of 0-d arrays, and a scalar cannot be written into. When every array
    argument has shape (), they go in with shape (1,) and array results come back with
    shape ()."""
    import functools

    @functools.wraps(kernel)
    def run(*args):
        arrays = [isinstance(a, _ARRAY_TYPES) or type(a).__name__ == "ndarray" for a in args]
        if not any(arrays) or any(a.ndim for a, is_arr in zip(args, arrays) if is_arr):
            return kernel(*args)         # only when every array argument is 0-d
        out = kernel(*(a.reshape(1) if is_arr else a for a, is_arr in zip(args, arrays)))
        if isinstance(out, tuple):
            return tuple(o.reshape(()) if hasattr(o, "reshape") else o for o in out)
        return out.reshape(()) if hasattr(out, "reshape") else out
    return run


_ZERO_BLOCKS = {}
_ZERO_BLOCK = 1 << 17


def relu_array(xp, x):
    """``maximum(0, x)``: zero first, so that -0.0 and nan keep their sign bit as in
    PyTorch's relu (``maximum(x, 0)`` gives +0.0 for -0.0). numpy's maximum against a
    scalar runs a loop about 2.5x slower than against an array of the same length, so a
    large contiguous float array goes through in blocks against one cached block of zeros
    (which stays in cache)."""
    if xp is not np or x.size <= 8192 or x.dtype.kind != "f" or not x.flags.c_contiguous:
        return xp.maximum(0, x)
    zeros = _ZERO_BLOCKS.get(x.dtype)
    if zeros is None:
        zeros = _ZERO_BLOCKS[x.dtype] = np.zeros(_ZERO_BLOCK, x.dtype)
    out = np.empty_like(x)
    src, dst = x.reshape(-1), out.reshape(-1)
    for a in range(0, src.size, _ZERO_BLOCK):
        b = min(a + _ZERO_BLOCK, src.size)
        np.maximum(zeros[:b - a], src[a:b], out=dst[a:b])
    return out


#: the longest run of elements a matrix-vector product sums (the trailing-axes case of
#: ``float_sum``): beyond it numpy's pairwise summation is fast as well, and more accurate
#: than BLAS's running sums (measured over 4096 float32 values: 1.4e-5 against 6.8e-5)
MATVEC_RUN = 1024
_ONES = {}


def _ones(xp, n, dtype):
    """A read-only vector of ``n`` ones (cached on the host)."""
    if xp is not np:
        return xp.ones(n, dtype)
    key = (n, dtype.str)
    v = _ONES.get(key)
    if v is None:
        if len(_ONES) > 64:
            _ONES.clear()
        v = _ONES[key] = np.ones(n, dtype)
        v.flags.writeable = False
    return v


def float_sum(a, axes, keepdims=True):
    """``a.sum(axis=axes, keepdims=keepdims)`` (``axes`` sorted, non-negative), as a BLAS
    matrix-vector product where numpy's reduction is slow, for contiguous float arrays:

    * every axis but the channels (axis 1) of an (N, C, ...) array (batch norm's statistics
      and gradients, a convolution's bias gradient): numpy reduces over the non-adjacent
      axes (0, 2, 3) about 3x slower;
    * trailing axes of at most ``MATVEC_RUN`` elements (layer norm, softmax, ``sum(-1)``):
      numpy pays a fixed cost per short row (512 rows of 128: 0.019 -> 0.004 ms; 2048 of
      64: 0.056 -> 0.007 ms), on the host;
    * leading axes (a Linear's bias gradient, layer norm's weight gradient): 2048 rows of
      512, 0.133 -> 0.057 ms, on the host.

    Elsewhere, and over every axis (where numpy's pairwise sum is the more accurate), numpy.
    """
    nd = a.ndim
    if a.dtype.kind == "f" and a.dtype.itemsize >= 4 and a.flags.c_contiguous and \
            0 < len(axes) < nd and a.size >= 256:
        xp = array_module(a)
        axes = tuple(axes)
        if nd >= 3 and axes == (0,) + tuple(range(2, nd)):
            n, c = a.shape[:2]
            a3 = a.reshape(n, c, -1)
            out = (a3 @ _ones(xp, a3.shape[2], a.dtype)).sum(0)
            return out.reshape((1, c) + (1,) * (nd - 2)) if keepdims else out
        k = len(axes)
        if xp is np and axes == tuple(range(nd - k, nd)):
            lead = a.shape[:nd - k]
            run = a.size // math.prod(lead)
            if run <= MATVEC_RUN:
                out = a.reshape(-1, run) @ _ones(xp, run, a.dtype)
                return out.reshape(lead + (1,) * k if keepdims else lead)
        if xp is np and axes == tuple(range(k)):
            trail = a.shape[k:]
            rows = a.size // math.prod(trail)
            out = _ones(xp, rows, a.dtype) @ a.reshape(rows, -1)
            return out.reshape((1,) * k + trail if keepdims else trail)
    return a.sum(axis=axes, keepdims=keepdims)


@on_1d
def select(xp, cond, a, b):
    """``where(cond, a, b)`` for float arrays of one shape and dtype, by bit masks.

    ``where`` (and ``copyto(..., where=)``) branch per element: on a mask without pattern,
    such as the signs of activations, they run at the speed of a mispredicted branch, about
    ten times slower than arithmetic. Selecting the bits with and/or does not branch. Other
    operands go to ``where``.
    """
    if not (isinstance(b, type(a)) and a.shape == b.shape == cond.shape and
            a.dtype == b.dtype and a.dtype.kind == "f"):
        return xp.where(cond, a, b)
    ity = np.dtype(f"i{a.dtype.itemsize}")
    mask = cond.astype(ity)
    xp.negative(mask, out=mask)                 # all ones where cond holds
    out = xp.bitwise_and(a.view(ity), mask)
    xp.invert(mask, out=mask)
    mask &= b.view(ity)
    out |= mask
    return out.view(a.dtype)


@on_1d
def keep_where(xp, cond, a):
    """``where(cond, a, 0)`` by bit masks (see ``select``); zeros even where ``a`` is inf
    or nan."""
    if not (a.shape == cond.shape and a.dtype.kind == "f"):
        return xp.where(cond, a, 0)
    ity = np.dtype(f"i{a.dtype.itemsize}")
    mask = cond.astype(ity)
    xp.negative(mask, out=mask)
    mask &= a.view(ity)
    return mask.view(a.dtype)


@on_1d
def sigmoid_array(xp, x):
    """The logistic function, with ``exp`` of non-positive numbers only, so large ``|x|``
    neither overflows nor loses precision."""
    if x.dtype.kind == "c":
        return 1 / (1 + xp.exp(-x))
    e = xp.abs(x)
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    d = e + 1
    xp.divide(e, d, out=e)                  # e / (1 + e), for x < 0
    xp.reciprocal(d, out=d)                 # 1 / (1 + e), for x >= 0
    return select(xp, x >= 0, d, e).astype(x.dtype, copy=False)


@on_1d
def softplus_array(xp, v):
    """log(1 + exp(v)) as numpy's ``logaddexp(0, v)`` defines it, max(v, 0) +
    log1p(exp(-|v|)), in four vectorised passes (numpy's logaddexp loops element by element:
    10x slower on float32)."""
    out = xp.abs(v)
    xp.negative(out, out=out)
    xp.exp(out, out=out)
    xp.log1p(out, out=out)
    out += relu_array(xp, v)
    return out


def as_array(x, like):
    """``x`` (Tensor, array or scalar) as an array on the same device as ``like``."""
    if isinstance(x, Tensor):
        return x._data
    return array_module(like).asarray(x)


def binary_arrays(a, b):
    """The arrays of two operands after PyTorch's type promotion.

    Python scalars stay scalars (numpy treats them as weak, as PyTorch does) unless their
    category is higher than the tensor's, e.g. ``int_tensor * 0.5`` computes in float32.
    """
    if isinstance(a, Tensor):
        ad = a._data
        if isinstance(b, Tensor):
            bd = b._data
            if ad.dtype == bd.dtype:
                return ad, bd
            rt = _dt.result_type((a, b)).np
            return (ad if ad.dtype == rt else ad.astype(rt)), (bd if bd.dtype == rt else
                                                                bd.astype(rt))
        return _with_scalar(ad, b)
    bd, a = _with_scalar(b._data, a)
    return a, bd


def apply_binary(fn, a, b):
    """``fn`` on two operands' arrays after type promotion, with PyTorch's broadcast error."""
    ad, bd = binary_arrays(a, b)
    return call_binary(fn, ad, bd)


def call_binary(fn, ad, bd):
    """``fn(ad, bd)`` with numpy's broadcasting ValueError turned into PyTorch's message."""
    try:
        return fn(ad, bd)
    except ValueError:
        raise RuntimeError(broadcast_msg(np.shape(ad), np.shape(bd))) from None


def shape_of(x):
    """The shape of an operand: a Tensor's, or ``()`` for a Python scalar."""
    return x._data.shape if isinstance(x, Tensor) else ()


def _with_scalar(arr, s):
    """``(arr, s)`` ready for numpy: the array promoted where the scalar's category is
    higher, the scalar made weak (a Python number) and wrapped into small integer dtypes."""
    if isinstance(s, np.generic):
        s = s.item()        # numpy scalars are strong in numpy 2 but weak in PyTorch
    cat = _dt.scalar_category(s)
    kind = arr.dtype.kind
    if cat >= 2:
        if kind in "biu":
            return arr.astype(_dt.get_default_dtype().np), s
    elif cat == 1:
        if kind == "b":
            return arr.astype(np.int64), s
        if kind in "iu" and arr.dtype.itemsize < 8 and not isinstance(s, bool):
            info = np.iinfo(arr.dtype)
            if not info.min <= s <= info.max:
                # PyTorch wraps an out-of-range integer into the tensor's type
                s = int(np.array(s, dtype=np.int64).astype(arr.dtype))
    return arr, s


class SumToSize(Function):
    """Sum a broadcast gradient back to an operand's shape (the inverse of ``expand``)."""

    node_name = "SumToSizeBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        arr = x._data
        ctx.in_shape = arr.shape
        lead = arr.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(shape) if s == 1 and arr.shape[i + lead] != 1)
        out = arr.sum(axis=axes, keepdims=True) if axes else arr
        if lead:
            out = out.reshape(shape)
        return out

    @staticmethod
    def backward(ctx, g):
        return g.expand(ctx.in_shape), None


def unbroadcast(g, shape):
    if g is None or g._data.shape == shape:
        return g
    return SumToSize.apply(g, tuple(shape))
