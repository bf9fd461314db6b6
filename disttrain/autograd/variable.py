"""``disttrain.autograd.variable``: ``Variable``, the legacy name of ``Tensor``."""
from ..core.tensor import Tensor as Variable

__all__ = ["Variable"]
