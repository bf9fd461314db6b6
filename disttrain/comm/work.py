"""Asynchronous operations: the :class:`Work` handle and the communication thread.

One communication thread per world runs every operation of every group of that world,
one at a time, in issue order; between operations it sends heartbeats and judges the
peers' liveness, so that never depends on the caller being inside a collective.
"""
import atexit
import logging
import os
import select
import threading
import time
import weakref
from collections import deque

from .transport import CommError, _drain_fd

__all__ = ["Work", "Engine", "Pending"]

log = logging.getLogger("disttrain.comm")


class Work:
    """Handle of an operation issued to a :class:`~disttrain.comm.ProcessGroup`.

    Operations of one rank complete in the order they were issued.

    Example::

        >>> work = group.all_reduce(grad)      # returns at once
        >>> ...                               # overlap: compute while it runs
        >>> work.wait()                       # grad now holds the sum
        True
    """

    def __init__(self, name, tag, result=None):
        self.name, self.tag = name, tag
        self._result = result
        self._exc = None
        self._event = threading.Event()

    def _finish(self, exc=None, result=None):
        self._exc = exc
        if result is not None:
            self._result = result
        self._event.set()

    def is_completed(self):
        """Whether the operation has finished, successfully or not."""
        return self._event.is_set()

    def is_success(self):
        """Whether the operation finished without error."""
        return self._event.is_set() and self._exc is None

    def exception(self):
        """The error the operation failed with, or None."""
        return self._exc

    def wait(self, timeout=None):
        """Block until the operation completes; re-raise its error.

        Args:
            timeout (float or datetime.timedelta, optional): seconds to wait at most.
                The operation itself always ends by the group's own timeout.

        Returns:
            True

        Raises:
            TimeoutError: if it did not complete within ``timeout`` (it keeps running).
            CommError: the operation's own failure (a dead peer, a mismatch...).
        """
        if timeout is not None and hasattr(timeout, "total_seconds"):
            timeout = timeout.total_seconds()
        if not self._event.wait(timeout):
            raise TimeoutError(f"{self.name} (tag {self.tag}) did not complete within "
                               f"{timeout} s; it is still running")
        if self._exc is not None:
            raise self._exc
        return True

    def result(self):
        """Wait, then return the operation's output (the array, list or object)."""
        self.wait()
        return self._result

    def __repr__(self):
        state = "pending" if not self.is_completed() else (
            "ok" if self._exc is None else f"failed: {self._exc}")
        return f"Work({self.name}, tag={self.tag}, {state})"


class Pending:
    """Returned by an operation that finishes when a message arrives (a posted receive).

    Args:
        key (tuple): the stash key of the awaited message.
        deadline (float): ``time.monotonic()`` by which it must have come.
        complete (callable): ``complete(message)`` -> the operation's result.
    """

    def __init__(self, key, deadline, complete):
        self.key, self.deadline, self.complete = key, deadline, complete
        self.work = None


