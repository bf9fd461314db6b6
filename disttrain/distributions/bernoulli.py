"""``disttrain.distributions.bernoulli``: where PyTorch keeps ``Bernoulli``."""
from .discrete import Bernoulli

__all__ = ["Bernoulli"]
