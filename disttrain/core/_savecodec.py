"""The object part of a ``save`` file: Python data <-> msgpack, with tensors as table entries.

Plain msgpack types carry None, bool, int (64-bit), float, str, bytes, list and dict; every
other kind of data is a msgpack ext value whose payload is itself msgpack:

==== =================== ===================================================
code type                payload
==== =================== ===================================================
1    tuple               array of items
2    OrderedDict         [array of [key, value] pairs, its ``_metadata`` or nil]
3    Tensor, Parameter,  index into the header's tensor table
     numpy array
4    disttrain.dtype     name (``"float32"``)
5    disttrain.device    string (``"cuda:0"``)
6    disttrain.Size      array of ints
7    complex             [real, imag]
8    int beyond 64 bits  decimal string
9    set                 array of items
10   frozenset           array of items
11   numpy scalar        [numpy dtype string, raw little-endian bytes]
==== =================== ===================================================

Anything else is not data: ``encode`` raises ``NotData`` and ``save`` falls back to a pickle
section (see ``serialization``).
"""
import collections

import msgpack
import numpy as np

from . import dtype as _dt
from .device import device as _device
from .tensor import Size, Tensor

__all__ = ["NotData", "encode", "decode", "NUMERIC_KINDS"]

TUPLE, ODICT, TENSOR, DTYPE, DEVICE, SIZE, COMPLEX, BIGINT, SET, FROZENSET, NPSCALAR = range(1, 12)
NUMERIC_KINDS = "biufc"          # numpy dtype kinds a file may hold (never objects)
_I64_MIN, _U64_MAX = -(1 << 63), (1 << 64) - 1


class NotData(TypeError):
    """The object holds something that only pickle could store."""


def _pack(obj, default):
    return msgpack.packb(obj, default=default, use_bin_type=True, strict_types=True)


def encode(obj, tensor_index):
    """msgpack bytes for ``obj``; ``tensor_index(t)`` gives a tensor's table index."""
    def default(o):
        ext = _ext(o, tensor_index)
        if ext is None:
            raise NotData(f"{type(o).__module__}.{type(o).__qualname__}")
        code, payload = ext
        return msgpack.ExtType(code, _pack(payload, default))
    return _pack(obj, default)


def _ext(o, tensor_index):
    """(code, payload) for a value msgpack can't hold natively, or None if it is not data."""
    t = type(o)
    if isinstance(o, Tensor) or (isinstance(o, np.ndarray) and o.dtype.kind in NUMERIC_KINDS):
        return TENSOR, tensor_index(o)
    if t is tuple:
        return TUPLE, list(o)
    if t is collections.OrderedDict:
        return ODICT, [[[k, v] for k, v in o.items()], getattr(o, "_metadata", None)]
    if t is Size:
        return SIZE, [int(s) for s in o]
    if t is _dt.dtype:
        return DTYPE, o.name
    if t is _device:
        return DEVICE, str(o)
    if t is complex:
        return COMPLEX, [o.real, o.imag]
    if t is int:                 # only reaches here when outside msgpack's 64-bit range
        return BIGINT, str(o)
    if t is set or t is frozenset:
        return (SET if t is set else FROZENSET), list(o)
    if isinstance(o, np.generic) and o.dtype.kind in NUMERIC_KINDS:
        le = o.dtype.newbyteorder("<")
        return NPSCALAR, [le.str, np.asarray(o, dtype=le).tobytes()]
    return None


class CorruptError(ValueError):
    """The object part of a file does not decode; the caller names the file."""


def decode(data, tensors):
    """The object ``encode`` wrote, with tensor entries taken from the list ``tensors``."""
    def hook(code, payload):
        v = msgpack.unpackb(payload, ext_hook=hook, raw=False, strict_map_key=False)
        return _from_ext(code, v, tensors)
    try:
        return msgpack.unpackb(data, ext_hook=hook, raw=False, strict_map_key=False)
    except CorruptError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError,
            msgpack.UnpackException) as e:
        raise CorruptError(f"undecodable object data ({type(e).__name__}: {e})") from None


def _from_ext(code, v, tensors):
    if code == TENSOR:
        if not isinstance(v, int) or not 0 <= v < len(tensors):
            raise CorruptError(f"tensor reference {v!r} outside the table of "
                               f"{len(tensors)} tensors")
        return tensors[v]
    if code == TUPLE:
        return tuple(v)
    if code == ODICT:
        d = collections.OrderedDict((k, val) for k, val in v[0])
        if v[1] is not None:
            d._metadata = v[1]
        return d
    if code == SIZE:
        return Size(v)
    if code == DTYPE:
        return _dt.to_dtype(v)
    if code == DEVICE:
        return _device(v)
    if code == COMPLEX:
        return complex(v[0], v[1])
    if code == BIGINT:
        return int(v)
    if code in (SET, FROZENSET):
        return set(v) if code == SET else frozenset(v)
    if code == NPSCALAR:
        dt = np.dtype(v[0])
        if dt.kind not in NUMERIC_KINDS or len(v[1]) != dt.itemsize:
            raise CorruptError(f"bad numpy scalar of dtype {v[0]!r}")
        return np.frombuffer(v[1], dtype=dt)[0].astype(dt.newbyteorder("="))
    raise CorruptError(f"unknown object type code {code}")
