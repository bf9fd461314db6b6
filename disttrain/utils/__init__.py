"""Utilities with PyTorch's ``torch.utils`` layout: ``data`` (datasets and loaders) and
``summary`` (torchsummary's model table)."""
import importlib

__all__ = ["data", "summary", "checkpoint"]


def __getattr__(name):
    # Submodules load on first use, like ``disttrain.nn``; ``utils.data`` imports no nn code.
    if name in ("data", "summary", "checkpoint"):
        mod = importlib.import_module(f".{name}", __name__)
        globals()[name] = mod
        return mod
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
