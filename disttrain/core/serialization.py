"""``save`` and ``load``: tensors, state_dicts and other data in a checked binary format.

Loading a data file never unpickles. A file is laid out as (integers little-endian)::

    offset  size  field
    0       8     magic b"\\x89DTSAVE\\n" (the high byte and the newline catch text-mode damage)
    8       4     format version, uint32 (this reader writes 1 and reads up to 1)
    12      4     flags, uint32: bit 0 set when the file holds a pickle section
    16      8     header length H, uint64
    24      8     data length D, uint64
    32      4     crc32 of bytes 0..31, so the lengths are checked before they are used
    36      H     header: a msgpack map (below)
    ...           zero bytes up to a multiple of 64: the data section starts aligned
    .       D     data section: raw tensor bytes, each at a 64-byte aligned offset, then the
                  pickle section if there is one
    end-8   4     crc32 of every byte before it (one flipped bit anywhere fails the load)
    end-4   4     b"DTOK"

The header map has ``tensors``: one map per distinct tensor, ``{kind, dtype, shape, offset,
nbytes, requires_grad, device}`` with ``offset`` relative to the data section, ``kind`` one of
``tensor``/``parameter``/``ndarray`` and ``dtype`` a disttrain dtype name (a numpy dtype
string for ``ndarray``); ``root``: the saved object as msgpack bytes (see ``_savecodec`` for
how tuples, OrderedDicts, dtypes, devices, ``Size`` and tensor references are written); and
``pickle``: ``[offset, length]`` of the pickle section or nil.

A tensor saved twice (the same object) is stored once and loads as one object. Views are
stored as their own elements: two views of one base load as independent tensors.

An object holding something that is not data (a whole ``nn.Module``) is written as a pickle
section whose tensors still live in the table; only ``load(f, weights_only=False)`` reads it.

Saving to a path writes a temporary file in the same directory, flushes and fsyncs it, and
renames it over the target, so the target is either the old file or the complete new one.
"""
import io
import os
import pickle

import msgpack
import numpy as np

from . import _savecodec as codec
from . import dtype as _dt
from ._atomicfile import atomic_write
from ._savefile import _TENSOR_KINDS, _Plan, _Reader, _size_left, _write_file
from .device import as_device, cuda_available, move_array
from .tensor import Tensor

__all__ = ["save", "load"]


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save an object to a file.

    Data (tensors, Parameters, numbers, strings, bytes, None, lists, tuples, dicts,
    OrderedDicts, sets, dtypes, devices, ``Size``, numpy arrays and scalars, any nesting) is
    stored in disttrain's checked format, so module and optimizer ``state_dict()`` files load
    without running code. Other objects (a whole model) are stored as a pickle section that
    only ``load(f, weights_only=False)`` reads.

    Args:
        obj (object): what to save.
        f (str, os.PathLike or file object): a path, written atomically (temporary file,
            fsync, rename), or a binary file object written from its current position.
        pickle_protocol (int): pickle protocol of the pickle section, if any. Default: ``2``.

    Example::

        >>> disttrain.save(model.state_dict(), "model.pt")
        >>> model.load_state_dict(disttrain.load("model.pt"))
    """
    plan = _Plan(obj, pickle_protocol)
    if isinstance(f, (str, os.PathLike)):
        atomic_write(os.fspath(f), lambda fh: _write_file(fh, plan))
    else:
        _write_file(f, plan)


def _parse_header(reader, body):
    try:
        header = msgpack.unpackb(memoryview(body)[:reader.hlen], raw=False,
                                 strict_map_key=False)
        entries, root, pickle_ref = header["tensors"], header["root"], header["pickle"]
        if not isinstance(entries, list) or not isinstance(root, bytes):
            raise TypeError("bad header layout")
    except (ValueError, TypeError, KeyError, msgpack.UnpackException) as e:
        raise reader.error(f"corrupt file (unreadable header: {e})") from None
    return entries, root, pickle_ref


def _check_span(reader, what, offset, nbytes):
    if not (isinstance(offset, int) and isinstance(nbytes, int) and 0 <= offset
            and 0 <= nbytes and offset + nbytes <= reader.dlen):
        raise reader.error(f"corrupt file ({what} at offset {offset!r} with {nbytes!r} bytes "
                           f"lies outside the {reader.dlen}-byte data section)")


def _entry_array(reader, body, i, e):
    """The numpy array of tensor-table entry ``i``, a view into ``body`` after every check."""
    try:
        kind, dtype, shape = e["kind"], e["dtype"], e["shape"]
        offset, nbytes = e["offset"], e["nbytes"]
        if kind == "ndarray":
            npd = np.dtype(dtype)
            if npd.kind not in codec.NUMERIC_KINDS:
                raise TypeError(f"dtype {dtype!r}")
        else:
            npd = _dt._BY_NAME[dtype].np.newbyteorder("<")
        if not all(isinstance(s, int) and s >= 0 for s in shape):
            raise ValueError(f"shape {shape!r}")
    except (KeyError, TypeError, ValueError) as err:
        raise reader.error(f"corrupt file (tensor {i}: bad entry {err})") from None
    _check_span(reader, f"tensor {i}", offset, nbytes)
    count = int(np.prod(shape, dtype=object))
    if count * npd.itemsize != nbytes:
        raise reader.error(f"corrupt file (tensor {i}: shape {shape} of {dtype} needs "
                           f"{count * npd.itemsize} bytes, the entry says {nbytes})")
    arr = np.frombuffer(body, dtype=npd, count=count, offset=reader.data_start + offset)
    return arr.reshape(shape).astype(npd.newbyteorder("="), copy=False)


def _target(saved, map_location):
    if map_location is None:
        return saved
    if isinstance(map_location, dict):
        return str(map_location.get(saved, saved))
    return str(as_device(map_location))


def _restore(reader, arr, e, map_location):
    """The tensor for one table entry, on the device ``map_location`` picks."""
    if e["kind"] == "ndarray":
        return arr
    t = Tensor._make(arr)
    saved = str(e.get("device", "cpu"))
    if callable(map_location) and not isinstance(map_location, (str, dict)) and not hasattr(
            map_location, "type"):
        moved = map_location(t, saved)
        if isinstance(moved, Tensor):
            t, dev = moved, None
        else:
            dev = saved
    else:
        dev = _target(saved, map_location)
    if dev is not None and dev != "cpu":
        if dev.startswith("cuda") and not cuda_available():
            raise RuntimeError(
                f"{reader.name}: Attempting to deserialize object on a CUDA device but "
                f"disttrain.cuda.is_available() is False. If you are running on a CPU-only "
                f"machine, please use disttrain.load with map_location=disttrain.device('cpu') "
                f"to map your storages to the CPU.")
        t = Tensor._make(move_array(t._data, as_device(dev)))
    cls = _tensor_class(e["kind"])
    requires_grad = bool(e.get("requires_grad", False)) and t.dtype.is_floating_point
    if cls is not None:
        return cls(t, requires_grad)
    t.requires_grad = requires_grad
    return t


def _tensor_class(kind):
    """The Tensor subclass a file names, or None for a plain tensor (also when the package
    that defines it is not importable)."""
    if kind not in _TENSOR_KINDS:
        return None
    import importlib
    mod, name = _TENSOR_KINDS[kind]
    try:
        return getattr(importlib.import_module(mod), name)
    except (ImportError, AttributeError):
        return None


class _TableUnpickler(pickle.Unpickler):
    """Unpickles a pickle section, taking its tensors from the file's table."""

    def __init__(self, data, tensors):
        super().__init__(io.BytesIO(data))
        self._tensors = tensors

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "tensor"
                and 0 <= pid[1] < len(self._tensors)):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        return self._tensors[pid[1]]


