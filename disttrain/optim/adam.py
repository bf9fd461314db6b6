"""Adam and AdamW (decoupled weight decay)."""
from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ._flat import grad_term
from .optimizer import Optimizer, _check_nonnegative, _flat_step

__all__ = ["Adam", "AdamW", "adam"]


class Adam(Optimizer):
    r"""Implements the Adam algorithm.

    With gradient :math:`g_t`: :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`,
    :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2`, and
    :math:`\theta_t = \theta_{t-1} - \gamma\,\hat m_t / (\sqrt{\hat v_t} + \epsilon)` with the
    bias-corrected :math:`\hat m_t = m_t / (1-\beta_1^t)`, :math:`\hat v_t = v_t / (1-\beta_2^t)`
    (:math:`\max_{s \le t} v_s` under AMSGrad). Weight decay adds :math:`\lambda\theta` to the
    gradient, or, decoupled (AdamW), scales :math:`\theta` by :math:`1 - \gamma\lambda` first.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): learning rate. Default: 1e-3.
        betas (Tuple[float, float], optional): coefficients of the running averages of the
            gradient and its square. Default: (0.9, 0.999).
        eps (float, optional): term added to the denominator. Default: 1e-8.
        weight_decay (float, optional): weight decay (L2 penalty). Default: 0.
        amsgrad (bool, optional): use the AMSGrad variant. Default: ``False``.
        maximize (bool, optional): maximize the objective. Default: ``False``.
        decoupled_weight_decay (bool, optional): AdamW's weight decay. Default: ``False``.
        foreach, capturable, fused: accepted for compatibility.
        differentiable (bool, optional): ``True`` is not supported (raises).

    Example::

        >>> optimizer = disttrain.optim.Adam(model.parameters(), lr=0.001)
    """

    _with_step = True
    _setstate_defaults = dict(amsgrad=False, maximize=False, foreach=None, capturable=False,
                              differentiable=False, decoupled_weight_decay=False, fused=None)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_nonnegative(lr=lr, eps=eps)
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        _check_nonnegative(weight_decay=weight_decay)
        if not (isinstance(betas[0], float) and isinstance(betas[1], float)) and \
                not (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor)):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(float(b) if isinstance(b, Tensor) else b for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    step = _flat_step

    def _state_names(self, group):
        names = ["exp_avg", "exp_avg_sq"]
        return names + ["max_exp_avg_sq"] if group["amsgrad"] else names

    def _update(self, fg, group, active, bounds):
        self._start(fg, group, active)
        beta1, beta2 = group["betas"]
        hyper = dict(lr=float(group["lr"]), beta1=float(beta1), beta2=float(beta2),
                     eps=group["eps"], weight_decay=group["weight_decay"],
                     maximize=group["maximize"],
                     decoupled=group["decoupled_weight_decay"])
        m, v = fg.state["exp_avg"], fg.state["exp_avg_sq"]
        vmax = fg.state["max_exp_avg_sq"] if group["amsgrad"] else None
        for a, b, step in fg.pieces(active, fg.steps, bounds):
            t1, t2 = fg.scratch(2, b - a)
            _flat_adam(fg.xp, fg.param[a:b], fg.grad_block(a, b), m[a:b], v[a:b],
                       None if vmax is None else vmax[a:b], t1, t2, step=float(step), **hyper)


class AdamW(Adam):
    r"""Implements AdamW: Adam whose weight decay shrinks the parameters directly
    (:math:`\theta \leftarrow \theta (1 - \gamma\lambda)`) instead of entering the moments.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): learning rate. Default: 1e-3.
        betas (Tuple[float, float], optional): running-average coefficients.
            Default: (0.9, 0.999).
        eps (float, optional): term added to the denominator. Default: 1e-8.
        weight_decay (float, optional): weight decay coefficient. Default: 1e-2.
        amsgrad (bool, optional): use the AMSGrad variant. Default: ``False``.
        maximize (bool, optional): maximize the objective. Default: ``False``.
        foreach, capturable, fused: accepted for compatibility.
        differentiable (bool, optional): ``True`` is not supported (raises).

    Example::

        >>> optimizer = disttrain.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


def _lerp_(xp, x, end, w, tmp):
    """``x.lerp_(end, w)`` with PyTorch's two-sided formula (exact at both ends)."""
    xp.subtract(end, x, out=tmp)
    if abs(w) < 0.5:
        tmp *= w
        x += tmp
    else:
        tmp *= x.dtype.type(1) - x.dtype.type(w)
        xp.subtract(end, tmp, out=x)


def _adam_moments(xp, p, g, m, v, t1, t2, *, lr, beta1, beta2, weight_decay, decoupled,
                  maximize):
    """Adam's first steps, in place: the weight decay (shrinking ``p`` when ``decoupled``,
    else added to the gradient), then ``m`` and ``v`` moved towards the gradient and its
    square. Returns the gradient term (held in ``t1`` or ``g``); ``t2`` is scratch."""
    if decoupled and weight_decay != 0:
        p *= 1 - lr * weight_decay
    d = grad_term(xp, p, g, t1, t2, maximize, 0 if decoupled else weight_decay)
    _lerp_(xp, m, d, 1 - beta1, t2)
    v *= beta2
    xp.multiply(d, 1 - beta2, out=t2)
    t2 *= d
    v += t2
    return d


def _flat_adam(xp, p, g, m, v, vmax, t1, t2, *, step, lr, beta1, beta2, eps, weight_decay,
               maximize, decoupled):
    """One Adam update of a flat slice in place; ``t1``/``t2`` are scratch."""
    _adam_moments(xp, p, g, m, v, t1, t2, lr=lr, beta1=beta1, beta2=beta2,
                  weight_decay=weight_decay, decoupled=decoupled, maximize=maximize)
    step_size = lr / (1 - beta1 ** step)
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    if vmax is not None:
        xp.maximum(vmax, v, out=vmax)
    # sqrt(v) / c + eps == (sqrt(v) + eps * c) / c: the 1/c joins the step size, one pass fewer.
    denom = xp.sqrt(v if vmax is None else vmax, out=t2)
    denom += eps * bias_correction2_sqrt
    xp.divide(m, denom, out=t2)
    t2 *= -step_size * bias_correction2_sqrt
    p += t2


def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *, amsgrad,
         beta1, beta2, lr, weight_decay, eps, maximize, decoupled_weight_decay=False):
    """Functional Adam, one tensor at a time: the reference the flat step is checked against.

    Updates ``params``, the moment buffers and the 0-d ``state_steps`` in place.
    """
    with no_grad():
        for i, param in enumerate(params):
            grad = grads[i] if not maximize else -grads[i]
            exp_avg, exp_avg_sq, step_t = exp_avgs[i], exp_avg_sqs[i], state_steps[i]
            step_t += 1
            if weight_decay != 0:
                if decoupled_weight_decay:
                    param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad.add(param, alpha=weight_decay)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step = step_t.item()
            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            if amsgrad:
                max_exp_avg_sqs[i].copy_(max_exp_avg_sqs[i].maximum(exp_avg_sq))
                denom = (max_exp_avg_sqs[i].sqrt() / bias_correction2_sqrt).add_(eps)
            else:
                denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
            param.addcdiv_(exp_avg, denom, value=-step_size)
