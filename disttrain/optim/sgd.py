"""Stochastic gradient descent, optionally with (Nesterov) momentum."""
from ..core.device import array_module
from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ._flat import grad_term
from .optimizer import Optimizer, _flat_step

__all__ = ["SGD", "sgd"]


class SGD(Optimizer):
    r"""Implements stochastic gradient descent (optionally with momentum).

    With gradient :math:`g_t` (negated under ``maximize``, plus :math:`\lambda\theta_{t-1}` with
    weight decay), the momentum buffer is :math:`b_1 = g_1`,
    :math:`b_t = \mu b_{t-1} + (1-\tau) g_t`; the update is
    :math:`\theta_t = \theta_{t-1} - \gamma\,(g_t + \mu b_t)` with Nesterov and
    :math:`\theta_{t-1} - \gamma b_t` without (:math:`g_t` itself when :math:`\mu = 0`).

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): learning rate. Default: 1e-3.
        momentum (float, optional): momentum factor. Default: 0.
        dampening (float, optional): dampening for momentum. Default: 0.
        weight_decay (float, optional): weight decay (L2 penalty). Default: 0.
        nesterov (bool, optional): enables Nesterov momentum. Default: ``False``.
        maximize (bool, optional): maximize the objective instead of minimizing.
            Default: ``False``.
        foreach, fused: accepted for compatibility; every step runs on flat buffers.
        differentiable (bool, optional): ``True`` is not supported (raises).

    Example::

        >>> optimizer = disttrain.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> optimizer.zero_grad()
        >>> loss_fn(model(input), target).backward()
        >>> optimizer.step()
    """

    _setstate_defaults = dict(nesterov=False, maximize=False, foreach=None,
                              differentiable=False, fused=False)

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        # PyTorch's SGD tests ``< 0`` (a NaN passes), unlike _check_nonnegative's ``not 0 <=``.
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    step = _flat_step

    def _state_names(self, group):
        return ["momentum_buffer"] if group["momentum"] != 0 else []

    def _update(self, fg, group, active, bounds):
        momentum = group["momentum"]
        buf = fg.ensure("momentum_buffer") if momentum != 0 else None
        hyper = dict(lr=float(group["lr"]), momentum=momentum, dampening=group["dampening"],
                     weight_decay=group["weight_decay"], nesterov=group["nesterov"],
                     maximize=group["maximize"])
        key = fg.has_state if momentum != 0 else None
        xp = fg.xp
        for lo, hi, i0, i1, has in fg.runs(active, key, bounds):
            first = momentum != 0 and not has
            for a, b in fg.blocks(lo, hi):
                t1, t2 = fg.scratch(2, b - a)
                _flat_sgd(xp, fg.param[a:b], fg.grad_block(a, b), None if buf is None else buf[a:b],
                          t1, t2, first=first, **hyper)
            if first:
                for i in range(i0, i1):
                    fg.publish(self.state, i, ["momentum_buffer"], False)


def _flat_sgd(xp, p, g, buf, t1, t2, *, first, lr, momentum, dampening, weight_decay,
              nesterov, maximize):
    """One SGD update of a flat slice in place; ``t1``/``t2`` are scratch of the same length."""
    d = grad_term(xp, p, g, t1, t2, maximize, weight_decay)
    if momentum != 0:
        if first:
            buf[...] = d
        else:
            buf *= momentum
            if dampening == 0:
                buf += d
            else:
                buf += xp.multiply(d, 1 - dampening, out=t2)
        if nesterov:
            xp.multiply(buf, momentum, out=t2)
            d = xp.add(d, t2, out=t1)
        else:
            d = buf
    p += xp.multiply(d, -lr, out=t2)


def sgd(params, d_p_list, momentum_buffer_list, *, weight_decay, momentum, lr, dampening,
        nesterov, maximize):
    """Functional SGD (PyTorch's ``torch.optim.sgd.sgd``): the optimizer's own update,
    ``_flat_sgd``, applied to one tensor at a time.

    Updates ``params`` in place; entries of ``momentum_buffer_list`` that are ``None`` are
    replaced by new buffers (the first gradient, as in PyTorch).
    """
    with no_grad():
        for i, param in enumerate(params):
            p, g = param._data, d_p_list[i]._data
            xp = array_module(p)
            buf = momentum_buffer_list[i]
            first = buf is None
            if momentum != 0 and first:
                buf = momentum_buffer_list[i] = Tensor._make(xp.empty_like(p))
            _flat_sgd(xp, p, g, None if buf is None else buf._data, xp.empty_like(p),
                      xp.empty_like(p), first=first, lr=lr, momentum=momentum,
                      dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                      maximize=maximize)
            param._version[0] += 1
