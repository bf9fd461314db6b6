"""``disttrain.autograd.function``: ``Function``, its ctx type and ``once_differentiable``."""
import functools

from ..core.autograd import BackwardNode as FunctionCtx, Function
from ..core.grad_mode import no_grad, state as _grad_state
from ..core.tensor import Tensor

__all__ = ["Function", "FunctionCtx", "InplaceFunction", "once_differentiable"]


def _vmap(info, in_dims, *args):
    raise NotImplementedError("To use autograd.Function with vmap, you must either override the "
                              "vmap staticmethod or set generate_vmap_rule=True.")


# disttrain's vmap runs the function once per batch element, so a Function needs no rule;
# calling the staticmethod itself says what PyTorch says
Function.vmap = staticmethod(_vmap)
Function.generate_vmap_rule = False


class InplaceFunction(Function):
    """A ``Function`` whose constructor takes an ``inplace`` flag (legacy PyTorch API)."""

    def __init__(self, inplace=False):
        self.inplace = inplace


InplaceFunction._builtin = False     # a base for user Functions, not an op of disttrain


class _OnceDifferentiableError(Function):
    """Passes its input through; differentiating it raises (see ``once_differentiable``)."""

    @staticmethod
    def forward(ctx, x):
        return x._data

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def once_differentiable(fn):
    """Decorate a Function's ``backward`` that is not itself differentiable: it runs without
    recording, and a double backward through its results raises a clear error."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not _grad_state.enabled:
            return outputs
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        wrapped = tuple(_OnceDifferentiableError.apply(o.detach().requires_grad_(True))
                        if isinstance(o, Tensor) and o.dtype.is_floating_point else o
                        for o in outs)
        return wrapped[0] if single else wrapped
    return wrapper
