"""``disttrain.autograd.forward_ad``: forward-mode AD through dual tensors, as
``torch.autograd.forward_ad``.

disttrain has no forward-mode kernels; a dual tensor is its primal recorded by reverse-mode
autograd, and ``unpack_dual`` computes the tangent of a result as a Jacobian-vector product
by the double-vjp identity (two backward passes per call). Values match PyTorch's; the cost
grows with each ``unpack_dual``, and results computed from dual tensors carry a graph
(``requires_grad`` is True on them, unlike in PyTorch). Only one dual level can be open, as in
PyTorch.
"""
from typing import NamedTuple, Optional

from ..core.engine import grad as _grad
from ..core.grad_mode import enable_grad
from ..core.tensor import Tensor

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]

_levels = []


class UnpackedDualTensor(NamedTuple):
    """``(primal, tangent)`` of a dual tensor; tangent is None where there is none."""

    primal: Tensor
    tangent: Optional[Tensor]


class _Level:
    def __init__(self):
        self.duals = []               # (dual tensor, tangent, whether the input required grad)


def enter_dual_level():
    """Open a dual level (returns its index, 0)."""
    if _levels:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _levels.append(_Level())
    return 0


def exit_dual_level(*, level=None):
    """Close the dual level: its tangents are forgotten."""
    if not _levels:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was "
                           "created. This is not supported.")
    _levels.pop()


class dual_level:
    """Context manager for one dual level.

    Example::

        >>> with dual_level():
        ...     x = make_dual(primal, tangent)
        ...     jvp = unpack_dual(f(x)).tangent
    """

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False


def make_dual(tensor, tangent, *, level=None):
    """A dual tensor: ``tensor``'s values carrying the forward gradient ``tangent``."""
    if not _levels:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if not tensor.dtype.is_floating_point:
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype}")
    if not tangent.dtype.is_floating_point:
        raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                         f"{tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(f"Trying to set a forward gradient that has a different size than "
                           f"that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor.shape)} while the given forward gradient is of "
                           f"size {list(tangent.shape)}.")
    had_grad = tensor.requires_grad
    with enable_grad():
        dual = tensor.view_as(tensor) if had_grad else tensor.detach().requires_grad_(True)
    _levels[-1].duals.append((dual, tangent, had_grad))
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of ``tensor`` at the open level (tangent None if it depends on
    no dual tensor)."""
    if not _levels or not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    lv = _levels[-1]
    keep_graph = any(h for _, _, h in lv.duals)
    primal = tensor if keep_graph else tensor.detach()
    for dual, tangent, _ in lv.duals:
        if dual is tensor:
            return UnpackedDualTensor(primal, tangent)
    if not tensor.requires_grad or not tensor.dtype.is_floating_point or not lv.duals:
        return UnpackedDualTensor(primal, None)
    duals = [d for d, _, _ in lv.duals]
    with enable_grad():
        u = tensor.detach().new_zeros(tuple(tensor.shape)).requires_grad_(True)
        vjps = _grad(tensor, duals, u, create_graph=True, retain_graph=True, allow_unused=True)
        used = [(g, t) for g, (_, t, _) in zip(vjps, lv.duals) if g is not None]
        if not used:
            return UnpackedDualTensor(primal, None)
        linear = [(g, t) for g, t in used if g.requires_grad]
        if not linear:            # the result depends on the duals only through constants
            return UnpackedDualTensor(primal, tensor.detach().new_zeros(tuple(tensor.shape)))
        jv, = _grad([g for g, _ in linear], u, [t for _, t in linear], retain_graph=True,
                    allow_unused=True)
    if jv is None:
        jv = tensor.detach().new_zeros(tuple(tensor.shape))
    return UnpackedDualTensor(primal, jv if keep_graph else jv.detach())
