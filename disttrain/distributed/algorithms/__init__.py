"""Algorithms around DistributedDataParallel: communication hooks."""
from . import ddp_comm_hooks  # noqa: F401

__all__ = ["ddp_comm_hooks"]
