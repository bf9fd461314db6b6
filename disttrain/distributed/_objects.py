"""msgpack codec for the object collectives: never pickle, yet arrays and tensors pass.

Python objects cross processes as msgpack with three extension types: a numpy array (or
numpy scalar), a Tensor (travels as its host array, arrives on the CPU) and a tuple. A
peer can therefore only ever send data, never code.
"""
from collections import OrderedDict

import msgpack
import numpy as np

__all__ = ["packb", "unpackb"]

_ARRAY, _TENSOR, _TUPLE, _SCALAR = 1, 2, 3, 4


def _host(arr):
    return arr if isinstance(arr, np.ndarray) else arr.get()   # cupy: copied to the host


def _array_payload(arr):
    arr = _host(arr)
    if not arr.flags.c_contiguous:     # (ascontiguousarray would turn 0-d into 1-d)
        arr = arr.copy(order="C")
    if arr.dtype.hasobject:
        raise TypeError("object arrays cannot be sent (they would need pickle)")
    return msgpack.packb([arr.dtype.str, list(arr.shape), arr.tobytes()])


def _default(obj):
    from ..core.tensor import Tensor
    if isinstance(obj, Tensor):
        return msgpack.ExtType(_TENSOR, _array_payload(obj._data))
    if isinstance(obj, np.ndarray) or hasattr(obj, "__cuda_array_interface__"):
        return msgpack.ExtType(_ARRAY, _array_payload(obj))
    if isinstance(obj, np.generic):
        return msgpack.ExtType(_SCALAR, _array_payload(np.asarray(obj)))
    if isinstance(obj, tuple):
        return msgpack.ExtType(_TUPLE, packb(list(obj)))
    if isinstance(obj, (OrderedDict, dict)):
        return dict(obj)
    if isinstance(obj, list):
        return list(obj)
    for base in (int, float, str, bytes):   # subclasses (IntEnum...) go as their value
        if isinstance(obj, base):
            return base(obj)
    raise TypeError(f"cannot send an object of type {type(obj).__name__}: object collectives "
                    f"carry msgpack data (None, bool, int, float, str, bytes, list, tuple, "
                    f"dict, numpy arrays, Tensors), never pickled objects")


def _array(data):
    dtype, shape, raw = msgpack.unpackb(data)
    return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()


def _ext(code, data):
    if code == _ARRAY:
        return _array(data)
    if code == _SCALAR:
        return _array(data)[()]
    if code == _TENSOR:
        from ..core.tensor import Tensor
        return Tensor._make(_array(data))
    if code == _TUPLE:
        return tuple(unpackb(data))
    return msgpack.ExtType(code, data)


def packb(obj):
    """``obj`` as msgpack bytes (see the module docstring for what may be inside)."""
    return msgpack.packb(obj, default=_default, strict_types=True, use_bin_type=True)


def unpackb(data):
    """The object :func:`packb` encoded."""
    return msgpack.unpackb(data, ext_hook=_ext, raw=False, strict_map_key=False)
