"""Distributed optimizers: gradient all-reduce at ``step`` and sharded optimizer state.

* :func:`DistributedOptimizer` (Horovod's style): wraps an optimizer so that ``step()``
  first averages every gradient over the ranks, in the optimizer's flat buffers. For code
  that does not wrap its model in DistributedDataParallel.
* :func:`broadcast_parameters` / :func:`broadcast_optimizer_state`: start every rank from
  the root's weights and optimizer state.
* :class:`ZeroRedundancyOptimizer`: each rank keeps the optimizer state of only its share
  of the parameters, steps that share, then the updated parameters are shared. State
  memory per rank falls as 1/world size, and nothing else grows in its place: the parameters
  live rank by rank in one flat buffer that the broadcasts fill in place, and under
  DistributedDataParallel each rank's share is one slice of DDP's gradient buffer, which the
  local optimizer steps on directly.
"""
import numpy as np

from ..comm import ReduceOp
from ..core.device import array_module
from ..core.sharedmem import is_shared_array
from ..core.tensor import Tensor
from ..optim._homes import FlatBuffer, tiling, grad_home, param_home, set_param_home
from ..optim.optimizer import Optimizer, _closure_loss
from . import _objects
from ._groups import _group
from .ddp import _by_kind, _sync_states, broadcast_pieces

__all__ = ["DistributedOptimizer", "broadcast_parameters", "broadcast_optimizer_state",
           "ZeroRedundancyOptimizer"]


def _pg(group):
    return _group(group)


# ------------------------------------------------------------------ Horovod style
_SUBCLASSES = {}


def DistributedOptimizer(optimizer, named_parameters=None, compression=None,
                         backward_passes_per_step=1, op=ReduceOp.AVG, process_group=None):
    """Make ``optimizer.step()`` average the gradients over all ranks first.

    The result is an instance of a subclass of the optimizer's class sharing its state
    (``param_groups``, ``state``): use it instead of the original. Gradients are reduced in
    the optimizer's flat gradient buffers, one all-reduce per buffer.

    Args:
        optimizer (Optimizer): the optimizer to wrap.
        named_parameters (iterable of (str, Tensor), optional): names of the parameters,
            checked to cover the optimizer's parameters (for error messages).
        compression: only None (no compression) is supported.
        backward_passes_per_step (int): accepted for Horovod compatibility; gradients
            accumulated over several backward passes are reduced once, at ``step``.
        op (ReduceOp): ``AVG`` (default) or ``SUM``.
        process_group (ProcessGroup, optional): default: the default group.

    Example::

        >>> opt = DistributedOptimizer(SGD(model.parameters(), lr=0.1))
        >>> broadcast_parameters(model.state_dict(), root_rank=0)
        >>> loss.backward(); opt.step()
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"DistributedOptimizer expects an Optimizer, got "
                        f"{type(optimizer).__name__}")
    if compression is not None:
        raise ValueError("DistributedOptimizer: gradient compression is not supported; use "
                         "DistributedDataParallel with fp16_compress_hook")
    base = type(optimizer)
    sub = _SUBCLASSES.get(base)
    if sub is None:
        # The methods are set after the class exists so that Optimizer does not wrap step
        # a second time (the base class's step already runs the step hooks).
        sub = type(base.__name__, (base,), {"__module__": base.__module__})
        sub.step = _distributed_step
        sub.synchronize = _synchronize
        _SUBCLASSES[base] = sub
    dist_opt = object.__new__(sub)
    dist_opt.__dict__.update(optimizer.__dict__)
    dist_opt._dist_base = base
    dist_opt._dist_op = op
    dist_opt._dist_group = _pg(process_group)
    if named_parameters is not None:
        _check_names(dist_opt, list(named_parameters))
    return dist_opt


def _check_names(opt, named):
    ids = {id(p) for _, p in named}
    for gi, g in enumerate(opt.param_groups):
        for p in g["params"]:
            if id(p) not in ids:
                raise ValueError(f"DistributedOptimizer: a parameter of param group {gi} with "
                                 f"shape {list(p.shape)} is missing from named_parameters")


def _synchronize(self):
    """Average every parameter's gradient over the ranks, in place."""
    group, op = self._dist_group, self._dist_op
    if group.size == 1:
        return
    works = []
    for fg in self._flat_groups():
        active = fg.gather_grads()
        for i in np.flatnonzero(~active):
            fg.grad[fg.slice(i)] = 0       # no gradient here: contribute zeros
        works.append((fg, active, group.all_reduce(fg.grad, op)))
    for fg, active, work in works:
        work.wait()
        for i in np.flatnonzero(active):
            g = fg.params[i]._grad
            if g is not None and g._data is not fg.gviews[i]:
                g._data[...] = fg.gviews[i]


