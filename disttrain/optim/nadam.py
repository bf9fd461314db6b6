"""NAdam: Adam with Nesterov momentum."""
import numpy as np

from .optimizer import Optimizer, _check_betas, _check_nonnegative, _flat_step
from .radam import _adam_moments

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""Implements the NAdam algorithm (Adam with Nesterov momentum).

    With :math:`\mu_t = \beta_1 (1 - \tfrac12 0.96^{t\psi})` (:math:`\psi` the momentum decay)
    and their running product :math:`\Pi_t` (``state["mu_product"]``, float32 as in PyTorch),
    :math:`\theta_t = \theta_{t-1} - \gamma \big(\frac{\mu_{t+1} m_t}{1 - \Pi_t\mu_{t+1}} +
    \frac{(1-\mu_t) g_t}{1 - \Pi_t}\big) / (\sqrt{\hat v_t} + \epsilon)`.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): learning rate. Default: 2e-3.
        betas (Tuple[float, float], optional): running-average coefficients.
            Default: (0.9, 0.999).
        eps (float, optional): term added to the denominator. Default: 1e-8.
        weight_decay (float, optional): weight decay. Default: 0.
        momentum_decay (float, optional): momentum decay :math:`\psi`. Default: 4e-3.
        decoupled_weight_decay (bool, optional): shrink the parameters by
            :math:`1 - \gamma\lambda` instead of adding :math:`\lambda\theta` to the gradient
            (NAdamW). Default: ``False``.
        foreach, capturable: accepted for compatibility; every step runs on flat buffers.
        maximize (bool, optional): maximize the objective. Default: ``False``.
        differentiable (bool, optional): ``True`` is not supported (raises).

    Example::

        >>> optimizer = disttrain.optim.NAdam(model.parameters(), lr=2e-3)
    """

    _with_step = True
    _scalar_state = {"mu_product": 1.0}
    _setstate_defaults = dict(foreach=None, maximize=False, capturable=False,
                              differentiable=False, decoupled_weight_decay=False)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_nonnegative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    step = _flat_step

    def _state_names(self, group):
        return ["mu_product", "exp_avg", "exp_avg_sq"]

    def _update(self, fg, group, active, bounds):
        self._start(fg, group, active)
        beta1, beta2 = (float(b) for b in group["betas"])
        lr, eps, wd = float(group["lr"]), group["eps"], group["weight_decay"]
        psi, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
        prod = fg.scalars["mu_product"]

        def mu_at(step):
            return beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))

        # Once per parameter whatever the shard; float32 products, as PyTorch's 0-d state.
        prod[active] *= mu_at(fg.steps[active].astype(np.float64)).astype(np.float32)
        m, v = fg.state["exp_avg"], fg.state["exp_avg_sq"]
        xp = fg.xp
        key = list(zip(fg.steps.tolist(), prod.tolist()))
        for a, b, (step, mu_product) in fg.pieces(active, key, bounds):
            t1, t2, t3 = fg.scratch(3, b - a)
            p = fg.param[a:b]
            d = _adam_moments(xp, p, fg.grad_block(a, b), m[a:b], v[a:b], t1, t2, lr=lr, beta1=beta1,
                              beta2=beta2, weight_decay=wd, decoupled=decoupled,
                              maximize=group["maximize"])
            mu, mu_next = mu_at(step), mu_at(step + 1)
            denom = xp.divide(v[a:b], 1 - beta2 ** step, out=t3)
            xp.sqrt(denom, out=denom)
            denom += eps
            xp.divide(d, denom, out=t2)
            t2 *= -lr * (1.0 - mu) / (1.0 - mu_product)
            p += t2
            xp.divide(m[a:b], denom, out=t2)
            t2 *= (-lr * mu_next) / (1.0 - mu_product * mu_next)
            p += t2
