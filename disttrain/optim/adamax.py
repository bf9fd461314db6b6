"""Adamax: Adam with the infinity norm in place of the second moment."""
from ._flat import grad_term
from .adam import _lerp_
from .optimizer import Optimizer, _check_betas, _check_nonnegative, _flat_step

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Implements the Adamax algorithm (a variant of Adam based on the infinity norm).

    :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`,
    :math:`u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon)`,
    :math:`\theta_t = \theta_{t-1} - \gamma m_t / ((1-\beta_1^t) u_t)`.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): learning rate. Default: 2e-3.
        betas (Tuple[float, float], optional): coefficients of the running average of the
            gradient and of the decay of the infinity norm. Default: (0.9, 0.999).
        eps (float, optional): term added to the denominator. Default: 1e-8.
        weight_decay (float, optional): weight decay (L2 penalty). Default: 0.
        foreach, capturable: accepted for compatibility; every step runs on flat buffers.
        maximize (bool, optional): maximize the objective. Default: ``False``.
        differentiable (bool, optional): ``True`` is not supported (raises).

    Example::

        >>> optimizer = disttrain.optim.Adamax(model.parameters(), lr=2e-3)
    """

    _with_step = True
    _setstate_defaults = dict(foreach=None, maximize=False, differentiable=False,
                              capturable=False)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_nonnegative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    step = _flat_step

    def _state_names(self, group):
        return ["exp_avg", "exp_inf"]

    def _update(self, fg, group, active, bounds):
        self._start(fg, group, active)
        beta1, beta2 = (float(b) for b in group["betas"])
        lr, eps = float(group["lr"]), group["eps"]
        m, u = fg.state["exp_avg"], fg.state["exp_inf"]
        xp = fg.xp
        for a, b, step in fg.pieces(active, fg.steps, bounds):
            t1, t2 = fg.scratch(2, b - a)
            p = fg.param[a:b]
            d = grad_term(xp, p, fg.grad_block(a, b), t1, t2, group["maximize"],
                          group["weight_decay"])
            _lerp_(xp, m[a:b], d, 1 - beta1, t2)
            u[a:b] *= beta2
            xp.abs(d, out=t2)
            t2 += eps
            xp.maximum(u[a:b], t2, out=u[a:b])
            clr = lr / (1 - beta1 ** float(step))
            xp.divide(m[a:b], u[a:b], out=t2)
            t2 *= -clr
            p += t2
