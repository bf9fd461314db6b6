"""Special functions at the top level (``disttrain.erf``, ``disttrain.lgamma``,
``disttrain.polygamma`` ...), as PyTorch has them beside their ``torch.special`` names."""
import math

from ..tensor import Tensor
from ..ops import special as S
from ._common import write_out

__all__ = ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0",
           "sinc", "logit", "xlogy", "exp2", "igamma", "igammac"]


def _unary(cls, name, doc):
    def fn(input, *, out=None):
        return write_out(cls.apply(input), out, name)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


erf = _unary(S.Erf, "erf", "The error function, erf(x) = 2/√π ∫₀ˣ e^(-t²) dt.")
erfc = _unary(S.Erfc, "erfc", "The complementary error function, 1 - erf(x), precise in "
              "the tail.")
erfinv = _unary(S.Erfinv, "erfinv", "The inverse error function on [-1, 1].")
lgamma = _unary(S.Lgamma, "lgamma", "log|Γ(x)|, the log of the gamma function's absolute "
                "value.")
digamma = _unary(S.Digamma, "digamma", "ψ(x) = d/dx log Γ(x).")
i0 = _unary(S.I0, "i0", "The modified Bessel function of the first kind of order 0.")
sinc = _unary(S.Sinc, "sinc", "The normalised sinc function, sin(πx)/(πx), 1 at 0.")
exp2 = _unary(S.Exp2, "exp2", "2 to the power ``input``, elementwise.")


def polygamma(n, input, *, out=None):
    """ψ⁽ⁿ⁾(x), the n-th derivative of the digamma function.

    Args:
        n (int): the order of the derivative, n >= 0.
        input (Tensor): the points.
    """
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return write_out(S.Polygamma.apply(input, int(n)), out, "polygamma")


def mvlgamma(input, p):
    """The multivariate log-gamma function of dimension ``p``:
    Σ_{i<p} lgamma(x - i/2) + p(p-1)/4 · log π.

    Args:
        input (Tensor): the points.
        p (int): the dimension, p >= 1.
    """
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    total = None
    for i in range(p):
        term = S.Lgamma.apply(input - i / 2 if i else input)
        total = term if total is None else total + term
    return total + p * (p - 1) / 4 * math.log(math.pi)


def logit(input, eps=None, *, out=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] first when ``eps`` is given.

    Args:
        input (Tensor): probabilities.
        eps (float, optional): the clamping bound; ``None`` (default) clamps nothing, so 0
            and 1 give -inf and inf.
    """
    return write_out(S.Logit.apply(input, eps), out, "logit")


def xlogy(input, other, *, out=None):
    """``input * log(other)``, 0 where ``input`` is 0 (unless ``other`` is nan).

    Args:
        input (Tensor or Number): the multiplier.
        other (Tensor or Number): the argument of the log.
    """
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(_no_tensor_msg("xlogy", input, other))
    return write_out(S.Xlogy.apply(input, other), out, "xlogy")


def igamma(input, other, *, out=None):
    """The regularised lower incomplete gamma function P(a, x) = γ(a, x)/Γ(a), with a =
    ``input`` and x = ``other``; differentiable in ``other``."""
    return write_out(S.Igamma.apply(input, other), out, "igamma")


def igammac(input, other, *, out=None):
    """The regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return write_out(S.Igammac.apply(input, other), out, "igammac")


def _no_tensor_msg(name, a, b):
    """PyTorch's error for a binary special function called with two numbers."""
    return (f"{name}() received an invalid combination of arguments - got "
            f"({type(a).__name__}, {type(b).__name__}), but expected one of:\n"
            f" * (Tensor input, Tensor other, *, Tensor out = None)\n"
            f" * (Number self, Tensor other, *, Tensor out = None)\n"
            f" * (Tensor input, Number other, *, Tensor out = None)\n")
