"""PyTorch's ``torch.save`` file format: a zip archive, read and written without PyTorch.

Layout (every record stored uncompressed, each record's bytes 64-byte aligned)::

    <archive>/data.pkl                 the object, pickle protocol 2 (see _torchpickle)
    <archive>/.format_version          b"1"
    <archive>/.storage_alignment       b"64"
    <archive>/byteorder                b"little"
    <archive>/data/<key>               raw bytes of one storage, per persistent id
    <archive>/version                  b"3\\n"
    <archive>/.data/serialization_id   a decimal id

Reading checks each record's CRC32 (PyTorch does not), so a flipped bit anywhere in the
pickle or the tensor bytes is an error naming the file and the record.
"""
import os
import pickle
import struct
import uuid
import zipfile
import zlib

import numpy as np

from . import _torchpickle as tp
from . import dtype as _dt
from .device import is_cuda_array
from .tensor import Tensor

__all__ = ["is_torch_zip", "write_torch_zip", "pickle_for_torch", "read_torch_zip",
           "ZIP_ERRORS"]

# what zipfile raises on a damaged archive (NotImplementedError for a garbled version field)
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
              NotImplementedError, struct.error, OverflowError)

_ALIGN = 64
_FB = 0x4246                  # the "FB" extra-field id PyTorch pads local headers with


def is_torch_zip(names):
    return any(n == "data.pkl" or n.endswith("/data.pkl") for n in names)


def _host_array(t):
    arr = t._data.get() if is_cuda_array(t._data) else t._data
    return np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False)


def pickle_for_torch(obj):
    """``(data.pkl bytes, storage arrays)`` for ``obj``; raises ``NotTorchData`` before any
    byte is written when ``obj`` holds something PyTorch's weights-only format cannot."""
    arrays, keys = [], {}

    def storage_key(t):
        arr = _host_array(t)
        key = keys.get(id(t))
        if key is None:
            key = keys[id(t)] = len(arrays)
            arrays.append(arr)
        return key, _dt.from_numpy_dtype(arr.dtype).name, int(arr.size)

    return tp.TorchPickler(storage_key).dumps(obj), arrays


def write_torch_zip(fh, pickled, arrays, archive="archive"):
    """Write the zip records of one ``torch.save`` file to the binary stream ``fh``."""
    records = [("data.pkl", pickled), (".format_version", b"1"),
               (".storage_alignment", str(_ALIGN).encode()), ("byteorder", b"little")]
    records += [(f"data/{i}", memoryview(a.reshape(-1).view(np.uint8)))
                for i, a in enumerate(arrays)]
    records += [("version", b"3\n"),
                (".data/serialization_id", str(uuid.uuid4().int % 10 ** 20).encode())]
    try:
        base = fh.tell()
    except (OSError, AttributeError):
        base = None
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        for name, data in records:
            info = zipfile.ZipInfo(f"{archive}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            if base is not None:
                info.extra = _padding(fh.tell() - base, len(info.filename))
            z.writestr(info, data)


def _padding(offset, name_len):
    """An extra field that puts a record's bytes at a multiple of 64 from the archive start,
    as PyTorch aligns them (so they can be memory-mapped)."""
    start = offset + 30 + name_len + 4
    return struct.pack("<HH", _FB, -start % _ALIGN) + b"Z" * (-start % _ALIGN)


class _Corrupt(Exception):
    pass


def read_torch_zip(z, name, weights_only, place):
    """The object in an open ``zipfile.ZipFile`` ``z`` of a ``torch.save`` file.

    ``place(tensor, saved_location)`` moves a loaded tensor where ``map_location`` says.
    Every failure is a RuntimeError naming the file ``name`` (and the record, where one is
    to blame), except a refused global, which is PyTorch's ``UnpicklingError``.
    """
    pkl = next(n for n in z.namelist() if n == "data.pkl" or n.endswith("/data.pkl"))
    prefix = pkl[:-len("data.pkl")]
    names = set(z.namelist())
    big_endian = (prefix + "byteorder" in names
                  and _record(z, name, prefix + "byteorder").strip() == b"big")

    def load_storage(key, dtype_name, npd, numel, location):
        rec = prefix + "data/" + key
        if rec not in names:
            raise _Corrupt(f"the record {rec} that the pickle refers to is missing")
        raw = _record(z, name, rec)
        itemsize = np.dtype(npd).itemsize
        if len(raw) < numel * itemsize:
            raise _Corrupt(f"record {rec} holds {len(raw)} bytes, fewer than the "
                           f"{numel} elements of {dtype_name} it should hold")
        arr = np.frombuffer(bytearray(raw[:numel * itemsize]), dtype=np.dtype(npd))
        if big_endian:
            arr = arr.byteswap()
        if dtype_name == "bfloat16":          # widen bfloat16's 16 bits to float32, exactly
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        return tp._Storage(arr, dtype_name, location)

    def make_tensor(storage, offset, size, stride, requires_grad):
        arr = _strided_view(storage, offset, size, stride)
        t = place(Tensor._make(arr), storage.location)
        if requires_grad and t.dtype.is_floating_point:
            t.requires_grad_(True)
        return t

    data = _record(z, name, pkl)
    try:
        return tp.RestrictedUnpickler(data, load_storage, make_tensor, weights_only).load()
    except _Corrupt as e:
        raise RuntimeError(f"{name}: corrupt file ({e})") from None
    except pickle.UnpicklingError as e:
        if "Unsupported global" in str(e):
            raise pickle.UnpicklingError(f"{name}: {e}") from None
        raise RuntimeError(f"{name}: corrupt file (record {pkl}: {e})") from None
    except (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError,
            struct.error, OverflowError, MemoryError, RecursionError) as e:
        raise RuntimeError(f"{name}: corrupt file (record {pkl}: {type(e).__name__}: "
                           f"{e})") from None


def _record(z, name, rec):
    try:
        return z.read(rec)
    except ZIP_ERRORS as e:
        raise RuntimeError(f"{name}: corrupt file (record {rec}: {e})") from None


def _strided_view(storage, offset, size, stride):
    """A view of a storage as ``as_strided`` would make it, after checking that every
    element it reaches lies inside the storage (the file chooses these numbers)."""
    if not (isinstance(offset, int) and isinstance(size, tuple) and isinstance(stride, tuple)
            and len(size) == len(stride)
            and all(isinstance(v, int) and v >= 0 for v in (offset, *size, *stride))):
        raise _Corrupt(f"bad tensor geometry (offset {offset!r}, size {size!r}, "
                       f"stride {stride!r})")
    arr = storage.array
    count = 1
    for s in size:
        count *= s
    last = offset + sum((s - 1) * st for s, st in zip(size, stride)) if count else offset
    if count and last >= arr.size or offset > arr.size:
        raise _Corrupt(f"a tensor of size {list(size)} at offset {offset} reaches element "
                       f"{last}, beyond its storage of {arr.size} elements")
    item = arr.itemsize
    return np.lib.stride_tricks.as_strided(arr[offset:], shape=size,
                                           strides=tuple(st * item for st in stride))


def archive_name(f):
    """The folder name PyTorch gives the records: the file's name without its extension."""
    if isinstance(f, (str, os.PathLike)):
        base = os.path.splitext(os.path.basename(os.fspath(f)))[0]
        if base and all(c.isalnum() or c in "._-" for c in base):
            return base
    return "archive"
