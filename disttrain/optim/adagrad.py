"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""
from ..core import creation
from ..core.grad_mode import no_grad
from ._flat import grad_term
from .optimizer import Optimizer, _check_nonnegative, _flat_step

__all__ = ["Adagrad", "adagrad"]


class Adagrad(Optimizer):
    r"""Implements the Adagrad algorithm.

    :math:`s_t = s_{t-1} + g_t^2`, :math:`\theta_t = \theta_{t-1} - \tilde\gamma\,
    g_t / (\sqrt{s_t} + \epsilon)` with :math:`\tilde\gamma = \gamma / (1 + (t-1)\eta)`
    (:math:`\eta` the lr decay); :math:`s_0` is ``initial_accumulator_value``.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): learning rate. Default: 1e-2.
        lr_decay (float, optional): learning rate decay. Default: 0.
        weight_decay (float, optional): weight decay (L2 penalty). Default: 0.
        initial_accumulator_value (float, optional): starting value of the sums. Default: 0.
        eps (float, optional): term added to the denominator. Default: 1e-10.
        maximize (bool, optional): maximize the objective. Default: ``False``.
        foreach, fused: accepted for compatibility.
        differentiable (bool, optional): ``True`` is not supported (raises).

    Example::

        >>> optimizer = disttrain.optim.Adagrad(model.parameters(), lr=0.01)
    """

    _with_step = True
    _setstate_defaults = dict(foreach=None, maximize=False, differentiable=False, fused=None)

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # Adagrad's state exists from the start, as PyTorch's does (it shows in state_dict).
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["step"] = creation.tensor(0.0)
                self.state[p]["sum"] = creation.full_like(p, initial_accumulator_value)

    step = _flat_step

    def _state_names(self, group):
        return ["sum"]

    def _update(self, fg, group, active, bounds):
        self._start(fg, group, active, {"sum": group["initial_accumulator_value"]})
        hyper = dict(lr=float(group["lr"]), lr_decay=group["lr_decay"], eps=group["eps"],
                     weight_decay=group["weight_decay"], maximize=group["maximize"])
        state_sum = fg.state["sum"]
        for a, b, step in fg.pieces(active, fg.steps, bounds):
            t1, t2 = fg.scratch(2, b - a)
            _flat_adagrad(fg.xp, fg.param[a:b], fg.grad_block(a, b), state_sum[a:b], t1, t2,
                          step=float(step), **hyper)


def _flat_adagrad(xp, p, g, state_sum, t1, t2, *, step, lr, lr_decay, eps, weight_decay,
                  maximize):
    """One Adagrad update of a flat slice in place; ``t1``/``t2`` are scratch."""
    d = grad_term(xp, p, g, t1, t2, maximize, weight_decay)
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum += xp.multiply(d, d, out=t2)
    std = xp.sqrt(state_sum, out=t2)
    std += eps
    xp.divide(d, std, out=t2)
    t2 *= -clr
    p += t2


def adagrad(params, grads, state_sums, state_steps, *, lr, weight_decay, lr_decay, eps,
            maximize):
    """Functional Adagrad, one tensor at a time: the reference the flat step is checked
    against. Updates ``params``, ``state_sums`` and ``state_steps`` in place."""
    with no_grad():
        for i, param in enumerate(params):
            grad = grads[i] if not maximize else -grads[i]
            state_steps[i] += 1
            step = state_steps[i].item()
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            clr = lr / (1 + (step - 1) * lr_decay)
            state_sums[i].addcmul_(grad, grad, value=1)
            std = state_sums[i].sqrt().add_(eps)
            param.addcdiv_(grad, std, value=-clr)
