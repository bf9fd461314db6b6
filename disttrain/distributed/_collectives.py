"""The collectives of :mod:`disttrain.distributed`: Tensors in, results written in place.

Each function checks its Tensors, hands their arrays to the group (a
:class:`disttrain.comm.ProcessGroup`) and, with ``async_op=False``, waits: it returns None
as PyTorch does, or a :class:`~disttrain.comm.Work` with ``async_op=True``. Roots
(``src``/``dst``) are global ranks, translated to the group's numbering.
"""
import numpy as np

from . import _objects
from ._groups import GroupMember, _group
from ._future import WorkHandle
from ..comm import ReduceOp
from ..core.tensor import Tensor

__all__ = ["all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into_tensor",
           "reduce_scatter", "reduce_scatter_tensor", "all_to_all", "all_to_all_single",
           "gather", "scatter", "barrier", "send",
           "recv", "isend", "irecv", "P2POp", "batch_isend_irecv", "all_gather_object",
           "broadcast_object_list", "gather_object", "scatter_object_list", "send_object_list",
           "recv_object_list"]


def _pg(group):
    if group is GroupMember.NON_GROUP_MEMBER:
        return None   # this rank is not in the group: nothing to do, as in PyTorch
    return _group(group)


def _arr(t, name="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"disttrain.Tensor\n             but got {type(t)} instead.")
    return t._data


def _arrs(ts, name):
    if not isinstance(ts, (list, tuple)):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[disttrain.Tensor]\n             but got {type(ts)} instead.")
    return [_arr(t, name) for t in ts]


def _touched(*tensors):
    for t in tensors:
        t._version[0] += 1    # written in place: autograd must see the change


def _local(pg, rank, name):
    """Group rank of global ``rank``."""
    if rank not in pg.ranks:
        raise ValueError(f"{name}: global rank {rank} is not part of the group "
                         f"(its ranks: {pg.ranks})")
    return pg.ranks.index(rank)


def _finish(work, async_op, outputs=()):
    if async_op:
        return WorkHandle(work, list(outputs))
    work.wait()
    return None


def _collective(group, async_op, outputs, start):
    """Run ``start(pg)`` (it returns the group's Work) on the group, writing ``outputs`` in
    place; nothing on a rank outside the group."""
    pg = _pg(group)
    if pg is None:
        return None
    _touched(*outputs)
    return _finish(start(pg), async_op, outputs)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` over all ranks with ``op``; every rank gets the result in place."""
    arr = _arr(tensor)
    return _collective(group, async_op, [tensor], lambda pg: pg.all_reduce(arr, op))


def reduce(tensor, dst=0, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` onto rank ``dst`` (other ranks' tensors may change)."""
    arr = _arr(tensor)
    return _collective(group, async_op, [tensor],
                       lambda pg: pg.reduce(arr, _local(pg, dst, "reduce"), op))


def broadcast(tensor, src=0, group=None, async_op=False):
    """Overwrite ``tensor`` on every rank with rank ``src``'s."""
    arr = _arr(tensor)
    return _collective(group, async_op, [tensor],
                       lambda pg: pg.broadcast(arr, _local(pg, src, "broadcast")))


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[i]`` receives rank i's ``tensor``."""
    outs, arr = _arrs(tensor_list, "tensor_list"), _arr(tensor)
    return _collective(group, async_op, tensor_list, lambda pg: pg.all_gather(outs, arr))


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """``output_tensor`` receives every rank's ``input_tensor``, concatenated (or stacked)."""
    out, arr = _arr(output_tensor, "output_tensor"), _arr(input_tensor, "input_tensor")
    return _collective(group, async_op, [output_tensor],
                       lambda pg: pg.all_gather_into(out, arr))


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank i's ``output`` receives the reduction over ranks of their ``input_list[i]``."""
    out, ins = _arr(output, "output"), _arrs(input_list, "input_list")
    return _collective(group, async_op, [output], lambda pg: pg.reduce_scatter(out, ins, op))


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` over ranks; rank i's ``output`` receives its i-th block."""
    out, arr = _arr(output, "output"), _arr(input, "input")
    return _collective(group, async_op, [output],
                       lambda pg: pg.reduce_scatter_into(out, arr, op))


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Rank i's ``output_tensor_list[j]`` receives rank j's ``input_tensor_list[i]``."""
    outs = _arrs(output_tensor_list, "output_tensor_list")
    ins = _arrs(input_tensor_list, "input_tensor_list")
    return _collective(group, async_op, list(output_tensor_list),
                       lambda pg: pg.all_to_all(outs, ins))


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
                      group=None, async_op=False):
    """``all_to_all`` on one tensor each way, split along dim 0: this rank's block ``j`` of
    ``input`` goes to rank ``j``, and ``output``'s block ``j`` comes from rank ``j``. The
    blocks are ``input_split_sizes``/``output_split_sizes`` rows, or equal (dim 0 divided by
    the world size) when not given."""
    out, arr = _arr(output, "output"), _arr(input, "input")
    pg = _pg(group)
    if pg is None:
        return None

    def split(a, sizes, name):
        if sizes is None or len(sizes) == 0:
            if a.shape[0] % pg.size:
                raise ValueError(f"all_to_all_single: {name} dim 0 ({a.shape[0]}) is not "
                                 f"divisible by the world size ({pg.size}); give "
                                 f"{name}_split_sizes")
            sizes = [a.shape[0] // pg.size] * pg.size
        sizes = [int(s) for s in sizes]
        if len(sizes) != pg.size or sum(sizes) != a.shape[0] or min(sizes) < 0:
            raise ValueError(f"all_to_all_single: {name}_split_sizes {sizes} must be "
                             f"{pg.size} non-negative sizes summing to {name} dim 0 "
                             f"({a.shape[0]})")
        starts = [sum(sizes[:i]) for i in range(pg.size)]
        return [a[s:s + k] for s, k in zip(starts, sizes)]

    outs = split(out, output_split_sizes, "output")
    ins = split(arr, input_split_sizes, "input")
    _touched(output)
    return _finish(pg.all_to_all(outs, ins), async_op, [output])


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    """Rank ``dst``'s ``gather_list[i]`` receives rank i's ``tensor``."""
    arr = _arr(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    root = _local(pg, dst, "gather")
    outs = _arrs(gather_list, "gather_list") if pg.rank == root else None
    if outs is not None:
        _touched(*gather_list)
    return _finish(pg.gather(arr, outs, root), async_op, gather_list or [])


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    """Rank i's ``tensor`` receives rank ``src``'s ``scatter_list[i]``."""
    arr = _arr(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    root = _local(pg, src, "scatter")
    ins = _arrs(scatter_list, "scatter_list") if pg.rank == root else None
    _touched(tensor)
    return _finish(pg.scatter(arr, ins, root), async_op, [tensor])


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of ``group`` reaches the barrier."""
    return _collective(group, async_op, [], lambda pg: pg.barrier())


def isend(tensor, dst, group=None, tag=0):
    """Send ``tensor`` to global rank ``dst`` asynchronously; returns a Work."""
    arr = _arr(tensor)
    pg = _pg(group)
    return None if pg is None else WorkHandle(pg.send(arr, _local(pg, dst, "send"), tag),
                                              [tensor])


def irecv(tensor, src=None, group=None, tag=0):
    """Receive into ``tensor`` from global rank ``src`` asynchronously; returns a Work."""
    arr = _arr(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    if src is None:
        raise ValueError("recv: receiving from any source is not supported; pass src")
    _touched(tensor)
    return WorkHandle(pg.recv(arr, _local(pg, src, "recv"), tag), [tensor])


def send(tensor, dst, group=None, tag=0):
    """Send ``tensor`` to global rank ``dst``; returns once it may be reused."""
    work = isend(tensor, dst, group, tag)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0):
    """Receive into ``tensor`` from global rank ``src``; returns ``src``."""
    work = irecv(tensor, src, group, tag)
    if work is None:
        return -1
    work.wait()
    return src


class P2POp:
    """One point-to-point operation for :func:`batch_isend_irecv`.

    Args:
        op: :func:`isend` or :func:`irecv`.
        tensor (Tensor): what to send, or where to receive.
        peer (int): the other side's global rank.
        group (optional): the process group. Default: the world.
        tag (int, optional): matches a send with its receive. Default: 0
    """

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type "
                             "``torch.distributed.isend`` or ``torch.distributed.irecv``.")
        if peer is None and group_peer is None:
            raise ValueError("Either peer or group_peer must be specified")
        self.op, self.tensor, self.group, self.tag = op, tensor, group, tag
        self.peer = peer if peer is not None else _group(group).ranks[group_peer]

    def __repr__(self):
        return (f"P2POp(op={self.op.__name__}, peer={self.peer}, tag={self.tag}, "
                f"tensor={tuple(self.tensor.shape)})")


def batch_isend_irecv(p2p_op_list):
    """Start every operation of ``p2p_op_list`` (:class:`P2POp`) and return their Works.

    A posted receive does not hold up the operations after it, so sends and receives to and
    from neighbours may come in any order in the list.
    """
    if not p2p_op_list or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``torch.distributed.P2POp``.")
    works = [p.op(p.tensor, p.peer, p.group, p.tag) for p in p2p_op_list]
    return [w for w in works if w is not None]


# -- objects: msgpack, never pickle ----------------------------------------------------------

def all_gather_object(object_list, obj, group=None):
    """``object_list[i]`` receives rank i's ``obj`` (msgpack data, arrays, Tensors)."""
    pg = _pg(group)
    if pg is None:
        return None
    if len(object_list) != pg.size:
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} entries, "
                         f"expected one per rank ({pg.size})")
    payloads = pg.all_gather_obj(_objects.packb(obj)).result()
    object_list[:] = [_objects.unpackb(p) for p in payloads]
    return None


def broadcast_object_list(object_list, src=0, group=None, device=None):
    """Replace every rank's ``object_list`` entries with rank ``src``'s."""
    pg = _pg(group)
    if pg is None:
        return None
    root = _local(pg, src, "broadcast_object_list")
    payload = _objects.packb(list(object_list)) if pg.rank == root else None
    got = _objects.unpackb(pg.broadcast_obj(payload, root).result())
    if len(got) != len(object_list):
        raise ValueError(f"broadcast_object_list: rank {src} sent {len(got)} objects but this "
                         f"rank's object_list has {len(object_list)} entries")
    object_list[:] = got
    return None


def gather_object(obj, object_gather_list=None, dst=0, group=None):
    """Rank ``dst``'s ``object_gather_list[i]`` receives rank i's ``obj``."""
    pg = _pg(group)
    if pg is None:
        return None
    root = _local(pg, dst, "gather_object")
    payloads = pg.all_gather_obj(_objects.packb(obj)).result()
    if pg.rank == root:
        if object_gather_list is None or len(object_gather_list) != pg.size:
            raise ValueError(f"gather_object: object_gather_list must have one entry per "
                             f"rank ({pg.size}) on the destination rank")
        object_gather_list[:] = [_objects.unpackb(p) for p in payloads]
    return None


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=0,
                        group=None):
    """``scatter_object_output_list[0]`` receives rank ``src``'s input list entry for this rank."""
    pg = _pg(group)
    if pg is None:
        return None
    root = _local(pg, src, "scatter_object_list")
    payload = None
    if pg.rank == root:
        if scatter_object_input_list is None or len(scatter_object_input_list) != pg.size:
            raise ValueError(f"scatter_object_list: the input list must have one entry per "
                             f"rank ({pg.size}) on the source rank")
        payload = _objects.packb(list(scatter_object_input_list))
    got = _objects.unpackb(pg.broadcast_obj(payload, root).result())
    scatter_object_output_list[0] = got[pg.rank]
    return None


def send_object_list(object_list, dst, group=None, device=None):
    """Send ``object_list`` (msgpack data, arrays, Tensors) to global rank ``dst``, whose
    :func:`recv_object_list` receives it into a list of the same length."""
    pg = _pg(group)
    if pg is None:
        return None
    peer = _local(pg, dst, "send_object_list")
    payloads = [_objects.packb(o) for o in object_list]
    sizes = np.array([len(p) for p in payloads], np.int64)
    pg.send(sizes, peer).wait()
    pg.send(np.frombuffer(b"".join(payloads), np.uint8), peer).wait()
    return None


def recv_object_list(object_list, src=None, group=None, device=None):
    """Receive into ``object_list`` (same length as the sender's) what global rank ``src``
    sent with :func:`send_object_list`; returns ``src``."""
    pg = _pg(group)
    if pg is None:
        return -1
    if src is None:
        raise ValueError("recv_object_list: receiving from any source is not supported; "
                         "pass src")
    peer = _local(pg, src, "recv_object_list")
    sizes = np.empty(len(object_list), np.int64)
    pg.recv(sizes, peer).wait()
    data = np.empty(int(sizes.sum()), np.uint8)
    pg.recv(data, peer).wait()
    raw, start = data.tobytes(), 0
    for i, size in enumerate(sizes.tolist()):
        object_list[i] = _objects.unpackb(raw[start:start + size])
        start += size
    return src
