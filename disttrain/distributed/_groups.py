"""The process groups: the default group's state, ``init_process_group``, ``new_group`` and
the rank queries (re-exported by ``disttrain.distributed``; the collectives, DDP and the
distributed optimizers import them from here)."""
import os

from .. import comm as _comm
from ..comm.group import ProcessGroup
from ._queries import Backend, is_backend_available

__all__ = ["GroupMember", "group", "is_available", "is_initialized", "init_process_group",
           "destroy_process_group", "new_group", "get_rank", "get_world_size", "get_backend",
           "get_pg_count", "get_local_rank", "get_local_world_size", "get_node_local_rank",
           "get_process_group_ranks", "get_global_rank", "get_group_rank"]

# Names other frameworks' scripts pass; all of them mean this package's ZeroMQ backend.
_BACKEND_ALIASES = ("zmq", "gloo", "nccl", "mpi", "cpu:gloo,cuda:nccl", "ucc")
_NOT_INIT = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")


class _NonMember:
    """What :func:`new_group` returns on ranks outside the new group (PyTorch's sentinel)."""

    def __repr__(self):
        return "GroupMember.NON_GROUP_MEMBER"


class GroupMember:
    """``GroupMember.WORLD`` (the default group once initialised, else None) and
    ``GroupMember.NON_GROUP_MEMBER``."""
    WORLD = None
    NON_GROUP_MEMBER = _NonMember()


group = GroupMember     # ``dist.group.WORLD`` as in PyTorch

_state = {"pg": None, "backend": None, "local_rank": 0, "local_world_size": 1, "pg_count": 0}


def is_available():
    """Whether the distributed package can be used (always, here)."""
    return True


def is_initialized():
    """Whether the default process group has been initialised."""
    return _state["pg"] is not None


def _world():
    pg = _state["pg"]
    if pg is None:
        raise ValueError(_NOT_INIT)
    return pg


def _group(g):
    return _world() if g is None else g


