"""``disttrain.distributions.geometric``: where PyTorch keeps ``Geometric``."""
from .more import Geometric

__all__ = ["Geometric"]
