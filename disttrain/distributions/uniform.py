"""``disttrain.distributions.uniform``: where PyTorch keeps ``Uniform``."""
from .continuous import Uniform

__all__ = ["Uniform"]
