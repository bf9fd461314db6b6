"""Devices and the array module: the one file that imports cupy.

Kernels never branch on the device; they ask ``array_module(x)`` for numpy or cupy
and call it. Everything that must know whether a GPU exists asks this file.
"""
import numpy as np

try:  # cupy is an optional extra; without it (or without a GPU) only 'cpu' exists
    import cupy as _cupy
    try:
        _CUDA_COUNT = _cupy.cuda.runtime.getDeviceCount()
    except Exception:
        _CUDA_COUNT = 0
except ImportError:
    _cupy = None
    _CUDA_COUNT = 0

__all__ = ["device", "array_module", "is_cuda_array", "cuda_available", "cuda_device_count"]


def cuda_available():
    return _CUDA_COUNT > 0


def cuda_device_count():
    return _CUDA_COUNT


def _no_cuda_error():
    why = "cupy is not installed" if _cupy is None else "no CUDA GPU is visible to cupy"
    return RuntimeError(
        f"CUDA is not available: {why}. Install the 'cuda' extra on a machine with a GPU, "
        f"or keep tensors on 'cpu'.")


class device:
    """Where a tensor's memory lives: ``device('cpu')``, ``device('cuda:0')``,
    ``device('cuda', 1)``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments: {type!r}")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                 f"passed explicitly: {type}")
            type, _, idx = type.partition(":")
            try:
                index = int(idx)
            except ValueError:
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'") from None
        if type not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}")
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type, self.index = type, index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __enter__(self):
        # ``with device("cuda"):`` makes it the default device of creation functions.
        _default_stack.append(_default[0])
        _default[0] = self
        return self

    def __exit__(self, *exc):
        _default[0] = _default_stack.pop()
        return False


CPU = device("cpu")
# The device creation functions use when given none (``set_default_device``); None: cpu.
_default = [None]
_default_stack = []


def default_device():
    """The device set by ``set_default_device`` (or a ``with device(...)`` block), or None."""
    return _default[0]


def set_default_device(d):
    _default[0] = None if d is None else device(d)


def as_device(d):
    """Normalise a device argument (str, int, device or None) to a ``device``."""
    if d is None or isinstance(d, device):
        return d
    return device(d)


def array_module(x):
    """numpy or cupy, whichever holds ``x``: the only device dispatch kernels do."""
    if _cupy is not None and isinstance(x, _cupy.ndarray):
        return _cupy
    return np


def is_cuda_array(x):
    return _cupy is not None and isinstance(x, _cupy.ndarray)


def device_of(arr):
    if _cupy is not None and isinstance(arr, _cupy.ndarray):
        return device("cuda", arr.device.id)
    return CPU


_current_cuda = [0]


def current_cuda_index():
    return _current_cuda[0]


def set_cuda_index(i):
    if not cuda_available():
        raise _no_cuda_error()
    if not 0 <= i < _CUDA_COUNT:
        raise RuntimeError(f"CUDA error: invalid device ordinal {i} ({_CUDA_COUNT} device(s))")
    _current_cuda[0] = i
    _cupy.cuda.Device(i).use()


def move_array(arr, dev):
    """Copy ``arr`` to ``dev`` (a ``device``), or return it when it is already there."""
    if dev.type == "cpu":
        return arr.get() if is_cuda_array(arr) else arr
    if not cuda_available():
        raise _no_cuda_error()
    idx = current_cuda_index() if dev.index is None else dev.index
    if idx >= _CUDA_COUNT:
        raise RuntimeError(f"CUDA error: invalid device ordinal {idx} ({_CUDA_COUNT} device(s))")
    if is_cuda_array(arr):
        if arr.device.id == idx:
            return arr
        with _cupy.cuda.Device(idx):
            return _cupy.array(arr, copy=True)     # asarray would keep it on its own GPU
    with _cupy.cuda.Device(idx):
        return _cupy.asarray(arr)


def module_for(dev):
    """The array module that creates arrays on ``dev``."""
    if dev is None or dev.type == "cpu":
        return np
    if not cuda_available():
        raise _no_cuda_error()
    return _cupy


def cuda_context(dev):
    """A context that makes ``dev`` current while arrays are created on it."""
    if dev is None or dev.type == "cpu" or _cupy is None:
        return _NullCtx
    idx = current_cuda_index() if dev.index is None else dev.index
    return _cupy.cuda.Device(idx)


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NullCtx = _Null()


def memory_pool():
    if _cupy is None:
        return None
    return _cupy.get_default_memory_pool()


class OutOfMemoryError(RuntimeError, MemoryError):
    """A GPU allocation failed: PyTorch's ``torch.cuda.OutOfMemoryError`` (also
    ``torch.OutOfMemoryError``). Every GPU allocation passes through ``_PeakTracker.malloc``,
    which raises this in place of cupy's own error (after cupy's pool has freed its cached
    blocks and retried), so ``except torch.cuda.OutOfMemoryError`` catches what an op on a
    GPU raises when memory runs out. Still a MemoryError, as cupy's is."""


