"""Neural-network building blocks: ``Module``, layers, losses, ``functional`` and ``init``."""
from .parameter import Parameter, UninitializedParameter, UninitializedBuffer, Buffer
from . import modules as _modules
from .modules import *  # noqa: F401,F403
from . import functional, init, utils, parallel  # noqa: F401
from . import attention, common_types, grad  # noqa: F401,E402
from .parallel import DataParallel

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer", "Buffer", "functional",
           "init", "utils", "parallel", "DataParallel"] + list(_modules.__all__)
