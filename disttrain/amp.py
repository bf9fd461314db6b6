"""``disttrain.amp``: the automatic-mixed-precision API, ``autocast`` and ``GradScaler``.

Programs written for PyTorch's AMP run unchanged. This engine computes every op in the dtype
of its inputs, so ``autocast`` casts nothing: inside it a float32 model stays float32, which
is never less accurate than float16, only slower on a GPU. ``GradScaler`` is PyTorch's dynamic
loss scaling, step for step (the scale and its growth tracker, skipped steps on inf/NaN
gradients, ``state_dict``), so checkpoints and step-skipping logic behave alike. As in
PyTorch, a ``'cuda'`` autocast or scaler on a machine without a GPU warns once and disables
itself: the program then trains exactly as it would without AMP.
"""
import enum
import functools
import math
import threading
import warnings

import numpy as np

from .core import device as _device
from .core.grad_mode import no_grad
from .core.tensor import Tensor

__all__ = ["autocast", "GradScaler", "is_autocast_enabled", "set_autocast_enabled",
           "get_autocast_dtype", "set_autocast_dtype", "is_autocast_cpu_enabled",
           "set_autocast_cpu_enabled", "get_autocast_cpu_dtype", "set_autocast_cpu_dtype",
           "get_autocast_gpu_dtype", "set_autocast_gpu_dtype", "is_autocast_cache_enabled",
           "set_autocast_cache_enabled", "clear_autocast_cache", "autocast_increment_nesting",
           "autocast_decrement_nesting"]

_DEVICE_TYPES = ("cpu", "cuda")


def _check_device_type(device_type):
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError(
            f"User specified an unsupported autocast device_type '{device_type}'")


# ------------------------------------------------------------------ autocast state
# What the program set, per thread as in PyTorch: whether autocast is on and its dtype per
# device type, the nesting depth and the cache flag. Ops do not read it (they compute in their
# inputs' dtype, see above); programs do (``torch.is_autocast_enabled()`` before casting
# attention inputs by hand, ``get_autocast_dtype`` for the dtype to cast to), and get back
# what PyTorch would report for the same calls.
_AUTOCAST_DEFAULTS = {"cpu": "bfloat16", "cuda": "float16", "xpu": "float16", "mps": "float16",
                      "ipu": "float16", "mtia": "float16", "privateuseone": "float16",
                      "hpu": "bfloat16", "xla": "bfloat16", "maia": "bfloat16"}
_DEVICE_STRINGS = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
                   "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                   "privateuseone")
_local = threading.local()


def _autocast_state():
    st = getattr(_local, "state", None)
    if st is None:
        from .core import dtype as _dtypes
        st = _local.state = {
            "enabled": {}, "nesting": 0, "cache": True,
            "dtype": {k: getattr(_dtypes, v) for k, v in _AUTOCAST_DEFAULTS.items()}}
    return st


def _autocast_device(device_type):
    if device_type not in _AUTOCAST_DEFAULTS:
        if device_type in _DEVICE_STRINGS:
            raise RuntimeError("unknown device type for autocast in "
                               "get_autocast_dispatch_key_from_device_type")
        raise RuntimeError(f"Expected one of {', '.join(_DEVICE_STRINGS)} device type at start "
                           f"of device string: {device_type}")
    return device_type


def is_autocast_enabled(device_type="cuda"):
    """Whether an autocast region (or ``set_autocast_enabled``) is on for ``device_type``
    (``'cuda'`` when not given, as PyTorch's one-argument-less form)."""
    return _autocast_state()["enabled"].get(_autocast_device(device_type), False)


def set_autocast_enabled(device_type, enabled=None):
    """Turn autocast on or off for ``device_type``; ``set_autocast_enabled(flag)`` is the
    older form for ``'cuda'``."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    _autocast_state()["enabled"][_autocast_device(device_type)] = bool(enabled)


def get_autocast_dtype(device_type):
    """The dtype autocast uses for ``device_type`` (float16 on cuda, bfloat16 on cpu, unless
    set)."""
    return _autocast_state()["dtype"][_autocast_device(device_type)]


def set_autocast_dtype(device_type, dtype):
    """Set the dtype autocast uses for ``device_type``."""
    _autocast_state()["dtype"][_autocast_device(device_type)] = dtype


def is_autocast_cpu_enabled():
    """``is_autocast_enabled('cpu')``."""
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled):
    """``set_autocast_enabled('cpu', enabled)``."""
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype():
    """``get_autocast_dtype('cpu')``."""
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype):
    """``set_autocast_dtype('cpu', dtype)``."""
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype():
    """``get_autocast_dtype('cuda')``."""
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype):
    """``set_autocast_dtype('cuda', dtype)``."""
    set_autocast_dtype("cuda", dtype)


def is_autocast_cache_enabled():
    """Whether autocast's weight-cast cache is on (a flag here: nothing is cast to cache)."""
    return _autocast_state()["cache"]


