"""``torch.nn.parallel.distributed``'s import path for DistributedDataParallel.

The class lives in ``disttrain.distributed.ddp``; it is imported on first use so that
``disttrain.nn`` never loads the process layer by itself.
"""
__all__ = ["DistributedDataParallel"]


def __getattr__(name):
    if name == "DistributedDataParallel":
        from ...distributed.ddp import DistributedDataParallel
        return DistributedDataParallel
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
