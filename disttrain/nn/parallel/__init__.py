"""``nn.parallel``: ``DataParallel``, and ``DistributedDataParallel`` re-exported from
``disttrain.distributed``.

DDP is imported on first use so that ``disttrain.nn`` never loads the process layer.
"""
from .data_parallel import DataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]


def __getattr__(name):
    if name == "DistributedDataParallel":
        from ...distributed import DistributedDataParallel
        return DistributedDataParallel
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
