"""``disttrain.cuda``: whether a GPU is there, which one is current, and its memory use."""
from ..core import device as _device
from ..core.device import OutOfMemoryError

__all__ = ["is_available", "device_count", "set_device", "current_device", "synchronize",
           "memory_allocated", "max_memory_allocated", "memory_reserved",
           "reset_peak_memory_stats", "empty_cache", "manual_seed", "manual_seed_all"]
__all__ += ["OutOfMemoryError"]
__all__ += ["get_rng_state", "set_rng_state", "get_rng_state_all", "set_rng_state_all", "seed",
            "seed_all", "initial_seed", "reset_max_memory_allocated"]
__all__ += ["get_device_properties", "get_device_name", "get_device_capability",
            "is_bf16_supported", "mem_get_info", "is_initialized", "init", "get_arch_list",
            "device", "Stream", "Event", "current_stream", "default_stream", "stream"]


def is_available():
    """Whether cupy is installed and sees at least one GPU."""
    return _device.cuda_available()


def device_count():
    """How many GPUs cupy sees (0 without cupy)."""
    return _device.cuda_device_count()


def _index(device):
    """The device ordinal of ``device`` (int, 'cuda:1', device or None for the current)."""
    if device is None:
        return _device.current_cuda_index()
    if isinstance(device, int):
        return device
    d = _device.as_device(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return _device.current_cuda_index() if d.index is None else d.index


def set_device(device):
    """Make ``device`` the current GPU: where 'cuda' without an index allocates."""
    _device.set_cuda_index(_index(device))


def current_device():
    """The index of the current GPU."""
    if not is_available():
        raise _device._no_cuda_error()
    return _device.current_cuda_index()


def synchronize(device=None):
    """Wait until the GPU has finished all queued work."""
    _device.synchronize()


def memory_allocated(device=None):
    """Bytes held by tensors on ``device`` (0 without a GPU)."""
    if not is_available():
        return 0
    import cupy
    with cupy.cuda.Device(_index(device)):
        return _device.memory_pool().used_bytes()


def max_memory_allocated(device=None):
    """The most bytes tensors held on ``device`` since start or ``reset_peak_memory_stats``."""
    if not is_available():
        return 0
    idx = _index(device)
    return max(_device.peak_tracker.peak.get(idx, 0), memory_allocated(idx))


def memory_reserved(device=None):
    """Bytes cupy's pool holds on ``device``, in use or cached for reuse."""
    if not is_available():
        return 0
    import cupy
    with cupy.cuda.Device(_index(device)):
        return _device.memory_pool().total_bytes()


def reset_peak_memory_stats(device=None):
    """Restart ``max_memory_allocated`` from the current usage."""
    if is_available():
        _device.peak_tracker.reset(_index(device))


def reset_max_memory_allocated(device=None):
    """``reset_peak_memory_stats`` (its older name)."""
    reset_peak_memory_stats(device)


def empty_cache():
    """Give the pool's cached (unused) blocks back to the GPU."""
    pool = _device.memory_pool()
    if pool is not None:
        pool.free_all_blocks()


def manual_seed(seed):
    """GPU tensors draw from the same host generator, so this seeds it too."""
    from ..core.random import manual_seed as _seed
    _seed(seed)


manual_seed_all = manual_seed


# One generator serves the host and every GPU (see manual_seed), so a GPU's RNG state is that
# generator's: saving and restoring it (as checkpoint code does for each device) restores it.
def get_rng_state(device="cuda"):
    """The random state GPU tensors draw from (the one generator's, a uint8 tensor)."""
    _index(device)
    if not is_available():
        raise _device._no_cuda_error()
    from ..core.random import get_rng_state as _get
    return _get()


def set_rng_state(new_state, device="cuda"):
    """Restore the random state GPU tensors draw from (from ``get_rng_state``)."""
    _index(device)
    if not is_available():
        raise _device._no_cuda_error()
    from ..core.random import set_rng_state as _set
    _set(new_state)


def get_rng_state_all():
    """The random state of each GPU: a list of ``device_count()`` states (empty without a
    GPU, as in PyTorch)."""
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states):
    """Restore each GPU's random state (from ``get_rng_state_all``)."""
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


def seed():
    """Seed the generator GPU tensors draw from with a fresh random number."""
    if is_available():
        from ..core.random import seed as _seed
        _seed()


seed_all = seed


def initial_seed():
    """The seed the generator GPU tensors draw from was last seeded with."""
    if not is_available():
        raise _device._no_cuda_error()
    from ..core.random import initial_seed as _initial
    return _initial()


def synchronize_all():
    """Wait for every GPU (used by ``accelerator.synchronize``)."""
    for i in range(device_count()):
        _device.synchronize_device(i)


def _checked_index(device):
    if not is_available():
        raise _device._no_cuda_error()
    return _index(device)


def get_device_properties(device=None):
    """The properties of ``device``: ``.name``, ``.total_memory`` (bytes), ``.major``,
    ``.minor`` (compute capability) and ``.multi_processor_count``."""
    return _DeviceProperties(_device.device_properties(_checked_index(device)))


