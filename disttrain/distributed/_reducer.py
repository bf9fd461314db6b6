"""The reducer: turns gradients into bucket all-reduces that overlap backward.

Per iteration (a forward with gradient sync, then its backward):

1. ``prepare`` (after forward) resets the readiness counts. With
   ``find_unused_parameters`` it walks the autograd graph from the outputs: parameters the
   graph does not reach are ready at once, contributing zeros.
2. Each parameter's post-accumulate-grad hook copies its gradient into its bucket (or
   finds it already there: ``param.grad`` is a view of the bucket) and marks it ready.
   A bucket whose gradients are all ready is all-reduced asynchronously on the process
   group's communication thread, while backward goes on. Buckets start in index order
   on every rank, so all ranks issue the same collectives in the same order.
3. At the end of backward (an engine callback) every bucket still waiting is started
   with what it holds and all are awaited. The last bucket carries one extra slot: the
   number of gradients this rank never received. The bucket is averaged, so the slot
   comes back as the mean count over ranks: zero on a correct iteration, above zero when
   any rank missed one; every rank learns it from that same all-reduce and raises, so no
   rank waits for a gradient that will never come and none hangs. (With a communication
   hook, which owns the buffers, the count travels in its own SUM all-reduce.)
"""
import time

import numpy as np

from ..comm import ReduceOp
from ..core import engine as _engine
from ..core.autograd import AccumulateGrad
from ..core.device import array_module
from ..core.tensor import Tensor
from ..core.sharedmem import is_shared_array
from ..optim._homes import FlatBuffer, set_grad_home, set_param_home
from ._buckets import Bucket, GradBucket, assign_buckets, grad_buffers, FIRST_BUCKET_BYTES

__all__ = ["Reducer"]

_UNUSED_HELP = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `disttrain.nn.parallel.DistributedDataParallel`, and "
    "by \nmaking sure all `forward` function outputs participate in calculating loss. \n"
    "If you already have done the above, then the distributed data parallel module wasn't "
    "able to locate the output tensors in the return value of your module's `forward` "
    "function. Please include the loss function and the structure of the return value of "
    "`forward` of your module when reporting this issue (e.g. list, dict, iterable).")
_UNUSED_HELP_FIND = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. Since `find_unused_parameters=True` is enabled, this likely  means that not all "
    "`forward` outputs participate in computing loss. You can fix this by making sure all "
    "`forward` function outputs participate in calculating loss. \nIf you already have done "
    "the above, then the distributed data parallel module wasn't able to locate the output "
    "tensors in the return value of your module's `forward` function. Please include the "
    "loss function and the structure of the return value of `forward` of your module when "
    "reporting this issue (e.g. list, dict, iterable).")
_TWICE = (
    "Expected to mark a variable ready only once. This error is caused by one of the "
    "following reasons: 1) Use of a module parameter outside the `forward` function. Please "
    "make sure model parameters are not shared across multiple concurrent forward-backward "
    "passes. 2) Reused parameters in multiple reentrant backward passes, or a second "
    "backward through the same forward. Parameter {name} (index {i}) has been marked as "
    "ready twice. This means that multiple autograd engine hooks have fired for this "
    "particular parameter during this iteration.")


_ALONE = object()     # a bucket's "all-reduce" in a group of one