def _backend_name(backend):
    if backend is None:
        return "zmq"
    name = str(backend).lower()
    if not is_backend_available(name):
        raise ValueError(f"Invalid backend: '{backend}'; disttrain has one backend, 'zmq' "
                         f"(accepted aliases: {', '.join(_BACKEND_ALIASES[1:])})")
    # gloo/nccl/mpi name PyTorch's transports; ours carries both host and GPU arrays.
    return "zmq"


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the job's default process group.

    Args:
        backend (str, optional): ``"zmq"``; ``"gloo"``, ``"nccl"`` and ``"mpi"`` are accepted
            as aliases of it, so PyTorch scripts run unchanged.
        init_method (str, optional): ``"env://"`` (default: rank, world size and master from
            the launcher's environment) or ``"tcp://host:port"`` (then ``rank`` and
            ``world_size`` are required).
        timeout (timedelta or float, optional): deadline of every collective. Default: 30 min.
        world_size (int, optional): overrides the environment's world size.
        rank (int, optional): overrides the environment's rank.

    When a GPU is present each worker takes ``cuda:LOCAL_RANK % device_count``.
    """
    if _state["pg"] is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None:
        raise ValueError("init_process_group: a store object is not supported; pass "
                         "init_method='env://' or 'tcp://host:port'")
    name = _backend_name(backend)
    env = _comm.discover()
    addr, port, secret = env.master_addr, env.master_port, env.secret
    if init_method is None or init_method == "env://":
        rank = env.rank if rank is None or rank < 0 else rank
        world_size = env.world_size if world_size is None or world_size < 0 else world_size
    elif init_method.startswith("tcp://"):
        if rank is None or rank < 0 or world_size is None or world_size < 0:
            raise ValueError("init_method 'tcp://' requires the rank and world_size "
                             "arguments")
        addr, _, port = init_method[len("tcp://"):].rstrip("/").rpartition(":")
        if not addr or not port.isdigit():
            raise ValueError(f"invalid init_method {init_method!r}: expected "
                             f"'tcp://host:port'")
        port = int(port)
    else:
        raise ValueError(f"init_method {init_method!r} is not supported; use 'env://' or "
                         f"'tcp://host:port'")
    if not 0 <= rank < world_size:
        raise ValueError(f"Invalid rank {rank} for a world of size {world_size}")
    pg = ProcessGroup(rank, world_size, addr, port, timeout, secret)
    local = env.local_rank if env.world_size == world_size else rank
    _state.update(pg=pg, backend=name, local_rank=local,
                  local_world_size=env.local_world_size if env.world_size == world_size
                  else world_size)
    _comm.set_default_group(pg)
    GroupMember.WORLD = pg
    _state["pg_count"] += 1
    _take_gpu(local if device_id is None else device_id)


def _take_gpu(local_rank):
    from .. import cuda
    if cuda.is_available():
        if hasattr(local_rank, "index"):
            local_rank = local_rank.index or 0
        cuda.set_device(int(local_rank) % cuda.device_count())


def destroy_process_group(group=None):
    """Destroy ``group`` (default: the default group, leaving the package uninitialised)."""
    if group is None or group is _state["pg"]:
        pg = _state["pg"]
        if pg is not None:
            pg.destroy()
        _state.update(pg=None, backend=None, pg_count=0)
        _comm.set_default_group(None)
        GroupMember.WORLD = None
    elif isinstance(group, ProcessGroup):
        group.destroy()


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False):
    """A group over ``ranks`` (global ranks; default all). Every rank must call it.

    Ranks outside ``ranks`` get ``GroupMember.NON_GROUP_MEMBER``, on which collectives
    do nothing.
    """
    _backend_name(backend)
    world = _world()
    sub = world.new_group(range(world.size) if ranks is None else list(ranks))
    _state["pg_count"] += 1
    return GroupMember.NON_GROUP_MEMBER if sub is None else sub


def get_rank(group=None):
    """This process's rank in ``group`` (default group if None; -1 outside it)."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return _group(group).rank


def get_world_size(group=None):
    """Number of ranks in ``group`` (default group if None; -1 outside it)."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return _group(group).size


def get_backend(group=None):
    """The backend's name: ``"zmq"`` (whichever alias was passed to ``init_process_group``).
    """
    if group is GroupMember.NON_GROUP_MEMBER:
        raise ValueError("Invalid process group specified")
    _group(group)
    return Backend(_state["backend"])


def get_pg_count():
    """The number of process groups created (the default group and ``new_group``'s)."""
    return _state["pg_count"]


def get_local_rank():
    """This process's rank among the processes on its host (``LOCAL_RANK``)."""
    return _state["local_rank"] if is_initialized() else _comm.discover().local_rank


def get_local_world_size():
    """Number of processes of the job on this host (``LOCAL_WORLD_SIZE``)."""
    return _state["local_world_size"] if is_initialized() else \
        _comm.discover().local_world_size


def get_node_local_rank(fallback_rank=None):
    """``LOCAL_RANK`` from the environment, else ``fallback_rank`` (PyTorch's helper)."""
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank "
                       "to allow `get_node_local_rank` to work, assuming you are not running "
                       "in a multi-node setting.")


def get_process_group_ranks(group):
    """The global ranks of ``group``'s members, in group-rank order."""
    return list(_group(group).ranks)


def get_global_rank(group, group_rank):
    """The global rank of ``group``'s rank ``group_rank`` (identity for the default group)."""
    if group is None or group is GroupMember.WORLD:
        return group_rank
    ranks = group.ranks
    if not 0 <= group_rank < len(ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return ranks[group_rank]


def get_group_rank(group, global_rank):
    """``global_rank``'s rank inside ``group`` (identity for the default group)."""
    if group is None or group is GroupMember.WORLD:
        return global_rank
    ranks = group.ranks
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return ranks.index(global_rank)
