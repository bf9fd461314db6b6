"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from ..core.grad_mode import no_grad
from ._flat import grad_term
from .adam import _lerp_
from .optimizer import Optimizer, _check_nonnegative, _flat_step

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(Optimizer):
    r"""Implements the RMSprop algorithm.

    :math:`v_t = \alpha v_{t-1} + (1-\alpha) g_t^2`; centered, the running mean
    :math:`\bar g_t` is tracked too and :math:`v_t - \bar g_t^2` is used instead. With
    :math:`s_t = \sqrt{\cdot} + \epsilon`, the update is
    :math:`\theta_t = \theta_{t-1} - \gamma g_t / s_t`, or with momentum
    :math:`b_t = \mu b_{t-1} + g_t / s_t`, :math:`\theta_t = \theta_{t-1} - \gamma b_t`.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): learning rate. Default: 1e-2.
        alpha (float, optional): smoothing constant. Default: 0.99.
        eps (float, optional): term added to the denominator. Default: 1e-8.
        weight_decay (float, optional): weight decay (L2 penalty). Default: 0.
        momentum (float, optional): momentum factor. Default: 0.
        centered (bool, optional): normalise by the estimated variance of the gradient.
            Default: ``False``.
        maximize (bool, optional): maximize the objective. Default: ``False``.
        capturable, foreach: accepted for compatibility.
        differentiable (bool, optional): ``True`` is not supported (raises).

    Example::

        >>> optimizer = disttrain.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.99)
    """

    _with_step = True
    _setstate_defaults = dict(momentum=0, centered=False, foreach=None, maximize=False,
                              differentiable=False, capturable=False)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                           alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    step = _flat_step

    def _state_names(self, group):
        names = ["square_avg"]
        if group["momentum"] > 0:
            names.append("momentum_buffer")
        if group["centered"]:
            names.append("grad_avg")
        return names

    def _update(self, fg, group, active, bounds):
        self._start(fg, group, active)
        hyper = dict(lr=float(group["lr"]), alpha=group["alpha"], eps=group["eps"],
                     weight_decay=group["weight_decay"], momentum=group["momentum"],
                     maximize=group["maximize"])
        st = fg.state
        buf = st["momentum_buffer"] if group["momentum"] > 0 else None
        gavg = st["grad_avg"] if group["centered"] else None
        for a, b, _ in fg.pieces(active, None, bounds):
            t1, t2, t3 = fg.scratch(3, b - a)
            _flat_rmsprop(fg.xp, fg.param[a:b], fg.grad_block(a, b), st["square_avg"][a:b],
                          None if buf is None else buf[a:b],
                          None if gavg is None else gavg[a:b], t1, t2, t3, **hyper)


def _flat_rmsprop(xp, p, g, square_avg, buf, grad_avg, t1, t2, t3, *, lr, alpha, eps,
                  weight_decay, momentum, maximize):
    """One RMSprop update of a flat slice in place; ``t1``..``t3`` are scratch."""
    d = grad_term(xp, p, g, t1, t2, maximize, weight_decay)
    square_avg *= alpha
    xp.multiply(d, 1 - alpha, out=t2)
    t2 *= d
    square_avg += t2
    if grad_avg is not None:
        _lerp_(xp, grad_avg, d, 1 - alpha, t3)
        xp.multiply(grad_avg, grad_avg, out=t2)
        xp.subtract(square_avg, t2, out=t2)
        avg = xp.sqrt(t2, out=t2)
    else:
        avg = xp.sqrt(square_avg, out=t2)
    avg += eps
    if buf is not None:
        buf *= momentum
        buf += xp.divide(d, avg, out=t2)
        p += xp.multiply(buf, -lr, out=t2)
    else:
        xp.divide(d, avg, out=t2)
        t2 *= -lr
        p += t2


def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, *, lr,
            alpha, eps, weight_decay, momentum, centered, maximize):
    """Functional RMSprop, one tensor at a time: the reference the flat step is checked
    against. Updates ``params`` and the state tensors in place."""
    with no_grad():
        for i, param in enumerate(params):
            grad = grads[i] if not maximize else -grads[i]
            square_avg = square_avgs[i]
            state_steps[i] += 1
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
            if centered:
                grad_avg = grad_avgs[i]
                grad_avg.lerp_(grad, 1 - alpha)
                avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            else:
                avg = square_avg.sqrt()
            avg = avg.add_(eps)
            if momentum > 0:
                buf = momentum_buffer_list[i]
                buf.mul_(momentum).addcdiv_(grad, avg)
                param.add_(buf, alpha=-lr)
            else:
                param.addcdiv_(grad, avg, value=-lr)
