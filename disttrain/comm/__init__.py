"""disttrain.comm: collectives on numpy/cupy arrays between processes, over ZeroMQ.

This layer moves and reduces raw arrays; it knows nothing of Tensor. A job's processes
meet through a rendezvous store served by rank 0 (``MASTER_ADDR:MASTER_PORT``), then talk
over ``ipc://`` on one host and ``tcp://`` between hosts. Names follow MPI and
``torch.distributed``::

    import numpy as np
    from disttrain import comm

    comm.init_from_env()                    # RANK/WORLD_SIZE..., Slurm, MPI, or alone
    grad = np.ones(1000, np.float32)
    comm.all_reduce(grad, comm.ReduceOp.AVG)          # in place, synchronous
    work = comm.all_reduce(grad, async_op=True)       # returns a Work at once
    work.wait()

Synchronous calls return their result (the array, list or object); with
``async_op=True`` they return a :class:`Work`. ``group=None`` means the default group set
by :func:`init_from_env` or :func:`set_default_group`.

Failures raise :class:`CommError` subclasses naming the rank and the operation: a peer
that died or went silent (:class:`PeerError`), ranks calling different collectives
(:class:`MismatchError`), the group's timeout passing (:class:`CommTimeout`). After one,
the group is unusable: every later call raises the same error.

A start that cannot work fails at once on every rank with a
:class:`~disttrain.comm.store.RendezvousError` naming the disagreement: ranks that
disagree on ``WORLD_SIZE``, or two processes claiming one ``RANK``.

Environment knobs (every rank must see the same values):

* ``DISTTRAIN_SECRET``: the job's secret (``launch`` sets it); ranks and the store refuse
  anyone whose secret differs.
* ``TORCHELASTIC_RUN_ID``: the job's run id (``launch`` sets it; ``""`` when unset). The
  store refuses processes of another run, so a second job started on the same
  ``MASTER_PORT`` is turned away without harming the first.
* ``DISTTRAIN_CONNECT_TIMEOUT`` (seconds, default 60): how long a rank retries while
  nothing accepts connections at ``MASTER_ADDR:MASTER_PORT``, saying so every few
  seconds, before it raises :class:`StoreError`.
* ``DISTTRAIN_HEARTBEAT_INTERVAL`` / ``DISTTRAIN_HEARTBEAT_TIMEOUT`` (seconds, default 1
  and 10): liveness. A killed peer is noticed in about a second from its closed
  connection; a hung one after the timeout.
* ``DISTTRAIN_SHM=0``: no shared-memory staging among ranks of one host (large
  all_reduces then use the socket ring, as between hosts).
"""
from .collectives import ReduceOp
from .env import DistEnv, discover
from .group import DEFAULT_TIMEOUT, ProcessGroup
from .store import RendezvousError, Store, StoreError
from .transport import CommError, CommTimeout, MismatchError, PeerError
from .wire import WireError
from .work import Work
from . import errorfile as _errorfile

_errorfile.install_excepthook()   # under a launcher, an uncaught error reaches its report

__all__ = [
    "ReduceOp", "ProcessGroup", "Work", "Store", "DistEnv", "discover", "DEFAULT_TIMEOUT",
    "CommError", "PeerError", "MismatchError", "CommTimeout", "StoreError", "WireError",
    "RendezvousError",
    "init_from_env", "set_default_group", "get_default_group", "is_initialized", "destroy",
    "new_group", "get_rank", "get_world_size",
    "all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into", "reduce_scatter",
    "reduce_scatter_into", "gather", "scatter", "barrier", "send", "recv", "isend", "irecv",
    "broadcast_obj", "all_gather_obj",
]

_default = None


def init_from_env(timeout=None, environ=None, **kwargs):
    """Create the world group from the environment and make it the default.

    Reads torchrun/``launch`` variables, else Slurm's, else MPI's; with none, world size
    is 1 and nothing listens on any port. Calling it again returns the same group.

    Args:
        timeout (float or timedelta, optional): deadline of every wait. Default: 30 min.
        environ (dict, optional): variables to read instead of ``os.environ``.
    """
    global _default
    if _default is None:
        _default = ProcessGroup.from_env(timeout, environ, **kwargs)
    return _default


def set_default_group(group):
    """Make ``group`` (a world :class:`ProcessGroup`, or None) the default."""
    global _default
    _default = group


