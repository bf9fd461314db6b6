"""Tensor memory layouts (``memory_format``), shared memory, and the backend query properties.

``channels_last`` is a real layout here as in PyTorch: the array keeps its NCHW shape with
NHWC strides (numpy ops follow the strides of their inputs, so results keep it too).
"""
from . import _names, sharedmem
from .device import is_cuda_array
from .tensor import Tensor

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d",
           "preserve_format"]


class memory_format:
    """A tensor memory layout: ``contiguous_format``, ``channels_last``, ``channels_last_3d``
    or ``preserve_format``."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return _names.qualified(self.name)

    def __reduce__(self):
        return _format_named, (self.name,)


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
_FORMATS = {f.name: f for f in (contiguous_format, channels_last, channels_last_3d,
                                preserve_format)}
# Dims moved last by each channels-last layout, and the rank it needs.
_LAST = {"channels_last": ((0, 2, 3, 1), (0, 3, 1, 2)),
         "channels_last_3d": ((0, 2, 3, 4, 1), (0, 4, 1, 2, 3))}


def _format_named(name):
    return _FORMATS[name]


def _check_rank(t, fmt):
    perm = _LAST[fmt.name][0]
    if t.dim() != len(perm):
        raise RuntimeError(f"required rank {len(perm)} tensor to use {fmt.name} format")
    return perm


def is_contiguous(self, memory_format=None):
    """Whether the tensor is laid out densely in ``memory_format`` (default: row-major)."""
    if memory_format in (None, contiguous_format, preserve_format):
        return bool(self._data.flags.c_contiguous)
    perm = _LAST[memory_format.name][0]
    return self.dim() == len(perm) and bool(self._data.transpose(perm).flags.c_contiguous)


def contiguous(self, memory_format=contiguous_format):
    """This tensor if it is dense in ``memory_format``, else a copy that is (differentiable).

    Args:
        memory_format (disttrain.memory_format): ``contiguous_format`` (row-major, default),
            ``channels_last`` (4-D, NHWC strides) or ``channels_last_3d`` (5-D, NDHWC).
    """
    if memory_format in (None, contiguous_format, preserve_format):
        if self._data.flags.c_contiguous:
            return self
        from .ops.shape import Contiguous
        return Contiguous.apply(self)
    perm = _check_rank(self, memory_format)
    if is_contiguous(self, memory_format):
        return self
    return contiguous(self.permute(*perm)).permute(*_LAST[memory_format.name][1])


def to_memory_format(t, fmt):
    """``t`` in layout ``fmt`` (``.to(memory_format=...)``); ``preserve_format`` keeps it."""
    if fmt is None or fmt is preserve_format:
        return t
    return contiguous(t, fmt)


# --------------------------------------------------------------------------- shared memory
def share_memory_(self):
    """Move the tensor's data into shared memory; a no-op when it is there already and for
    CUDA tensors. Returns ``self``.

    Tensors in shared memory travel to other processes (``disttrain.multiprocessing`` queues,
    ``spawn`` arguments) as references to the same memory: an in-place write in one process
    is seen by all. Views taken before the move keep the old, private memory.
    """
    if is_cuda_array(self._data) or sharedmem.is_shared_array(self._data):
        return self
    sharedmem.register_reducers(type(self))
    self._data = sharedmem.share_array(self._data)
    return self


def is_shared(self):
    """Whether the tensor's data is in shared memory (always True for CUDA tensors, as in
    PyTorch)."""
    return is_cuda_array(self._data) or sharedmem.is_shared_array(self._data)
