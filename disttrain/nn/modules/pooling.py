"""Pooling layers: max, average, adaptive, Lp and max-unpooling, in one to three dimensions."""
from .. import functional as F
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]
__all__ += ["MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "LPPool1d",
            "LPPool2d", "LPPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
            "FractionalMaxPool2d", "FractionalMaxPool3d"]


class _MaxPoolNd(Module):
    _fn = None       # F.max_pool1d, 2d or 3d

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                              ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool1d(_MaxPoolNd):
    """1-d max pooling over (N, C, L) or (C, L).

    Args:
        kernel_size (int): window size.
        stride (int, optional): default ``kernel_size``.
        padding (int): implicit -inf on both sides, at most half the kernel. Default 0.
        dilation (int): spacing between window elements. Default 1.
        return_indices (bool): also return the argmax indices. Default False.
        ceil_mode (bool): round the output length up. Default False.

    Shape:
        - Output: L_out = (L_in + 2p - d(k - 1) - 1) // s + 1 (ceil with ``ceil_mode``)

    Example::

        >>> nn.MaxPool1d(3, stride=2)(disttrain.randn(20, 16, 50)).shape
        disttrain.Size([20, 16, 24])
    """

    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """2-d max pooling over (N, C, H, W) or (C, H, W).

    Args:
        kernel_size (int or tuple): window size.
        stride (int or tuple, optional): default ``kernel_size``.
        padding (int or tuple): implicit -inf on both sides, at most half the kernel.
        dilation (int or tuple): spacing between window elements. Default 1.
        return_indices (bool): also return the flat argmax indices. Default False.
        ceil_mode (bool): round the output size up. Default False.

    Shape:
        - Output: H_out = (H_in + 2p - d(k - 1) - 1) // s + 1 (ceil with ``ceil_mode``)

    Example::

        >>> nn.MaxPool2d(2)
        MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    _fn = staticmethod(F.max_pool2d)


def _single(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


class _AvgPoolNd(Module):
    """Base of the average-pooling layers: their repr, and the 2-d and 3-d layers' arguments
    and ``forward`` (through ``_fn``)."""

    _fn = None       # F.avg_pool2d or 3d

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding,
                              self.ceil_mode, self.count_include_pad, self.divisor_override)


class AvgPool1d(_AvgPoolNd):
    """1-d average pooling over (N, C, L) or (C, L).

    Args:
        kernel_size (int): window size.
        stride (int, optional): default ``kernel_size``.
        padding (int): zeros on both sides. Default 0.
        ceil_mode (bool): round the output length up. Default False.
        count_include_pad (bool): count the padding in the divisor. Default True.

    Example::

        >>> nn.AvgPool1d(3, stride=2)(disttrain.tensor([[[1., 2, 3, 4, 5, 6, 7]]]))
        tensor([[[2., 4., 6.]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        Module.__init__(self)        # its own arguments: tuples, and no divisor_override
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """2-d average pooling over (N, C, H, W) or (C, H, W).

    Args:
        kernel_size (int or tuple): window size.
        stride (int or tuple, optional): default ``kernel_size``.
        padding (int or tuple): zeros on both sides. Default 0.
        ceil_mode (bool): round the output size up. Default False.
        count_include_pad (bool): count the padding in the divisor. Default True.
        divisor_override (int, optional): divide by this instead of the window size.

    Example::

        >>> nn.AvgPool2d(2)
        AvgPool2d(kernel_size=2, stride=2, padding=0)
    """

    _fn = staticmethod(F.avg_pool2d)


class _AdaptivePool(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling of (N, C, L) or (C, L) to ``output_size`` positions.

    Example::

        >>> nn.AdaptiveAvgPool1d(5)(disttrain.randn(1, 64, 8)).shape
        disttrain.Size([1, 64, 5])
    """

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling of (N, C, H, W) or (C, H, W) to ``output_size`` (None keeps a size).

    Example::

        >>> nn.AdaptiveAvgPool2d((5, 7))(disttrain.randn(1, 64, 8, 9)).shape
        disttrain.Size([1, 64, 5, 7])
    """

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max pooling of (N, C, L) or (C, L) to ``output_size`` positions."""

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max pooling of (N, C, H, W) or (C, H, W) to ``output_size``.

    Example::

        >>> nn.AdaptiveMaxPool2d(3)(disttrain.randn(1, 64, 8, 9)).shape
        disttrain.Size([1, 64, 3, 3])
    """

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class MaxPool3d(_MaxPoolNd):
    """3-d max pooling over (N, C, D, H, W) or (C, D, H, W) (arguments as MaxPool2d).

    Example::

        >>> nn.MaxPool3d(2)(disttrain.randn(1, 2, 4, 4, 4)).shape
        disttrain.Size([1, 2, 2, 2, 2])
    """

    _fn = staticmethod(F.max_pool3d)


class AvgPool3d(_AvgPoolNd):
    """3-d average pooling over (N, C, D, H, W) or (C, D, H, W) (arguments as AvgPool2d)."""

    _fn = staticmethod(F.avg_pool3d)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to ``output_size``."""

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) to ``output_size``."""

    def forward(self, input):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class _LPPoolNd(Module):
    _fn = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")

    def forward(self, input):
        return type(self)._fn(input, float(self.norm_type), self.kernel_size, self.stride,
                              self.ceil_mode)


class LPPool1d(_LPPoolNd):
    """Power-average pooling (Σ x^p)^(1/p) over windows of (N, C, L)."""

    _fn = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling (Σ x^p)^(1/p) over windows of (N, C, H, W)."""

    _fn = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """Power-average pooling (Σ x^p)^(1/p) over windows of (N, C, D, H, W)."""

    _fn = staticmethod(F.lp_pool3d)


class _MaxUnpoolNd(Module):
    _nd = 1
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        n = self._nd
        tup = lambda v: tuple(v) if isinstance(v, (list, tuple)) else (v,) * n  # noqa: E731
        self.kernel_size = tup(kernel_size)
        self.stride = tup(stride if stride is not None else kernel_size)
        self.padding = tup(padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input, indices, output_size=None):
        return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool1d(_MaxUnpoolNd):
    """Put each value of a MaxPool1d output back at its argmax; zeros elsewhere."""

    _nd = 1
    _fn = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """Put each value of a MaxPool2d output back at its argmax; zeros elsewhere.

    Example::

        >>> pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
        >>> unpool(*pool(disttrain.randn(1, 1, 4, 4))).shape
        disttrain.Size([1, 1, 4, 4])
    """

    _nd = 2
    _fn = staticmethod(F.max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    """Put each value of a MaxPool3d output back at its argmax; zeros elsewhere."""

    _nd = 3
    _fn = staticmethod(F.max_unpool3d)


class _FractionalMaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        from .utils import _ntuple
        tup = _ntuple(self._nd)
        name = type(self).__name__
        self.kernel_size = tup(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = tup(output_size) if output_size is not None else None
        self.output_ratio = tup(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             f"ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        fn = F.fractional_max_pool2d if self._nd == 2 else F.fractional_max_pool3d
        return fn(input, self.kernel_size, self.output_size, self.output_ratio,
                  self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Max pooling over windows at pseudo-random positions (fractional max pooling).

    Args:
        kernel_size (int or tuple): window size.
        output_size (int or tuple, optional): output size, or
        output_ratio (float or tuple, optional): output size as a fraction of the input's.
        return_indices (bool): also return the argmax indices. Default False.
    """

    _nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-d :class:`FractionalMaxPool2d`."""

    _nd = 3
