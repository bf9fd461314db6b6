"""Rprop: per-element step sizes grown or shrunk by the sign agreement of gradients."""
from .optimizer import Optimizer, _check_nonnegative, _flat_step

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Implements the resilient backpropagation algorithm.

    Each element keeps a step size :math:`\eta` (starting at ``lr``): multiplied by
    :math:`\eta_+` when the gradient kept its sign, by :math:`\eta_-` when it flipped (and
    that gradient then counts as zero), clamped to ``step_sizes``;
    :math:`\theta_t = \theta_{t-1} - \eta_t\,\mathrm{sign}(g_t)`.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): initial step size. Default: 1e-2.
        etas (Tuple[float, float], optional): the multiplicative decrease and increase
            factors :math:`(\eta_-, \eta_+)`. Default: (0.5, 1.2).
        step_sizes (Tuple[float, float], optional): minimal and maximal step sizes.
            Default: (1e-6, 50).
        capturable, foreach: accepted for compatibility; every step runs on flat buffers.
        maximize (bool, optional): maximize the objective. Default: ``False``.
        differentiable (bool, optional): ``True`` is not supported (raises).

    Example::

        >>> optimizer = disttrain.optim.Rprop(model.parameters(), lr=0.01)
    """

    _with_step = True
    _setstate_defaults = dict(foreach=None, maximize=False, differentiable=False,
                              capturable=False)

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_nonnegative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    step = _flat_step

    def _state_names(self, group):
        return ["prev", "step_size"]

    def _update(self, fg, group, active, bounds):
        self._start(fg, group, active, {"step_size": float(group["lr"])})
        etaminus, etaplus = group["etas"]
        lo_size, hi_size = group["step_sizes"]
        prev, size = fg.state["prev"], fg.state["step_size"]
        xp = fg.xp
        for a, b, _ in fg.pieces(active, None, bounds):
            t1, t2 = fg.scratch(2, b - a)
            g = fg.grad_block(a, b)
            if group["maximize"]:
                g = xp.negative(g, out=t1)
            sign = xp.multiply(g, prev[a:b], out=t2)
            xp.sign(sign, out=sign)
            flipped = sign < 0
            # The factor, in place of the sign: eta+ where it agreed, eta- where it flipped.
            xp.copyto(sign, etaplus, where=sign > 0)
            xp.copyto(sign, etaminus, where=flipped)
            xp.copyto(sign, 1, where=sign == 0)
            s = size[a:b]
            s *= sign
            xp.clip(s, lo_size, hi_size, out=s)
            pr = prev[a:b]
            pr[...] = g
            xp.copyto(pr, 0, where=flipped)
            xp.sign(pr, out=sign)
            sign *= s
            fg.param[a:b] -= sign
