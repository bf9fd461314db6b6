"""SparseAdam: Adam that updates only the rows a gradient touches (embedding tables)."""
import math

import numpy as np

from .optimizer import Optimizer, _check_betas

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""Implements a masked Adam for gradients that touch only some rows of a parameter, such
    as those of ``nn.Embedding(sparse=True)``: the moments and the parameter change only in
    those rows.

    disttrain has no sparse tensors: ``nn.Embedding(sparse=True)`` produces a dense gradient
    that is zero in the rows no index looked up. SparseAdam therefore takes the rows (the
    slices along the first dimension; the elements of a 1-d parameter) holding a nonzero
    gradient element as the indices of PyTorch's sparse gradient, and applies PyTorch's
    update to exactly those rows. The one difference: a row that was looked up but whose
    gradient is exactly zero everywhere is skipped here, while PyTorch would still decay its
    moments and step it.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): learning rate. Default: 1e-3.
        betas (Tuple[float, float], optional): running-average coefficients.
            Default: (0.9, 0.999).
        eps (float, optional): term added to the denominator. Default: 1e-8.
        maximize (bool, optional): maximize the objective. Default: ``False``.

    Example::

        >>> emb = disttrain.nn.Embedding(1000, 16, sparse=True)
        >>> optimizer = disttrain.optim.SparseAdam(emb.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        return self._run_step(closure)

    def _state_names(self, group):
        return ["exp_avg", "exp_avg_sq"]

    def _update(self, fg, group, active, bounds):
        if bounds is not None:
            raise NotImplementedError("SparseAdam updates whole rows and cannot step a shard of "
                                      "the flat parameters")
        for i in np.flatnonzero(active & ~fg.has_state):
            self.state[fg.params[i]]["step"] = 0     # a Python int, first, as in PyTorch
        self._start(fg, group, active)
        beta1, beta2 = (float(b) for b in group["betas"])
        lr, eps = float(group["lr"]), group["eps"]
        xp = fg.xp
        for i in np.flatnonzero(active):
            i = int(i)
            st = self.state[fg.params[i]]
            step = st["step"] = int(st["step"]) + 1
            g = fg.gviews[i]
            if group["maximize"]:
                g = -g
            if g.ndim == 0:
                continue                  # PyTorch's sparse gradients have a row dimension
            nonzero = g != 0
            rows = nonzero if g.ndim == 1 else nonzero.reshape(g.shape[0], -1).any(axis=1)
            idx = xp.flatnonzero(rows)
            if idx.size == 0:
                continue
            values = g[idx]
            exp_avg, exp_avg_sq = fg.view(fg.state["exp_avg"], i), \
                fg.view(fg.state["exp_avg_sq"], i)
            old_avg, old_avg_sq = exp_avg[idx], exp_avg_sq[idx]
            avg_update = (values - old_avg) * (1 - beta1)
            exp_avg[idx] = old_avg + avg_update
            sq_update = (values ** 2 - old_avg_sq) * (1 - beta2)
            exp_avg_sq[idx] = old_avg_sq + sq_update
            numer = avg_update + old_avg
            denom = xp.sqrt(sq_update + old_avg_sq) + eps
            step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
            p = fg.pviews[i]
            p[idx] = p[idx] + (-step_size) * (numer / denom)