def _weights_only_error(name):
    return pickle.UnpicklingError(
        f"{name}: Weights only load failed. The file holds pickled Python objects (it was "
        f"saved as save(obj, f) with an object that is not plain data, such as a whole "
        f"model), and unpickling them can run arbitrary code. Two ways out: if you trust the "
        f"source of the file, load it with load(f, weights_only=False); otherwise save "
        f"model.state_dict() instead of the model, and load it into a model built in code "
        f"with model.load_state_dict(load(f)).")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved with ``save``.

    Data files load without running any code. Files with a pickle section (a whole model
    saved with ``save(model, f)``) load only with ``weights_only=False``, which unpickles:
    that runs code chosen by whoever wrote the file, so use it only for files you trust.

    Args:
        f (str, os.PathLike or file object): the file (read from its current position).
        map_location (optional): where tensors go: ``None`` (the device they were saved
            from), a device or string (``'cpu'``), a dict from saved device strings to
            devices (``{'cuda:0': 'cpu'}``), or a callable ``fn(tensor_on_cpu, saved_device)``
            returning a tensor (or None for the default placement).
        weights_only (bool, optional): refuse pickle sections. Default: ``True``.

    Returns:
        The saved object. Tensors come back as views into one buffer read from the file.

    Raises:
        RuntimeError: naming the file, if it is truncated, corrupt (checksum mismatch) or not
            a disttrain file.
        pickle.UnpicklingError: for a pickle section when ``weights_only`` is true.

    Example::

        >>> disttrain.save({"x": disttrain.arange(4)}, "d.pt")
        >>> disttrain.load("d.pt", map_location="cpu")
        {'x': tensor([0, 1, 2, 3])}
    """
    weights_only = True if weights_only is None else weights_only
    reader = _Reader(f)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            body, total = reader.read(fh, size)
        if size > total:
            raise reader.error(f"corrupt file ({size - total} unexpected bytes after the end "
                               f"of the saved data)")
    else:
        body, total = reader.read(f, _size_left(f))
    return _decode(reader, body, map_location, weights_only)


def _decode(reader, body, map_location, weights_only):
    entries, root, pickle_ref = _parse_header(reader, body)
    if pickle_ref is not None and weights_only:
        raise _weights_only_error(reader.name)
    tensors = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            raise reader.error(f"corrupt file (tensor {i}: bad entry)")
        tensors.append(_restore(reader, _entry_array(reader, body, i, e), e, map_location))
    if pickle_ref is not None:
        offset, nbytes = pickle_ref
        _check_span(reader, "pickle section", offset, nbytes)
        start = reader.data_start + offset
        return _TableUnpickler(bytes(body[start:start + nbytes]), tensors).load()
    try:
        return codec.decode(root, tensors)
    except codec.CorruptError as e:
        raise reader.error(f"corrupt file ({e})") from None
