"""``disttrain.distributions.transformed_distribution``: where PyTorch keeps
``TransformedDistribution``."""
from .transformed import TransformedDistribution

__all__ = ["TransformedDistribution"]
