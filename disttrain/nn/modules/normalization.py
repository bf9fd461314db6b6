"""Per-sample normalisation layers: LayerNorm, GroupNorm."""
import numbers

from ...core import creation as _creation
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm", "CrossMapLRN2d"]


def _affine_parameters(module, shape, affine, bias, device, dtype):
    """Register ``weight`` (with ``affine``) and ``bias`` (with ``affine`` and ``bias``) of
    ``shape``, or None in their place, as every normalisation layer does."""
    kw = {"device": device, "dtype": dtype}
    if affine:
        module.weight = Parameter(_creation.empty(shape, **kw))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(_creation.empty(shape, **kw))
    else:
        module.register_parameter("bias", None)


def _reset_affine(module):
    """Weight to ones and bias to zeros, where the layer has them."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dimensions of each sample.

    Args:
        normalized_shape (int or tuple): the trailing shape to normalise over.
        eps (float): added to the variance. Default 1e-5.
        elementwise_affine (bool): learnable weight (ones) and bias (zeros) of that shape.
        bias (bool): learnable bias (with ``elementwise_affine``). Default True.

    Shape:
        - Input: (N, *, normalized_shape); Output: the same shape.

    Example::

        >>> nn.LayerNorm(4)
        LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise (N, C, *) over groups of channels; per-channel affine parameters.

    Args:
        num_groups (int): number of groups; must divide ``num_channels``.
        num_channels (int): C.
        eps (float): added to the variance. Default 1e-5.
        affine (bool): learnable per-channel weight (ones) and bias (zeros). Default True.
        bias (bool, keyword): learnable bias (with ``affine``). Default True.

    Shape:
        - Input: (N, C, *); Output: the same shape.

    Example::

        >>> nn.GroupNorm(3, 6)(disttrain.randn(20, 6, 10, 10)).shape
        disttrain.Size([20, 6, 10, 10])
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None,
                 *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = (num_groups, num_channels,
                                                                     eps, affine)
        _affine_parameters(self, num_channels, affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """x / sqrt(mean(x²) + eps) over the trailing ``normalized_shape`` dims, times a weight.

    Args:
        normalized_shape (int or tuple): the trailing shape to normalise over.
        eps (float, optional): default: the input dtype's machine epsilon.
        elementwise_affine (bool): learnable weight (ones). Default True.

    Example::

        >>> nn.RMSNorm([2, 3])
        RMSNorm((2, 3), eps=None, elementwise_affine=True)
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_creation.empty(self.normalized_shape, device=device,
                                                    dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight to ones."""
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """Normalise each value by the energy of ``size`` neighbouring channels (AlexNet).

    Args:
        size (int): channels in the neighbourhood.
        alpha (float): scale. Default 1e-4.
        beta (float): exponent. Default 0.75.
        k (float): additive constant. Default 1.
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(Module):
    """Local response normalisation of (N, C, H, W) across channels (Lua Torch's form).

    Args:
        size (int): channels in the neighbourhood.
        alpha (float): scale. Default 1e-4.
        beta (float): exponent. Default 0.75.
        k (float): additive constant. Default 1.
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D "
                             f"instead.")
        return _cross_map_lrn(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


def _cross_map_lrn(x, size, alpha, beta, k):
    """x·(k + alpha/size·Σ x² over a window of channels)^-beta, with the windows of PyTorch's
    CrossMapLRN2d: channel c sums channels up to c + (size-1)//2 from its running window, in
    which channel 0, once added, is never dropped."""
    import numpy as np
    c = x.shape[1]
    pre = int((size - 1) / 2 + 1)
    m = np.zeros((c, c))
    m[0, :min(pre, c)] = 1
    for i in range(1, c):
        m[i] = m[i - 1]
        if i < c - pre + 1:
            m[i, i + pre - 1] += 1
        if i > pre:
            m[i, i - pre] -= 1
    win = _creation.tensor(m, dtype=x.dtype, device=x.device)
    sq = (x * x).permute(0, 2, 3, 1).matmul(win.t()).permute(0, 3, 1, 2)
    return x * (sq * (alpha / size) + k) ** -beta
