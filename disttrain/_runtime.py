"""Process-wide settings PyTorch programs make at start: threads, determinism, matmul
precision, the default device, and ``compile``.
"""
import functools
import os
import warnings

from .core import device as _device
from .core._blas import openblas_threads
from .core.tensor import Tensor

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "set_default_device", "get_default_device",
           "compile", "is_nonzero", "is_storage"]

_state = {"interop_threads": None, "threads": None}


# ------------------------------------------------------------------------------ threads
def _check_threads(n, fn):
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"{fn} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{fn} expects a positive integer")


def _blas_threads(n=None):
    """Set (when ``n``) and return the BLAS thread count; None when no BLAS can be driven."""
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        ctl = threadpoolctl.ThreadpoolController().select(user_api="blas")
        if ctl.lib_controllers:
            if n is not None:
                ctl.limit(limits=n)
                ctl = threadpoolctl.ThreadpoolController().select(user_api="blas")
            return max(c.num_threads for c in ctl.lib_controllers)
    found = openblas_threads()
    if found is None:
        return None
    setter, getter = found
    if n is not None:
        setter(n)
    return int(getter())


def set_num_threads(int):
    """Set the number of threads numpy's BLAS (matrix products, solvers) uses.

    disttrain's other CPU kernels are single-threaded numpy calls; BLAS is where threads
    help. The BLAS is driven through ``threadpoolctl`` when it is installed, otherwise
    through OpenBLAS's ``openblas_set_num_threads``; with neither, the number is only
    recorded.
    """
    _check_threads(int, "set_num_threads")
    _state["threads"] = int
    _blas_threads(int)


def get_num_threads():
    """The number of threads numpy's BLAS uses (see :func:`set_num_threads`)."""
    n = _blas_threads()
    if n is not None:
        return n
    return _state["threads"] or len(os.sched_getaffinity(0))


def set_num_interop_threads(int):
    """Record the number of inter-op threads. disttrain runs ops one after another in the
    calling thread (there is no inter-op pool), so the number only changes what
    :func:`get_num_interop_threads` reports."""
    _check_threads(int, "set_num_interop_threads")
    _state["interop_threads"] = int


def get_num_interop_threads():
    """The number set by :func:`set_num_interop_threads` (default: the usable CPU count, as
    PyTorch's default)."""
    return _state["interop_threads"] or len(os.sched_getaffinity(0))


# determinism and matmul precision live in core.flags, where the ops that consult them are
from .core.flags import (use_deterministic_algorithms,  # noqa: E402,F401
                         are_deterministic_algorithms_enabled,
                         is_deterministic_algorithms_warn_only_enabled,
                         set_deterministic_debug_mode, get_deterministic_debug_mode,
                         set_float32_matmul_precision, get_float32_matmul_precision)


# ---------------------------------------------------------------------- default device
def set_default_device(device):
    """Make ``device`` where creation functions (``zeros``, ``tensor``, ``randn``, ...) put
    tensors when given no ``device``; ``None`` goes back to the CPU. ``with
    disttrain.device(...):`` does the same for a block.

    Raises:
        RuntimeError: ``"cuda"`` without a GPU.
    """
    d = None if device is None else _device.device(device)
    if d is not None and d.type == "cuda" and not _device.cuda_available():
        raise _device._no_cuda_error()
    _device.set_default_device(d)


def get_default_device():
    """The device creation functions use by default: ``device(type='cpu')`` unless set;
    a GPU is reported with its index."""
    d = _device.default_device()
    if d is None:
        return _device.device("cpu")
    if d.type == "cuda" and d.index is None:
        return _device.device("cuda", _device.current_cuda_index())
    return d


# ---------------------------------------------------------------------------- compile
def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False, **kwargs):
    """Return ``model`` unchanged: disttrain has no graph compiler, so the program runs
    eagerly, computing the same numbers. Works as ``compile(model)``, ``@compile`` and
    ``@compile(mode=...)``; the keyword arguments are accepted and ignored.
    """
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic,
                                 backend=backend, mode=mode, options=options, disable=disable,
                                 **kwargs)
    if not callable(model):
        raise RuntimeError("torch.compile: model must be callable")
    return model


# ------------------------------------------------------------------------ type queries
def _need_tensor(x, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def is_nonzero(input):
    """Whether the single value of ``input`` is nonzero.

    Raises:
        RuntimeError: ``input`` has no value or more than one.
    """
    _need_tensor(input, "is_nonzero")
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item() != 0)


def is_storage(obj):
    """Whether ``obj`` is a storage object: always False (disttrain tensors hold arrays, not
    storages)."""
    return False
