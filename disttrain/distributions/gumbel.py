"""``disttrain.distributions.gumbel``: where PyTorch keeps ``Gumbel``."""
from .more import Gumbel

__all__ = ["Gumbel"]
