"""ProcessGroup: a set of ranks that run collectives on arrays together.

A world group is built from (rank, world_size, master_addr, master_port, timeout, secret)
or from the environment; it meets its peers through the rendezvous store and owns one
communication thread. Subgroups (:meth:`ProcessGroup.new_group`) share that thread and
those sockets. Every method returns a :class:`~disttrain.comm.work.Work`: with the
default ``async_op=True`` at once, the operation running on the communication thread;
with ``async_op=False`` already complete, run on the caller's thread when nothing is
queued (which saves two thread hand-offs of latency). Either way one rank's operations
complete in issue order (posted receives excepted: they complete when their message
arrives).

With ``world_size == 1`` nothing is started and nothing listens on any port: operations
complete immediately with their input as their result.
"""
import contextlib
import itertools
import os
import signal
import threading
import time

import msgpack
import numpy as np

from . import collectives as C, hier
from .collectives import Channel, ReduceOp
from .env import discover
from .store import MAX_MESSAGE, RendezvousError, Store
from .transport import CommError, Transport
from .wire import DTYPES, Kind, dtype_name, secret_token
from .work import Engine, Pending, Work

__all__ = ["ProcessGroup", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 1800.0   # seconds; PyTorch's default process-group timeout (30 minutes)
_TELL_LATE_RANKS = 5.0     # seconds rank 0 keeps the store up to tell late ranks a failure

# Worlds made by this process, one after another: every rank of a job creates and destroys
# its groups in the same order, so the count names the same group on every rank, and a
# rank already at the next group never talks to the store of the one being torn down.
_worlds = itertools.count()


def _seconds(timeout):
    if timeout is None:
        return DEFAULT_TIMEOUT
    return timeout.total_seconds() if hasattr(timeout, "total_seconds") else float(timeout)


def _reduce_op(op, name, dtype):
    if isinstance(op, str):
        try:
            op = ReduceOp[op.upper()]
        except KeyError:
            raise ValueError(f"{name}: unknown reduce op {op!r}; expected one of "
                             f"{', '.join(o.name for o in ReduceOp)}") from None
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{name}: op must be a ReduceOp, got {type(op).__name__}")
    if op is ReduceOp.AVG and dtype == np.bool_:
        raise TypeError(f"{name}: ReduceOp.AVG is not defined for bool arrays")
    return op


def _algorithms(ch):
    """The module whose algorithms run a collective on ``ch``: two-level (``hier``) when the
    ranks span hosts and that mode is on, else the flat ones (``collectives``)."""
    return hier if hier.active(ch) else C


def _host(arr, name, writable=False):
    """(flat C-contiguous host array, whether results must be copied back into ``arr``)."""
    if not isinstance(arr, np.ndarray) and hasattr(arr, "get"):   # cupy: through the host
        host, back = arr.get(), True
    elif isinstance(arr, np.ndarray):
        host, back = arr, False
    else:
        raise TypeError(f"{name} expects a numpy or cupy array, got {type(arr).__name__}")
    if dtype_name(host.dtype) is None:
        raise TypeError(f"{name}: dtype {host.dtype} is not supported; supported: "
                        f"{', '.join(DTYPES)}")
    if writable and not back and not arr.flags.writeable:
        raise ValueError(f"{name}: the array is read-only but the result is written into it")
    if host.flags.c_contiguous:
        return host.reshape(-1), back
    return np.ascontiguousarray(host).reshape(-1), True


def _write_back(arr, flat):
    if isinstance(arr, np.ndarray):
        arr[...] = flat.reshape(arr.shape)
    elif arr.flags.c_contiguous:
        arr.set(flat.reshape(arr.shape))
    else:   # cupy's set() wants a contiguous target: stage through one
        staged = type(arr)(arr.shape, arr.dtype)
        staged.set(flat.reshape(arr.shape))
        arr[...] = staged


def _check_rank(rank, size, what, name):
    if not isinstance(rank, (int, np.integer)) or not 0 <= rank < size:
        raise ValueError(f"{name}: {what} {rank!r} is not a rank of this group (size {size})")
    return int(rank)


def _check_list(items, size, like, name, what):
    if items is None or len(items) != size:
        got = "None" if items is None else f"{len(items)} arrays"
        raise ValueError(f"{name}: {what} must hold one array per rank ({size}), got {got}")
    for i, item in enumerate(items):
        if getattr(item, "shape", None) != like.shape or item.dtype != like.dtype:
            raise ValueError(f"{name}: {what}[{i}] is {getattr(item, 'shape', None)} "
                             f"{getattr(item, 'dtype', type(item).__name__)}, expected "
                             f"{like.shape} {like.dtype}")


class ProcessGroup:
    """A group of ranks running collectives on numpy (or cupy) arrays.

    Args:
        rank (int): this process's rank, ``0 <= rank < world_size``.
        world_size (int): number of processes.
        master_addr (str): rank 0's host, where the rendezvous store listens.
            Default: ``"127.0.0.1"``.
        master_port (int): the store's port. Default: 29500.
        timeout (float or timedelta): deadline of every wait. Default: 30 minutes.
        secret (str, optional): the job's secret; default ``$DISTTRAIN_SECRET`` (none if
            unset). Every rank must have the same.
        run_id (str, optional): the job's run id; default ``$TORCHELASTIC_RUN_ID``, which
            ``launch`` sets (random per launch, the same on all nodes). Without one (a
            program that starts its own processes and calls ``init_process_group(rank=,
            world_size=)``) it is ``""``: the job is then told apart from others on the
            same port by its secret only, and a process of another such job with the same
            secret counts as a second claim on its rank.
        heartbeat_interval, heartbeat_timeout (float, optional): liveness settings.

    The rendezvous checks every rank's claim (rank, world size, host, process id) and
    raises :class:`~disttrain.comm.store.RendezvousError` on every rank at once, naming
    the disagreement, when ranks disagree on the world size or two claim one rank.

    Example::

        >>> pg = ProcessGroup.from_env()
        >>> grad = np.ones(10, np.float32)
        >>> pg.all_reduce(grad, ReduceOp.AVG).wait()
        True
    """

    def __init__(self, rank=0, world_size=1, master_addr="127.0.0.1", master_port=29500,
                 timeout=None, secret=None, *, heartbeat_interval=None, heartbeat_timeout=None,
                 run_id=None):
        world_size = int(world_size)
        if world_size < 1 or not 0 <= int(rank) < world_size:
            raise ValueError(f"rank {rank} is outside the world of size {world_size}")
        self.rank, self.size, self.ranks = int(rank), world_size, list(range(world_size))
        self.id, self.timeout = "0", _seconds(timeout)
        self._tags, self._subgroups, self._p2p = itertools.count(), itertools.count(), {}
        self.store, self._engine = None, None
        if world_size == 1:
            return   # single-process mode: no store, no sockets, no thread
        if secret is None:
            secret = discover().secret
        if run_id is None:
            run_id = os.environ.get("TORCHELASTIC_RUN_ID", "")
        with _startup_signals():
            self.store = Store(master_addr, master_port, is_master=self.rank == 0,
                               timeout=self.timeout, secret=secret, run_id=run_id,
                               generation=next(_worlds), rank=self.rank,
                               max_message=MAX_MESSAGE + 512 * world_size)
            transport = None
            try:
                server = self.store.server
                transport = Transport(self.rank, world_size, self.store, secret_token(secret),
                                      self.timeout, heartbeat_interval, heartbeat_timeout,
                                      alarm=(lambda: server.alarm) if server else None)
                self._engine = Engine(transport)
                self.barrier().wait()   # everyone connected, secrets matched, segments mapped
                if transport.shm_missing:
                    raise CommError(f"rank {self.rank}: the shared-memory segment of rank "
                                    f"{transport.shm_missing[0]} disappeared from /dev/shm "
                                    f"before this rank could map it (removed by hand?)")
            except BaseException as exc:
                self._abandon(transport, exc)
                raise
        if transport.arena:
            transport.arena.unlink()   # all peers have it mapped: leave nothing in /dev/shm

    def _abandon(self, transport, exc):
        """Release everything after a failed start: no segment, port or thread is left."""
        if transport is not None and transport.arena:
            transport.arena.unlink()
        if self._engine is not None and not isinstance(exc, _Terminated):
            self._engine.close(timeout=1.0)
        elif transport is not None and self._engine is None:
            transport.close(linger=0)
        self._engine = None
        if self.store.server is not None and isinstance(exc, RendezvousError):
            self.store.server.hold_failure(_TELL_LATE_RANKS)
        self.store.close()

    @classmethod
    def from_env(cls, timeout=None, environ=None, **kwargs):
        """A world group from torchrun/``launch``, Slurm or MPI variables (see :mod:`.env`)."""
        env = discover(environ)
        return cls(env.rank, env.world_size, env.master_addr, env.master_port, timeout,
                   env.secret, **kwargs)

    @property
    def world_size(self):
        return self.size

    def __repr__(self):
        return f"ProcessGroup(id={self.id!r}, rank={self.rank}, size={self.size})"

    # -- groups ----------------------------------------------------------------------------

    def new_group(self, ranks):
        """A subgroup over ``ranks`` (ranks of this group); every rank of it must call this.

        Returns the subgroup on its members and None elsewhere. Ranks are renumbered
        0..len(ranks)-1 in increasing order.
        """
        members = sorted({_check_rank(r, self.size, "rank", "new_group") for r in ranks})
        gid = f"{self.id}.{next(self._subgroups)}"   # same id on every rank: same call order
        if self.rank not in members:
            return None
        sub = object.__new__(ProcessGroup)
        sub.ranks = [self.ranks[r] for r in members]
        sub.rank, sub.size = members.index(self.rank), len(members)
        sub.id, sub.timeout, sub.store = gid, self.timeout, self.store
        sub._tags, sub._subgroups, sub._p2p = itertools.count(), itertools.count(), {}
        sub._engine = self._engine
        return sub

    def destroy(self):
        """Finish queued operations, say goodbye to the peers, release sockets and port.

        Only the world group owns resources; destroying a subgroup does nothing.
        """
        if self.id == "0" and self._engine is not None:
            self._engine.close(timeout=min(self.timeout, 30.0))
            self.store.close()
            self._engine = None

    # -- running ---------------------------------------------------------------------------

    def _issue(self, name, sig, run, result=None, tag=None, async_op=True):
        """Number the operation and run ``run(channel)`` on the communication thread.

        Collectives take the group's next tag; point-to-point operations pass their own
        (the user's tag), as only the two ranks involved issue them. ``async_op=False``
        runs it on the calling thread when nothing else is queued (lower latency); the
        returned Work is then already complete.
        """
        if self._engine is None and self.size > 1:
            raise RuntimeError(f"{name}: the process group has been destroyed")
        tag = next(self._tags) if tag is None else tag
        work = Work(name, tag, result)
        if self._engine is None:
            work._finish(result=run(Channel(None, self.id, self.ranks, 0, tag, sig, 0.0)))
            return work
        transport = self._engine.t

        def fn():
            deadline = time.monotonic() + self.timeout   # the clock starts when it runs
            out = run(Channel(transport, self.id, self.ranks, self.rank, tag, sig, deadline))
            if sig is not None:
                transport.complete(self.id, tag)
            return out
        self._engine.submit(work, fn, inline=not async_op)
        return work

    @staticmethod
    def _sig(name, flat, op="", root=-1, shape=None):
        shape = list(flat.shape if shape is None else shape)
        return [name, op.name if isinstance(op, ReduceOp) else op, dtype_name(flat.dtype), shape,
                root]

    # -- collectives -----------------------------------------------------------------------

    def all_reduce(self, arr, op=ReduceOp.SUM, async_op=True):
        """Reduce ``arr`` across the group with ``op``, in place on every rank.

        Args:
            arr (ndarray): same shape and dtype on every rank; overwritten by the result.
            op (ReduceOp or str): ``SUM``, ``AVG``, ``PRODUCT``, ``MIN`` or ``MAX``.

        Returns:
            Work: its ``result()`` is ``arr``.
        """
        flat, back = _host(arr, "all_reduce", writable=True)
        op = _reduce_op(op, "all_reduce", flat.dtype)

        def run(ch):
            _algorithms(ch).all_reduce(ch, flat, op)
            if back:
                _write_back(arr, flat)
            return arr
        return self._issue("all_reduce", self._sig("all_reduce", flat, op, shape=arr.shape),
                           run, arr, async_op=async_op)

    def reduce(self, arr, dst=0, op=ReduceOp.SUM, async_op=True):
        """Like :meth:`all_reduce`; only ``dst``'s result is defined (others may change)."""
        _check_rank(dst, self.size, "dst", "reduce")
        return self.all_reduce(arr, op, async_op)

    def broadcast(self, arr, src=0, async_op=True):
        """Overwrite ``arr`` on every rank with rank ``src``'s ``arr``."""
        src = _check_rank(src, self.size, "src", "broadcast")
        flat, back = _host(arr, "broadcast", writable=self.rank != src)

        def run(ch):
            _algorithms(ch).broadcast(ch, flat, src)
            if back and self.rank != src:
                _write_back(arr, flat)
            return arr
        return self._issue("broadcast", self._sig("broadcast", flat, root=src,
                                                  shape=arr.shape), run, arr, async_op=async_op)

    def all_gather_into(self, out, arr, async_op=True):
        """Fill ``out`` (``size * arr.size`` elements) with every rank's ``arr`` in rank order."""
        flat, _ = _host(arr, "all_gather")
        oflat, back = _host(out, "all_gather", writable=True)
        if oflat.size != self.size * flat.size or oflat.dtype != flat.dtype:
            raise ValueError(f"all_gather: output has {oflat.size} x {oflat.dtype}, expected "
                             f"{self.size * flat.size} x {flat.dtype} (world size "
                             f"{self.size} x input {arr.shape})")

        def run(ch):
            _algorithms(ch).all_gather(ch, oflat, flat)
            if back:
                _write_back(out, oflat)
            return out
        return self._issue("all_gather", self._sig("all_gather", flat, shape=arr.shape), run,
                           out, async_op=async_op)

    def all_gather(self, out_list, arr, async_op=True):
        """Fill ``out_list[i]`` with rank i's ``arr`` (PyTorch's list form)."""
        _check_list(out_list, self.size, arr, "all_gather", "out_list")
        flat, _ = _host(arr, "all_gather")
        staging = np.empty(self.size * flat.size, flat.dtype)

        def run(ch):
            _algorithms(ch).all_gather(ch, staging, flat)
            for i, out in enumerate(out_list):
                _write_back(out, staging[i * flat.size:(i + 1) * flat.size])
            return out_list
        return self._issue("all_gather", self._sig("all_gather", flat, shape=arr.shape), run,
                           out_list, async_op=async_op)

    def reduce_scatter_into(self, out, arr, op=ReduceOp.SUM, async_op=True):
        """Reduce ``arr`` (``size * out.size`` elements); rank i gets block i in ``out``."""
        flat, _ = _host(arr, "reduce_scatter")
        oflat, back = _host(out, "reduce_scatter", writable=True)
        op = _reduce_op(op, "reduce_scatter", flat.dtype)
        if flat.size != self.size * oflat.size or oflat.dtype != flat.dtype:
            raise ValueError(f"reduce_scatter: input has {flat.size} x {flat.dtype}, expected "
                             f"{self.size * oflat.size} x {oflat.dtype} (world size "
                             f"{self.size} x output {out.shape})")

        def run(ch):
            _algorithms(ch).reduce_scatter(ch, oflat, flat, op)
            if back:
                _write_back(out, oflat)
            return out
        sig = self._sig("reduce_scatter", oflat, op, shape=out.shape)
        return self._issue("reduce_scatter", sig, run, out, async_op=async_op)

    def reduce_scatter(self, out, in_list, op=ReduceOp.SUM, async_op=True):
        """Rank i's ``out`` gets the reduction of every rank's ``in_list[i]`` (list form)."""
        _check_list(in_list, self.size, out, "reduce_scatter", "in_list")
        stacked = np.concatenate([_host(a, "reduce_scatter")[0] for a in in_list])
        return self.reduce_scatter_into(out, stacked, op, async_op)

    def gather(self, arr, gather_list=None, dst=0, async_op=True):
        """Rank ``dst`` receives every rank's ``arr`` into ``gather_list`` (rank order)."""
        dst = _check_rank(dst, self.size, "dst", "gather")
        flat, _ = _host(arr, "gather")
        if self.rank == dst:
            _check_list(gather_list, self.size, arr, "gather", "gather_list")
        staging = np.empty(self.size * flat.size if self.rank == dst else 0, flat.dtype)

        def run(ch):
            C.gather(ch, staging, flat, dst)
            if self.rank == dst:
                for i, out in enumerate(gather_list):
                    _write_back(out, staging[i * flat.size:(i + 1) * flat.size])
            return gather_list
        return self._issue("gather", self._sig("gather", flat, root=dst, shape=arr.shape),
                           run, gather_list, async_op=async_op)

    def scatter(self, arr, scatter_list=None, src=0, async_op=True):
        """Rank i's ``arr`` receives ``scatter_list[i]`` of rank ``src``."""
        src = _check_rank(src, self.size, "src", "scatter")
        flat, back = _host(arr, "scatter", writable=True)
        if self.rank == src:
            _check_list(scatter_list, self.size, arr, "scatter", "scatter_list")
            source = np.concatenate([_host(a, "scatter")[0] for a in scatter_list])
        else:
            source = None

        def run(ch):
            C.scatter(ch, flat, source, src)
            if back:
                _write_back(arr, flat)
            return arr
        return self._issue("scatter", self._sig("scatter", flat, root=src, shape=arr.shape),
                           run, arr, async_op=async_op)

    def all_to_all(self, out_list, in_list, async_op=True):
        """Rank i's ``out_list[j]`` receives rank j's ``in_list[i]``: every rank sends one
        block to each (its own stays). Blocks may differ in size between pairs; each
        ``out_list[j]`` must have the size rank j sends, and every block one dtype."""
        n = self.size
        for what, items in (("out_list", out_list), ("in_list", in_list)):
            if items is None or len(items) != n:
                got = "None" if items is None else f"{len(items)} arrays"
                raise ValueError(f"all_to_all: {what} must hold one array per rank ({n}), "
                                 f"got {got}")
        ins = [_host(a, "all_to_all")[0] for a in in_list]
        outs = [_host(a, "all_to_all", writable=True) for a in out_list]
        dtype = ins[0].dtype
        for i, a in enumerate(ins + [o for o, _ in outs]):
            if a.dtype != dtype:
                what = "in_list" if i < n else "out_list"
                raise ValueError(f"all_to_all: {what}[{i % n}] is {a.dtype}, expected {dtype} "
                                 f"(every block one dtype)")
        if outs[self.rank][0].size != ins[self.rank].size:
            raise ValueError(f"all_to_all: out_list[{self.rank}] has {outs[self.rank][0].size} "
                             f"elements, but this rank's in_list[{self.rank}] has "
                             f"{ins[self.rank].size}")

        def run(ch):
            C.all_to_all(ch, [o for o, _ in outs], ins)
            for arr, (flat, back) in zip(out_list, outs):
                if back:
                    _write_back(arr, flat)
            return out_list
        return self._issue("all_to_all", ["all_to_all", "", dtype_name(dtype), [n], -1], run,
                           out_list, async_op=async_op)

    def barrier(self, async_op=True):
        """Complete on every rank only after every rank has issued it."""
        return self._issue("barrier", ["barrier", "", "uint8", [1], -1],
                           lambda ch: _algorithms(ch).barrier(ch),
                           async_op=async_op)

    def broadcast_obj(self, obj=None, src=0, async_op=True):
        """Rank ``src``'s msgpack-able ``obj`` (dict, list, str, numbers, bytes) on every rank."""
        src = _check_rank(src, self.size, "src", "broadcast_obj")
        payload = msgpack.packb(obj) if self.rank == src else b""

        def run(ch):
            return _unpack(C.broadcast_bytes(ch, payload, src))
        return self._issue("broadcast_obj", ["broadcast_obj", "", "uint8", [], src], run, obj,
                           async_op=async_op)

    def all_gather_obj(self, obj, async_op=True):
        """The list of every rank's msgpack-able ``obj``, in rank order, on every rank."""
        payload = msgpack.packb(obj)

        def run(ch):
            return [_unpack(p) for p in C.all_gather_bytes(ch, payload)]
        return self._issue("all_gather_obj", ["all_gather_obj", "", "uint8", [], -1], run,
                           async_op=async_op)

    # -- point to point --------------------------------------------------------------------

    def send(self, arr, dst, tag=0, async_op=True):
        """Send ``arr`` to rank ``dst``; the Work completes once ``arr`` may be reused."""
        dst = _check_rank(dst, self.size, "dst", "send")
        if dst == self.rank:
            raise ValueError(f"send: rank {dst} cannot send to itself")
        flat, _ = _host(arr, "send")
        seq = self._next_p2p("send", dst, tag)

        def run(ch):
            t = ch.t
            tracker = t.send(ch.ranks[dst], Kind.P2P, ch.group, tag, seq, flat,
                             [dtype_name(flat.dtype), list(arr.shape)], track=True)
            if tracker is not None:
                t.wait_sent([tracker], ch.deadline)
            return arr
        return self._issue("send", None, run, arr, tag=int(tag), async_op=async_op)

    def recv(self, arr, src, tag=0, async_op=True):
        """Receive into ``arr`` what rank ``src`` sent with the same ``tag``.

        Unlike the other operations, a posted receive does not hold up the ones issued
        after it: its Work completes whenever the message arrives (as MPI's ``irecv``),
        so ``recv`` then ``send`` to a neighbour does not deadlock. Messages with the same
        (``src``, ``tag``) are received in the order they were sent.
        """
        src = _check_rank(src, self.size, "src", "recv")
        if src == self.rank:
            raise ValueError(f"recv: rank {src} cannot receive from itself")
        flat, back = _host(arr, "recv", writable=True)
        seq = self._next_p2p("recv", src, tag)
        want = [dtype_name(flat.dtype), list(arr.shape)]

        def run(ch):
            def complete(msg):
                if msg.meta != want or msg.array is None:
                    raise ch.t.fail_mismatch(
                        f"rank {ch.ranks[src]} sent {msg.meta} with tag {tag} but rank "
                        f"{ch.ranks[self.rank]} expects {want} (dtype, shape)")
                np.copyto(flat, msg.array.reshape(-1))
                if back:
                    _write_back(arr, flat)
                return arr
            # A posted receive must not hold up the operations issued after it (a send to
            # the same peer, typically): it finishes whenever its message arrives.
            return Pending((Kind.P2P, ch.group, tag, ch.ranks[src], seq), ch.deadline, complete)
        return self._issue("recv", None, run, arr, tag=int(tag), async_op=async_op)

    def _next_p2p(self, way, peer, tag):
        # Point-to-point messages are matched by (peer, tag, n-th of them), not by the
        # collective counter, which the two ranks need not share.
        key = (way, peer, int(tag))
        seq = self._p2p.get(key, 0)
        self._p2p[key] = seq + 1
        return seq


class _Terminated(BaseException):
    """SIGTERM arrived while the group was starting (see :func:`_startup_signals`)."""


@contextlib.contextmanager
def _startup_signals():
    """While a group starts, SIGTERM unwinds the start (so its shared-memory segment and
    port are released) and then ends the process as SIGTERM would have.

    Only where SIGTERM has its default action and on the main thread: a program's own
    handler is left alone.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return

    def terminated(signum, frame):
        raise _Terminated()
    signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        raise
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _unpack(payload):
    return msgpack.unpackb(payload, raw=False, strict_map_key=False)
