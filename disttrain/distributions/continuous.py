"""Normal, Uniform, Exponential and Laplace distributions."""
import math

import disttrain as T

from . import constraints
from .distribution import Distribution
from .utils import _broadcast_params

__all__ = ["Normal", "Uniform", "Exponential", "Laplace"]

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


def _shape(t):
    return t.shape


class _Expandable(Distribution):
    """``expand`` for distributions whose parameters are all batch-shaped tensors."""

    _params = ()

    def _init_params(self, values, validate_args):
        """Set the ``_params`` to ``values`` broadcast together and take their batch shape."""
        batch_shape = _broadcast_params(self, self._params, values)
        Distribution.__init__(self, batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(type(self), _instance)
        batch_shape = T.Size(batch_shape)
        for p in self._params:
            setattr(new, p, getattr(self, p).expand(*batch_shape))
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new


class _LocScale(_Expandable):
    """A location-scale family on the real line: ``loc`` and a positive ``scale``, its mode at
    ``loc``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _params = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=None):
        self._init_params((loc, scale), validate_args)

    @property
    def mode(self):
        return self.loc


class Normal(_LocScale):
    """The normal distribution with mean ``loc`` and standard deviation ``scale``.

    Example::

        >>> m = Normal(torch.tensor([0.0]), torch.tensor([1.0]))
        >>> m.sample()
    """

    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def sample(self, sample_shape=T.Size()):
        shape = self._extended_shape(sample_shape)
        with T.no_grad():
            return T.normal(self.loc.expand(*shape), self.scale.expand(*shape))

    def rsample(self, sample_shape=T.Size()):
        shape = self._extended_shape(sample_shape)
        eps = T.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        log_scale = self.scale.log()
        return -((value - self.loc) ** 2) / (2 * var) - log_scale - _LOG_SQRT_2PI

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        from disttrain.core.ops.nn_ops import Erf
        return 0.5 * (1 + Erf.apply((value - self.loc) * self.scale.reciprocal() /
                                    math.sqrt(2)))

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()


class Uniform(_Expandable):
    """The uniform distribution on the half-open interval ``[low, high)``."""

    arg_constraints = {"low": constraints.dependent(is_discrete=False, event_dim=0),
                       "high": constraints.dependent(is_discrete=False, event_dim=0)}
    has_rsample = True
    _params = ("low", "high")

    def __init__(self, low, high, validate_args=None):
        self._init_params((low, high), validate_args)
        if self._validate_args and not bool(T.lt(self.low, self.high).all()):
            raise ValueError(
                f"Expected parameter low (Tensor of shape {tuple(self.low.shape)}) of "
                f"distribution {self!r} to satisfy the constraint "
                f"LessThan(upper_bound={self.high.item() if self.high.numel() == 1 else self.high}"
                f"), but found invalid values:\n"
                f"{repr(self.low.item()) if self.low.dim() == 0 else repr(self.low)}")

    def __repr__(self):
        def shown(v):
            return v.item() if v.numel() == 1 else v.size()
        return f"Uniform(low: {shown(self.low)}, high: {shown(self.high)})"

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low.item() if self.low.numel() == 1 else self.low,
                                    self.high.item() if self.high.numel() == 1 else self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return self.high * float("nan")

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=T.Size()):
        shape = self._extended_shape(sample_shape)
        rand = T.rand(shape, dtype=self.low.dtype, device=self.low.device)
        return self.low + rand * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        lb = self.low.le(value).to(self.low.dtype)
        ub = self.high.gt(value).to(self.low.dtype)
        return (lb * ub).log() - (self.high - self.low).log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        result = (value - self.low) / (self.high - self.low)
        return result.clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return (self.high - self.low).log()


class Exponential(_Expandable):
    """The exponential distribution with ``rate`` (inverse scale)."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _params = ("rate",)

    def __init__(self, rate, validate_args=None):
        self._init_params((rate,), validate_args)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return T.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=T.Size()):
        shape = self._extended_shape(sample_shape)
        u = T.empty(shape, dtype=self.rate.dtype, device=self.rate.device).exponential_()
        return u / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value):
        return -(-value).log1p() / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()


class Laplace(_LocScale):
    """The Laplace distribution with location ``loc`` and scale ``scale``."""

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=T.Size()):
        shape = self._extended_shape(sample_shape)
        eps = T.finfo(self.loc.dtype).eps
        u = T.empty(shape, dtype=self.loc.dtype, device=self.loc.device).uniform_(eps - 1, 1)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return 0.5 - 0.5 * z.sign() * (-z.abs()).expm1()

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        return 1 + (2 * self.scale).log()