def get_default_group():
    """The default group; raises RuntimeError if none was initialised."""
    if _default is None:
        raise RuntimeError("disttrain.comm has no default process group: call "
                           "disttrain.comm.init_from_env() (or set_default_group) first")
    return _default


def is_initialized():
    """Whether a default group exists."""
    return _default is not None


def destroy(group=None):
    """Destroy ``group`` (default: the default group, which is then unset)."""
    global _default
    target = group or _default
    if target is not None:
        target.destroy()
    if target is _default:
        _default = None


def _group(group):
    return get_default_group() if group is None else group


def _done(work, async_op):
    return work if async_op else work.result()


def new_group(ranks, group=None):
    """Subgroup of ``group`` over ``ranks``; every rank of ``group`` must call it (None off it)."""
    return _group(group).new_group(ranks)


def get_rank(group=None):
    """This process's rank in ``group``."""
    return _group(group).rank


def get_world_size(group=None):
    """Number of ranks in ``group``."""
    return _group(group).size


def all_reduce(arr, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``arr`` over ``group`` in place (see :meth:`ProcessGroup.all_reduce`)."""
    return _done(_group(group).all_reduce(arr, op, async_op=async_op), async_op)


def reduce(arr, dst=0, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``arr`` onto rank ``dst`` (other ranks' ``arr`` may change)."""
    return _done(_group(group).reduce(arr, dst, op, async_op=async_op), async_op)


def broadcast(arr, src=0, group=None, async_op=False):
    """Overwrite ``arr`` everywhere with rank ``src``'s."""
    return _done(_group(group).broadcast(arr, src, async_op=async_op), async_op)


def all_gather(out_list, arr, group=None, async_op=False):
    """``out_list[i]`` gets rank i's ``arr``."""
    return _done(_group(group).all_gather(out_list, arr, async_op=async_op), async_op)


def all_gather_into(out, arr, group=None, async_op=False):
    """``out`` (``world_size * arr.size`` elements) gets every rank's ``arr`` in rank order."""
    return _done(_group(group).all_gather_into(out, arr, async_op=async_op), async_op)


def reduce_scatter(out, in_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank i's ``out`` gets the reduction of every rank's ``in_list[i]``."""
    return _done(_group(group).reduce_scatter(out, in_list, op, async_op=async_op), async_op)


def reduce_scatter_into(out, arr, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank i's ``out`` gets block i of the reduction of every rank's ``arr``."""
    return _done(_group(group).reduce_scatter_into(out, arr, op, async_op=async_op), async_op)


def gather(arr, gather_list=None, dst=0, group=None, async_op=False):
    """Rank ``dst``'s ``gather_list[i]`` gets rank i's ``arr``."""
    return _done(_group(group).gather(arr, gather_list, dst, async_op=async_op), async_op)


def scatter(arr, scatter_list=None, src=0, group=None, async_op=False):
    """Rank i's ``arr`` gets rank ``src``'s ``scatter_list[i]``."""
    return _done(_group(group).scatter(arr, scatter_list, src, async_op=async_op), async_op)


def barrier(group=None, async_op=False):
    """Wait until every rank of ``group`` has reached the barrier."""
    return _done(_group(group).barrier(async_op=async_op), async_op)


def send(arr, dst, group=None, tag=0):
    """Send ``arr`` to rank ``dst``; returns once ``arr`` may be reused."""
    return _group(group).send(arr, dst, tag, async_op=False).result()


def recv(arr, src, group=None, tag=0):
    """Receive into ``arr`` from rank ``src``; returns ``arr``."""
    return _group(group).recv(arr, src, tag, async_op=False).result()


def isend(arr, dst, group=None, tag=0):
    """Asynchronous :func:`send`; returns a :class:`Work`."""
    return _group(group).send(arr, dst, tag)


def irecv(arr, src, group=None, tag=0):
    """Asynchronous :func:`recv`; returns a :class:`Work`."""
    return _group(group).recv(arr, src, tag)


def broadcast_obj(obj=None, src=0, group=None):
    """Rank ``src``'s msgpack-able ``obj`` on every rank (never pickled)."""
    return _group(group).broadcast_obj(obj, src, async_op=False).result()


def all_gather_obj(obj, group=None):
    """List of every rank's msgpack-able ``obj`` in rank order."""
    return _group(group).all_gather_obj(obj, async_op=False).result()
