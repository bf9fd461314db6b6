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
import warnings

import numpy as np

from .core import device as _device
from .core.grad_mode import no_grad
from .core.tensor import Tensor

__all__ = ["autocast", "GradScaler"]

_DEVICE_TYPES = ("cpu", "cuda")


def _check_device_type(device_type):
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError(
            f"User specified an unsupported autocast device_type '{device_type}'")


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
        return self

    def __exit__(self, exc_type, exc, tb):
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
