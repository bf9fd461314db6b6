"""``nn.parallel.DistributedDataParallel``, re-exported from ``disttrain.distributed``.

The import happens on first use so that ``disttrain.nn`` never loads the process layer.
"""
__all__ = ["DistributedDataParallel"]


def __getattr__(name):
    if name == "DistributedDataParallel":
        from ...distributed import DistributedDataParallel
        return DistributedDataParallel
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
