"""``disttrain.accelerator``: the device-agnostic view of the GPU, as ``torch.accelerator``.

disttrain's only accelerator is CUDA through cupy. Without cupy or without a GPU there is
none: ``is_available()`` is False, ``current_accelerator()`` is None and the functions that
need a device raise, as a CPU-only PyTorch does.
"""
from . import cuda as _cuda
from .core.device import device as _device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "synchronize",
           "device_index", "empty_cache", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "reset_peak_memory_stats"]

_NONE = "Cannot access accelerator device when none is available."


def _require():
    if not _cuda.is_available():
        raise RuntimeError(_NONE)


def is_available():
    """Whether an accelerator (a CUDA GPU seen by cupy) is available."""
    return _cuda.is_available()


def current_accelerator(check_available=False):
    """The accelerator's device type, ``device(type='cuda')``, or None when there is none."""
    if not _cuda.is_available():
        return None
    return _device("cuda")


def device_count():
    """The number of accelerator devices (0 without one)."""
    return _cuda.device_count()


def current_device_index():
    """The index of the current accelerator device."""
    _require()
    return _cuda.current_device()


current_device_idx = current_device_index


def set_device_index(device):
    """Make ``device`` (an index, ``"cuda:1"`` or a device) the current accelerator device."""
    _require()
    _cuda.set_device(device)


set_device_idx = set_device_index


def synchronize(device=None):
    """Wait for all work queued on ``device`` (default: the current one)."""
    _require()
    if device is None:
        _cuda.synchronize()
    else:
        from .core.device import synchronize_device
        synchronize_device(_cuda._index(device))


class device_index:
    """Context manager making ``device`` (an index; None does nothing) the current
    accelerator device."""

    def __init__(self, device):
        self.idx, self.prev = device, None

    def __enter__(self):
        if self.idx is not None:
            _require()
            self.prev = _cuda.current_device()
            _cuda.set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.prev is not None:
            _cuda.set_device(self.prev)
        return False


def empty_cache():
    """Give the memory pool's cached blocks back to the device."""
    _require()
    _cuda.empty_cache()


def memory_allocated(device_index=None):
    """Bytes held by tensors on the accelerator device."""
    _require()
    return _cuda.memory_allocated(device_index)


def max_memory_allocated(device_index=None):
    """The most bytes tensors held on the device since start or the last reset."""
    _require()
    return _cuda.max_memory_allocated(device_index)


def memory_reserved(device_index=None):
    """Bytes the memory pool holds on the device, in use or cached."""
    _require()
    return _cuda.memory_reserved(device_index)


def reset_peak_memory_stats(device_index=None):
    """Restart ``max_memory_allocated`` from the current usage."""
    _require()
    _cuda.reset_peak_memory_stats(device_index)
