"""``disttrain.distributions.laplace``: where PyTorch keeps ``Laplace``."""
from .continuous import Laplace

__all__ = ["Laplace"]
