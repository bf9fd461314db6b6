"""Adafactor: Adam-like steps with a factored (row and column) second-moment estimate."""
import numpy as np

from ..core import creation
from ..core.dtype import float32
from ..core.tensor import Tensor
from .adam import _lerp_
from .optimizer import Optimizer

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Implements the Adafactor algorithm.

    A matrix (or batch of matrices) keeps only the running means of its squared gradient
    over rows (``row_var``) and over columns (``col_var``), whose outer product divided by
    their mean estimates the second moment; a vector keeps the full ``variance``. With
    :math:`\beta_{2,t} = 1 - t^{c}` (``beta2_decay`` :math:`c`), the relative step
    :math:`\rho_t = \min(\gamma, 1/\sqrt t)` and
    :math:`\alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta_{t-1}))\rho_t`,
    :math:`u_t = g_t / \sqrt{\hat v_t}` and
    :math:`\theta_t = \theta_{t-1} - \alpha_t u_t / \max(1, \mathrm{RMS}(u_t)/d)`.

    The statistics are per parameter (norms, row and column means), so the step runs one
    parameter at a time over views of the flat buffers; its state is kept per parameter in
    PyTorch's shapes.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float, Tensor, optional): the maximum relative step. Default: 1e-2.
        beta2_decay (float, optional): decay exponent of the second-moment average.
            Default: -0.8.
        eps (Tuple[float, float], optional): :math:`\epsilon_1` (added to the variance; None
            for the dtype's machine epsilon) and :math:`\epsilon_2` (lower bound of the
            parameter scale). Default: (None, 1e-3).
        d (float, optional): clipping threshold of the update's RMS. Default: 1.0.
        weight_decay (float, optional): decoupled weight decay. Default: 0.0.
        foreach: accepted for compatibility.
        maximize (bool, optional): maximize the objective. Default: ``False``.

    Example::

        >>> optimizer = disttrain.optim.Adafactor(model.parameters(), lr=1e-2)
    """

    _imports_flat_state = False    # its states have their own shapes, not the parameters'
    _setstate_defaults = dict(foreach=None)

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        return self._run_step(closure)

    def _update(self, fg, group, active, bounds):
        if bounds is not None:
            raise NotImplementedError("Adafactor's statistics span whole parameters: it "
                                      "cannot step a shard of the flat parameters")
        lr = float(group["lr"])
        eps1, eps2 = group["eps"]
        xp = fg.xp
        for i in np.flatnonzero(active):
            i = int(i)
            p, g = fg.pviews[i], fg.gviews[i]
            if group["maximize"]:
                g = -g
            state = self.state[fg.params[i]]
            if len(state) == 0:
                state["step"] = creation.tensor(0.0, dtype=float32)
                if g.ndim > 1:
                    state["row_var"] = Tensor._make(xp.zeros(g.shape[:-1] + (1,), g.dtype))
                    state["col_var"] = Tensor._make(
                        xp.zeros(g.shape[:-2] + (1,) + g.shape[-1:], g.dtype))
                else:
                    state["variance"] = Tensor._make(xp.zeros_like(g))
            if eps1 is None:
                # As in PyTorch, the first parameter's dtype sets it for the rest of the group.
                eps1 = float(np.finfo(p.dtype).eps)
            step_t = state["step"]
            step_t._data[...] += 1
            step_t._version[0] += 1
            step = float(step_t._data)
            one_minus_beta2_t = step ** group["beta2_decay"]
            rho_t = min(lr, 1 / (step ** 0.5))
            alpha = max(eps2, _norm(xp, p) / (p.size ** 0.5)) * rho_t
            if group["weight_decay"] != 0:
                p *= 1 - lr * group["weight_decay"]
            if g.ndim > 1:
                row_var, col_var = state["row_var"]._data, state["col_var"]._data
                row_mean = xp.square(_norm(xp, g, -1)) / g.shape[-1]
                _lerp_(xp, row_var, row_mean, one_minus_beta2_t, xp.empty_like(row_var))
                col_mean = xp.square(_norm(xp, g, -2)) / g.shape[-2]
                _lerp_(xp, col_var, col_mean, one_minus_beta2_t, xp.empty_like(col_var))
                var_estimate = xp.matmul(row_var, col_var)
                var_estimate /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
                for name in ("row_var", "col_var"):
                    state[name]._version[0] += 1
            else:
                variance = state["variance"]._data
                _lerp_(xp, variance, g * g, one_minus_beta2_t, xp.empty_like(variance))
                state["variance"]._version[0] += 1
                var_estimate = variance.copy()
            update = xp.maximum(var_estimate, eps1 * eps1)
            update = xp.reciprocal(xp.sqrt(update, out=update), out=update)
            update *= g
            denom = max(1.0, _norm(xp, update) / ((update.size ** 0.5) * group["d"]))
            update *= -alpha / denom
            p += update


def _norm(xp, a, axis=None):
    """The 2-norm of ``a`` (a float rounded to its dtype, as a 0-d tensor's ``item()`` is),
    or along ``axis`` keeping it."""
    if axis is None:
        return float(a.dtype.type(xp.sqrt(xp.vdot(a.ravel(), a.ravel())).item()))
    return xp.sqrt(xp.sum(a * a, axis=axis, keepdims=True))
