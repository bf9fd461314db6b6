"""DistributedDataParallel: one model replica per process, gradients averaged in buckets."""
from contextlib import contextmanager

from ..core.device import array_module
from ..core.grad_mode import state as _grad_state
from ..nn.modules.module import Module
from ._reducer import Reducer
from ._groups import _world

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Data parallelism at the module level: every rank runs the module on its own batch,
    and backward averages the gradients over the ranks.

    At construction every rank must hold a model with the same parameter shapes (checked:
    the error names the first mismatch); rank 0's parameters and buffers are copied to
    all. During backward each parameter's gradient lands in a flat bucket (``param.grad``
    is a view of it); a bucket whose gradients are complete is all-reduced on the
    communication thread while backward continues, and the end of backward waits for all
    buckets, so ``optimizer.step()`` sees averaged gradients. The buckets of a dtype and
    device are slices of one gradient buffer, and the parameters move into one flat buffer in
    the same order at construction: an optimizer steps on both memories as they are.

    Args:
        module (Module): the module to replicate.
        device_ids (list, optional): the one device of a GPU module (``[local_rank]``), or
            None for a CPU module or the current device.
        output_device (optional): accepted for PyTorch compatibility (single device).
        broadcast_buffers (bool): copy rank 0's buffers (e.g. BatchNorm statistics) to every
            rank at the start of each forward. Default: True.
        process_group (ProcessGroup, optional): the group to average over. Default: the
            default group.
        bucket_cap_mb (float): bucket size limit in MiB. Default: 25. The first bucket is
            1 MiB so that communication starts early.
        find_unused_parameters (bool): walk the autograd graph of the outputs at each forward
            and treat parameters it does not reach as ready (zero gradient). Default: False.
        gradient_as_bucket_view (bool): make ``param.grad`` a view of its bucket (no copy
            back). Default: True.
        static_graph (bool): accepted; the reducer's checks work for any graph.

    Example::

        >>> dist.init_process_group()
        >>> model = DistributedDataParallel(Net())
        >>> loss = loss_fn(model(x), y)
        >>> loss.backward()          # gradients are averaged over ranks here
        >>> optimizer.step()
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=True, static_graph=False, **kwargs):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel expects a Module, got "
                            f"{type(module).__name__}")
        self.module = module
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        _check_devices(named, device_ids)
        group = _world() if process_group is None else process_group
        object.__setattr__(self, "process_group", group)
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        cap = 25 if bucket_cap_mb is None else bucket_cap_mb
        self.bucket_bytes_cap = int(cap * 1024 * 1024)
        names = [n for n, _ in named]
        params = [p for _, p in named]
        _verify_shapes(group, names, params)
        _sync_states(group, [p for _, p in module.named_parameters()] +
                     [b for _, b in module.named_buffers()])
        object.__setattr__(self, "reducer", Reducer(
            params, names, group, self.bucket_bytes_cap, find_unused_parameters,
            gradient_as_bucket_view))

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.require_forward_param_sync and \
                self.process_group.size > 1:
            bufs = [b for _, b in self.module.named_buffers()]
            if bufs:
                _sync_states(self.process_group, bufs)
        out = self.module(*inputs, **kwargs)
        if _grad_state.enabled and self.require_backward_grad_sync:
            self.reducer.prepare(out)
        return out

    @contextmanager
    def no_sync(self):
        """Context in which backward only accumulates local gradients (no all-reduce).

        The first forward-backward after the context averages the accumulated gradients.

        Example::

            >>> with ddp.no_sync():
            ...     for x in micro_batches[:-1]:
            ...         ddp(x).sum().backward()
            >>> ddp(micro_batches[-1]).sum().backward()   # synchronises everything
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def register_comm_hook(self, state, hook):
        """Replace the bucket all-reduce with ``hook(state, bucket) -> Future``.

        The future's value (a tensor shaped like ``bucket.buffer()``) becomes the bucket's
        gradients; the hook is responsible for averaging. See
        ``disttrain.distributed.algorithms.ddp_comm_hooks.default_hooks``.
        """
        if not callable(hook):
            raise TypeError("Communication hook must be callable.")
        if self.reducer.comm_hook is not None:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only be "
                               "called once.")
        self.reducer.comm_hook, self.reducer.hook_state = hook, state

    def _set_static_graph(self):
        self.static_graph = True

    def _get_ddp_logging_data(self):
        r = self.reducer
        return {"world_size": self.process_group.size, "bucket_sizes": r.bucket_sizes(),
                "find_unused_parameters": self.find_unused_parameters,
                "gradient_as_bucket_view": self.gradient_as_bucket_view,
                "iterations": r.stats["iterations"]}

    def extra_repr(self):
        return ""


def _check_devices(named, device_ids):
    devices = {str(p.device) for _, p in named}
    if len(devices) > 1:
        raise ValueError(f"DistributedDataParallel's input module must be on the same type of "
                         f"devices, but input module parameters locate in {sorted(devices)}.")
    if device_ids is not None and devices == {"cpu"} and list(device_ids):
        raise ValueError(f"DistributedDataParallel device_ids and output_device arguments only "
                         f"work with single-device/multiple-device GPU modules or CPU modules, "
                         f"but got device_ids {list(device_ids)}, output_device None, and module "
                         f"parameters {{device(type='cpu')}}.")


def _verify_shapes(group, names, params):
    """Every rank must have the same parameters: compare with rank 0's, name a mismatch."""
    mine = [[list(p.shape), str(p._data.dtype)] for p in params]
    everyone = group.all_gather_obj([names, mine]).result()
    ref_names, ref = everyone[0]
    for r, (their_names, theirs) in enumerate(everyone[1:], start=1):
        if len(theirs) != len(ref):
            raise RuntimeError(f"DDP expects same model across all ranks, but Rank {r} has "
                               f"{len(theirs)} params, while rank 0 has inconsistent "
                               f"{len(ref)} params.")
        for i, (a, b) in enumerate(zip(ref, theirs)):
            if a != b:
                raise RuntimeError(
                    f"DDP expects same model across all ranks: params[{i}] "
                    f"('{their_names[i]}') of rank {r} with sizes {b[0]} and dtype {b[1]} "
                    f"appears not to match sizes of the same param in process 0 "
                    f"('{ref_names[i]}' with sizes {a[0]} and dtype {a[1]}).")


