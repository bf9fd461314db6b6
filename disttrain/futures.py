"""``disttrain.futures``: :class:`Future`, the value of an asynchronous operation, with
``then`` for chaining.

Shaped like ``torch.futures.Future`` as DDP communication hooks use it (the asynchronous
collectives of ``disttrain.distributed`` return work whose ``get_future`` is one). A callback
added with :meth:`Future.then` runs on the thread that first waits for the chained future, not
on the communication thread: hooks may then touch tensors without locks.

Example::

    >>> fut = disttrain.futures.Future()
    >>> fut.set_result(3)
    >>> fut.wait()
    3
"""
import threading

__all__ = ["Future"]

_UNSET = object()


class Future:
    """A value that becomes available later.

    Example::

        >>> fut = dist.all_reduce(t, async_op=True).get_future()
        >>> doubled = fut.then(lambda f: f.value()[0] * 2)
        >>> doubled.wait()
    """

    def __init__(self, devices=None):
        self._value = _UNSET
        self._exc = None
        self._source = None       # (parent future or work, callback) computing the value
        self._lock = threading.Lock()
        self._done_callbacks = []

    @classmethod
    def _chained(cls, source, fn):
        fut = cls()
        fut._source = (source, fn)
        return fut

    def done(self):
        """Whether the value (or an error) is available without waiting."""
        if self._value is not _UNSET or self._exc is not None:
            return True
        return self._source is not None and self._source[0].done()

    def _resolve(self):
        with self._lock:
            if self._value is not _UNSET or self._exc is not None or self._source is None:
                return
            source, fn = self._source
            try:
                self._value = fn(source)
            except Exception as exc:   # kept and re-raised by every wait()
                self._exc = exc
            self._source = None
        self._fire()

    def wait(self):
        """Block until the value is available and return it (re-raises its error)."""
        self._resolve()
        if self._exc is not None:
            raise self._exc
        if self._value is _UNSET:
            raise RuntimeError("Future.wait: the future has no value and nothing will set one")
        return self._value

    def value(self):
        """The value (waits if needed)."""
        return self.wait()

    def then(self, callback):
        """A future of ``callback(self)``, computed when it is first waited for."""
        return Future._chained(self, lambda src: callback(src))

    def add_done_callback(self, callback):
        """Run ``callback(self)`` once the value is available."""
        if self._value is not _UNSET or self._exc is not None:
            callback(self)
        else:
            self._done_callbacks.append(callback)

    def set_result(self, result):
        """Make ``result`` the value."""
        if self._value is not _UNSET or self._exc is not None:
            raise RuntimeError("Future can only be marked completed once.")
        self._value = result
        self._fire()

    def set_exception(self, exc):
        """Make ``exc`` the error every ``wait`` raises."""
        self._exc = exc
        self._fire()

    def _fire(self):
        callbacks, self._done_callbacks = self._done_callbacks, []
        for cb in callbacks:
            cb(self)
