"""Activation layers; each calls its ``nn.functional`` form."""
from ..parameter import Parameter
from ...core import creation as _creation
from .. import functional as F
from .module import Module

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
           "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softmin", "Softplus", "Softsign",
           "LogSigmoid", "Hardtanh", "Hardsigmoid", "Hardswish", "PReLU", "GLU", "Threshold"]
__all__ += ["Hardshrink", "Softshrink", "Tanhshrink", "RReLU", "Softmax2d"]


def _inplace_str(inplace, lead=", "):
    return f"{lead}inplace=True" if inplace else ""


class _Inplace(Module):
    """An activation whose only option is ``inplace``."""

    _fn = None

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_str(self.inplace, "")


class ReLU(_Inplace):
    """max(0, x) elementwise.

    Example::

        >>> nn.ReLU()(disttrain.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    _fn = staticmethod(F.relu)


class SELU(_Inplace):
    """scale·ELU(x) with alpha ≈ 1.6733 and scale ≈ 1.0507 (self-normalising networks)."""

    _fn = staticmethod(F.selu)


class SiLU(_Inplace):
    """x·sigmoid(x) (also called swish)."""

    _fn = staticmethod(F.silu)


class Mish(_Inplace):
    """x·tanh(softplus(x))."""

    _fn = staticmethod(F.mish)


class Hardsigmoid(_Inplace):
    """relu6(x + 3) / 6."""

    _fn = staticmethod(F.hardsigmoid)


class Hardswish(_Inplace):
    """x·relu6(x + 3) / 6."""

    _fn = staticmethod(F.hardswish)


class LeakyReLU(Module):
    """x where x ≥ 0, else ``negative_slope``·x.

    Args:
        negative_slope (float): slope for negative inputs. Default: 0.01.
        inplace (bool): overwrite the input. Default: ``False``.
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_str(self.inplace)}"


class ELU(Module):
    """x where x > 0, else alpha·(exp(x) - 1).

    Args:
        alpha (float): the saturation value for negative inputs. Default: 1.0.
        inplace (bool): overwrite the input. Default: ``False``.
    """

    _fn = staticmethod(F.elu)

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class CELU(ELU):
    """max(0, x) + min(0, alpha·(exp(x/alpha) - 1))."""

    _fn = staticmethod(F.celu)


class GELU(Module):
    """x·Φ(x), Φ the standard normal CDF.

    Args:
        approximate (str): ``'none'`` (exact, with erf) or ``'tanh'``. Default: ``'none'``.
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """1 / (1 + exp(-x))."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, input):
        return F.tanh(input)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input):
        return F.softsign(input)


class LogSigmoid(Module):
    """log(sigmoid(x)), stable for large |x|."""

    def forward(self, input):
        return F.logsigmoid(input)


class _DimModule(Module):
    _fn = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("dim", None)

    def forward(self, input):
        return type(self)._fn(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_DimModule):
    """exp(x_i) / Σ_j exp(x_j) along ``dim`` (rows sum to 1).

    Args:
        dim (int): the dim to normalise over.

    Example::

        >>> nn.Softmax(dim=1)(disttrain.randn(2, 3)).sum(1)
        tensor([1.0000, 1.0000])
    """

    _fn = staticmethod(F.softmax)


class LogSoftmax(_DimModule):
    """log(softmax(x)) along ``dim``, computed stably."""

    _fn = staticmethod(F.log_softmax)


class Softmin(_DimModule):
    """softmax(-x) along ``dim``."""

    _fn = staticmethod(F.softmin)


class GLU(Module):
    """a·sigmoid(b), a and b the two halves of the input along ``dim`` (default -1)."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softplus(Module):
    """log(1 + exp(beta·x)) / beta; linear where beta·x > threshold.

    Args:
        beta (float): sharpness. Default: 1.0.
        threshold (float): above it the function is the identity. Default: 20.0.
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x clamped to [min_val, max_val].

    Args:
        min_val (float): lower bound. Default: -1.
        max_val (float): upper bound. Default: 1.
        inplace (bool): overwrite the input. Default: ``False``.
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise ValueError("max_val must be greater than min_val")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_str(self.inplace)}"


class ReLU6(Hardtanh):
    """min(max(0, x), 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_str(self.inplace, "")


class Threshold(Module):
    """x where x > threshold, else ``value``."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_str(self.inplace)}"


class PReLU(Module):
    """max(0, x) + a·min(0, x) with a learned slope ``a`` (one, or one per channel).

    Args:
        num_parameters (int): 1, or the number of input channels. Default: 1.
        init (float): initial slope. Default: 0.25.

    Shape:
        - Input: ``(*)``, channels at dim 1 when ``num_parameters > 1``.
        - Output: same as input.
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(_creation.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        """Set every slope to ``init``."""
        from .. import init as _init
        _init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Hardshrink(Module):
    """x where |x| > lambd, else 0 (default lambd 0.5)."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x ∓ lambd outside [-lambd, lambd], 0 inside (default lambd 0.5)."""

    def forward(self, input):
        return F.softshrink(input, self.lambd)


class Tanhshrink(Module):
    """x - tanh(x)."""

    def forward(self, input):
        return F.tanhshrink(input)


class RReLU(Module):
    """Randomised leaky ReLU: in training each negative input gets a slope drawn from
    U(lower, upper); in evaluation the slope is (lower + upper) / 2.

    Args:
        lower (float): default 1/8.
        upper (float): default 1/3.
        inplace (bool): default False.
    """

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + _inplace_str(self.inplace)


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W) at each position."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D "
                             f"instead")
        return F.softmax(input, -3, _stacklevel=5)


# PyTorch defines MultiheadAttention in this module; code imports it from here
from .attention import MultiheadAttention  # noqa: E402,F401