class _DeviceProperties:
    def __init__(self, props):
        self.__dict__.update(props)

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
                f"minor={self.minor}, total_memory={self.total_memory // (1 << 20)}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_name(device=None):
    """The name of ``device`` (default: the current GPU)."""
    return get_device_properties(device).name


def get_device_capability(device=None):
    """The ``(major, minor)`` compute capability of ``device``."""
    p = get_device_properties(device)
    return p.major, p.minor


def is_bf16_supported(including_emulation=True):
    """Whether bfloat16 tensors can live on the GPU: False without one. On a GPU disttrain
    stores bfloat16 in float32 arrays (numpy and cupy have no bfloat16), so it is always
    supported there."""
    return is_available()


def mem_get_info(device=None):
    """``(free, total)`` bytes of ``device``'s memory, as the driver reports them."""
    return _device.mem_get_info(_checked_index(device))


def is_initialized():
    """Whether CUDA has been set up: here, whether a GPU is available (cupy sets itself up
    on import)."""
    return is_available()


def init():
    """Set up CUDA; raises when no GPU is available (cupy needs nothing more)."""
    if not is_available():
        raise _device._no_cuda_error()


def get_arch_list():
    """The GPU architectures this build targets: ``[]`` (cupy compiles kernels for the GPU
    it finds at run time)."""
    return []


class device:
    """Context manager that makes ``device`` the current GPU, and restores the previous one.

    ``device(None)`` or a negative index does nothing, as in PyTorch.
    """

    def __init__(self, device):
        self.idx = -1 if device is None else (device if isinstance(device, int)
                                              else _index(device))
        self.prev_idx = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev_idx = current_device()
            if self.idx != self.prev_idx:
                set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.idx >= 0 and self.prev_idx != self.idx:
            set_device(self.prev_idx)
        return False


class Stream:
    """A queue of GPU work (a cupy stream). ``with stream:`` makes it current.

    Args:
        device (int or str, optional): the GPU (default: the current one).
        priority (int): lower numbers run first (CUDA's convention).
    """

    def __init__(self, device=None, priority=0, _stream=None):
        self._s = _stream if _stream is not None else _device.cuda_stream(
            None if device is None else _index(device), priority)
        self._prev = []

    def synchronize(self):
        """Wait until all work queued on this stream has finished."""
        self._s.synchronize()

    def query(self):
        """Whether all work queued on this stream has finished."""
        return bool(self._s.done)

    def wait_event(self, event):
        """Make later work on this stream wait for ``event``."""
        self._s.wait_event(event._ev)

    def wait_stream(self, stream):
        """Make later work on this stream wait for the work queued on ``stream`` so far."""
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        """Record ``event`` (a new one if None) on this stream and return it."""
        event = Event() if event is None else event
        event.record(self)
        return event

    def __enter__(self):
        self._prev.append(_device.current_cuda_stream())
        self._s.use()
        return self

    def __exit__(self, *exc):
        self._prev.pop().use()
        return False

    def __eq__(self, other):
        return isinstance(other, Stream) and self._s.ptr == other._s.ptr

    def __hash__(self):
        return hash(self._s.ptr)

    def __repr__(self):
        return f"<disttrain.cuda.Stream device=cuda:{current_device()} " \
               f"cuda_stream={self._s.ptr:#x}>"


class Event:
    """A marker in a GPU stream, to wait on or to time work (a cupy event).

    Args:
        enable_timing (bool): record times, for :meth:`elapsed_time`.
        blocking (bool): :meth:`synchronize` blocks the thread rather than spinning.
        interprocess (bool): can be shared between processes.
    """

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        self._ev = _device.cuda_event(enable_timing, blocking, interprocess)

    def record(self, stream=None):
        """Record the event on ``stream`` (default: the current stream)."""
        self._ev.record(None if stream is None else stream._s)

    def wait(self, stream=None):
        """Make later work on ``stream`` (default: the current one) wait for this event."""
        (current_stream() if stream is None else stream).wait_event(self)

    def query(self):
        """Whether the work before the event has finished."""
        return bool(self._ev.done)

    def synchronize(self):
        """Wait until the work before the event has finished."""
        self._ev.synchronize()

    def elapsed_time(self, end_event):
        """Milliseconds between this event and ``end_event`` (both recorded and finished)."""
        return _device.elapsed_ms(self._ev, end_event._ev)


def current_stream(device=None):
    """The stream GPU work is queued on now."""
    return Stream(_stream=_device.current_cuda_stream())


def default_stream(device=None):
    """The GPU's default (null) stream."""
    return Stream(_stream=_device.current_cuda_stream(null=True))


class stream:
    """Context manager making ``stream`` current (``None`` does nothing, as in PyTorch)."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        if self.stream is not None:
            self.stream.__enter__()
        return self.stream

    def __exit__(self, *exc):
        if self.stream is not None:
            self.stream.__exit__(*exc)
        return False


from . import amp  # noqa: E402,F401  (``disttrain.cuda.amp``: PyTorch's older AMP spelling)
