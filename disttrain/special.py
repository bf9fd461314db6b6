"""disttrain.special: ``torch.special``'s functions (error, gamma and Bessel families,
logit/expit, xlogy, softmax variants), differentiable where PyTorch's are.

Example::

    >>> import disttrain as torch
    >>> torch.special.ndtri(torch.tensor([0.025, 0.5]))
    tensor([-1.9600,  0.0000])
"""
from .core.tensor import Tensor as _Tensor
from .core.ops import special as _S
from .core.functions import (erf, erfc, erfinv, digamma, polygamma, i0, sinc, logit, xlogy,
                             exp2, expm1, log1p, round, softmax, log_softmax, logsumexp,
                             sigmoid as expit, lgamma as gammaln, mvlgamma as multigammaln,
                             igamma as gammainc, igammac as gammaincc)
from .core.functions._common import write_out as _write_out
from .core.functions.special_math import _no_tensor_msg, _unary

__all__ = ["erf", "erfc", "erfcx", "erfinv", "expit", "logit", "xlogy", "xlog1py", "gammaln",
           "digamma", "psi", "polygamma", "multigammaln", "i0", "i0e", "i1", "i1e", "ndtr",
           "ndtri", "log_ndtr", "sinc", "entr", "log1p", "expm1", "exp2", "round", "softmax",
           "log_softmax", "logsumexp", "zeta", "gammainc", "gammaincc", "bessel_j0",
           "bessel_j1"]

psi = digamma


erfcx = _unary(_S.Erfcx, "erfcx", "The scaled complementary error function, exp(x²)·erfc(x).")
ndtr = _unary(_S.Ndtr, "ndtr", "The standard normal CDF, Φ(x).")
ndtri = _unary(_S.Ndtri, "ndtri", "The inverse of the standard normal CDF, Φ⁻¹(p).")
log_ndtr = _unary(_S.LogNdtr, "log_ndtr", "log Φ(x), finite far into the left tail.")
i0e = _unary(_S.I0e, "i0e", "The exponentially scaled modified Bessel function of order 0, "
             "exp(-|x|)·I0(x).")
i1 = _unary(_S.I1, "i1", "The modified Bessel function of the first kind of order 1.")
i1e = _unary(_S.I1e, "i1e", "The exponentially scaled modified Bessel function of order 1, "
             "exp(-|x|)·I1(x).")
entr = _unary(_S.Entr, "entr", "The elementwise entropy -x·log(x): 0 at 0, -inf below 0.")


def xlog1py(input, other, *, out=None):
    """``input * log1p(other)``, 0 where ``input`` is 0 (unless ``other`` is nan)."""
    if not isinstance(input, _Tensor) and not isinstance(other, _Tensor):
        raise TypeError(_no_tensor_msg("xlog1py", input, other))
    return _write_out(_S.Xlog1py.apply(input, other), out, "xlog1py")


def zeta(input, other, *, out=None):
    """The Hurwitz zeta function ζ(x, q) = Σ_k (k + q)^(-x) (Riemann's at q = 1).

    Differentiable in ``other`` (q) only, as in PyTorch.
    """
    if not isinstance(input, _Tensor) and not isinstance(other, _Tensor):
        raise TypeError(_no_tensor_msg("zeta", input, other))
    return _write_out(_S.Zeta.apply(input, other), out, "zeta")


def bessel_j0(input, *, out=None):
    """The Bessel function of the first kind of order 0 (not differentiable, as in
    PyTorch)."""
    return _write_out(_S.BesselJ.apply(input, 0), out, "special_bessel_j0")


def bessel_j1(input, *, out=None):
    """The Bessel function of the first kind of order 1 (not differentiable, as in
    PyTorch)."""
    return _write_out(_S.BesselJ.apply(input, 1), out, "special_bessel_j1")

