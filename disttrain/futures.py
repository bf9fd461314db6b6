"""``disttrain.futures``: PyTorch's ``torch.futures`` path to :class:`Future`.

The class lives with the collectives that produce it (``disttrain.distributed``); this
module only gives it the import path PyTorch programs use.

Example::

    >>> fut = disttrain.futures.Future()
    >>> fut.set_result(3)
    >>> fut.wait()
    3
"""
from .distributed._future import Future

__all__ = ["Future"]
