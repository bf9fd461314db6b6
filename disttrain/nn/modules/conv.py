"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d."""
import math

from ...core import creation as _creation
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Conv3d", "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, n):
    if isinstance(value, (list, tuple)):
        return tuple(value) if len(value) != 1 else tuple(value) * n
    return (value,) * n


class _ConvNd(Module):
    """Shared configuration, parameters, initialisation and repr of the convolution layers."""

    _nd = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                 bias, padding_mode, output_padding=0, device=None, dtype=None):
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{{'same', 'valid'}}")
            if padding == "same" and any(s != 1 for s in _ntuple(stride, nd)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {{'circular', 'zeros', 'replicate', "
                             f"'reflect'}}, but got padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _ntuple(kernel_size, nd)
        self.stride = _ntuple(stride, nd)
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, nd)
        self.dilation = _ntuple(dilation, nd)
        self.output_padding = _ntuple(output_padding, nd)
        self.groups, self.padding_mode = groups, padding_mode
        self._reversed_padding_repeated_twice = self._edge_padding()
        shape = ((in_channels, out_channels // groups) if self.transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(_creation.empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _edge_padding(self):
        """F.pad widths (last dim first) for the non-zero padding modes."""
        out = []
        for i in reversed(range(self._nd)):
            if self.padding == "valid":
                lo = hi = 0
            elif self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                lo, hi = total // 2, total - total // 2
            else:
                lo = hi = self.padding[i]
            out += [lo, hi]
        return tuple(out)

    def reset_parameters(self):
        """Kaiming-uniform weights with a=sqrt(5) and U(±1/sqrt(fan_in)) biases, as PyTorch."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if isinstance(self.padding, str):
            s += f", padding={self.padding}"
        elif self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"

    def _conv_forward(self, input, weight, bias):
        conv = (F.conv1d, F.conv2d, F.conv3d)[self._nd - 1]
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class _Conv(_ConvNd):
    """The constructor (PyTorch's signature) shared by Conv1d and Conv2d."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, device=device, dtype=dtype)


class Conv1d(_Conv):
    """1-d convolution over (N, C_in, L) or (C_in, L).

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels produced.
        kernel_size (int or tuple): size of the kernel.
        stride (int or tuple): default 1.
        padding (int, tuple or str): zeros added on both sides, or 'same'/'valid'. Default 0.
        dilation (int or tuple): spacing between kernel elements. Default 1.
        groups (int): blocked connections from input to output channels. Default 1.
        bias (bool): add a learnable bias. Default True.
        padding_mode (str): 'zeros', 'reflect', 'replicate' or 'circular'. Default 'zeros'.

    Shape:
        - Input: (N, C_in, L_in) or (C_in, L_in)
        - Output: (N, C_out, L_out), L_out = (L_in + 2p - d(k - 1) - 1) // s + 1

    Example::

        >>> m = nn.Conv1d(16, 33, 3, stride=2)
        >>> m(disttrain.randn(20, 16, 50)).shape
        disttrain.Size([20, 33, 24])
    """

    _nd = 1


class Conv2d(_Conv):
    """2-d convolution over (N, C_in, H, W) or (C_in, H, W).

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels produced.
        kernel_size (int or tuple): size of the kernel.
        stride (int or tuple): default 1.
        padding (int, tuple or str): zeros added on both sides, or 'same'/'valid'. Default 0.
        dilation (int or tuple): spacing between kernel elements. Default 1.
        groups (int): blocked connections from input to output channels. Default 1.
        bias (bool): add a learnable bias. Default True.
        padding_mode (str): 'zeros', 'reflect', 'replicate' or 'circular'. Default 'zeros'.

    Shape:
        - Input: (N, C_in, H_in, W_in) or (C_in, H_in, W_in)
        - Output: (N, C_out, H_out, W_out), H_out = (H_in + 2p - d(k - 1) - 1) // s + 1

    Example::

        >>> m = nn.Conv2d(1, 6, 5)
        >>> m
        Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
        >>> m(disttrain.randn(1, 1, 32, 32)).shape
        disttrain.Size([1, 6, 28, 28])
    """

    _nd = 2


class _ConvTransposeNd(_ConvNd):
    """The constructor (PyTorch's signature) and forward of the transposed convolutions."""

    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, output_padding, device=device, dtype=dtype)

    def _output_padding(self, input, output_size):
        """The output_padding that makes the output ``output_size`` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        output_size = list(output_size)
        if len(output_size) == nd + 2 or len(output_size) == nd + 1:
            output_size = output_size[-nd:]
        if len(output_size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.dim()}D input, output_size must "
                             f"have {nd} or {nd + 2} elements (got {len(output_size)})")
        spatial = input.shape[input.dim() - nd:]
        lows = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(nd)]
        highs = [lo + self.stride[d] - 1 for d, lo in enumerate(lows)]
        for d in range(nd):
            if not lows[d] <= output_size[d] <= highs[d]:
                raise ValueError(f"requested an output size of {tuple(output_size)}, but valid "
                                 f"sizes range from {lows} to {highs} (for an input of "
                                 f"{spatial})")
        return tuple(output_size[d] - lows[d] for d in range(nd))

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self._nd - 1]
        return fn(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                  self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution ("deconvolution") over (N, C_in, L) or (C_in, L).

    Shape:
        - Output: L_out = (L_in - 1)s - 2p + d(k - 1) + output_padding + 1
    """

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution ("deconvolution") over (N, C_in, H, W) or (C_in, H, W).

    Args:
        in_channels (int), out_channels (int), kernel_size (int or tuple).
        stride (int or tuple): default 1.
        padding (int or tuple): removed from both sides of the output. Default 0.
        output_padding (int or tuple): added to one side of the output. Default 0.
        groups (int): default 1.
        bias (bool): default True.
        dilation (int or tuple): default 1.

    Shape:
        - Output: H_out = (H_in - 1)s - 2p + d(k - 1) + output_padding + 1

    Example::

        >>> m = nn.ConvTranspose2d(16, 33, 3, stride=2)
        >>> m(disttrain.randn(20, 16, 50, 100)).shape
        disttrain.Size([20, 33, 101, 201])
    """

    _nd = 2


class Conv3d(_Conv):
    """3-d convolution over (N, C_in, D, H, W) or (C_in, D, H, W) (arguments as Conv2d).

    Example::

        >>> m = nn.Conv3d(2, 4, 3, stride=2)
        >>> m(disttrain.randn(1, 2, 7, 7, 7)).shape
        disttrain.Size([1, 4, 3, 3, 3])
    """

    _nd = 3


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution over (N, C_in, D, H, W) or (C_in, D, H, W) (arguments as
    ConvTranspose2d)."""

    _nd = 3