def _distributed_step(self, closure=None):
    loss = _closure_loss(closure)
    self.synchronize()
    self._dist_base.step(self)
    return loss


def broadcast_parameters(params, root_rank=0, process_group=None):
    """Overwrite the tensors in ``params`` with ``root_rank``'s on every rank.

    Args:
        params: a ``state_dict()``, ``named_parameters()`` or a list of Tensors.
        root_rank (int): the rank whose values win.
    """
    if isinstance(params, dict):
        tensors = list(params.values())
    else:
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
    tensors = [t for t in tensors if isinstance(t, Tensor)]
    _sync_states(_pg(process_group), tensors, root_rank)


def broadcast_optimizer_state(optimizer, root_rank=0, process_group=None):
    """Load ``root_rank``'s optimizer state (and hyperparameters) on every rank."""
    group = _pg(process_group)
    if group.size == 1:
        return
    payload = _objects.packb(optimizer.state_dict()) if group.rank == root_rank else None
    state = _objects.unpackb(group.broadcast_obj(payload, root_rank).result())
    if group.rank != root_rank:
        optimizer.load_state_dict(state)


# ------------------------------------------------------------------ ZeRO stage 1
class ZeroRedundancyOptimizer(Optimizer):
    """Shards optimizer state over the ranks (ZeRO stage 1).

    Every rank holds all parameters, but the state of ``optimizer_class`` (momentum, Adam's
    moments...) only for its share: parameters are assigned, largest first, to the rank with
    the fewest bytes so far; under DistributedDataParallel (built first) each rank takes a
    contiguous run of DDP's gradient buffer instead, balanced by size, so that it steps on
    its gradients where the all-reduce left them. ``step()`` updates this rank's share with
    its gradients (average them first, e.g. with DistributedDataParallel), then each rank's
    updated parameters are broadcast to all, straight into their memory.

    Args:
        params (iterable): Tensors or param-group dicts, as for any optimizer.
        optimizer_class (type): the local optimizer, e.g. ``disttrain.optim.Adam``.
        process_group (ProcessGroup, optional): default: the default group.
        **defaults: the local optimizer's hyperparameters (``lr=...``).

    Example::

        >>> opt = ZeroRedundancyOptimizer(ddp.parameters(), optim.Adam, lr=1e-3)
        >>> loss.backward(); opt.step()
        >>> opt.consolidate_state_dict(to=0)
        >>> if rank == 0: save(opt.state_dict(), "optim.dt")
    """

    def __init__(self, params, optimizer_class, process_group=None,
                 parameters_as_bucket_view=False, overlap_with_ddp=False, **defaults):
        if overlap_with_ddp:
            raise ValueError("ZeroRedundancyOptimizer: overlap_with_ddp is not supported")
        super().__init__(params, defaults)
        self.process_group = _pg(process_group)
        self.world_size, self.rank = self.process_group.size, self.process_group.rank
        self.optimizer_class = optimizer_class
        self._all = [p for g in self.param_groups for p in g["params"]]
        self._index = {id(p): i for i, p in enumerate(self._all)}
        self._owner = _partition(self.param_groups, self.world_size)
        local = []
        for g in self.param_groups:
            lg = {k: v for k, v in g.items() if k not in ("params", "param_names")}
            lg["params"] = [p for p in g["params"] if self._owner[id(p)] == self.rank]
            local.append(lg)
        self.optim = optimizer_class(local, **defaults)
        # The global groups show every hyperparameter of the local optimizer (its defaults
        # included), so schedulers and checkpoints see what the local one uses.
        self.defaults = dict(self.optim.defaults)
        for g, lg in zip(self.param_groups, self.optim.param_groups):
            for k, v in lg.items():
                if k != "params":
                    g.setdefault(k, v)
        self._consolidated = None
        self._layout = _GatherLayout(self._all, self._owner, self.world_size, self.rank)

    def __repr__(self):
        return f"ZeroRedundancyOptimizer({self.optim!r}, rank={self.rank}/{self.world_size})"

    def step(self, closure=None):
        """Update this rank's share of the parameters, then share the results."""
        loss = _closure_loss(closure)
        self._push_hyperparameters()
        self.optim.step()
        self._layout.gather(self.process_group)
        return loss

    def _push_hyperparameters(self):
        # Schedulers change this optimizer's param_groups; the local one follows them.
        for g, lg in zip(self.param_groups, self.optim.param_groups):
            for k, v in g.items():
                if k not in ("params", "param_names"):
                    lg[k] = v

    def local_state_dict(self):
        """This rank's share: ``state`` keyed by the parameters' global indices."""
        local = self.optim.state_dict()
        mine = [p for lg in self.optim.param_groups for p in lg["params"]]
        state = {self._index[id(mine[i])]: st for i, st in local["state"].items()}
        return {"state": state, "param_groups": self._groups_meta(),
                "world_size": self.world_size, "rank": self.rank}

    def _groups_meta(self):
        out = []
        for g in self.param_groups:
            meta = {k: v for k, v in g.items() if k not in ("params", "param_names")}
            meta["params"] = [self._index[id(p)] for p in g["params"]]
            out.append(meta)
        return out

    def consolidate_state_dict(self, to=0):
        """Collect every rank's share on rank ``to`` (a collective: every rank calls it)."""
        self._push_hyperparameters()
        shards = self.process_group.all_gather_obj(
            _objects.packb(self.local_state_dict())).result()
        if self.rank == to:
            self._consolidated = merge_shards([_objects.unpackb(s) for s in shards])
        else:
            self._consolidated = None

    def state_dict(self):
        """The whole optimizer's state, as the unsharded optimizer would give it.

        Only on the rank that :meth:`consolidate_state_dict` collected it to.
        """
        if self._consolidated is None:
            raise RuntimeError("Optimizer state has not been consolidated on this rank. Please "
                               "call `consolidate_state_dict(to=...)` on all ranks beforehand "
                               "if you meant to save the global state.")
        return self._consolidated

    def load_state_dict(self, state_dict):
        """Load a whole state (from :meth:`state_dict`, or merged shards saved on any number
        of ranks); each rank keeps the part of its own share."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        mine = [p for lg in self.optim.param_groups for p in lg["params"]]
        state = {}
        for li, p in enumerate(mine):
            st = state_dict["state"].get(self._index[id(p)])
            if st is not None:
                state[li] = st
        local_groups, li = [], 0
        for g, lg, saved in zip(self.param_groups, self.optim.param_groups, groups):
            meta = {k: v for k, v in saved.items() if k not in ("params", "param_names")}
            g.update(meta)
            meta["params"] = list(range(li, li + len(lg["params"])))
            li += len(lg["params"])
            local_groups.append(meta)
        self.optim.load_state_dict({"state": state, "param_groups": local_groups})

    def state_bytes(self):
        """Bytes of optimizer state held by this rank."""
        total = 0
        for st in self.optim.state.values():
            for v in st.values():
                if isinstance(v, Tensor):
                    total += int(v._data.nbytes)
        return total


def merge_shards(shards):
    """One whole optimizer state from :meth:`ZeroRedundancyOptimizer.local_state_dict`
    shards (saved on any number of ranks)."""
    state = {}
    for sh in shards:
        state.update({int(k): v for k, v in sh["state"].items()})
    return {"state": state, "param_groups": shards[0]["param_groups"]}


def _partition(param_groups, world_size):
    """Owner rank of each parameter: largest first, to the least loaded rank; or, when every
    parameter's gradient lives in a DDP buffer, contiguous runs of each buffer."""
    params = [p for g in param_groups for p in g["params"]]
    homes = [grad_home(p) for p in params]
    if world_size > 1 and params and all(h is not None for h in homes):
        return _contiguous(params, homes, world_size)
    sizes = [0] * world_size
    owner = {}
    for g in param_groups:
        for p in sorted(g["params"], key=lambda t: -t._data.size):
            r = int(np.argmin(sizes))
            owner[id(p)] = r
            sizes[r] += int(p._data.size)
    return owner