class Reducer:
    """Gradient buckets of one DistributedDataParallel module and their all-reduces.

    Args:
        params (list of Parameter): the parameters that require grad, in module order.
        names (list of str): their names, for error messages.
        group (ProcessGroup): the group to average over.
        bucket_cap_bytes (int): size limit of a bucket.
        find_unused (bool): look for parameters the forward did not use.
        as_view (bool): make ``param.grad`` a view of its bucket.
    """

    def __init__(self, params, names, group, bucket_cap_bytes, find_unused=False,
                 as_view=True, first_bucket_bytes=FIRST_BUCKET_BYTES):
        self.params, self.names, self.group = params, names, group
        self.find_unused, self.as_view = find_unused, as_view
        plan = assign_buckets(params, bucket_cap_bytes, first_bucket_bytes)
        where = grad_buffers(params, plan)
        self.buckets = [Bucket(k, [params[i] for i in idx], idx, extra=int(k == len(plan) - 1),
                               buffer=where[k][0], first=where[k][1])
                        for k, idx in enumerate(plan)]
        if as_view:
            # The optimizer adopts these buffers as its gradient memory (one buffer, no copy
            # between backward and step).
            for b in self.buckets:
                for pos, p in enumerate(b.params):
                    set_grad_home(p, b.buffer, b.first + pos)
        _lay_out_params(self.buckets)
        n = len(params)
        self.where = [None] * n        # param index -> (bucket, position in it)
        for b in self.buckets:
            for pos, i in enumerate(b.indices):
                self.where[i] = (b, pos)
        self.ready = np.zeros(n, bool)
        self.comm_hook, self.hook_state = None, None
        self.armed = False             # the coming backward must sync gradients
        self.queued = False            # the end-of-backward callback is queued
        self.next = 0                  # next bucket to start
        self.used_work = self.used_map = self.had_grad = None
        # overlap=False starts every all-reduce only after backward (for comparisons).
        self.overlap = True
        self.stats = {"wait_s": 0.0, "iterations": 0}
        for i, p in enumerate(params):
            p.register_post_accumulate_grad_hook(self._hook(i))

    def bucket_sizes(self):
        """Bytes of each bucket's gradients, in launch order."""
        return [int(b.size * b.flat.itemsize) for b in self.buckets]

    # ------------------------------------------------------------------ iteration
    def prepare(self, outputs):
        """Arm the reducer for the backward of ``outputs`` (called after forward)."""
        if self.queued or any(b.work is not None for b in self.buckets):
            self._reset()
            raise RuntimeError(_UNUSED_HELP + "\nThe previous backward pass did not finish "
                               "(it raised before all gradients were reduced).")
        self.ready[:] = False
        for b in self.buckets:
            b.pending = len(b.params)
        self.next = 0
        self.armed = True
        if self.find_unused:
            self._mark_unused(outputs)

    def _mark_unused(self, outputs):
        reached = _reachable_leaves(outputs)
        used = np.array([id(p) in reached for p in self.params], np.int32)
        self.had_grad = [p._grad is not None for p in self.params]
        # The global used map tells which parameters no rank used: their .grad stays as it
        # was, as in PyTorch. Issued now, it travels while backward runs.
        self.used_map = used.copy()
        self.used_work = self.group.all_reduce(self.used_map, ReduceOp.MAX)
        for i in np.flatnonzero(used == 0):
            self._take(i, arrived=False)
            self._mark(i)

    def _hook(self, i):
        def on_grad(param):
            if not self.armed:
                return
            if not self.queued:
                _engine.queue_callback(self._finish)
                self.queued = True
            if self.ready[i]:
                raise RuntimeError(_TWICE.format(name=self.names[i], i=i))
            self._take(i, arrived=True)
            self._mark(i)
        return on_grad

    def _take(self, i, arrived):
        """Put parameter ``i``'s gradient into its bucket slot (zeros if none arrived)."""
        b, pos = self.where[i]
        view = b.views[pos]
        if not arrived:
            view._data[...] = 0
            return
        p = self.params[i]
        g = p._grad
        if g is view:
            return
        view._data[...] = g._data
        if self.as_view and not g._requires_grad:
            p._grad = view

    def _mark(self, i):
        self.ready[i] = True
        b = self.where[i][0]
        b.pending -= 1
        if b.pending == 0 and self.overlap:
            self._start_ready()

    def _start_ready(self, missing=0):
        while self.next < len(self.buckets) and self.buckets[self.next].pending <= 0:
            self._start(self.buckets[self.next], missing)
            self.next += 1

    def _start(self, b, missing):
        is_last = b.index == len(self.buckets) - 1
        if is_last:
            b.flat[b.size] = missing
        if self.comm_hook is not None:
            b.work = self.comm_hook(self.hook_state, GradBucket(b, is_last))
        elif self.group.size == 1:
            b.work = _ALONE         # the average over one rank is the gradient itself
        else:
            b.work = self.group.all_reduce(b.wire_array(), ReduceOp.AVG)

    def _finish(self):
        """End of backward: start what is left, wait for every bucket, check completeness."""
        self.queued = False
        if not self.armed:
            return
        self.armed = False
        t0 = time.perf_counter()
        missing = np.flatnonzero(~self.ready)
        for i in missing:
            self._take(i, arrived=False)
        for b in self.buckets[self.next:]:
            b.pending = 0
        self._start_ready(len(missing))
        flag = None
        if self.comm_hook is not None:   # the hook owns the buffers: count separately
            flag = np.array([len(missing)], np.float32)
            flag_work = self.group.all_reduce(flag, ReduceOp.SUM)
        for b in self.buckets:
            self._land(b)
        # Time backward waited for communication: all of it without overlap, only the
        # part that backward could not hide with it.
        self.stats["wait_s"] += time.perf_counter() - t0
        if flag is not None:
            flag_work.wait()
            absent = float(flag[0])
        else:
            last = self.buckets[-1]
            absent = float(last.flat[last.size])
        if absent > 0:
            self._raise_missing(missing)
        if self.find_unused:
            self._restore_unused()
        if not self.as_view:
            self._copy_out()
        self.stats["iterations"] += 1

    def _land(self, b):
        work, b.work = b.work, None
        if work is _ALONE:
            return
        if self.comm_hook is None:
            work.wait()
            b.landed()
            return
        result = work.wait()
        if isinstance(result, (list, tuple)):
            result = result[0]
        arr = result._data if isinstance(result, Tensor) else result
        if arr is not b.grads and arr is not None:
            b.grads[...] = arr.reshape(-1)

    def _raise_missing(self, missing):
        # Every rank is here (the count came from one all-reduce); tell each which
        # parameters went without a gradient where.
        per_rank = self.group.all_gather_obj([int(i) for i in missing]).result()
        lines = []
        for r, idx in enumerate(per_rank):
            if idx:
                lines.append(f"Parameters which did not receive grad for rank {r}: "
                             f"{', '.join(self.names[i] for i in idx)}")
                lines.append(f"Parameter indices which did not receive grad for rank {r}: "
                             f"{' '.join(str(i) for i in idx)}")
        help_text = _UNUSED_HELP_FIND if self.find_unused else _UNUSED_HELP
        self._reset()
        raise RuntimeError(help_text + "\n" + "\n".join(lines))

    def _restore_unused(self):
        work, self.used_work = self.used_work, None
        if work is None:
            return
        work.wait()
        for i in np.flatnonzero(self.used_map == 0):
            if not self.had_grad[i]:
                self.params[i]._grad = None    # no rank used it: no gradient, as in PyTorch
        for i in np.flatnonzero(self.used_map != 0):
            p = self.params[i]
            if p._grad is None:                # unused here, used elsewhere: theirs
                b, pos = self.where[i]
                view = b.views[pos]
                p._grad = view if self.as_view else Tensor._make(view._data.copy())

    def _copy_out(self):
        for i, p in enumerate(self.params):
            b, pos = self.where[i]
            g = p._grad
            if g is not None and g is not b.views[pos]:
                g._data[...] = b.views[pos]._data

    def _reset(self):
        for b in self.buckets:
            if b.work is not None:
                try:
                    b.work.wait()
                except Exception:   # the iteration is abandoned anyway
                    pass
                b.work = None
        self.armed = self.queued = False


