"""Moving large batch tensors from loader workers to the main process through shared memory.

A worker pickles its batch itself; every CPU tensor of at least ``MIN_BYTES`` is written to a
file in ``/dev/shm`` (one copy) and pickled as that file's name. The main process maps the
file, unlinks it at once and wraps the mapping as the tensor's array (no copy); the memory
goes back to the system when the tensor is freed. Without ``/dev/shm``, or when it is full,
tensors travel inside the pickle as before. Files are named
``disttrain-<main pid>-<worker pid>-<n>`` so that the main process can remove those of a
worker that died before their names were read (``cleanup``).
"""
import glob
import io
import itertools
import os
import pickle

import numpy as np

from ...core.device import is_cuda_array
from ...core.sharedmem import map_segment
from ...core.tensor import Tensor

__all__ = ["Pickled", "dumps", "cleanup", "available"]

MIN_BYTES = 1 << 16       # below this the pipe is as fast as a file round trip
_DIR = "/dev/shm"
_counter = itertools.count()


def available():
    return os.path.isdir(_DIR) and os.access(_DIR, os.W_OK)


class Pickled:
    """A batch pickled by the worker; ``load()`` in the main process rebuilds it."""

    __slots__ = ("payload",)

    def __init__(self, payload):
        self.payload = payload

    def load(self):
        return pickle.loads(self.payload)


class _SharingPickler(pickle.Pickler):
    def __init__(self, buf, prefix):
        super().__init__(buf, protocol=pickle.HIGHEST_PROTOCOL)
        self.prefix = prefix

    def reducer_override(self, obj):
        if type(obj) is not Tensor or is_cuda_array(obj._data) or obj._data.nbytes < MIN_BYTES:
            return NotImplemented
        arr, shape = obj._data, obj._data.shape
        if not arr.flags.c_contiguous:
            arr = np.ascontiguousarray(arr)
        name = f"{self.prefix}-{next(_counter)}"
        try:
            with open(name, "xb") as fh:
                fh.write(memoryview(arr.reshape(-1).view(np.uint8)))
        except OSError:         # /dev/shm full or gone: send the bytes through the pipe
            if os.path.exists(name):
                os.unlink(name)
            return NotImplemented
        return _rebuild, (name, arr.dtype.str, shape, obj.requires_grad)


def dumps(data, parent_pid, share=True):
    """``data`` pickled, with its large tensors moved to shared memory when ``share``."""
    if not share:
        return Pickled(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    buf = io.BytesIO()
    _SharingPickler(buf, os.path.join(_DIR, f"disttrain-{parent_pid}-{os.getpid()}")).dump(data)
    return Pickled(buf.getvalue())


def _rebuild(name, dtype, shape, requires_grad):
    fd = os.open(name, os.O_RDWR)
    try:
        # A Segment, as ``Tensor.share_memory_`` makes: the batch counts as shared memory.
        mm = map_segment(fd, os.fstat(fd).st_size, keep_fd=False)
    finally:
        os.close(fd)
        os.unlink(name)     # the mapping keeps the memory until the tensor is freed
    arr = np.frombuffer(mm, dtype=np.dtype(dtype)).reshape(shape)
    return Tensor._make(arr, requires_grad)


def cleanup(worker_pid):
    """Remove the files a dead worker left whose names never reached us."""
    for name in glob.glob(os.path.join(_DIR, f"disttrain-{os.getpid()}-{worker_pid}-*")):
        try:
            os.unlink(name)
        except OSError:
            pass