def set_autocast_cache_enabled(enabled):
    """Set the flag read by ``is_autocast_cache_enabled``."""
    _autocast_state()["cache"] = bool(enabled)


def clear_autocast_cache():
    """Empty autocast's cast cache: it holds nothing here (no op casts)."""


def autocast_increment_nesting():
    """Enter one level of autocast nesting; returns the new depth."""
    st = _autocast_state()
    st["nesting"] += 1
    return st["nesting"]


def autocast_decrement_nesting():
    """Leave one level of autocast nesting; returns the new depth."""
    st = _autocast_state()
    st["nesting"] -= 1
    return st["nesting"]


class autocast:
    """Context manager (or decorator) for a region that may run in lower precision.

    Ops run in their inputs' dtype here (see the module docstring); the object keeps the
    settings it was given so code that reads them back works.

    Args:
        device_type (str): ``'cuda'`` or ``'cpu'``.
        dtype (disttrain.dtype, optional): the lower-precision dtype asked for. Default: None
            (float16 on cuda, bfloat16 on cpu, as PyTorch).
        enabled (bool, optional): whether the region is on. Default: ``True``
        cache_enabled (bool, optional): accepted for compatibility. Default: None

    Example::

        >>> with disttrain.amp.autocast("cpu"):
        ...     loss = loss_fn(model(x), y)
    """

    _stacklevel = 2     # warnings point at the user's line (one more through a subclass)

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        _check_device_type(device_type)
        from .core import dtype as _dtypes
        self.device = device_type
        self.fast_dtype = dtype if dtype is not None else (
            _dtypes.float16 if device_type == "cuda" else _dtypes.bfloat16)
        self._cache_enabled = True if cache_enabled is None else cache_enabled
        if enabled and device_type == "cuda" and not _device.cuda_available():
            warnings.warn("User provided device_type of 'cuda', but CUDA is not available. "
                          "Disabling", stacklevel=self._stacklevel)
            enabled = False
        self._enabled = bool(enabled)

    def __enter__(self):
        st = _autocast_state()
        if not hasattr(self, "_saved"):
            self._saved = []
        self._saved.append((st["enabled"].get(self.device, False), st["dtype"][self.device],
                            st["cache"]))
        st["enabled"][self.device] = self._enabled
        st["dtype"][self.device] = self.fast_dtype
        st["cache"] = self._cache_enabled
        autocast_increment_nesting()
        return self

    def __exit__(self, exc_type, exc, tb):
        st = _autocast_state()
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        st["enabled"][self.device], st["dtype"][self.device], st["cache"] = self._saved.pop()
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return wrapper


