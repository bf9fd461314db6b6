"""Muon: momentum whose update is orthogonalised by a Newton-Schulz iteration (2-d weights)."""
import math

import numpy as np

from .adam import _lerp_
from .optimizer import Optimizer

__all__ = ["Muon"]

EPS = 1e-07
DEFAULT_A = 3.4445
DEFAULT_B = -4.775
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def _bf16(xp, x):
    """Round float32 ``x`` to the nearest bfloat16 (ties to even), kept in float32: PyTorch
    runs the Newton-Schulz iteration in bfloat16, which numpy lacks."""
    # float64 goes through float32 first, as PyTorch's conversion does.
    x = xp.ascontiguousarray(x, dtype=np.float32)
    bits = x.view(np.uint32)
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))) & \
        np.uint32(0xFFFF0000)
    return xp.where(xp.isnan(x), x, rounded.view(np.float32))


def _zeropower_via_newtonschulz(xp, grad, ns_coefficients, ns_steps, eps):
    """An approximately orthogonal matrix with ``grad``'s singular vectors: the quintic
    Newton-Schulz iteration ``X <- aX + (bXX^T + c(XX^T)^2)X`` from ``grad / |grad|``, each
    product rounded to bfloat16 after float32 accumulation, as in PyTorch."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = (np.float32(v) for v in ns_coefficients)
    x = _bf16(xp, grad)
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _bf16(xp, xp.sqrt(xp.sum(x * x, dtype=np.float32)))
    x = _bf16(xp, x / _bf16(xp, xp.maximum(norm, np.float32(eps))))
    for _ in range(ns_steps):
        gram = _bf16(xp, x @ x.T)
        gram_update = _bf16(xp, b * gram + c * (gram @ gram))
        x = _bf16(xp, a * x + gram_update @ x)
    return x.T if tall else x


def _adjust_lr(lr, adjust_lr_fn, param_shape):
    """The lr scaled for the matrix's shape: ``sqrt(max(1, A/B))`` ("original") or
    ``0.2 sqrt(max(A, B))`` ("match_rms_adamw", to reuse AdamW's lr)."""
    rows, cols = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    r"""Implements the Muon algorithm, for the 2-d weights of hidden layers.

    :math:`B_t = \mu B_{t-1} + (1-\mu) g_t` (a lerp); the update
    :math:`\widetilde B_t` is :math:`g_t` lerped towards :math:`B_t` by :math:`\mu` with
    Nesterov, else :math:`B_t`; it is orthogonalised by ``ns_steps`` Newton-Schulz iterations
    (in bfloat16, as PyTorch does), then
    :math:`\theta_t = \theta_{t-1}(1 - \gamma\lambda) - \tilde\gamma\, O_t` with the lr
    :math:`\tilde\gamma` adjusted for the matrix's shape.

    Args:
        params (iterable): 2-d parameters or dicts defining parameter groups (biases and
            embeddings belong with another optimizer such as AdamW).
        lr (float, Tensor, optional): learning rate. Default: 1e-3.
        weight_decay (float, optional): decoupled weight decay. Default: 0.1.
        momentum (float, optional): momentum factor. Default: 0.95.
        nesterov (bool, optional): use Nesterov momentum. Default: ``True``.
        ns_coefficients (tuple of three floats, optional): the Newton-Schulz polynomial's
            coefficients. Default: (3.4445, -4.775, 2.0315).
        eps (float, optional): lower bound of the norm the update is divided by.
            Default: 1e-7.
        ns_steps (int, optional): Newton-Schulz iterations. Default: 5.
        adjust_lr_fn (str, optional): ``"original"`` or ``"match_rms_adamw"``; None means
            ``"original"``. Default: None.

    Example::

        >>> muon = disttrain.optim.Muon([p for p in model.parameters() if p.ndim == 2],
        ...                             lr=0.02)
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS,
                 ns_steps=DEFAULT_NS_STEPS, adjust_lr_fn=None):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        return self._run_step(closure)

    def _state_names(self, group):
        return ["momentum_buffer"]

    def _update(self, fg, group, active, bounds):
        if bounds is not None:
            raise NotImplementedError("Muon orthogonalises whole matrices: it cannot step a "
                                      "shard of the flat parameters")
        self._start(fg, group, active)
        lr, momentum = float(group["lr"]), group["momentum"]
        xp = fg.xp
        for i in np.flatnonzero(active):
            i = int(i)
            g = fg.gviews[i]
            buf = fg.view(fg.state["momentum_buffer"], i)
            _lerp_(xp, buf, g, 1 - momentum, xp.empty_like(buf))
            if group["nesterov"]:
                update = g.copy()
                _lerp_(xp, update, buf, momentum, xp.empty_like(update))
            else:
                update = buf
            update = _zeropower_via_newtonschulz(xp, update, group["ns_coefficients"],
                                                 group["ns_steps"], group["eps"])
            adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], g.shape)
            p = fg.pviews[i]
            p *= 1 - lr * group["weight_decay"]
            update = update.astype(p.dtype)        # bfloat16 values, exact in p's dtype
            update *= -adjusted_lr
            p += update
