"""Global switches of PyTorch's top-level API: deterministic algorithms, float32 matmul
precision, denormal flushing, and build queries.

disttrain computes on numpy (whose ops are deterministic) or cupy; on a GPU the ops that add
into repeated indices (``index_add``, ``put``/``index_put`` with ``accumulate``, scatter adds,
gradients of advanced indexing) use atomic adds, whose float results depend on timing. With
deterministic algorithms on, those raise (or warn, with ``warn_only``), as PyTorch does for
ops without a deterministic implementation.
"""
import warnings

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "set_flush_denormal", "compiled_with_cxx11_abi",
           "is_vulkan_available", "TYPE_CHECKING", "alert_not_deterministic"]

TYPE_CHECKING = False


class _State:
    deterministic = False
    warn_only = False
    matmul_precision = "highest"


_state = _State()


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Require ops to be deterministic: an op that is not raises (``warn_only``: warns).

    disttrain's CPU kernels are deterministic; on a GPU the accumulations into repeated
    indices consult this switch."""
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must "
                        f"be bool, not {type(mode).__name__}")
    _state.deterministic = bool(mode)
    _state.warn_only = bool(warn_only)


def are_deterministic_algorithms_enabled():
    """Whether ``use_deterministic_algorithms(True)`` is in force."""
    return _state.deterministic


def is_deterministic_algorithms_warn_only_enabled():
    """Whether nondeterministic ops only warn under deterministic mode."""
    return _state.warn_only


def set_deterministic_debug_mode(debug_mode):
    """``'default'``/0: off; ``'warn'``/1: warn on nondeterministic ops; ``'error'``/2: raise."""
    if isinstance(debug_mode, str):
        names = {"default": 0, "warn": 1, "error": 2}
        if debug_mode not in names:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, "
                               f"`error`, but got {debug_mode}")
        debug_mode = names[debug_mode]
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    """0, 1 or 2 as ``set_deterministic_debug_mode`` describes."""
    if not _state.deterministic:
        return 0
    return 1 if _state.warn_only else 2


def alert_not_deterministic(caller):
    """Called by an op that is about to run a nondeterministic kernel."""
    if not _state.deterministic:
        return
    msg = (f"{caller} does not have a deterministic implementation, but you set "
           f"'torch.use_deterministic_algorithms(True)'. You can turn off determinism just for "
           f"this operation, or you can use the 'warn_only=True' option, if that's acceptable "
           f"for your application.")
    if _state.warn_only:
        warnings.warn(msg, UserWarning, stacklevel=3)
    else:
        raise RuntimeError(msg)


def set_float32_matmul_precision(precision):
    """Allow float32 matmuls to use faster, less precise internals (``'high'``, ``'medium'``)
    or not (``'highest'``). It is a permission: disttrain keeps full float32 precision."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      f"setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _state.matmul_precision = precision


def get_float32_matmul_precision():
    """The setting made by ``set_float32_matmul_precision`` (default ``'highest'``)."""
    return _state.matmul_precision


def set_flush_denormal(mode):
    """Flush denormal floats to zero: not available on numpy, so this returns False (as
    PyTorch does where the CPU cannot) and changes nothing."""
    return False


def compiled_with_cxx11_abi():
    """Whether the library was compiled with the C++11 ABI: disttrain has no C++ parts."""
    return False


def is_vulkan_available():
    """Whether a Vulkan backend is built in: never in disttrain."""
    return False