def _lay_out_params(buckets):
    """Move the parameters into one flat buffer per gradient buffer, in its order, so that
    the optimizer adopts their memory as it is (no layout copy at its first step, and no
    second copy of the model while the old arrays are freed). Parameters in memory shared
    with other processes stay there."""
    seen = {}
    for b in buckets:
        seen.setdefault(id(b.buffer), (b.buffer, []))[1].extend(
            (b.first + pos, p) for pos, p in enumerate(b.params))
    for gbuf, entries in seen.values():
        entries.sort(key=lambda e: e[0])
        if any(is_shared_array(p._data) for _, p in entries):
            continue
        buf = FlatBuffer(array_module(gbuf.array), gbuf.array.dtype, gbuf.shapes, fill=False)
        for i, p in entries:
            v = buf.views[i]
            v[...] = p._data
            p._data = v
            set_param_home(p, buf, i)


def _reachable_leaves(outputs):
    """ids of the leaf tensors the autograd graph of ``outputs`` reaches."""
    stack, seen, leaves = [], set(), set()
    for t in _tensors(outputs):
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t._requires_grad:
            leaves.add(id(t))
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            leaves.add(id(node.variable))
            continue
        for e in node._edges:
            if e is not None and id(e[0]) not in seen:
                stack.append(e[0])
    return leaves


def _tensors(obj):
    """Every Tensor inside ``obj`` (nested lists, tuples, dicts, dataclass-like objects)."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _tensors(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _tensors(x)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        for x in vars(obj).values():
            yield from _tensors(x)
