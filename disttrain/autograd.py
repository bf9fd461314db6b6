"""``disttrain.autograd``: Function, backward, grad, gradcheck, grad-mode switches."""
from .core.autograd import Function, backward, grad
from .core.grad_mode import no_grad, enable_grad, set_grad_enabled
from .core.gradcheck import gradcheck, gradgradcheck
from .core.tensor import Tensor as Variable

__all__ = ["Function", "backward", "grad", "gradcheck", "gradgradcheck", "no_grad",
           "enable_grad", "set_grad_enabled", "Variable"]
