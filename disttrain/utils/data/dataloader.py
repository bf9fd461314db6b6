"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

With ``num_workers > 0`` each worker is a daemonic process holding a copy of the dataset. The
main process hands out batch indices round-robin, keeping ``prefetch_factor`` batches in
flight per worker, and yields the answers in sampler order. Workers pickle their batches
themselves and put tensors of 64 KiB or more in shared memory (``/dev/shm``), which the main
process maps without copying. A worker's exception is re-raised in the main process with
the worker's traceback; a worker that dies (killed, crashed) turns into a ``RuntimeError``
naming it within about a second instead of a hang.

Resuming mid-epoch: ``loader.state_dict()`` records how many batches the current epoch has
yielded and ``loader.load_state_dict(state)`` makes the next ``iter(loader)`` (one time) start
after that many batches. For map-style datasets the skipped batches cost only sampler steps
(no data is fetched); an iterable-style dataset has to be read through the skipped part.
Restore the sampler's randomness first (``DistributedSampler.set_epoch``, or the generator's
state) so that the skipped batches are the ones already seen.
"""
import itertools
import multiprocessing
import os
import queue
import signal
import time

from . import _shm
from ._fetch import make_fetcher
from ._worker import ExceptionWrapper, _IterationEnd, _RESUMED, _Resume, worker_loop
# PyTorch programs also import these three from ``torch.utils.data.dataloader``.
from ._worker import get_worker_info  # noqa: F401
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _draw_seed

__all__ = ["DataLoader"]

_POLL = 0.5            # seconds between worker liveness checks while waiting for a batch
_JOIN_TIMEOUT = 5.0    # seconds a worker gets to exit before it is terminated


class _InfiniteConstantSampler(Sampler):
    """The sampler of an iterable-style dataset: the dataset itself decides what comes next."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Combines a dataset and a sampler, and iterates over batches of the dataset.

    Args:
        dataset (Dataset): map-style or iterable-style dataset.
        batch_size (int, optional): samples per batch; ``None`` turns batching off.
            Default: ``1``.
        shuffle (bool, optional): reshuffle the data at every epoch. Default: ``False``.
        sampler (Sampler or iterable, optional): the order of the indices; exclusive with
            ``shuffle``.
        batch_sampler (Sampler or iterable, optional): yields whole lists of indices;
            exclusive with ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers (int): worker processes loading batches; ``0`` loads in the main process.
            Default: ``0``.
        collate_fn (Callable, optional): merges a list of samples into a batch.
            Default: ``default_collate`` (``default_convert`` when batching is off).
        pin_memory (bool): accepted for compatibility; host batches are not pinned.
        drop_last (bool): drop the last incomplete batch. Default: ``False``.
        timeout (float): seconds to wait for a batch from the workers before raising;
            ``0`` waits forever (dead workers are still detected). Default: ``0``.
        worker_init_fn (Callable, optional): called as ``worker_init_fn(worker_id)`` in each
            worker after seeding, before loading.
        multiprocessing_context (str or context, optional): start method (``'fork'``,
            ``'spawn'``, ``'forkserver'``) or a ``multiprocessing`` context.
        generator (Generator, optional): draws the shuffle order and the workers' base seed.
        prefetch_factor (int, optional): batches loaded in advance by each worker.
            Default: ``2`` with workers.
        persistent_workers (bool): keep the workers alive between epochs. Default: ``False``.
        in_order (bool): accepted for compatibility; batches always come in sampler order.

    Each worker seeds Python's ``random``, numpy's global generator and disttrain's default
    generator from ``base_seed + worker_id``, where ``base_seed`` is drawn from ``generator``
    (or the global generator) once per worker start.

    Example::

        >>> ds = TensorDataset(disttrain.arange(10.0), disttrain.arange(10))
        >>> for x, y in DataLoader(ds, batch_size=4, shuffle=True):
        ...     pass
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.in_order = in_order
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self._is_iterable = isinstance(dataset, IterableDataset)
        shuffle = self._check_sampling(shuffle, sampler, batch_sampler, batch_size, drop_last)
        if batch_sampler is not None:
            batch_size, drop_last = None, False
        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.multiprocessing_context = multiprocessing_context
        self._iterator = None
        self._progress = [0]          # batches yielded by the latest iterator (state_dict)
        self._resume_batches = 0      # batches the next iterator skips (load_state_dict)
        self.__initialized = True

    def _check_sampling(self, shuffle, sampler, batch_sampler, batch_size, drop_last):
        """PyTorch's checks on how the order and the batches are chosen; returns ``shuffle``."""
        if self._is_iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value is not None and value is not False:
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        return shuffle

    # ------------------------------------------------------------------ attributes
    @property
    def multiprocessing_context(self):
        return self.__mp_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, ctx):
        if ctx is not None:
            if self.num_workers <= 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(ctx, str):
                methods = multiprocessing.get_all_start_methods()
                if ctx not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={ctx!r}")
                ctx = multiprocessing.get_context(ctx)
            if not isinstance(ctx, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context "
                                f"object or a string specifying the start method, but got "
                                f"multiprocessing_context={ctx}")
        self.__mp_context = ctx

    def __setattr__(self, attr, val):
        if self.__dict__.get("_DataLoader__initialized") and attr in (
                "batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    # ------------------------------------------------------------------ iteration
    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or self._iterator._shutdown:   # first, or after a failure
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def __len__(self):
        if self._is_iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return -(-length // self.batch_size)
            return length
        return len(self._index_sampler)

    # ------------------------------------------------------------------ resume
    def state_dict(self):
        """Where the current epoch stands: ``{'batches_yielded': n}`` for the latest iterator."""
        return {"batches_yielded": self._progress[0]}

    def load_state_dict(self, state_dict):
        """Make the next ``iter(self)`` skip the first ``state_dict['batches_yielded']`` batches
        (once); see the module docstring for what must be restored beside it."""
        n = state_dict["batches_yielded"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"batches_yielded should be a non-negative integer, but got {n!r}")
        self._resume_batches = n

    def _take_resume(self):
        n, self._resume_batches = self._resume_batches, 0
        return n


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers):
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         "disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set "
                         "prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


class _BaseIter:
    """State shared by both iterators: the sampler position and the resume skip."""

    def __init__(self, loader):
        try:
            self._length = len(loader)
        except Exception as e:      # e.g. an iterable dataset without __len__: raised by len()
            self._length = (type(e), str(e))
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._auto_collation = loader._auto_collation
        self._batch_size = loader.batch_size
        self._drop_last = loader.drop_last
        self._collate_fn = loader.collate_fn
        self._index_sampler = loader._index_sampler
        # Drawn before the sampler's own draw, as PyTorch does, so that a seed gives the same
        # shuffle with and without workers.
        self._base_seed = _draw_seed(loader.generator)

    def _reset(self, loader):
        self._sampler_iter = iter(self._index_sampler)
        self._progress = loader._progress = [0]
        self._skip = loader._take_resume()

    def _skip_sampler(self):
        """Advance the (batch) sampler past the batches a resumed epoch has already seen."""
        for _ in range(self._skip):
            if next(self._sampler_iter, _END) is _END:
                break
        self._progress[0] = self._skip

    def _next_index(self):
        return next(self._sampler_iter)

    def __iter__(self):
        return self

    def __next__(self):
        data = self._next_data()
        self._progress[0] += 1
        return data

    def __len__(self):
        if isinstance(self._length, tuple):
            raise self._length[0](self._length[1])
        return self._length


_END = object()


class _SingleProcessIter(_BaseIter):
    """Loads every batch in the calling process."""

    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = make_fetcher(self._is_iterable, self._dataset, self._auto_collation,
                                     self._collate_fn, self._drop_last)
        self._reset(loader)

    def _reset(self, loader):
        super()._reset(loader)
        if not self._is_iterable:
            self._skip_sampler()
            return
        # An iterable dataset is read through the skipped part, without collating it.
        per_batch = self._batch_size if self._auto_collation else 1
        consumed = sum(1 for _ in itertools.islice(self._fetcher.iterator,
                                                   self._skip * per_batch))
        if consumed < self._skip * per_batch:
            self._fetcher.ended = True
        self._progress[0] = self._skip

    def _next_data(self):
        if self._is_iterable:
            return self._fetcher.fetch(self._batch_size)
        return self._fetcher.fetch(self._next_index())


class _MultiProcessIter(_BaseIter):
    """Loads batches in worker processes and yields them in sampler order."""

    def __init__(self, loader):
        super().__init__(loader)
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._shutdown = False
        self._result_queue = ctx.Queue()
        self._index_queues, self._workers = [], []
        for wid in range(self._num_workers):
            iq = ctx.Queue()
            iq.cancel_join_thread()     # never block our exit on a worker that is gone
            w = ctx.Process(target=worker_loop, daemon=True, args=(
                self._dataset, self._is_iterable, self._auto_collation, self._collate_fn,
                self._drop_last, iq, self._result_queue, self._base_seed + wid,
                loader.worker_init_fn, wid, self._num_workers, os.getpid()))
            w.start()
            self._index_queues.append(iq)
            self._workers.append(w)
        self._reset(loader, first=True)

    def _reset(self, loader, first=False):
        super()._reset(loader)
        self._send_idx = self._rcvd_idx = 0
        self._task_info = {}            # task idx -> (worker,) in flight, (worker, data) done
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first:
            self._resume_workers()
        if not self._is_iterable:
            self._skip_sampler()
        for _ in range(self._prefetch * self._num_workers):
            self._try_put_index()
        if self._is_iterable:
            for _ in range(self._skip):
                if next(self, _END) is _END:
                    break
            self._progress[0] = self._skip

    def _resume_workers(self):
        """New epoch with persistent workers: restart their iterators, drop stale answers."""
        for q in self._index_queues:
            q.put(_Resume())
        waiting = self._num_workers
        while waiting:
            _, idx, data = self._get_result()
            waiting -= idx == _RESUMED
            if isinstance(data, _shm.Pickled):
                data.load()         # frees the shared memory of a batch nobody will take

    def _try_put_index(self):
        if self._is_iterable:
            index = self._batch_size
        else:
            index = next(self._sampler_iter, _END)
            if index is _END:
                return
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._active[wid]:
                break
        else:
            return
        self._index_queues[wid].put((self._send_idx, index))
        self._task_info[self._send_idx] = (wid,)
        self._send_idx += 1

    def _next_data(self):
        while True:
            # Tasks sent to a worker whose iterable dataset has ended will never be answered.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                return self._deliver(info[1])
            wid, idx, data = self._get_result()
            if idx == _RESUMED:
                continue
            if isinstance(data, _shm.Pickled):
                data = data.load()
            if data is _IterationEnd:
                self._active[wid] = False
                self._try_put_index()
            elif idx == self._rcvd_idx:
                return self._deliver(data)
            else:
                self._task_info[idx] = (wid, data)

    def _deliver(self, data):
        del self._task_info[self._rcvd_idx]
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _get_result(self):
        """The next answer from any worker, checking that they are alive while waiting."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _POLL if deadline is None else max(0.0, min(_POLL,
                                                               deadline - time.monotonic()))
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                pass
            self._check_workers()
            if deadline is not None and time.monotonic() >= deadline:
                self._shutdown_workers(wait=False)    # a stuck worker would not exit soon
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _check_workers(self):
        for wid, w in enumerate(self._workers):
            code = w.exitcode
            if code is None:
                continue
            if code < 0:
                try:
                    how = f"was killed by signal {signal.Signals(-code).name}"
                except ValueError:
                    how = f"was killed by signal {-code}"
            else:
                how = f"exited with code {code}"
            self._shutdown_workers()
            raise RuntimeError(f"DataLoader worker (pid(s) {w.pid}) exited unexpectedly: "
                               f"worker {wid} {how}")

    def _shutdown_workers(self, wait=True):
        """Ask the workers to exit (``wait``: give them a few seconds), then terminate them."""
        if self._shutdown:
            return
        self._shutdown = True
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + (_JOIN_TIMEOUT if wait else 0.0)
        for w in self._workers:
            w.join(timeout=max(0.0, deadline - time.monotonic()))
        for w in self._workers:
            if w.is_alive():
                w.terminate()
                w.join(timeout=_JOIN_TIMEOUT)
            _shm.cleanup(w.pid)     # batches sent but never read
        for q in self._index_queues + [self._result_queue]:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        if not getattr(self, "_shutdown", True):
            try:
                self._shutdown_workers()
            except Exception:       # interpreter teardown: daemonic workers die with us anyway
                pass