def _shares_in_place(per_rank):
    """``(buffer, shares, spans)`` when every rank's parameters already live in one run of
    one buffer (DDP's parameter layout cut by a contiguous partition); else None."""
    buf, shares, spans = None, [], []
    for rp in per_rank:
        if not rp:
            shares.append([])
            spans.append((0, 0))
            continue
        found = tiling([param_home(p) for p in rp])
        if found is None or (buf is not None and found[0] is not buf):
            return None
        buf, _, i0, i1 = found
        shares.append([(p, param_home(p)[1]) for p in rp])
        spans.append((buf.offsets[i0], buf.offsets[i1]))
    return None if buf is None else (buf, shares, spans)


def _contiguous(params, homes, world_size):
    """Each gradient buffer cut into ``world_size`` runs of whole parameters: a parameter goes
    to the rank whose equal share of the buffer holds its middle element."""
    owner, by_buf = {}, {}
    for p, (buf, i) in zip(params, homes):
        by_buf.setdefault(id(buf), []).append((i, p))
    for entries in by_buf.values():
        entries.sort(key=lambda e: e[0])
        total = max(1, sum(int(p._data.size) for _, p in entries))
        acc = 0
        for _, p in entries:
            n = int(p._data.size)
            owner[id(p)] = min(world_size - 1, int(world_size * (acc + n / 2) / total))
            acc += n
    return owner


