"""WorkHandle: what an ``async_op=True`` collective returns (PyTorch's ``Work``); its
``get_future`` gives a :class:`disttrain.futures.Future` of the output tensors."""
from ..futures import Future

__all__ = ["Future", "WorkHandle"]


class WorkHandle:
    """What an ``async_op=True`` collective returns: PyTorch's ``Work``.

    Args:
        work: the :class:`disttrain.comm.Work` running the operation.
        outputs (list of Tensor): the tensors it writes, the value of :meth:`get_future`.
    """

    def __init__(self, work, outputs):
        self._work = work
        self._outputs = outputs

    def wait(self, timeout=None):
        """Block until the operation completes; returns True (re-raises its error)."""
        return self._work.wait(timeout)

    def is_completed(self):
        return self._work.is_completed()

    def is_success(self):
        return self._work.is_success()

    def exception(self):
        return self._work.exception()

    def result(self):
        """The output tensors, once complete."""
        self._work.wait()
        return self._outputs

    def done(self):
        return self._work.is_completed()

    def get_future(self):
        """A :class:`Future` whose value is the list of output tensors."""
        return Future._chained(self, lambda w: w.result())

    def __repr__(self):
        return f"Work({self._work!r})"
