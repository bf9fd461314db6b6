"""disttrain.distributed: ``torch.distributed``'s interface over disttrain's ZeroMQ groups.

Collectives take Tensors and work in place, as in PyTorch; the arrays travel through
:mod:`disttrain.comm`. A script started by ``launch --nproc N`` (or torchrun, Slurm,
mpirun) finds its rank in the environment::

    import disttrain as torch
    import disttrain.distributed as dist

    dist.init_process_group()                  # backend "zmq"; "gloo"/"nccl" are aliases
    t = torch.ones(3) * dist.get_rank()
    dist.all_reduce(t)                         # t now holds the sum over ranks

Started without any launcher (``python train.py``) the world has one rank: collectives
return their input and nothing listens on a port.
"""
import os

from .. import comm as _comm
from ..comm import ReduceOp
from ..comm.group import ProcessGroup
from ..core.tensor import Tensor

__all__ = [
    "ReduceOp", "ProcessGroup", "Work", "Future", "is_available", "is_initialized",
    "init_process_group", "destroy_process_group", "new_group", "get_rank", "get_world_size",
    "get_backend", "get_local_rank", "get_local_world_size", "get_node_local_rank",
    "get_process_group_ranks", "get_global_rank", "get_group_rank",
    "all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into_tensor",
    "reduce_scatter", "reduce_scatter_tensor", "all_to_all", "all_to_all_single", "gather",
    "scatter", "barrier", "send", "recv", "isend", "irecv", "all_gather_object", "broadcast_object_list",
    "gather_object", "scatter_object_list", "GroupMember", "group",
    "DistributedDataParallel", "DistributedOptimizer", "ZeroRedundancyOptimizer",
    "broadcast_parameters", "broadcast_optimizer_state",
]
__all__ += ["Backend", "reduce_op", "is_gloo_available", "is_nccl_available", "is_mpi_available",
            "is_ucc_available", "is_xccl_available", "is_torchelastic_launched",
            "is_backend_available", "get_default_backend_for_device", "supports_complex",
            "get_pg_count"]

from ._future import Future, WorkHandle as Work  # noqa: E402
from ._queries import (Backend, reduce_op, is_gloo_available, is_nccl_available,  # noqa: E402
                       is_mpi_available, is_ucc_available, is_xccl_available,
                       is_torchelastic_launched, is_backend_available,
                       get_default_backend_for_device, supports_complex)
from ._groups import (GroupMember, group, is_available, is_initialized,  # noqa: E402
                      init_process_group, destroy_process_group, new_group, get_rank,
                      get_world_size, get_backend, get_pg_count, get_local_rank,
                      get_local_world_size, get_node_local_rank, get_process_group_ranks,
                      get_global_rank, get_group_rank)
from ._groups import _NonMember, _state, _world, _group, _take_gpu  # noqa: E402,F401

from ._collectives import (all_reduce, reduce, broadcast, all_gather,  # noqa: E402
                           all_gather_into_tensor, reduce_scatter, reduce_scatter_tensor,
                           all_to_all, all_to_all_single, gather, scatter, barrier, send, recv,
                           isend, irecv, P2POp, batch_isend_irecv, all_gather_object,
                           broadcast_object_list, gather_object, scatter_object_list,
                           send_object_list, recv_object_list)


# The training wrappers (they import nn and optim) and the submodules PyTorch has here.
from . import algorithms, checkpoint, ddp, optim  # noqa: E402,F401
from .ddp import DistributedDataParallel  # noqa: E402
from .optim import (DistributedOptimizer, ZeroRedundancyOptimizer,  # noqa: E402
                    broadcast_parameters, broadcast_optimizer_state)


del Tensor
