"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
from ._flat import grad_term
from .optimizer import Optimizer, _check_nonnegative, _flat_step

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Implements the Adadelta algorithm.

    :math:`v_t = \rho v_{t-1} + (1-\rho) g_t^2`,
    :math:`\Delta x_t = g_t \sqrt{u_{t-1} + \epsilon} / \sqrt{v_t + \epsilon}`,
    :math:`u_t = \rho u_{t-1} + (1-\rho) \Delta x_t^2`,
    :math:`\theta_t = \theta_{t-1} - \gamma \Delta x_t`.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): coefficient that scales delta before it is applied to
            the parameters. Default: 1.0.
        rho (float, optional): coefficient of the running averages. Default: 0.9.
        eps (float, optional): term added to the denominator. Default: 1e-6.
        weight_decay (float, optional): weight decay (L2 penalty). Default: 0.
        foreach, capturable: accepted for compatibility; every step runs on flat buffers.
        maximize (bool, optional): maximize the objective. Default: ``False``.
        differentiable (bool, optional): ``True`` is not supported (raises).

    Example::

        >>> optimizer = disttrain.optim.Adadelta(model.parameters())
    """

    _with_step = True
    _setstate_defaults = dict(foreach=None, maximize=False, differentiable=False,
                              capturable=False)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_nonnegative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative(eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    step = _flat_step

    def _state_names(self, group):
        return ["square_avg", "acc_delta"]

    def _update(self, fg, group, active, bounds):
        self._start(fg, group, active)
        lr, rho, eps = float(group["lr"]), group["rho"], group["eps"]
        sq, acc = fg.state["square_avg"], fg.state["acc_delta"]
        xp = fg.xp
        for a, b, _ in fg.pieces(active, None, bounds):
            t1, t2, t3 = fg.scratch(3, b - a)
            p, s, u = fg.param[a:b], sq[a:b], acc[a:b]
            d = grad_term(xp, p, fg.grad_block(a, b), t1, t2, group["maximize"],
                          group["weight_decay"])
            s *= rho
            xp.multiply(d, 1 - rho, out=t2)
            t2 *= d
            s += t2
            std = xp.sqrt(xp.add(s, eps, out=t2), out=t2)
            delta = xp.sqrt(xp.add(u, eps, out=t3), out=t3)
            delta /= std
            delta *= d
            u *= rho
            xp.multiply(delta, 1 - rho, out=t2)
            t2 *= delta
            u += t2
            delta *= -lr
            p += delta
