"""Data loading with PyTorch's ``torch.utils.data`` interface: datasets, samplers, collation
and ``DataLoader`` (optionally with worker processes)."""
from ._worker import WorkerInfo, get_worker_info
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset,
                      TensorDataset, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "ChainDataset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DataLoader",
           "default_collate", "default_convert", "get_worker_info", "WorkerInfo",
           "DistributedSampler"]


def __getattr__(name):
    # DistributedSampler lives with the distributed runtime; importing it lazily keeps
    # ``utils.data`` free of process-group code until a program asks for it.
    if name == "DistributedSampler":
        from .distributed import DistributedSampler
        return DistributedSampler
    if name == "distributed":
        # ``torch.utils.data.distributed.DistributedSampler`` without importing the submodule
        import importlib
        return importlib.import_module(".distributed", __name__)
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
