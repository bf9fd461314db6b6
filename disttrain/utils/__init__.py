"""Utilities with PyTorch's ``torch.utils`` layout: ``data`` (datasets and loaders),
``checkpoint`` (activation checkpointing) and ``summary`` (torchsummary's model table)."""
from . import checkpoint, data, summary  # noqa: F401

__all__ = ["data", "summary", "checkpoint"]
