"""``disttrain.distributions.one_hot_categorical``: where PyTorch keeps ``OneHotCategorical``."""
from .discrete import OneHotCategorical

__all__ = ["OneHotCategorical"]
