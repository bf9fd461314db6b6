"""``disttrain.distributions.half_normal``: where PyTorch keeps ``HalfNormal``."""
from .more import HalfNormal

__all__ = ["HalfNormal"]
