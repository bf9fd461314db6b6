"""The bytes of a ``save`` file: writing them from an object, reading and checking them.

The layout is specified in ``disttrain.core.serialization``'s docstring.
"""
import io
import os
import pickle
import struct
import zlib

import msgpack
import numpy as np

from . import _savecodec as codec
from .device import is_cuda_array
from .tensor import Tensor

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


# ------------------------------------------------------------------------------- writing
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


# ------------------------------------------------------------------------------- reading
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
        return ("not a disttrain save file (a zip archive, such as PyTorch's torch.save "
                "format or an .npz: load reads those from a path or a seekable file)")
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