# Bytes per broadcast when copying states: no rank holds more than this in flight (the
# model is never staged whole, on the sender or in the receivers' queues).
PIECE_BYTES = 4 << 20


def _sync_states(group, tensors, root=0):
    """Overwrite ``tensors`` everywhere with rank ``root``'s: small ones packed together, large
    ones in place, in broadcasts of at most about ``PIECE_BYTES``."""
    if group.size == 1 or not tensors:
        return
    for ts in _by_kind(tensors):
        batch, size = [], 0
        for t in ts:
            d = t._data
            if d.nbytes >= PIECE_BYTES and d.flags.c_contiguous:
                broadcast_pieces(group, d.reshape(-1), root)
                t._version[0] += 1
                continue
            batch.append(t)
            size += d.nbytes
            if size >= PIECE_BYTES:
                _sync_batch(group, batch, root)
                batch, size = [], 0
        if batch:
            _sync_batch(group, batch, root)


def _sync_batch(group, ts, root):
    xp = array_module(ts[0]._data)
    flat = xp.concatenate([t._data.reshape(-1) for t in ts]) if len(ts) > 1 else \
        ts[0]._data.reshape(-1).copy()
    broadcast_pieces(group, flat, root)
    _unpack(ts, flat)


def broadcast_pieces(group, flat, root):
    """Broadcast 1-D ``flat`` from ``root`` in place, ``PIECE_BYTES`` at a time; after each
    piece every rank waits for all (else the sender runs ahead and the receivers queue its
    pieces as messages, up to the whole array)."""
    per = max(1, PIECE_BYTES // flat.itemsize)
    for a in range(0, max(1, flat.size), per):
        group.broadcast(flat[a:a + per], root).wait()
        if flat.size > per:
            group.barrier().wait()


def _by_kind(tensors):
    """``tensors`` split by (dtype, device), each list in the given order: one flat
    array per list can carry them."""
    by_kind = {}
    for t in tensors:
        by_kind.setdefault((t._data.dtype.str, str(t.device)), []).append(t)
    return list(by_kind.values())


def _unpack(tensors, flat):
    """Write consecutive pieces of ``flat`` into ``tensors`` in place (autograd sees it)."""
    off = 0
    for t in tensors:
        n = int(t._data.size)
        t._data[...] = flat[off:off + n].reshape(t._data.shape)
        t._version[0] += 1
        off += n
