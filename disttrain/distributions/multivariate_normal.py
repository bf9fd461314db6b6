"""The multivariate normal distribution."""
import math

import disttrain as T

from . import constraints
from ._linalg import cholesky, inverse_spd, solve_lower
from .distribution import Distribution
from .utils import _expand_params, lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mahalanobis(L, x):
    """``x^T (L L^T)^{-1} x`` for each batch entry: the squared norm of ``L^{-1} x``."""
    return solve_lower(L, x).pow(2).sum(-1)


class MultivariateNormal(Distribution):
    """The normal distribution of vectors with mean ``loc`` and one of ``covariance_matrix``,
    ``precision_matrix`` or ``scale_tril`` (lower-triangular, ``scale_tril @ scale_tril.T`` is
    the covariance)."""

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + \
                (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        name, matrix, label = next(
            g for g in (("scale_tril", scale_tril, "scale_tril matrix"),
                        ("covariance_matrix", covariance_matrix, "covariance_matrix"),
                        ("precision_matrix", precision_matrix, "precision_matrix"))
            if g[1] is not None)
        if matrix.dim() < 2:
            raise ValueError(f"{label} must be at least two-dimensional, with optional leading "
                             f"batch dimensions")
        batch_shape = T.broadcast_shapes(matrix.shape[:-2], loc.shape[:-1])
        setattr(self, name, matrix.expand(*(tuple(batch_shape) + (-1, -1))))
        self.loc = loc.expand(*(tuple(batch_shape) + (-1,)))
        event_shape = self.loc.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = cholesky(inverse_spd(precision_matrix))

    def __repr__(self):
        p = next(k for k in ("covariance_matrix", "precision_matrix", "scale_tril")
                 if k in self.__dict__)
        return f"MultivariateNormal(loc: {self.loc.size()}, {p}: {self.__dict__[p].size()})"

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = T.Size(batch_shape)
        loc_shape = tuple(batch_shape) + tuple(self.event_shape)
        cov_shape = loc_shape + tuple(self.event_shape)
        new.loc = self.loc.expand(*loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        _expand_params(self, new, cov_shape, ("covariance_matrix", "scale_tril",
                                              "precision_matrix"))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(
            *(tuple(self._batch_shape) + tuple(self._event_shape) * 2))

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.mT).expand(*(tuple(self._batch_shape) + tuple(self._event_shape) * 2))

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        return inverse_spd(L @ L.mT).expand(
            *(tuple(self._batch_shape) + tuple(self._event_shape) * 2))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(
            *(tuple(self._batch_shape) + tuple(self._event_shape)))

    def rsample(self, sample_shape=T.Size()):
        shape = self._extended_shape(sample_shape)
        eps = T.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        L = self._unbroadcasted_scale_tril
        shape = T.broadcast_shapes(L.shape[:-2], diff.shape[:-1])
        n = self._event_shape[0]
        M = _batch_mahalanobis(L.expand(*(tuple(shape) + (n, n))),
                               diff.expand(*(tuple(shape) + (n,))))
        half_log_det = L.diagonal(0, -2, -1).log().sum(-1)
        return -0.5 * (n * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self):
        n = self._event_shape[0]
        half_log_det = self._unbroadcasted_scale_tril.diagonal(0, -2, -1).log().sum(-1)
        H = 0.5 * n * (1.0 + math.log(2 * math.pi)) + half_log_det
        return H if len(self._batch_shape) == 0 else H.expand(*self._batch_shape)
