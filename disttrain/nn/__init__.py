"""Neural-network building blocks: ``Module``, layers, losses, ``functional`` and ``init``."""
from .parameter import Parameter, UninitializedParameter, UninitializedBuffer, Buffer
from . import modules as _modules
from .modules import *  # noqa: F401,F403
from . import functional, init, utils, parallel  # noqa: F401

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer", "Buffer", "functional",
           "init", "utils", "parallel"] + list(_modules.__all__)
