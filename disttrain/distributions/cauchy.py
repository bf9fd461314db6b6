"""``disttrain.distributions.cauchy``: where PyTorch keeps ``Cauchy``."""
from .more import Cauchy

__all__ = ["Cauchy"]
