"""The built-in DDP communication hooks: plain all-reduce and float16 compression.

A hook is ``hook(state, bucket) -> Future`` whose value is the averaged bucket; for these
hooks ``state`` is the process group (None: the default group), as in PyTorch::

    ddp.register_comm_hook(None, default_hooks.fp16_compress_hook)
"""
from ....comm import ReduceOp
from ....core.tensor import Tensor
from ..._groups import _group
from ....futures import Future

__all__ = ["allreduce_hook", "fp16_compress_hook"]


def _reduce(group, arr, op):
    """Start an all-reduce of ``arr`` on ``group``; a Future of the array."""
    work = group.all_reduce(arr, op)
    return Future._chained(work, lambda w: w.result())


def allreduce_hook(process_group, bucket):
    """Average the bucket over the group: what DDP does without a hook."""
    group = _group(process_group)
    buf = bucket.buffer()
    return _reduce(group, buf._data, ReduceOp.AVG).then(lambda f: Tensor._make(f.value()))


def fp16_compress_hook(process_group, bucket):
    """Send the bucket as float16 (half the bytes), averaged, then cast back.

    The bucket is divided by the world size before the cast, so the float16 sum cannot
    overflow where the average would not.
    """
    group = _group(process_group)
    buf = bucket.buffer()._data
    compressed = (buf / group.size).astype("float16")

    def decompress(fut):
        out = bucket.buffer()
        out._data[...] = fut.value()
        return out
    return _reduce(group, compressed, ReduceOp.SUM).then(decompress)
