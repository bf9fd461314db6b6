"""Gradients of convolutions with respect to their input or weight, as standalone functions.

Each runs the convolution's own backward (``autograd.grad`` of the differentiable
convolution), so it equals what ``backward`` would compute and is itself differentiable.
"""
from ..core import creation as _c
from . import functional as F

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]


def _grad(conv, x, w, grad_output, wrt, stride, padding, dilation, groups):
    from ..autograd import grad
    from ..core.grad_mode import enable_grad, is_grad_enabled
    # the result is differentiable where the caller records and an operand requires grad
    record = is_grad_enabled() and any(t.requires_grad for t in (x, w, grad_output)
                                       if t is not wrt)
    with enable_grad():
        out = conv(x, w, None, stride, padding, dilation, groups)
        if tuple(out.shape) != tuple(grad_output.shape):
            raise RuntimeError(f"grad_output has shape {list(grad_output.shape)} but the "
                               f"convolution gives {list(out.shape)}")
        g = grad(out, wrt, grad_output, create_graph=record)[0]
    return g if record else g.detach()


def _input(conv, input_size, weight, grad_output, stride, padding, dilation, groups):
    x = _c.zeros(*input_size, dtype=grad_output.dtype,
                 device=grad_output.device).requires_grad_(True)
    return _grad(conv, x, weight, grad_output, x, stride, padding, dilation, groups)


def _weight(conv, input, weight_size, grad_output, stride, padding, dilation, groups):
    w = _c.zeros(*weight_size, dtype=grad_output.dtype,
                 device=grad_output.device).requires_grad_(True)
    return _grad(conv, input, w, grad_output, w, stride, padding, dilation, groups)


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of conv1d w.r.t. an input of ``input_size``."""
    return _input(F.conv1d, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of conv1d w.r.t. a weight of ``weight_size``."""
    return _weight(F.conv1d, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of conv2d w.r.t. an input of ``input_size``.

    Example::

        >>> w, go = disttrain.randn(4, 2, 3, 3), disttrain.randn(1, 4, 3, 3)
        >>> nn.grad.conv2d_input((1, 2, 5, 5), w, go).shape
        disttrain.Size([1, 2, 5, 5])
    """
    return _input(F.conv2d, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of conv2d w.r.t. a weight of ``weight_size``."""
    return _weight(F.conv2d, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of conv3d w.r.t. an input of ``input_size``."""
    return _input(F.conv3d, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of conv3d w.r.t. a weight of ``weight_size``."""
    return _weight(F.conv3d, input, weight_size, grad_output, stride, padding, dilation, groups)