class _GatherLayout:
    """The parameters of each (dtype, device) laid out rank by rank in one flat buffer: each
    rank's updated share is broadcast from it straight into every rank's buffer, a few MiB at a
    time (no receive buffer as large as a share or the model). Within a
    share the parameters follow their gradients' order in DDP's buffer, so that the local
    optimizer adopts both memories as they are (``optim/_homes.py``)."""

    def __init__(self, params, owner, world_size, rank):
        self.rank = rank
        self.kinds = []
        if world_size == 1:
            return
        for ps in _by_kind(params):
            pos = {id(p): k for k, p in enumerate(ps)}
            homes = {id(p): grad_home(p) for p in ps}
            if all(h is not None for h in homes.values()):
                key = lambda p: homes[id(p)][1]     # noqa: E731
            else:
                key = lambda p: pos[id(p)]          # noqa: E731
            per_rank = [sorted((p for p in ps if owner[id(p)] == r), key=key)
                        for r in range(world_size)]
            in_place = _shares_in_place(per_rank)
            if in_place is not None:        # DDP laid them out: each share is one run of it
                self.kinds.append(in_place)
                continue
            shapes, index = [], []
            for rp in per_rank:
                index.append(list(range(len(shapes), len(shapes) + len(rp))))
                shapes += [p._data.shape for p in rp]
            first = ps[0]._data
            # Not zeroed: each page is first touched by the copy in or by a broadcast.
            buf = FlatBuffer(array_module(first), first.dtype, shapes, fill=False)
            shares, spans = [], []
            for rp, idx in zip(per_rank, index):
                spans.append((buf.offsets[idx[0]], buf.offsets[idx[-1] + 1]) if idx else (0, 0))
                for p, i in zip(rp, idx):
                    v = buf.views[i]
                    v[...] = p._data
                    if not is_shared_array(p._data):     # shared memory stays where it is
                        p._data = v                      # the old array is freed
                        set_param_home(p, buf, i)
                shares.append(list(zip(rp, idx)))
            self.kinds.append((buf, shares, spans))

    def gather(self, group):
        if group.size == 1:
            return
        for buf, shares, spans in self.kinds:
            for p, i in shares[self.rank]:
                v = buf.views[i]
                if p._data is not v:        # stepped elsewhere (a layout of its own): pack
                    v[...] = p._data
            for r, (lo, hi) in enumerate(spans):
                if hi > lo:
                    broadcast_pieces(group, buf.array[lo:hi], r)
            for r, share in enumerate(shares):
                if r == self.rank:
                    continue
                for p, i in share:
                    v = buf.views[i]
                    if p._data is not v:
                        p._data[...] = v
                    p._version[0] += 1