def _mib(size):
    return f"{size / 2 ** 20:.2f} MiB"


class _PeakTracker:
    """cupy's allocator with a high-water mark of the bytes held by arrays, per device.

    cupy's memory pool keeps freed blocks for reuse but records no peak; wrapping its
    ``malloc`` is the one place every allocation passes, so ``max_memory_allocated`` is
    exact rather than sampled.
    """

    def __init__(self, pool):
        self.pool = pool
        self.peak = {}

    def malloc(self, size):
        try:
            mem = self.pool.malloc(size)
        except _cupy.cuda.memory.OutOfMemoryError as e:
            raise OutOfMemoryError(f"CUDA out of memory. Tried to allocate {_mib(size)}. "
                                   f"{_mib(self.pool.used_bytes())} is allocated by tensors "
                                   f"and {_mib(self.pool.total_bytes())} reserved by the "
                                   f"memory pool ({e})") from e
        used = self.pool.used_bytes()
        dev = mem.device_id
        if used > self.peak.get(dev, 0):
            self.peak[dev] = used
        return mem

    def reset(self, dev):
        with _cupy.cuda.Device(dev):
            self.peak[dev] = self.pool.used_bytes()


peak_tracker = None
if _CUDA_COUNT:
    peak_tracker = _PeakTracker(_cupy.get_default_memory_pool())
    _cupy.cuda.set_allocator(peak_tracker.malloc)


def synchronize():
    if cuda_available():
        _cupy.cuda.Device(current_cuda_index()).synchronize()


# ------------------------------------------------------------ queries of the GPU (cupy)
def cupy_installed():
    return _cupy is not None


def cuda_version():
    """The CUDA runtime version cupy was built for, as PyTorch prints it ("12.4"), or None."""
    if _cupy is None:
        return None
    try:
        v = _cupy.cuda.runtime.runtimeGetVersion()
    except Exception:
        return None
    return f"{v // 1000}.{(v % 1000) // 10}"


def device_properties(i):
    """A dict of GPU ``i``'s properties (name, total_memory, major, minor,
    multi_processor_count)."""
    if not cuda_available():
        raise _no_cuda_error()
    if not 0 <= i < _CUDA_COUNT:
        raise RuntimeError(f"CUDA error: invalid device ordinal {i} ({_CUDA_COUNT} device(s))")
    p = _cupy.cuda.runtime.getDeviceProperties(i)
    name = p["name"]
    return {"name": name.decode() if isinstance(name, bytes) else name,
            "total_memory": int(p["totalGlobalMem"]), "major": int(p["major"]),
            "minor": int(p["minor"]),
            "multi_processor_count": int(p["multiProcessorCount"])}


def mem_get_info(i):
    """``(free, total)`` bytes of GPU ``i``."""
    if not cuda_available():
        raise _no_cuda_error()
    with _cupy.cuda.Device(i):
        free, total = _cupy.cuda.runtime.memGetInfo()
    return int(free), int(total)


def synchronize_device(i):
    """Wait until GPU ``i`` has finished its queued work."""
    if not cuda_available():
        raise _no_cuda_error()
    _cupy.cuda.Device(i).synchronize()


def cuda_event(enable_timing=False, blocking=False, interprocess=False):
    """A cupy CUDA event (``disttrain.cuda.Event`` wraps it)."""
    if not cuda_available():
        raise _no_cuda_error()
    return _cupy.cuda.Event(block=blocking, disable_timing=not enable_timing,
                            interprocess=interprocess)


def cuda_stream(index=None, priority=0):
    """A new cupy stream on GPU ``index`` (default: the current one)."""
    if not cuda_available():
        raise _no_cuda_error()
    with _cupy.cuda.Device(current_cuda_index() if index is None else index):
        return _cupy.cuda.Stream(non_blocking=False, priority=priority)


def current_cuda_stream(null=False):
    """The stream cupy queues work on now (``null``: the default stream)."""
    if not cuda_available():
        raise _no_cuda_error()
    return _cupy.cuda.Stream.null if null else _cupy.cuda.get_current_stream()


def elapsed_ms(start, end):
    """Milliseconds between two recorded cupy events."""
    return float(_cupy.cuda.get_elapsed_time(start, end))


def pinned_copy(arr):
    """A copy of host array ``arr`` in page-locked memory (for fast, async copies to a GPU)."""
    if not cuda_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    mem = _cupy.cuda.alloc_pinned_memory(max(arr.nbytes, 1))
    out = np.frombuffer(mem, arr.dtype, arr.size).reshape(arr.shape)
    out[...] = arr
    return out


def is_pinned_array(arr):
    """Whether host array ``arr`` lives in page-locked memory."""
    if not cuda_available() or not isinstance(arr, np.ndarray) or arr.size == 0:
        return False
    try:
        attrs = _cupy.cuda.runtime.pointerGetAttributes(arr.__array_interface__["data"][0])
    except Exception:  # plain pageable memory unknown to CUDA
        return False
    return getattr(attrs, "type", 0) == 1    # cudaMemoryTypeHost
