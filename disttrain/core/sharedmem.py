"""Tensor memory shared between processes: ``Tensor.share_memory_()`` and its pickling.

A shared tensor's array lives in a file under ``/dev/shm`` mapped into the process (the same
mechanism that carries DataLoader batches, ``utils/data/_shm.py``). The mapping is a
:class:`Segment`, which also keeps the file's descriptor open so that the memory can be handed
to other processes:

* ``"file_descriptor"`` (the default, as PyTorch's on Linux): the file is unlinked at once and
  the descriptor travels with the pickle (``multiprocessing.reduction.DupFd``: passed to a
  spawned child at start, or through a Unix socket for a ``Queue``). Nothing is left on disk
  and the memory is freed when the last process unmaps it.
* ``"file_system"``: the file keeps its name, which travels instead of a descriptor; the
  creating process unlinks it when its mapping is freed, so receivers must open it before that.

As with PyTorch's strategies, the sending process must stay alive until the receiver has
unpickled the tensor (the descriptor is fetched from it).

Pickling through ``multiprocessing`` (queues, pipes, spawn arguments) sends a reference to
the memory, never a copy; a tensor that is not shared yet is moved to shared memory first, as
PyTorch does. Plain ``pickle`` (and ``save``) still copy the values. CUDA tensors are copied
(there is no CUDA IPC here).
"""
import errno
import itertools
import mmap
import os

import numpy as np

from .device import is_cuda_array

__all__ = ["Segment", "share_array", "segment_of", "is_shared_array", "register_reducers",
           "set_strategy", "get_strategy", "STRATEGIES"]

_DIR = "/dev/shm"
STRATEGIES = ("file_descriptor", "file_system")
_state = {"strategy": "file_descriptor"}
_counter = itertools.count()


def set_strategy(name):
    _state["strategy"] = name


def get_strategy():
    return _state["strategy"]


class Segment(mmap.mmap):
    """A shared mapping that owns the descriptor of its file (and its name under
    ``"file_system"`` in the creating process)."""

    def __del__(self):
        fd, name = self.__dict__.get("fd"), self.__dict__.get("owned_name")
        if fd is not None:
            os.close(fd)
        if name is not None:
            try:
                os.unlink(name)
            except OSError:
                pass

    @property
    def address(self):
        return np.frombuffer(self, np.uint8).__array_interface__["data"][0]


def _map(fd, nbytes, name=None, owned=False):
    seg = Segment(fd, nbytes)
    seg.fd, seg.nbytes, seg.name = fd, nbytes, name
    seg.owned_name = name if owned else None
    return seg


def map_segment(fd, nbytes, keep_fd=True):
    """Map the shared file open as ``fd``. Without ``keep_fd`` the caller closes ``fd`` and the
    segment cannot be handed on by reference (pickling it for another process moves the
    tensor to a new segment first); DataLoader batches are mapped so, to hold no descriptor.
    """
    seg = _map(fd, nbytes)
    if not keep_fd:
        seg.fd = None
    return seg


def new_segment(nbytes):
    """A fresh zero-filled shared mapping of ``nbytes`` bytes."""
    if os.path.isdir(_DIR) and os.access(_DIR, os.W_OK):
        base = _DIR
    else:
        import tempfile     # imported here: it is slow to import and rarely needed
        base = tempfile.gettempdir()
    name = os.path.join(base, f"disttrain-shared-{os.getpid()}-{next(_counter)}")
    fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    nbytes = max(int(nbytes), 1)        # an empty mapping is not allowed
    try:
        os.ftruncate(fd, nbytes)
        try:
            # Reserve the pages now: writing to a mapping of a full tmpfs would kill the
            # process with SIGBUS instead of raising.
            os.posix_fallocate(fd, 0, nbytes)
        except OSError as e:
            if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
    except OSError as e:
        os.close(fd)
        os.unlink(name)
        raise RuntimeError(f"unable to move {nbytes} bytes to shared memory in {base}: "
                           f"{e.strerror}") from e
    if get_strategy() == "file_system":
        return _map(fd, nbytes, name, owned=True)
    os.unlink(name)     # the descriptor and the mapping keep the memory alive
    return _map(fd, nbytes)


def share_array(arr):
    """A C-contiguous copy of host array ``arr`` in a new shared segment."""
    seg = new_segment(arr.nbytes)
    out = np.ndarray(arr.shape, arr.dtype, buffer=seg)
    out[...] = arr
    return out


def segment_of(arr):
    """The :class:`Segment` holding ``arr``'s memory, or None when it is private."""
    while isinstance(arr, np.ndarray):
        arr = arr.base
    if isinstance(arr, memoryview):     # np.frombuffer's arrays hold their buffer so
        arr = arr.obj
    return arr if isinstance(arr, Segment) else None


def is_shared_array(arr):
    return not is_cuda_array(arr) and segment_of(arr) is not None


# ---------------------------------------------------------------------------- pickling
def _reduce_tensor(t):
    if t._requires_grad and t.grad_fn is not None:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since "
            "autograd does not support crossing process boundaries.  If you just want to "
            "transfer the data, call detach() on the tensor before serializing (e.g., putting "
            "it on the queue).")
    state = dict(t.__dict__)
    if is_cuda_array(t._data):
        return _rebuild_copy, (type(t), t._data.get(), t._data.device.id, t._requires_grad,
                               state)
    seg = segment_of(t._data)
    if seg is None or (seg.fd is None and seg.name is None):
        t._data = share_array(t._data)      # moved to memory that can be passed on
        register_reducers(type(t))
    arr = t._data
    seg = segment_of(arr)
    if seg.name is not None:
        handle = ("name", seg.name)
    else:
        from multiprocessing.reduction import DupFd
        handle = ("fd", DupFd(seg.fd))
    offset = arr.__array_interface__["data"][0] - seg.address
    return _rebuild_shared, (type(t), handle, seg.nbytes, offset, arr.dtype.str, arr.shape,
                             arr.strides, t._requires_grad, state)


def _rebuild_shared(cls, handle, nbytes, offset, dtype, shape, strides, requires_grad, state):
    kind, h = handle
    if kind == "fd":
        seg = _map(h.detach(), nbytes)
    else:
        seg = _map(os.open(h, os.O_RDWR), nbytes, h)
    arr = np.ndarray(shape, np.dtype(dtype), buffer=seg, offset=offset, strides=strides)
    return _new_tensor(cls, arr, requires_grad, state)


def _rebuild_copy(cls, host, device_index, requires_grad, state):
    from .device import device, move_array
    return _new_tensor(cls, move_array(host, device("cuda", device_index)), requires_grad,
                       state)


def _new_tensor(cls, arr, requires_grad, state):
    from .tensor import Tensor
    t = cls.__new__(cls)
    Tensor._init_from(t, arr, requires_grad)
    t.__dict__.update(state)
    return t


_registered = set()


def register_reducers(*classes):
    """Make ``multiprocessing`` pickle tensors of ``classes`` by shared memory (the pickler's
    table is keyed by exact type, so each Tensor subclass is registered on its own)."""
    from multiprocessing.reduction import ForkingPickler
    for cls in classes:
        if cls not in _registered:
            ForkingPickler.register(cls, _reduce_tensor)
            _registered.add(cls)
