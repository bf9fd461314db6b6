"""Fully connected layers: Identity, Linear, Bilinear and LazyLinear."""
import math

from ..parameter import Parameter, UninitializedParameter
from ...core import creation as _creation
from ...core.grad_mode import no_grad
from .. import functional as F, init
from .module import Module
from .lazy import LazyModuleMixin

__all__ = ["Identity", "Linear", "Bilinear", "LazyLinear"]


class Identity(Module):
    """A placeholder that returns its input; any constructor arguments are ignored.

    Example::

        >>> nn.Identity(54, unused_argument1=0.1)(disttrain.randn(2, 3)).shape
        disttrain.Size([2, 3])
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


def _empty(*shape, device=None, dtype=None):
    return _creation.empty(*shape, device=device, dtype=dtype)


class Linear(Module):
    """Applies ``y = x Wᵀ + b``.

    Args:
        in_features (int): size of each input sample.
        out_features (int): size of each output sample.
        bias (bool): whether to learn an additive bias. Default: ``True``.

    Shape:
        - Input: ``(*, in_features)``.
        - Output: ``(*, out_features)``.

    Attributes:
        weight: ``(out_features, in_features)``, initialised from U(-√k, √k), k = 1/in_features.
        bias: ``(out_features)``, initialised the same way.

    Example::

        >>> m = nn.Linear(20, 30)
        >>> m(disttrain.randn(128, 20)).size()
        disttrain.Size([128, 30])
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Kaiming-uniform weight with a=√5 and bias from U(±1/√fan_in), as PyTorch does."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """The output projection of MultiheadAttention: a Linear under PyTorch's class name."""


class Bilinear(Module):
    """Applies ``y_k = x1ᵀ W_k x2 + b_k``.

    Args:
        in1_features (int): size of each first input sample.
        in2_features (int): size of each second input sample.
        out_features (int): size of each output sample.
        bias (bool): whether to learn an additive bias. Default: ``True``.

    Shape:
        - Input1: ``(*, in1_features)``, Input2: ``(*, in2_features)``.
        - Output: ``(*, out_features)``.

    Example::

        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(disttrain.randn(128, 20), disttrain.randn(128, 30)).size()
        disttrain.Size([128, 40])
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(_empty(out_features, in1_features, in2_features, device=device,
                                       dtype=dtype))
        if bias:
            self.bias = Parameter(_empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight and bias from U(-1/√in1_features, 1/√in1_features)."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose ``in_features`` is taken from the first input's last dim.

    Until that first call ``weight`` and ``bias`` are ``UninitializedParameter``s and the
    layer prints as ``LazyLinear(in_features=0, ...)``; afterwards it is a plain ``Linear``.

    Args:
        out_features (int): size of each output sample.
        bias (bool): whether to learn an additive bias. Default: ``True``.
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        # Linear.__init__ with 0 inputs makes placeholders-to-be; they are replaced at once.
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        """Materialise ``weight`` as ``(out_features, input.shape[-1])`` and initialise it."""
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        elif self.in_features == 0:
            self.in_features = self.weight.shape[1]
