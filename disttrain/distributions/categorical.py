"""``disttrain.distributions.categorical``: where PyTorch keeps ``Categorical``."""
from .discrete import Categorical

__all__ = ["Categorical"]
