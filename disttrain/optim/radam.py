"""RAdam: Adam whose adaptive step is switched on once the variance estimate is reliable."""
import math

from .adam import _adam_moments
from .optimizer import Optimizer, _check_betas, _check_nonnegative, _flat_step

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""Implements the RAdam algorithm (rectified Adam).

    With Adam's moments :math:`m_t, v_t`, :math:`\rho_\infty = 2/(1-\beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`: while :math:`\rho_t \le 5` the
    step is :math:`\gamma \hat m_t` (SGD with momentum); after it is
    :math:`\gamma \hat m_t r_t \sqrt{1-\beta_2^t} / (\sqrt{v_t} + \epsilon)` with the
    rectification :math:`r_t`.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): learning rate. Default: 1e-3.
        betas (Tuple[float, float], optional): running-average coefficients.
            Default: (0.9, 0.999).
        eps (float, optional): term added to the denominator. Default: 1e-8.
        weight_decay (float, optional): weight decay. Default: 0.
        decoupled_weight_decay (bool, optional): shrink the parameters by
            :math:`1 - \gamma\lambda` instead of adding :math:`\lambda\theta` to the gradient
            (RAdamW). Default: ``False``.
        foreach, capturable: accepted for compatibility; every step runs on flat buffers.
        maximize (bool, optional): maximize the objective. Default: ``False``.
        differentiable (bool, optional): ``True`` is not supported (raises).

    Example::

        >>> optimizer = disttrain.optim.RAdam(model.parameters(), lr=1e-3)
    """

    _with_step = True
    _setstate_defaults = dict(foreach=None, maximize=False, differentiable=False,
                              decoupled_weight_decay=False, capturable=False)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_nonnegative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    step = _flat_step

    def _state_names(self, group):
        return ["exp_avg", "exp_avg_sq"]

    def _update(self, fg, group, active, bounds):
        self._start(fg, group, active)
        beta1, beta2 = (float(b) for b in group["betas"])
        lr, eps, wd = float(group["lr"]), group["eps"], group["weight_decay"]
        decoupled = group["decoupled_weight_decay"]
        m, v = fg.state["exp_avg"], fg.state["exp_avg_sq"]
        xp = fg.xp
        rho_inf = 2 / (1 - beta2) - 1
        for a, b, step in fg.pieces(active, fg.steps, bounds):
            step = float(step)
            t1, t2, t3 = fg.scratch(3, b - a)
            p = fg.param[a:b]
            _adam_moments(xp, p, fg.grad_block(a, b), m[a:b], v[a:b], t1, t2, lr=lr, beta1=beta1,
                          beta2=beta2, weight_decay=wd, decoupled=decoupled,
                          maximize=group["maximize"])
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            upd = xp.divide(m[a:b], bias_correction1, out=t2)
            upd *= lr
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                                 ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                adaptive = xp.sqrt(v[a:b], out=t3)
                adaptive += eps
                xp.divide(bias_correction2 ** 0.5, adaptive, out=adaptive)
                upd *= adaptive
                upd *= rect
            p -= upd
