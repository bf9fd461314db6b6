"""Tensor methods of the special functions and the linear-algebra functions
(``x.erf()``, ``x.lgamma_()``, ``x.det()`` ...), bound from their public functions."""
from . import functions as F
from .methods import Tensor, _inplace

__all__ = []

T = Tensor
for _name in ("erf", "erfc", "erfinv", "lgamma", "digamma", "i0", "sinc", "exp2", "logit",
              "xlogy", "mvlgamma", "igamma", "igammac"):
    setattr(T, _name, getattr(F, _name))
    if _name != "mvlgamma":
        setattr(T, _name + "_", _inplace(getattr(F, _name)))
T.polygamma = lambda self, n: F.polygamma(n, self)
T.polygamma_ = lambda self, n: _inplace(lambda x: F.polygamma(n, x))(self)
T.mvlgamma_ = lambda self, p: _inplace(lambda x: F.mvlgamma(x, p))(self)

for _name in ("det", "logdet", "slogdet", "inverse", "pinverse", "cholesky", "cholesky_solve",
              "cholesky_inverse", "svd", "qr", "cross", "matrix_power", "matrix_exp", "trace",
              "diagonal", "diag_embed", "kron", "dist", "triangular_solve", "lu", "orgqr"):
    setattr(T, _name, getattr(F, _name))

# complex numbers: ``x.real``/``x.imag`` are attributes (views), the rest methods
T.real = property(F.real)
T.imag = property(F.imag)
for _name in ("conj", "conj_physical", "resolve_conj", "is_conj", "is_neg", "resolve_neg",
              "angle", "sgn"):
    setattr(T, _name, getattr(F, _name))
T.conj_physical_ = _inplace(F.conj)
T.stft, T.istft = F.stft, F.istft
