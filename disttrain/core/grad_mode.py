"""Grad mode: whether ops record the graph. One flag, read on every op, so it is a plain attribute."""
import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]


class _State:
    enabled = True


state = _State()


def is_grad_enabled():
    return state.enabled


class _GradModeContext:
    """Base of the grad-mode switches: a context manager that also decorates functions."""

    _target = None

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._target
        return None

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_GradModeContext):
    """Context manager and decorator that turns off graph recording.

    Example::

        >>> with disttrain.no_grad():
        ...     y = x * 2          # y.requires_grad is False
    """

    _target = False

    def __init__(self, orig_func=None):
        # ``@no_grad`` without parentheses hands the function straight to the constructor
        self._func = orig_func

    def __new__(cls, orig_func=None):
        if orig_func is not None and callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)


class enable_grad(_GradModeContext):
    """Context manager and decorator that turns graph recording back on."""

    _target = True

    def __new__(cls, orig_func=None):
        if orig_func is not None and callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        pass


class set_grad_enabled(_GradModeContext):
    """Sets grad mode on or off; works as a function call, a context manager or a decorator."""

    def __init__(self, mode):
        self._prev = state.enabled
        self._target = bool(mode)
        state.enabled = self._target

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        state.enabled = self._prev
        mode = self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return set_grad_enabled(self._target)


class inference_mode(no_grad):
    """Like ``no_grad`` (this engine has no separate inference tensors)."""

    def __new__(cls, mode=True):
        if callable(mode):
            return no_grad()(mode)
        obj = object.__new__(cls)
        return obj

    def __init__(self, mode=True):
        self._target = not mode
