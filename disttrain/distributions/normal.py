"""``disttrain.distributions.normal``: where PyTorch keeps ``Normal``."""
from .continuous import Normal

__all__ = ["Normal"]
