"""Connectionist temporal classification loss (Graves et al., 2006).

The forward (alpha) recursion runs over time on the whole batch at once with differentiable
ops, so the gradient is the exact derivative with respect to ``log_probs``. PyTorch's kernel
returns a gradient that differs from it by ``exp(log_probs)`` per time step and sample; the
two agree once passed back through the ``log_softmax`` that produces ``log_probs``.
"""
import numpy as np

from ..core import creation as _c, functions as _fn
from ..core.tensor import Tensor

__all__ = ["ctc_loss"]

# a finite stand-in for log(0): keeps max-shifted sums and their gradients free of NaN
_NEG = -1e30


def _lengths(v, name):
    if isinstance(v, Tensor):
        return np.asarray(v.tolist(), dtype=np.int64).reshape(-1)
    return np.asarray(list(v), dtype=np.int64).reshape(-1)


def _lse(terms):
    stacked = _fn.stack(terms, 0)
    m = stacked.detach().max(0)[0]
    return m + (stacked - m).exp().sum(0).log()


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """-log p(target | input) summed over every alignment, per sample.

    Args:
        log_probs (Tensor): (T, N, C) or unbatched (T, C) log-probabilities (log_softmax).
        targets (Tensor): (N, S) padded class indices, or all targets concatenated (1-d).
        input_lengths (Tensor or sequence): frames used of each sample (<= T).
        target_lengths (Tensor or sequence): length of each target.
        blank (int): the blank class. Default 0.
        reduction (str): 'none' (N,), 'sum', or 'mean': each loss divided by its target
            length, then averaged over the batch. Default 'mean'.
        zero_infinity (bool): impossible alignments give 0 (and zero gradient) instead of
            inf. Default False.

    Example::

        >>> lp = disttrain.randn(50, 2, 20).log_softmax(2)
        >>> t = disttrain.randint(1, 20, (2, 10))
        >>> F.ctc_loss(lp, t, [50, 40], [10, 8]).dim()
        0
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    unbatched = log_probs.dim() == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    T, n, c = lp.shape
    in_len = _lengths(input_lengths, "input_lengths")
    tg_len = _lengths(target_lengths, "target_lengths")
    if len(in_len) != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(tg_len) != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    if (in_len > T).any():
        bad = int(np.argmax(in_len > T))
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value "
                           f"{in_len[bad]} (while checking arguments for "
                           f"ctc_loss_allocate_outputs)")
    tg = np.asarray(targets.tolist(), dtype=np.int64)
    if unbatched and tg.ndim == 1 and len(tg_len) == 1:
        tg = tg.reshape(1, -1)
    s_max = int(tg_len.max()) if n else 0
    padded = np.full((n, s_max), blank, dtype=np.int64)
    if tg.ndim == 1:                                  # concatenated targets
        start = np.concatenate([[0], np.cumsum(tg_len)[:-1]])
        for i in range(n):
            padded[i, :tg_len[i]] = tg[start[i]:start[i] + tg_len[i]]
    else:
        for i in range(n):
            padded[i, :tg_len[i]] = tg[i, :tg_len[i]]
    L = 2 * s_max + 1
    ext = np.full((n, L), blank, dtype=np.int64)
    ext[:, 1::2] = padded
    skip = np.zeros((n, L), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    xp = _xp(lp)
    ext_t = Tensor._make(xp.asarray(ext))
    lpe = lp.gather(2, ext_t.unsqueeze(0).expand(T, n, L))          # (T, N, L)
    neg = _c.full((n, L), _NEG, dtype=lp.dtype, device=lp.device)
    init = np.zeros((n, L), dtype=bool)
    init[:, 0] = True
    if L > 1:
        init[:, 1] = tg_len > 0
    alpha = _fn.where(_mask(xp, init), lpe[0], neg) if T else neg
    skip_t = _mask(xp, skip)
    col = _c.full((n, 1), _NEG, dtype=lp.dtype, device=lp.device)
    for t in range(1, T):
        a2 = _fn.cat([col, alpha[:, :-1]], 1)
        a3 = _fn.where(skip_t, _fn.cat([col, col, alpha[:, :-2]], 1), neg) if L > 2 else neg
        new = _lse([alpha, a2, a3]) + lpe[t]
        alpha = _fn.where(_mask(xp, (t < in_len)[:, None]), new, alpha)
    last = np.stack([2 * tg_len, np.maximum(2 * tg_len - 1, 0)], 1)
    ends = alpha.gather(1, Tensor._make(xp.asarray(last)))
    ends = _fn.where(_mask(xp, np.stack([np.ones(n, bool), tg_len > 0], 1)), ends,
                     _c.full((n, 2), _NEG, dtype=lp.dtype, device=lp.device))
    loss = -_lse([ends[:, 0], ends[:, 1]])
    impossible = loss.detach() > -_NEG / 10
    if zero_infinity:
        loss = _fn.where(impossible, loss * 0, loss)
    elif bool(impossible.any()):
        loss = _fn.where(impossible, loss * 0 + float("inf"), loss)
    if reduction == "mean":
        div = Tensor._make(xp.asarray(np.maximum(tg_len, 1))).to(loss.dtype)
        return (loss / div).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


def _xp(t):
    from ..core.device import array_module
    return array_module(t._data)


def _mask(xp, arr):
    return Tensor._make(xp.asarray(arr))
