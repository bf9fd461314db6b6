"""Variable-length batches for the recurrent layers: padding and packing of sequences.

A ``PackedSequence`` holds the steps of a batch of sequences, sorted by decreasing length,
time-major: ``data`` is the first step of every sequence, then the second step of those that
have one, and so on; ``batch_sizes[t]`` is how many sequences have a step ``t``. RNN, LSTM and
GRU take one as input and return their output packed the same way.
"""
from collections import namedtuple

import numpy as np

from ...core import creation as _creation, functions as _fn
from ...core.device import array_module
from ...core.tensor import Tensor

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence", "unpack_sequence", "unpad_sequence"]

_PackedSequenceBase = namedtuple("PackedSequence_",
                                 ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def _int_tensor(arr):
    return Tensor._make(np.ascontiguousarray(arr, dtype=np.int64))


def _host(t):
    """A 1-d int64 numpy copy of a Tensor, list or array of lengths or indices."""
    if isinstance(t, Tensor):
        t = t.detach().cpu()._data
    return np.asarray(t, dtype=np.int64)


def _invert(perm):
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size)
    return inv


class PackedSequence(_PackedSequenceBase):
    """A batch of variable-length sequences packed for the recurrent layers.

    Build it with ``pack_padded_sequence`` or ``pack_sequence`` rather than directly.

    Attributes:
        data (Tensor): the packed steps, (sum of lengths, *).
        batch_sizes (Tensor): int64 sequences alive at each step, on the CPU.
        sorted_indices (Tensor, optional): the order that sorted the batch by length.
        unsorted_indices (Tensor, optional): its inverse, which restores the batch order.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _int_tensor(_invert(_host(sorted_indices)))
        if batch_sizes is None:
            raise ValueError("batch_sizes must be given: build a PackedSequence with "
                             "pack_padded_sequence or pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same sequence with ``data`` converted by ``Tensor.to``; the indices follow the
        device only (``batch_sizes`` stays on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        idx = [None if t is None else t.to(device=data.device)
               for t in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *idx)

    def cpu(self):
        return self.to("cpu")

    def double(self):
        from ...core.dtype import float64
        return self.to(dtype=float64)

    def float(self):
        from ...core.dtype import float32
        return self.to(dtype=float32)

    def half(self):
        from ...core.dtype import float16
        return self.to(dtype=float16)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _positions(batch_sizes, n):
    """Flat (t * n + j) positions of the packed rows in a (T, n) grid, time-major."""
    live = np.arange(n)[None, :] < batch_sizes[:, None]
    return np.flatnonzero(live), live


def _gather(x, idx):
    """Rows ``idx`` of ``x`` (differentiable), the index on ``x``'s device."""
    return x[Tensor._make(array_module(x._data).asarray(idx))]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch of variable-length sequences.

    Args:
        input (Tensor): (T, B, *) padded sequences, or (B, T, *) with ``batch_first``.
        lengths (Tensor or list of int): the length of each sequence (on the CPU).
        batch_first (bool): ``input`` is batch-major. Default False.
        enforce_sorted (bool): require ``lengths`` in decreasing order; otherwise the batch
            is sorted here and the order kept in ``sorted_indices``. Default True.

    Example::

        >>> x = disttrain.tensor([[1., 2., 3.], [4., 5., 0.]])
        >>> pack_padded_sequence(x, [3, 2], batch_first=True).data
        tensor([1., 4., 2., 5., 3.])
    """
    lens = _host(lengths)
    if lens.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{lens.ndim}D cpu Long tensor")
    bdim = 0 if batch_first else 1
    if lens.size != input.shape[bdim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={input.shape[bdim]})")
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _int_tensor(order)
        input = input.index_select(bdim, Tensor._make(array_module(input._data).asarray(order)))
    if lens.size and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if batch_first:
        input = input.transpose(0, 1)
    steps, n = input.shape[0], input.shape[1]
    if lens.size and lens[0] > steps:
        raise RuntimeError(f"a length of {int(lens[0])} exceeds the {steps} steps of the "
                           f"padded input")
    batch_sizes = (lens[None, :] > np.arange(int(lens[0]) if lens.size else 0)[:, None]).sum(1)
    idx, _ = _positions(batch_sizes, n)
    flat = input.reshape((steps * n,) + tuple(input.shape[2:]))
    return PackedSequence(_gather(flat, idx), _int_tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: the padded batch and the lengths, in the original order.

    Args:
        sequence (PackedSequence): the batch to pad.
        batch_first (bool): return (B, T, *) instead of (T, B, *). Default False.
        padding_value (float): the value of the padding. Default 0.
        total_length (int, optional): pad to this many steps (at least the longest length).

    Returns:
        (Tensor, Tensor): the padded batch and the int64 lengths.
    """
    data = sequence.data
    bs = _host(sequence.batch_sizes)
    steps, n = len(bs), int(bs[0]) if len(bs) else 0
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
    else:
        total_length = steps
    idx, live = _positions(bs, n)
    src = np.full(total_length * n, data.shape[0], np.int64)   # the padding row
    src[idx] = np.arange(idx.size)
    rest = tuple(data.shape[1:])
    pad = _creation.full((1,) + rest, padding_value, dtype=data.dtype, device=data.device)
    padded = _gather(_fn.cat([data, pad], 0), src).reshape((total_length, n) + rest)
    lengths = live.sum(0)
    if sequence.unsorted_indices is not None:
        order = _host(sequence.unsorted_indices)
        padded = padded.index_select(1, Tensor._make(array_module(padded._data).asarray(order)))
        lengths = lengths[order]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _int_tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack variable-length sequences into one padded tensor.

    Args:
        sequences (list of Tensor): (L_i, *) each, * equal for all.
        batch_first (bool): return (B, T, *) instead of (T, B, *). Default False.
        padding_value (float): the value of the padding. Default 0.
        padding_side (str): 'right' (default) or 'left'.

    Example::

        >>> pad_sequence([disttrain.ones(2), disttrain.ones(1)], batch_first=True)
        tensor([[1., 1.],
                [1., 0.]])
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    steps = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        gap = steps - s.shape[0]
        if gap:
            pad = _creation.full((gap,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype,
                           device=s.device)
            s = _fn.cat([s, pad] if padding_side == "right" else [pad, s], 0)
        rows.append(s)
    return _fn.stack(rows, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of variable-length sequences (each (L_i, *)).

    Example::

        >>> p = pack_sequence([disttrain.tensor([1., 2.]), disttrain.tensor([3.])])
        >>> p.data, p.batch_sizes
        (tensor([1., 3., 2.]), tensor([2, 1]))
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a ``PackedSequence`` holds, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return [padded[i, :int(n)] for i, n in enumerate(lengths.tolist())]


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences of a padded batch, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(_host(lengths).tolist())]
