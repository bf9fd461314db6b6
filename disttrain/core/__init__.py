"""disttrain.core: Tensor, autograd, ops, devices, dtypes, random numbers."""
from . import tensor, autograd, functions, methods, creation  # noqa: F401  (binds methods)
