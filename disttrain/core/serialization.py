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
from . import _torchzip
from ._atomicfile import atomic_write
from ._torchpickle import NotTorchData
from ._savefile import _TENSOR_KINDS, _Plan, _Reader, _size_left, _write_file
from .device import as_device, cuda_available, move_array
from .tensor import Tensor

__all__ = ["save", "load"]


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False, *, format=None):
    """Save an object to a file.

    By default the file is PyTorch's own ``torch.save`` format (a zip archive that
    ``torch.load(f, weights_only=True)`` reads) whenever ``obj`` is data PyTorch's weights-only
    loader accepts: tensors, Parameters, numbers, strings, bytes, None, lists, tuples, dicts,
    OrderedDicts, sets, dtypes, devices, ``Size`` — so module and optimizer ``state_dict()``
    files move to PyTorch unchanged. Anything else (a whole model, numpy arrays) is written in
    disttrain's own checked format, whose pickle section only ``load(f, weights_only=False)``
    reads. Both carry checksums: zip records a CRC32 each, checked on load.

    Args:
        obj (object): what to save.
        f (str, os.PathLike or file object): a path, written atomically (temporary file,
            fsync, rename), or a binary file object written from its current position.
        pickle_protocol (int): pickle protocol of a disttrain pickle section. Default: ``2``.
        format (str, optional): ``"torch"`` (PyTorch's zip; an error if ``obj`` does not fit
            it), ``"disttrain"`` (disttrain's format: several objects can follow each other
            in one stream), ``"safetensors"`` or ``"npz"`` (a flat dict of tensors, see
            ``disttrain.serialization.save_safetensors``/``save_npz``). Default: ``None``,
            PyTorch's format where ``obj`` fits it, disttrain's otherwise.

    Example::

        >>> disttrain.save(model.state_dict(), "model.pt")   # torch.load reads it too
        >>> model.load_state_dict(disttrain.load("model.pt"))
    """
    if format in ("safetensors", "npz"):
        from . import _weightfiles
        return getattr(_weightfiles, f"save_{format}")(obj, f)
    if format not in (None, "torch", "disttrain"):
        raise ValueError(f"save(): unknown format {format!r}; expected 'torch', 'disttrain', "
                         f"'safetensors' or 'npz'")
    if not _use_new_zipfile_serialization and format == "torch":
        raise ValueError("save(): PyTorch's legacy (non-zip) format cannot be written; use "
                         "the default _use_new_zipfile_serialization=True")
    if format != "disttrain" and _use_new_zipfile_serialization:
        try:
            pickled, arrays = _torchzip.pickle_for_torch(obj)
        except NotTorchData as e:
            if format == "torch":
                raise TypeError(f"save(format='torch'): {e} has no form in PyTorch's "
                                f"weights-only file format") from None
        else:
            name = _torchzip.archive_name(f)
            _write(f, lambda fh: _torchzip.write_torch_zip(fh, pickled, arrays, name))
            return
    plan = _Plan(obj, pickle_protocol)
    _write(f, lambda fh: _write_file(fh, plan))


def _write(f, write):
    if isinstance(f, (str, os.PathLike)):
        atomic_write(os.fspath(f), write)
    else:
        write(f)


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
    t = _placer(reader.name, map_location)(Tensor._make(arr), str(e.get("device", "cpu")))
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
            kind = _sniff(fh)
            if kind != "disttrain":
                return _load_foreign(kind, fh, reader.name, map_location, weights_only)
            body, total = reader.read(fh, size)
        if size > total:
            raise reader.error(f"corrupt file ({size - total} unexpected bytes after the end "
                               f"of the saved data)")
    else:
        kind = _sniff(f)
        if kind != "disttrain":
            return _load_foreign(kind, f, reader.name, map_location, weights_only)
        body, total = reader.read(f, _size_left(f))
    return _decode(reader, body, map_location, weights_only)


# the first bytes of PyTorch's legacy (before 1.6) format: its pickled magic number
_LEGACY_TORCH = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."


def _sniff(fh):
    """Which format a stream holds, read from its first bytes without consuming them (a
    stream that cannot seek is taken for disttrain's, whose reader checks it fully)."""
    try:
        pos = fh.tell()
        head = fh.read(16)
        fh.seek(pos)
    except (OSError, AttributeError, ValueError):
        return "disttrain"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head.startswith(_LEGACY_TORCH):
        return "legacy"
    if len(head) >= 9 and head[8:9] == b"{" and 2 <= int.from_bytes(head[:8], "little") < 1 << 27:
        return "safetensors"
    return "disttrain"


def _load_foreign(kind, fh, name, map_location, weights_only):
    """Load a file that is not in disttrain's own format: PyTorch's zip, an .npz, or a
    .safetensors file (each without running code)."""
    import zipfile
    from . import _weightfiles
    if kind == "legacy":
        raise RuntimeError(f"{name}: a file in PyTorch's legacy format (written before "
                           f"PyTorch 1.6 or with _use_new_zipfile_serialization=False), which "
                           f"disttrain does not read; load and re-save it with PyTorch's "
                           f"default torch.save")
    if kind == "safetensors":
        return _weightfiles.load_safetensors(fh, name=name, device=_single_target(
            map_location))
    try:
        z = zipfile.ZipFile(fh)
        names = z.namelist()
    except _torchzip.ZIP_ERRORS as e:
        raise RuntimeError(f"{name}: corrupt file (unreadable zip archive: {e})") from None
    with z:
        if _torchzip.is_torch_zip(names):
            place = _placer(name, map_location)
            return _torchzip.read_torch_zip(z, name, weights_only, place)
        if names and all(n.endswith(".npy") for n in names):
            return _weightfiles.npz_dict(z, name, _placer(name, map_location))
        if any(n.endswith("constants.pkl") for n in names):
            raise RuntimeError(f"{name}: a TorchScript archive (torch.jit.save), not a "
                               f"torch.save file; disttrain cannot run TorchScript")
        raise RuntimeError(f"{name}: a zip archive that is neither a torch.save file nor an "
                           f".npz (it has no data.pkl record)")


def _single_target(map_location):
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return "cpu"
    return str(as_device(map_location))


def _placer(name, map_location):
    """``place(tensor_on_cpu, saved_location)``: the tensor where ``map_location`` sends it."""
    def place(t, saved):
        if callable(map_location) and not isinstance(map_location, (str, dict)) and not \
                hasattr(map_location, "type"):
            moved = map_location(t, saved)
            if isinstance(moved, Tensor):
                return moved
            dev = saved
        else:
            dev = _target(saved, map_location)
        return _to_device(name, t, dev)
    return place


def _to_device(name, t, dev):
    if dev is None or dev == "cpu":
        return t
    if dev.startswith("cuda") and not cuda_available():
        raise RuntimeError(
            f"{name}: Attempting to deserialize object on a CUDA device but "
            f"disttrain.cuda.is_available() is False. If you are running on a CPU-only "
            f"machine, please use disttrain.load with map_location=disttrain.device('cpu') "
            f"to map your storages to the CPU.")
    return Tensor._make(move_array(t._data, as_device(dev)))


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
