"""ASGD: stochastic gradient descent with a running (Polyak) average of the iterates."""
import numpy as np

from ._flat import grad_term
from .optimizer import Optimizer, _check_nonnegative, _flat_step

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Implements Averaged Stochastic Gradient Descent.

    :math:`\theta_t = \theta_{t-1}(1 - \lambda\eta_{t-1}) - \eta_{t-1} g_t`; the average
    :math:`a_t = a_{t-1} + \mu_{t-1}(\theta_t - a_{t-1})` (kept in ``state["ax"]``), with
    :math:`\eta_t = \gamma / (1 + \lambda\gamma t)^\alpha` and
    :math:`\mu_t = 1 / \max(1, t - t_0)`. ``eta`` and ``mu`` are float32 0-d states, as in
    PyTorch.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): learning rate. Default: 1e-2.
        lambd (float, optional): decay term. Default: 1e-4.
        alpha (float, optional): power for the eta update. Default: 0.75.
        t0 (float, optional): point at which to start averaging. Default: 1e6.
        weight_decay (float, optional): weight decay (L2 penalty). Default: 0.
        foreach, capturable: accepted for compatibility; every step runs on flat buffers.
        maximize (bool, optional): maximize the objective. Default: ``False``.
        differentiable (bool, optional): ``True`` is not supported (raises).

    Example::

        >>> optimizer = disttrain.optim.ASGD(model.parameters(), lr=0.01)
    """

    _with_step = True
    _scalar_state = {"eta": 0.0, "mu": 1.0}
    _setstate_defaults = dict(foreach=None, maximize=False, differentiable=False,
                              capturable=False)

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_nonnegative(lr=lr, weight_decay=weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    step = _flat_step

    def _state_names(self, group):
        return ["eta", "mu", "ax"]

    def _update(self, fg, group, active, bounds):
        fresh = active & ~fg.has_state
        self._start(fg, group, active)
        lr, lambd, alpha, t0 = float(group["lr"]), group["lambd"], group["alpha"], group["t0"]
        eta, mu = fg.scalars["eta"], fg.scalars["mu"]
        eta[fresh] = np.float32(lr)         # the first step uses the group's lr
        ax = fg.state["ax"]
        xp = fg.xp
        key = list(zip(eta.tolist(), mu.tolist()))
        for a, b, (e, m) in fg.pieces(active, key, bounds):
            t1, t2 = fg.scratch(2, b - a)
            p = fg.param[a:b]
            d = grad_term(xp, p, fg.grad_block(a, b), t1, t2, group["maximize"],
                          group["weight_decay"])
            p *= 1 - lambd * e
            xp.multiply(d, -e, out=t2)
            p += t2
            if m != 1:
                xp.subtract(p, ax[a:b], out=t2)
                t2 *= m
                ax[a:b] += t2
            else:
                ax[a:b] = p
        steps = fg.steps[active].astype(np.float64)
        eta[active] = lr / ((1 + lambd * lr * steps) ** alpha)     # rounded to float32
        mu[active] = 1 / np.maximum(1, steps - t0)
