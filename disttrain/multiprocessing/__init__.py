"""disttrain.multiprocessing: Python's :mod:`multiprocessing` that shares tensors.

Every name of :mod:`multiprocessing` is here (``Process``, ``Queue``, ``Pool``, ...). Tensors
sent through its queues and pipes, or passed as arguments to a spawned process, travel as
references to shared memory: a tensor not yet shared is moved there first (see
``Tensor.share_memory_``), and an in-place write in any process is seen by all of them::

    import disttrain as torch
    import disttrain.multiprocessing as mp

    def train(rank, model):            # Hogwild: every process updates the same parameters
        ...

    model.share_memory()
    mp.spawn(train, args=(model,), nprocs=2)

Plus :func:`spawn`/:func:`start_processes`, which run ``fn(i, *args)`` in ``nprocs``
processes and raise in the parent when one of them fails.
"""
import multiprocessing
import sys
from multiprocessing import *  # noqa: F401,F403

from ..core import sharedmem as _sharedmem
from ..core.tensor import Tensor as _Tensor
from .spawn import (ProcessContext, ProcessException, ProcessExitedException,  # noqa: F401
                    ProcessRaisedException, spawn, SpawnContext, start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
           "spawn", "start_processes", "ProcessContext", "ProcessException",
           "ProcessExitedException", "ProcessRaisedException", "SpawnContext"]
__all__ += multiprocessing.__all__

if sys.platform in ("darwin", "win32"):
    _all_sharing_strategies = {"file_system"}
    _sharedmem.set_strategy("file_system")
else:
    _all_sharing_strategies = {"file_descriptor", "file_system"}


def set_sharing_strategy(new_strategy):
    """Set how CPU tensors are shared with other processes.

    Args:
        new_strategy (str): ``"file_descriptor"`` (the memory's descriptor is passed; nothing
            is left in ``/dev/shm``) or ``"file_system"`` (its file name is passed; the file
            exists until the creating process frees the tensor). Applies to tensors moved to
            shared memory from now on.
    """
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, "
                             f"expected one of {_all_sharing_strategies}")
    _sharedmem.set_strategy(new_strategy)


def get_sharing_strategy():
    """Return the current strategy for sharing CPU tensors."""
    return _sharedmem.get_strategy()


def get_all_sharing_strategies():
    """Return a set of sharing strategies supported on a current system."""
    return _all_sharing_strategies


def _register():
    # Tensors and parameters sent by this package's queues and spawn arguments go by shared
    # memory; other Tensor subclasses are registered when they are first shared.
    from ..nn.parameter import Parameter
    classes = [_Tensor, Parameter]
    try:
        from ..nn.parameter import Buffer
        classes.append(Buffer)
    except ImportError:
        pass
    _sharedmem.register_reducers(*classes)


_register()
