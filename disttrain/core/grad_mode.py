"""Grad mode: whether ops record the graph. One flag, read on every op, so it is a plain attribute."""
import functools
import inspect

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]


class _State:
    enabled = True
    inference = False     # inside ``inference_mode`` (read by ``is_inference_mode_enabled``)


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
        make = self.clone
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(fn, make)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with make():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


def _wrap_generator(fn, make):
    """A decorated generator runs every step (not only its creation) under the mode."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        gen = fn(*args, **kwargs)
        try:
            with make():
                value = next(gen)
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    gen.close()
                    raise
                except BaseException as exc:
                    with make():
                        value = gen.throw(exc)
                else:
                    with make():
                        value = gen.send(sent)
        except StopIteration as stop:
            return stop.value
    return wrapper


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
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(fn, lambda: _Restoring(mode))

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _Restoring(mode):
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return set_grad_enabled(self._target)


class _Restoring(_GradModeContext):
    """Sets a mode on entry and restores the previous one on exit."""

    def __init__(self, mode):
        self._target = mode


class inference_mode(no_grad):
    """Like ``no_grad`` (this engine has no separate inference tensors)."""

    def __new__(cls, mode=True):
        if callable(mode):
            return cls()(mode)
        obj = object.__new__(cls)
        return obj

    def __init__(self, mode=True):
        self._target = not mode

    def __enter__(self):
        self._prev_inference = state.inference
        state.inference = not self._target
        return super().__enter__()

    def __exit__(self, *exc):
        state.inference = self._prev_inference
        return super().__exit__(*exc)

    def clone(self):
        return inference_mode(not self._target)


def is_inference_mode_enabled():
    """Whether the code runs inside ``inference_mode``."""
    return state.inference
