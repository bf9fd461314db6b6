"""``embedding_bag``: sums, means or maxima of bags of embedding rows, without materialising
the (bags, indices) lookups of each bag separately."""
import numpy as np

from ..core import creation as _c
from ..core.tensor import Tensor

__all__ = ["embedding_bag"]


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Reduce bags of rows of ``weight``: ``mode`` 'sum', 'mean' or 'max'.

    Args:
        input (Tensor): (B, N) fixed-size bags, or 1-d indices split into bags by ``offsets``.
        weight (Tensor): (num_embeddings, embedding_dim) table.
        offsets (Tensor, optional): start of each bag in a 1-d ``input``.
        per_sample_weights (Tensor, optional): a weight per index ('sum' mode only).
        include_last_offset (bool): ``offsets`` has one extra entry, the end of the last bag.
        padding_idx (int, optional): indices equal to it are left out of their bag.

    An empty bag gives zeros. Example::

        >>> w = disttrain.arange(6.0).reshape(3, 2)
        >>> F.embedding_bag(disttrain.tensor([0, 2, 1]), w, disttrain.tensor([0, 1]))
        tensor([[0., 1.],
                [3., 4.]])
    """
    from ._basicfn import embedding
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated "
                             f"is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets)}")
        b, n = input.shape
        bag = np.repeat(np.arange(b), n)
        flat = input.reshape(-1)
        psw = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        off = np.asarray(offsets.tolist(), dtype=np.int64)
        n = input.shape[0]
        if off.size and off[0] != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                               f"mini-batch has to start from position 0. However, got "
                               f"{off[0]}")
        if include_last_offset:
            ends = off[1:]
            off = off[:-1]
        else:
            ends = np.append(off[1:], n)
        b = len(off)
        bag = np.repeat(np.arange(b), np.maximum(ends - off, 0))
        flat, psw = input, per_sample_weights
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    idx = np.asarray(flat.tolist(), dtype=np.int64).reshape(-1)
    keep = np.ones(len(bag), dtype=bool)
    if padding_idx is not None:
        pi = padding_idx if padding_idx >= 0 else padding_idx + weight.shape[0]
        keep = idx[:len(bag)] != pi
    rows = embedding(flat, weight, None, max_norm, norm_type)         # (T, D)
    d = weight.shape[1]
    sel = np.nonzero(keep)[0]
    bag_k = bag[sel]
    xp_idx = _as_index(weight, sel)
    rows = rows.index_select(0, xp_idx)
    if psw is not None:
        rows = rows * psw.index_select(0, xp_idx).unsqueeze(1)
    counts = np.bincount(bag_k, minlength=b).astype(np.float64)
    target = _as_index(weight, bag_k)
    if mode in ("sum", "mean"):
        out = _c.zeros(b, d, dtype=weight.dtype, device=weight.device).index_add(0, target, rows)
        if mode == "mean":
            div = Tensor._make(_xp(weight).asarray(np.maximum(counts, 1.0))).to(weight.dtype)
            out = out / div.unsqueeze(1)
        return out
    # max: each bag's rows laid out in a (B, longest bag, D) grid padded with -inf
    longest = int(counts.max()) if b and counts.size else 0
    if longest == 0:
        return _c.zeros(b, d, dtype=weight.dtype, device=weight.device)
    slot = np.arange(len(bag_k)) - np.repeat(np.cumsum(counts).astype(np.int64) -
                                             counts.astype(np.int64), counts.astype(np.int64))
    grid = _c.full((b * longest, d), float("-inf"), dtype=weight.dtype, device=weight.device)
    grid = grid.index_copy(0, _as_index(weight, bag_k * longest + slot), rows)
    out = grid.reshape(b, longest, d).max(1)[0]
    empty = Tensor._make(_xp(weight).asarray(counts == 0)).unsqueeze(1)
    return out.masked_fill(empty, 0.0)


def _xp(t):
    from ..core.device import array_module
    return array_module(t._data)


def _as_index(like, arr):
    return Tensor._make(_xp(like).asarray(np.asarray(arr, dtype=np.int64)))