class _Stage(enum.Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_state():
    return {"stage": _Stage.READY, "found_inf": None}


def _as_float32(value):
    """The scale lives in a float32 in PyTorch; round ours the same way so values agree."""
    return float(np.float32(value))


class GradScaler:
    """Dynamic loss scaling: multiply the loss so small float16 gradients do not underflow.

    ``scale(loss)`` multiplies by the current scale; ``step(optimizer)`` divides the gradients
    back (``unscale_``) and skips ``optimizer.step()`` if any is inf or NaN; ``update()``
    multiplies the scale by ``backoff_factor`` after a skipped step and by ``growth_factor``
    after ``growth_interval`` clean steps in a row. Disabled, every method is a pass-through.

    Args:
        device (str, optional): ``'cuda'`` or ``'cpu'``. Default: ``'cuda'``
        init_scale (float, optional): the first scale. Default: ``2.**16``
        growth_factor (float, optional): growth after a clean interval, > 1. Default: 2.0
        backoff_factor (float, optional): shrink after an inf/NaN, < 1. Default: 0.5
        growth_interval (int, optional): clean steps before growing. Default: 2000
        enabled (bool, optional): ``False`` makes the scaler a pass-through. Default: ``True``

    Example::

        >>> scaler = disttrain.amp.GradScaler("cpu")
        >>> scaler.scale(loss).backward()
        >>> scaler.step(optimizer)
        >>> scaler.update()
    """

    _stacklevel = 2

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0,
                 backoff_factor=0.5, growth_interval=2000, enabled=True):
        _check_device_type(device)
        self._device = device
        self._enabled = bool(enabled)
        if self._enabled and device == "cuda" and not _device.cuda_available():
            warnings.warn("disttrain.cuda.amp.GradScaler is enabled, but CUDA is not "
                          "available.  Disabling.", stacklevel=self._stacklevel)
            self._enabled = False
        if not self._enabled:
            return
        if growth_factor <= 1.0:
            raise ValueError(f"The growth factor must be > 1.0, got {growth_factor}.")
        if backoff_factor >= 1.0:
            raise ValueError(f"The backoff factor must be < 1.0, got {backoff_factor}.")
        self._init_scale = init_scale
        self._scale = None              # set by the first scale(), as in PyTorch
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval
        self._init_growth_tracker = 0
        self._growth_tracker = None
        self._states = {}

    def _state(self, optimizer):
        return self._states.setdefault(id(optimizer), _fresh_state())

    def _require_scale(self, funcname):
        if self._scale is None:
            raise RuntimeError(
                f"Attempted {funcname} but the scale is not set yet. This may indicate your "
                "script did not use scaler.scale(loss or outputs) earlier in the iteration.")

    def scale(self, outputs):
        """Multiply a tensor, or every tensor of a (nested) list/tuple, by the scale."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = _as_float32(self._init_scale)
            self._growth_tracker = self._init_growth_tracker
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(v) for v in outputs)
        if hasattr(outputs, "__iter__"):
            return map(self.scale, outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer):
        """Divide ``optimizer``'s gradients by the scale in place, noting any inf/NaN."""
        if not self._enabled:
            return
        self._require_scale("unscale_")
        state = self._state(optimizer)
        if state["stage"] is _Stage.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] is _Stage.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = _as_float32(1.0 / self._scale)
        found_inf, checked = 0.0, False
        with no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    if param.grad is None:
                        continue
                    if param.grad.dtype.np == np.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    checked = True
                    if not bool(param.grad.isfinite().all()):
                        found_inf = 1.0
                    param.grad.mul_(inv_scale)
        state["found_inf"] = found_inf if checked else None
        state["stage"] = _Stage.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``unscale_`` (unless done already), then ``optimizer.step()`` if no inf/NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._require_scale("step")
        state = self._state(optimizer)
        if state["stage"] is _Stage.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is _Stage.READY:
            self.unscale_(optimizer)
        if state["found_inf"] is None:
            raise RuntimeError("No inf checks were recorded for this optimizer: none of its "
                               "parameters has a gradient.")
        retval = None
        if not state["found_inf"]:
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = _Stage.STEPPED
        return retval

    def update(self, new_scale=None):
        """Back off after a skipped step, grow after ``growth_interval`` clean ones."""
        if not self._enabled:
            return
        self._require_scale("update")
        if new_scale is not None:
            self._scale = _as_float32(self._user_scale(new_scale))
        else:
            found = [s["found_inf"] for s in self._states.values() if s["found_inf"] is not None]
            if not found:
                raise RuntimeError("No inf checks were recorded prior to update().")
            self._apply_update(sum(found) > 0)
        self._states = {}

    def _user_scale(self, new_scale):
        if isinstance(new_scale, Tensor):
            if new_scale.numel() != 1 or new_scale.requires_grad:
                raise ValueError("new_scale should be a float or a 1-element tensor with "
                                 "requires_grad=False.")
            return new_scale.item()
        return float(new_scale)

    def _apply_update(self, found_inf):
        if found_inf:
            self._scale = _as_float32(self._scale * self._backoff_factor)
            self._growth_tracker = 0
            return
        successful = self._growth_tracker + 1
        if successful == self._growth_interval:
            grown = _as_float32(self._scale * self._growth_factor)
            if math.isfinite(grown):
                self._scale = grown
            self._growth_tracker = 0
        else:
            self._growth_tracker = successful

    def get_scale(self):
        """The current scale as a Python float (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return _as_float32(self._init_scale) if self._scale is None else self._scale

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = new_interval

    def _get_growth_tracker(self):
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else self._growth_tracker

    def is_enabled(self):
        """Whether scaling is on (False after disabling itself for want of a GPU)."""
        return self._enabled

    def state_dict(self):
        """scale, growth_factor, backoff_factor, growth_interval, _growth_tracker ({} if off)."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict):
        """Restore what ``state_dict`` returned; a no-op when disabled."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale = _as_float32(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker = state_dict["_growth_tracker"]
