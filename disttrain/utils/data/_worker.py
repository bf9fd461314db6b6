"""What runs inside a loader worker process, and what the main process needs to read its
answers: ``WorkerInfo``/``get_worker_info``, the exception carrier and the worker loop.

Protocol (all through ``multiprocessing`` queues between our own processes):
main -> worker ``index_queue``: ``(task_idx, index)`` to fetch one batch, ``_Resume()`` to
restart an iterable dataset for a new epoch (persistent workers), ``None`` to exit.
worker -> main ``result_queue``: ``(worker_id, task_idx, Pickled batch | ExceptionWrapper |
_IterationEnd)`` or ``(worker_id, _RESUMED, None)``; a batch's large tensors travel through
shared memory (see ``_shm``).
"""
import os
import pickle
import queue
import random
import sys
import traceback

import numpy as np

from . import _shm

__all__ = ["WorkerInfo", "get_worker_info"]

# How often a waiting worker checks that the main process is still alive.
_PARENT_CHECK_INTERVAL = 1.0
_RESUMED = -1

_worker_info = None


class WorkerInfo:
    """What a worker knows about itself: ``id``, ``num_workers``, ``seed`` and ``dataset``
    (this worker's copy)."""

    _frozen = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self._frozen = True

    def __setattr__(self, key, val):
        if self._frozen:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(key, val)

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info():
    """In a loader worker, its ``WorkerInfo``; in the main process, ``None``.

    An ``IterableDataset`` uses it to give each worker a different share of the stream.

    Example::

        >>> info = get_worker_info()
        >>> start = 0 if info is None else info.id      # then step by info.num_workers
    """
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback."""

    def __init__(self, exc_info, where):
        exc_type = exc_info[0]
        try:
            pickle.dumps(exc_type)
        except Exception:        # a class the main process could not import
            exc_type = RuntimeError
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)     # KeyError would show the repr, escaping newlines
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        try:
            raise exc
        finally:
            del exc     # no exception -> traceback -> this frame -> exception cycle


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


class _IterationEnd:
    """A worker's iterable dataset is exhausted."""


class _Resume:
    """Start the iterable dataset over (a new epoch with persistent workers)."""


def _seed_worker(seed, worker_id):
    """Seed every stream a dataset might use: Python's, numpy's global one, and ours."""
    from ...core.random import manual_seed
    random.seed(seed)
    manual_seed(seed)
    words = np.random.SeedSequence([worker_id, seed & 0xFFFF_FFFF, seed >> 32])
    np.random.seed(words.generate_state(4))


def _parent_alive(parent_pid):
    return os.getppid() == parent_pid


def worker_loop(dataset, is_iterable, auto_collation, collate_fn, drop_last, index_queue,
                result_queue, seed, init_fn, worker_id, num_workers, parent_pid):
    """The body of a worker process: fetch what the main process asks for, until told to stop
    or the main process disappears."""
    global _worker_info
    from ._fetch import make_fetcher
    share = _shm.available()
    try:
        _seed_worker(seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        fetcher = init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(sys.exc_info(),
                                          f"in DataLoader worker process {worker_id}")
        ended = False
        while True:
            try:
                task = index_queue.get(timeout=_PARENT_CHECK_INTERVAL)
            except queue.Empty:
                if not _parent_alive(parent_pid):
                    return
                continue
            if task is None:
                # Shutting down: unread answers are no longer wanted, so don't wait on them.
                result_queue.cancel_join_thread()
                return
            if isinstance(task, _Resume):
                if init_error is None:
                    fetcher = make_fetcher(is_iterable, dataset, auto_collation, collate_fn,
                                           drop_last)
                ended = False
                result_queue.put((worker_id, _RESUMED, None))
                continue
            if ended:           # the main process skips tasks of an exhausted worker
                continue
            idx, index = task
            if init_error is not None:
                data, init_error = init_error, None
            else:
                data = _fetch_one(fetcher, index, worker_id)
                ended = data is _IterationEnd
                if not ended and not isinstance(data, ExceptionWrapper):
                    data = _pickle_batch(data, worker_id, parent_pid, share)
            result_queue.put((worker_id, idx, data))
            del data
    except KeyboardInterrupt:
        pass        # the main process gets the same signal and reports it


def _pickle_batch(data, worker_id, parent_pid, share):
    """Pickle here rather than in the queue's feeder thread, so that an unpicklable batch
    becomes an error the main process sees (instead of a lost message) and large tensors can
    go through shared memory."""
    try:
        return _shm.dumps(data, parent_pid, share)
    except Exception:
        return ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")


def _fetch_one(fetcher, index, worker_id):
    try:
        return fetcher.fetch(index)
    except StopIteration:
        return _IterationEnd
    except Exception:
        return ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")
