"""Gradient buckets: flat buffers that gradients live in and all-reduces carry.

Parameters are assigned to buckets in reverse registration order (the order backward
produces their gradients), one series per (dtype, device): the first bucket is small
(1 MiB, so communication starts early), the others hold up to ``bucket_cap_mb``. The buckets
of a series are consecutive slices of one gradient buffer (a ``FlatBuffer``); a parameter's
gradient is a view of it, so reducing a bucket reduces the gradients with no copy, and the
optimizer steps on the same buffer (see ``optim/_homes.py``). On a GPU every bucket has a
reusable pinned host twin that the gradients cross ZeroMQ through.
"""
import numpy as np

from ..core.device import array_module, device_of, is_cuda_array
from ..core.tensor import Tensor
from ..optim._homes import FlatBuffer

__all__ = ["Bucket", "GradBucket", "assign_buckets", "grad_buffers", "FIRST_BUCKET_BYTES"]

FIRST_BUCKET_BYTES = 1024 * 1024   # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES


def assign_buckets(params, cap_bytes, first_bytes=FIRST_BUCKET_BYTES):
    """Group parameter indices into buckets of at most about ``cap_bytes``.

    Walks ``params`` from last to first; a bucket closes once it reaches its limit (the
    first bucket of each (dtype, device) closes at ``first_bytes``). Returns lists of
    indices, in the order their gradients are expected.
    """
    open_, sizes, limits, done = {}, {}, {}, []
    for i in reversed(range(len(params))):
        d = params[i]._data
        key = (d.dtype.str, str(device_of(d)))
        open_.setdefault(key, []).append(i)
        sizes[key] = sizes.get(key, 0) + d.nbytes
        limit = limits.setdefault(key, min(first_bytes, cap_bytes))
        if sizes[key] >= limit:
            done.append(open_.pop(key))
            sizes[key] = 0
            limits[key] = cap_bytes
    done.extend(b for b in open_.values() if b)
    return done


def grad_buffers(params, plan):
    """One zeroed gradient buffer per (dtype, device) holding the buckets of ``plan`` of that
    kind end to end, in launch order; the last bucket's kind gets its trailing slot.

    Returns ``[(buffer, first region of the bucket)]``, one per bucket of ``plan``.
    """
    kinds = {}
    for k, idx in enumerate(plan):
        d = params[idx[0]]._data
        kinds.setdefault((d.dtype.str, str(device_of(d))), []).append(k)
    where = [None] * len(plan)
    for ks in kinds.values():
        order = [i for k in ks for i in plan[k]]
        first = params[order[0]]._data
        buf = FlatBuffer(array_module(first), first.dtype,
                         [params[i]._data.shape for i in order],
                         extra=int(len(plan) - 1 in ks))
        start = 0
        for k in ks:
            where[k] = (buf, start)
            start += len(plan[k])
    return where


class Bucket:
    """One flat gradient buffer and the parameters whose gradients are views of it.

    Args:
        index (int): position in launch order.
        params (list of Parameter): its parameters, in the order laid out.
        indices (list of int): their indices in the module's parameter list.
        extra (int): trailing slots after the gradients (the last bucket carries the
            count of gradients that never arrived, see the reducer).
        buffer (FlatBuffer, optional): the gradient buffer the bucket is a slice of, from
            region ``first`` on (the last bucket of its buffer when ``extra``); by default a
            buffer of its own.
    """

    def __init__(self, index, params, indices, extra=0, buffer=None, first=0):
        d0 = params[0]._data
        self.xp = array_module(d0)
        self.index, self.params, self.indices = index, list(params), list(indices)
        self.dtype = d0.dtype
        if buffer is None:
            buffer = FlatBuffer(self.xp, self.dtype, [p._data.shape for p in params], extra)
        self.buffer, self.first = buffer, first
        self.numels = [int(p._data.size) for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(self.numels)]).astype(np.int64).tolist()
        self.size = self.offsets[-1]
        lo = buffer.offsets[first]
        self.flat = buffer.array[lo:lo + self.size + extra]
        self.extra = extra
        self.views = [Tensor._make(v) for v in buffer.views[first:first + len(params)]]
        self.host = None
        if is_cuda_array(self.flat):
            self.host = _pinned(self.xp, self.flat.size, self.dtype)
        self.work = None       # the all-reduce in flight (Work), or a hook's Future
        self.pending = len(params)

    @property
    def grads(self):
        """The gradients part of the flat buffer (without trailing slots)."""
        return self.flat[:self.size]

    def wire_array(self):
        """The array the all-reduce works on: the buffer itself, or its pinned host twin."""
        if self.host is None:
            return self.flat
        self.flat.get(out=self.host)      # waits for the kernels that wrote the gradients
        return self.host

    def landed(self):
        """After the all-reduce: bring the host twin's result back to the device."""
        if self.host is not None:
            self.flat.set(self.host)

    def nbytes(self):
        return int(self.flat.nbytes)


def _pinned(xp, n, dtype):
    """A numpy array of ``n`` elements in page-locked memory, reused for every step."""
    mem = xp.cuda.alloc_pinned_memory(max(1, n) * np.dtype(dtype).itemsize)
    return np.frombuffer(mem, dtype, n)


class GradBucket:
    """What a communication hook receives (``torch.distributed.GradBucket``).

    Example::

        >>> def hook(state, bucket):
        ...     buf = bucket.buffer()
        ...     fut = dist.all_reduce(buf, async_op=True).get_future()
        ...     return fut.then(lambda f: f.value()[0] / dist.get_world_size())
    """

    def __init__(self, bucket, is_last):
        self._b = bucket
        self._last = is_last

    def index(self):
        """The bucket's index (0 is the first to be reduced)."""
        return self._b.index

    def buffer(self):
        """The flattened gradients of the bucket, as one 1-D tensor (shares memory)."""
        return Tensor._make(self._b.grads)

    def gradients(self):
        """The gradients, as views of :meth:`buffer` shaped like their parameters."""
        return list(self._b.views)

    def parameters(self):
        """The parameters of the bucket."""
        return list(self._b.params)

    def is_last(self):
        """Whether this is the last bucket of the iteration."""
        return self._last

    def set_buffer(self, tensor):
        """Overwrite the bucket's gradients with ``tensor``'s values."""
        self._b.grads[...] = tensor._data.reshape(-1)

    def __repr__(self):
        return (f"GradBucket(index={self._b.index}, params={len(self._b.params)}, "
                f"numel={self._b.size})")
