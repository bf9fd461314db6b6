"""``disttrain.distributions``: probability distributions with sampling (``sample``,
reparameterised ``rsample``), ``log_prob``, ``entropy``, moments and KL divergences, with
PyTorch's interface and validation errors.

Example::

    >>> m = Normal(torch.tensor(0.0), torch.tensor(1.0))
    >>> x = m.rsample((3,))          # differentiable in loc and scale
    >>> m.log_prob(x)
"""
from . import constraints
from .continuous import Exponential, Laplace, Normal, Uniform
from .discrete import Bernoulli, Categorical, OneHotCategorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from . import transforms
from .transforms import (AffineTransform, ComposeTransform, ExpTransform, PowerTransform,
                         SigmoidTransform, TanhTransform, Transform)
from .transformed import LogNormal, TransformedDistribution
from .more import Cauchy, Geometric, Gumbel, HalfNormal
# the per-distribution modules of PyTorch's layout (``distributions.normal.Normal`` ...)
from . import (bernoulli, categorical, cauchy, exponential, geometric, gumbel,  # noqa: F401
               half_normal, laplace, log_normal, normal, one_hot_categorical,
               transformed_distribution, uniform, distribution, independent, kl,
               multivariate_normal, utils)

__all__ = ["Bernoulli", "Categorical", "Distribution", "Exponential", "Independent",
           "Laplace", "MultivariateNormal", "Normal", "OneHotCategorical", "Uniform",
           "constraints", "kl_divergence", "register_kl", "transforms", "Transform",
           "ComposeTransform", "ExpTransform", "AffineTransform", "SigmoidTransform",
           "TanhTransform", "PowerTransform", "TransformedDistribution", "LogNormal", "Cauchy",
           "Geometric", "Gumbel", "HalfNormal"]
