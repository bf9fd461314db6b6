"""Communication hooks for ``DistributedDataParallel.register_comm_hook``."""
from . import default_hooks  # noqa: F401
from .default_hooks import allreduce_hook, fp16_compress_hook

__all__ = ["default_hooks", "allreduce_hook", "fp16_compress_hook"]