class Engine:
    """The communication thread of one world and its queue of operations.

    Whoever holds ``_io`` may touch the sockets: the thread while it runs queued work or
    keeps liveness, or a caller running a synchronous operation itself when nothing is
    queued (that saves two thread hand-offs, most of a small message's latency).

    Args:
        transport (Transport): the world's sockets.
    """

    def __init__(self, transport):
        self.t = transport
        self._queue = deque()
        self._io = threading.Lock()
        self._state = threading.Lock()   # guards _pending, the count of queued/running work
        self._pending = 0
        self._recvs = []                 # posted receives (Pending) not yet matched
        self._closing = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        transport.set_wake(self._wake_r)
        self._pid = os.getpid()
        self.thread = threading.Thread(target=self._loop, daemon=True,
                                       name=f"disttrain-comm-{transport.rank}")
        self.thread.start()
        _ENGINES.add(self)

    def submit(self, work, fn, inline=False):
        """Run ``fn`` for ``work``: queued for the thread, or now if ``inline`` and idle."""
        if self._closing:
            raise RuntimeError(f"{work.name}: the process group has been destroyed")
        if inline:
            with self._state:   # only when nothing earlier is pending: issue order holds
                mine = self._pending == 0 and self._io.acquire(blocking=False)
            if mine:
                try:
                    self._run(work, fn)
                    if self._recvs:
                        self._match_recvs()
                finally:
                    self._io.release()
                return
        with self._state:
            self._pending += 1
        self._queue.append((work, fn))
        self._wake()

    def _wake(self):
        try:
            os.write(self._wake_w, b"\0")
        except BlockingIOError:
            pass   # the pipe is full: a wake-up is pending anyway

    def _loop(self):
        while True:
            try:
                work, fn = self._queue.popleft()
            except IndexError:
                if self._closing:
                    break
                self._idle()
                continue
            with self._io:
                self._run(work, fn)
                if self._recvs:
                    self._match_recvs()
            with self._state:
                self._pending -= 1
        with self._io:
            for p in self._recvs:   # nobody will ever match them now: do not leave waiters
                p.work._finish(CommError(f"{p.work.name} (tag {p.work.tag}): the process "
                                         f"group was destroyed before the message came"))
            self._recvs = []
            self.t.close()

    def _idle(self):
        if self._recvs:   # a receive is posted: watch the sockets for its message
            with self._io:
                self.t.pump(self.t.hb_interval)
                self._match_recvs()
            return
        # Otherwise sleep on the wake pipe only; peers' messages wait in ZeroMQ's queue.
        # Every heartbeat interval, take the sockets to send heartbeats and judge liveness.
        ready, _, _ = select.select([self._wake_r], [], [], self.t.hb_interval)
        if ready:
            _drain_fd(self._wake_r)
            return
        with self._io:
            self.t.pump(0)

    def _match_recvs(self):
        """Finish posted receives whose message has arrived (or that can never succeed)."""
        still = []
        for p in self._recvs:
            msg = self.t.stash.pop(p.key, None)
            self.t.op = (p.work.name, p.work.tag)
            try:
                if msg is not None:
                    p.work._finish(result=p.complete(msg))
                else:
                    self.t.check_waiting(*p.key[:4], p.deadline)   # raises if it never can
                    still.append(p)
            except CommError as exc:
                p.work._finish(exc)
            finally:
                self.t.op = None
        self._recvs = still

    def _run(self, work, fn):
        self.t.op = (work.name, work.tag)
        try:
            if self.t.failure is not None:
                raise self.t.error()
            result = fn()
            if isinstance(result, Pending):   # finishes later, when its message arrives
                result.work = work
                self._recvs.append(result)
                return
        except CommError as exc:
            work._finish(exc)
        except Exception as exc:  # a bug or bad data: peers must not wait for us forever
            log.exception("rank %d: %s (tag %d) failed", self.t.rank, work.name, work.tag)
            work._finish(self.t.fail_local(f"{type(exc).__name__}: {exc}"))
        except BaseException:     # Ctrl-C mid-collective: the peers' state is now unknown
            work._finish(self.t.fail_local("interrupted"))
            raise
        else:
            work._finish(result=result)
        finally:
            self.t.op = None

    def close(self, timeout=10.0):
        """Finish queued operations (up to ``timeout`` s), say goodbye, close the sockets."""
        if self._closing:
            return
        self._closing = True
        self._wake()
        self.thread.join(timeout)
        if self.thread.is_alive():
            log.warning("rank %d: communication thread still busy after %.0f s at shutdown",
                        self.t.rank, timeout)
            return
        os.close(self._wake_r)
        os.close(self._wake_w)
        _ENGINES.discard(self)


_ENGINES = weakref.WeakSet()


@atexit.register
def _close_all():
    # A script that never destroys its group still says goodbye, so peers that finish
    # later see a clean exit rather than a crash.
    deadline = time.monotonic() + 5.0
    for engine in list(_ENGINES):
        if engine._pid == os.getpid():
            engine.close(timeout=max(0.1, deadline - time.monotonic()))
