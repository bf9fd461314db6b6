"""``disttrain.distributions.exponential``: where PyTorch keeps ``Exponential``."""
from .continuous import Exponential

__all__ = ["Exponential"]
