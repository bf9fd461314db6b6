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
import stat
import struct
import uuid
import zlib

import msgpack
import numpy as np

from . import _savecodec as codec
from . import dtype as _dt
from .device import as_device, cuda_available, is_cuda_array, move_array
from .tensor import Tensor

__all__ = ["save", "load"]

MAGIC = b"\x89DTSAVE\n"
VERSION = 1
END = b"DTOK"
_PREAMBLE = struct.Struct("<8sIIQQ")      # magic, version, flags, header length, data length
_PRE_LEN = _PREAMBLE.size + 4             # + crc32 of the preamble
_TRAILER_LEN = 8
_ALIGN = 64                               # cache-line alignment of every tensor's bytes
_FLAG_PICKLE = 1
_CHUNK = 1 << 24                          # bytes per read/write call on large payloads
# Tensor subclasses a file can name, imported only when a file holds one (core never imports
# nn at import time).
_TENSOR_KINDS = {"parameter": ("disttrain.nn.parameter", "Parameter")}


def _align(n):
    return -(-n // _ALIGN) * _ALIGN


def _device_str(t):
    return str(t.device)


# ------------------------------------------------------------------------------- saving
class _Plan:
    """Everything ``save`` writes, gathered before the first byte goes out."""

    def __init__(self, obj, protocol):
        self.entries, self.arrays, self._ids, self.size = [], [], {}, 0
        self.pickled = None
        try:
            root = codec.encode(obj, self._index)
        except codec.NotData:
            self.entries, self.arrays, self._ids, self.size = [], [], {}, 0
            root = codec.encode(None, self._index)
            self.pickled = self._pickle(obj, protocol)
        pickle_ref = None
        if self.pickled is not None:
            pickle_ref = [self.size, len(self.pickled)]
            self.size += len(self.pickled)
        self.header = msgpack.packb({"tensors": self.entries, "root": root,
                                     "pickle": pickle_ref}, use_bin_type=True)

    def _index(self, t):
        key = id(t)
        if key not in self._ids:
            self._ids[key] = (len(self.entries), t)       # keeps t alive: ids stay unique
            self._add(t)
        return self._ids[key][0]

    def _add(self, t):
        arr = t._data if isinstance(t, Tensor) else t
        arr = arr.get() if is_cuda_array(arr) else arr
        if isinstance(t, Tensor):
            kind = next((k for k, (mod, name) in _TENSOR_KINDS.items()
                         if type(t).__module__ == mod and type(t).__name__ == name), "tensor")
            dtype, rg, dev = t.dtype.name, t.requires_grad, _device_str(t)
        else:
            kind, rg, dev = "ndarray", False, "cpu"
            dtype = arr.dtype.newbyteorder("<").str
        arr = arr.astype(arr.dtype.newbyteorder("<"), order="C", copy=False)
        self.size = _align(self.size)
        self.entries.append({"kind": kind, "dtype": dtype, "shape": list(arr.shape),
                             "offset": self.size, "nbytes": arr.nbytes, "requires_grad": rg,
                             "device": dev})
        self.arrays.append((self.size, arr.reshape(-1).view(np.uint8)))
        self.size += arr.nbytes

    def _pickle(self, obj, protocol):
        buf = io.BytesIO()
        pickler = pickle.Pickler(buf, protocol=protocol)
        pickler.persistent_id = lambda o: (                       # tensors go to the table
            ("tensor", self._index(o)) if isinstance(o, Tensor) else None)
        pickler.dump(obj)
        return buf.getvalue()


def _write_chunks(fh, chunks):
    """Write byte chunks, returning the crc32 of all of them."""
    crc = 0
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
        fh.write(chunk)
    return crc


def _file_chunks(plan):
    flags = _FLAG_PICKLE if plan.pickled is not None else 0
    pre = _PREAMBLE.pack(MAGIC, VERSION, flags, len(plan.header), plan.size)
    yield pre + struct.pack("<I", zlib.crc32(pre))
    yield plan.header
    start = _PRE_LEN + len(plan.header)
    yield bytes(_align(start) - start)
    pos = 0
    for offset, raw in plan.arrays:
        yield bytes(offset - pos)
        for i in range(0, raw.size, _CHUNK):
            yield memoryview(raw[i:i + _CHUNK])
        pos = offset + raw.size
    if plan.pickled is not None:
        yield plan.pickled


def _write_file(fh, plan):
    crc = _write_chunks(fh, _file_chunks(plan))
    fh.write(struct.pack("<I", crc) + END)


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
        _atomic_write(os.fspath(f), lambda fh: _write_file(fh, plan))
    else:
        _write_file(f, plan)


def _atomic_write(path, write):
    """Write through ``write(fh)`` into a temp file in ``path``'s directory, then rename it
    over ``path``; on any failure the old file stays and the temp file is removed."""
    path = os.path.realpath(path)       # write through a symlink, as open() would
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else None
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    fd = _open_unnamed(directory)
    named = fd is None
    if named:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
            if not named:   # give the complete file a name only now
                _link_unnamed(fh.fileno(), directory, tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def _open_unnamed(directory):
    """A file with no name in ``directory`` (Linux O_TMPFILE), or None where unsupported:
    killed mid-write, it vanishes instead of leaving a temp file behind."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.exists(f"/proc/self/fd"):
        return None
    try:
        return os.open(directory, flag | os.O_WRONLY, 0o666)
    except OSError:
        return None


def _link_unnamed(fd, directory, name):
    # A plain link() would not follow the /proc symlink; passing a dir fd makes Python use
    # linkat(AT_SYMLINK_FOLLOW), which links the open file itself.
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.link(f"/proc/self/fd/{fd}", name, src_dir_fd=dir_fd, follow_symlinks=True)
    finally:
        os.close(dir_fd)


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------- loading
class _Reader:
    """Reads and checks a file's bytes; every error names the file."""

    def __init__(self, f):
        self.name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(
            f, "name", "<file object>")
        if isinstance(self.name, int):
            self.name = f"<file descriptor {self.name}>"

    def error(self, what):
        return RuntimeError(f"{self.name}: {what}")

    def read(self, fh, size_left):
        """The preamble and the body (header, data, trailer) as one writable buffer."""
        pre = _read_some(fh, _PRE_LEN)
        self._check_preamble(pre)
        magic, version, self.flags, hlen, dlen = _PREAMBLE.unpack(pre[:_PREAMBLE.size])
        self.hlen, self.dlen = hlen, dlen
        self.data_start = _align(_PRE_LEN + hlen)
        total = self.data_start + dlen + _TRAILER_LEN
        if size_left is not None and size_left < total:
            raise self._truncated(size_left)
        body = _read_into(fh, total - _PRE_LEN, known=size_left is not None)
        if len(body) < total - _PRE_LEN:
            raise self._truncated(_PRE_LEN + len(body))
        if bytes(body[-4:]) != END:
            raise self.error("corrupt file (bad end marker)")
        stored = struct.unpack("<I", body[-8:-4])[0]
        computed = zlib.crc32(memoryview(body)[:-8], zlib.crc32(pre))
        if stored != computed:
            raise self.error(f"corrupt file (checksum mismatch: stored crc32 {stored:#010x}, "
                             f"computed {computed:#010x})")
        self.data_start -= _PRE_LEN         # offsets from here on are into ``body``
        return body, total

    def _check_preamble(self, pre):
        if len(pre) < len(MAGIC) or pre[:len(MAGIC)] != MAGIC:
            raise self.error(_foreign(pre))
        if len(pre) < _PRE_LEN:
            raise self.error(f"truncated file (expected {_PRE_LEN} bytes of preamble, found "
                             f"{len(pre)})")
        version = struct.unpack_from("<I", pre, 8)[0]
        if struct.unpack_from("<I", pre, _PREAMBLE.size)[0] != zlib.crc32(
                pre[:_PREAMBLE.size]):
            raise self.error("corrupt file (preamble checksum mismatch)")
        if version > VERSION:
            raise self.error(f"saved in format version {version}, newer than this reader "
                             f"(version {VERSION}); upgrade disttrain to load it")

    def _truncated(self, found):
        """Say which section ends early, from ``found`` bytes of a file."""
        header_end = _PRE_LEN + self.hlen
        if found < header_end:
            return self.error(f"truncated file (expected {self.hlen} bytes of header, found "
                              f"{max(0, found - _PRE_LEN)})")
        if found < self.data_start + self.dlen:
            return self.error(f"truncated file (expected {self.dlen} bytes of tensor data, "
                              f"found {max(0, found - self.data_start)})")
        return self.error(f"truncated file (expected an {_TRAILER_LEN}-byte trailer, found "
                          f"{found - self.data_start - self.dlen})")


def _foreign(pre):
    if not pre:
        return "empty file, not a disttrain save file"
    if pre[:4] == b"PK\x03\x04":
        return ("not a disttrain save file (a zip archive: PyTorch's own torch.save format "
                "is not readable here)")
    if pre[:1] == b"\x80":
        return "not a disttrain save file (a pickle stream, which load does not run)"
    return f"not a disttrain save file (bad magic bytes {bytes(pre[:8])!r})"


def _read_some(fh, n):
    data = fh.read(n)
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"load: expected a binary file object, got reads of "
                        f"{type(data).__name__}")
    return data


def _read_into(fh, n, known):
    """Up to ``n`` bytes into a writable buffer. With ``known`` (the caller checked that the
    file holds ``n`` more bytes) it is allocated at once; otherwise it grows with what
    arrives, so a lying length field cannot allocate more than the stream delivers."""
    if known and hasattr(fh, "readinto"):
        buf = bytearray(n)
        view, got = memoryview(buf), 0
        while got < n:
            k = fh.readinto(view[got:got + _CHUNK])
            if not k:
                return buf[:got]
            got += k
        return buf
    buf = bytearray()
    while len(buf) < n:
        chunk = fh.read(min(_CHUNK, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


def _size_left(fh):
    try:
        pos = fh.tell()
        end = fh.seek(0, os.SEEK_END)
        fh.seek(pos)
        return end - pos
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return None


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
