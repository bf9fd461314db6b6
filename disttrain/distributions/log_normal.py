"""``disttrain.distributions.log_normal``: where PyTorch keeps ``LogNormal``."""
from .transformed import LogNormal

__all__ = ["LogNormal"]
