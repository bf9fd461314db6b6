"""disttrain.linalg: ``torch.linalg``'s functions on batches of matrices (..., m, n).

They are defined in ``disttrain.core.linalg``, below the Tensor methods and the ``disttrain.*``
functions (``det``, ``norm``, ``svd`` ...) that call them, so that every import runs one way.
"""
from .core.linalg import *  # noqa: F401,F403
from .core.linalg import __all__  # noqa: F401
