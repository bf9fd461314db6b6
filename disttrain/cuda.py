"""``disttrain.cuda``: whether a GPU is there, which one is current, and its memory use."""
from .core import device as _device

__all__ = ["is_available", "device_count", "set_device", "current_device", "synchronize",
           "memory_allocated", "max_memory_allocated", "reset_peak_memory_stats",
           "empty_cache", "manual_seed", "manual_seed_all"]

_peak = [0]


def is_available():
    return _device.cuda_available()


def device_count():
    return _device.cuda_device_count()


def set_device(device):
    idx = device.index if isinstance(device, _device.device) else int(
        str(device).rpartition(":")[2] or 0) if isinstance(device, str) else int(device)
    _device.set_cuda_index(idx or 0)


def current_device():
    if not is_available():
        raise _device._no_cuda_error()
    return _device.current_cuda_index()


def synchronize(device=None):
    _device.synchronize()


def memory_allocated(device=None):
    """Bytes held by tensors in cupy's memory pool (0 without a GPU)."""
    pool = _device.memory_pool()
    if pool is None or not is_available():
        return 0
    used = pool.used_bytes()
    _peak[0] = max(_peak[0], used)
    return used


def max_memory_allocated(device=None):
    """The highest ``memory_allocated`` seen since start or the last reset."""
    pool = _device.memory_pool()
    if pool is None or not is_available():
        return 0
    _peak[0] = max(_peak[0], pool.used_bytes(), pool.total_bytes() and pool.used_bytes())
    return _peak[0]


def reset_peak_memory_stats(device=None):
    _peak[0] = memory_allocated(device)


def empty_cache():
    pool = _device.memory_pool()
    if pool is not None:
        pool.free_all_blocks()


def manual_seed(seed):
    """GPU tensors draw from the same host generator, so this seeds it too."""
    from .core.random import manual_seed as _seed
    _seed(seed)


manual_seed_all = manual_seed
