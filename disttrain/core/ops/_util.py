"""Helpers every op shares: operand promotion and gradient unbroadcasting."""
import numpy as np

from .. import dtype as _dt
from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor

__all__ = ["binary_arrays", "unbroadcast", "SumToSize", "as_array", "shape_str", "type_name"]

_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
               "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
               "bool": "Bool"}


def shape_str(shape):
    return "x".join(str(s) for s in shape) if len(shape) else "[]"


def type_name(np_dtype):
    """PyTorch's scalar-type name of a numpy dtype, as its error messages print it ('Long')."""
    return _TYPE_NAMES[np.dtype(np_dtype).name]


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
        return _with_scalar(ad, b), b
    bd = b._data
    return a, _with_scalar(bd, a)


def _with_scalar(arr, s):
    cat = _dt.scalar_category(s)
    kind = arr.dtype.kind
    if cat == 2 and kind in "biu":
        return arr.astype(_dt.get_default_dtype().np)
    if cat == 1 and kind == "b":
        return arr.astype(np.int64)
    return arr


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
