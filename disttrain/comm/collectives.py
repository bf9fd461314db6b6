"""Collective algorithms on flat, C-contiguous numpy arrays.

Each function runs on the communication thread with a :class:`Channel`, one collective's
view of the transport (its group, tag, signature and deadline). The arrays are 1-D host
arrays; :mod:`~disttrain.comm.group` flattens, copies from GPU and writes back.

* all_reduce: a bandwidth-optimal ring (reduce-scatter, then all-gather) over chunks of
  ``CHUNK_BYTES``; each received chunk is reduced in place into its receive buffer and
  that same buffer is forwarded, so sending, receiving (ZeroMQ's I/O thread) and reducing
  (numpy, GIL released) overlap. Arrays up to ``SMALL_BYTES`` use recursive doubling
  instead: log2(n) exchanges of the whole array, lower latency for small messages. When
  every rank of the group is on this host, large arrays are staged through shared memory
  instead (:mod:`.shm`): no kernel copies, control messages only on the sockets.
* broadcast: direct from the root when small, a pipelined chain when large (through the
  root's shared-memory slots when every rank is on this host).
* all_gather, reduce_scatter: rings over chunks; direct exchanges when small.
* gather, scatter: direct to and from the root. barrier: a 1-byte all_reduce.

When the group spans hosts, all_reduce, broadcast, all_gather, reduce_scatter and barrier
run in two levels instead (within hosts, among one leader per host, back): :mod:`.hier`,
which builds on these; the process group picks one or the other per call.

Every rank computes each result in the same order (ring: one owner per chunk; recursive
doubling: commutative pairwise steps), so results are bitwise identical on all ranks.
Any world size and any length work; segments differ by at most one element.
"""
import enum

import numpy as np

from . import shm
from .transport import format_sig
from .wire import Kind

__all__ = ["ReduceOp", "Channel", "all_reduce", "broadcast", "all_gather", "reduce_scatter",
           "gather", "scatter", "barrier", "broadcast_bytes", "all_gather_bytes",
           "SMALL_BYTES", "CHUNK_BYTES"]

SMALL_BYTES = 1 << 18     # up to here latency dominates: fewest hops wins (measured)
CHUNK_BYTES = 1 << 19     # pipelining grain: large enough that Python's per-message cost is small


class ReduceOp(enum.Enum):
    """How :func:`all_reduce` combines values: ``SUM``, ``AVG``, ``PRODUCT``, ``MIN``, ``MAX``."""
    SUM = "SUM"
    AVG = "AVG"
    PRODUCT = "PRODUCT"
    MIN = "MIN"
    MAX = "MAX"


_UFUNC = {ReduceOp.SUM: np.add, ReduceOp.AVG: np.add, ReduceOp.PRODUCT: np.multiply,
          ReduceOp.MIN: np.minimum, ReduceOp.MAX: np.maximum}


class Channel:
    """One collective's messages: group-rank addressing, numbering, signature checks.

    Args:
        transport (Transport or None): None for a group of one (nothing is sent).
        group (str): group id. ranks (list): global rank of each group rank.
        rank (int): this process's rank in the group. tag (int): the collective's number.
        sig (list): ``[name, op, dtype, shape, root]``; peers must send the same.
        deadline (float): ``time.monotonic()`` after which waiting is an error.
    """

    base = 0   # added to every message number: lanes of one collective use apart ranges

    def __init__(self, transport, group, ranks, rank, tag, sig, deadline):
        self.t, self.group, self.ranks = transport, group, ranks
        self.rank, self.size, self.tag = rank, len(ranks), tag
        self.sig, self.deadline = sig, deadline
        self._sent = [0] * self.size
        self._got = [0] * self.size
        self.trackers = []

    @property
    def arena(self):
        """Shared-memory slots with same-host peers, or None."""
        return None if self.t is None else self.t.arena

    def send(self, peer, array, frame=None, copy=None, track=False):
        """Send ``array`` (or forward received ``frame``) to group rank ``peer``."""
        seq = self.base + self._sent[peer]
        self._sent[peer] += 1
        tracker = self.t.send(self.ranks[peer], Kind.DATA, self.group, self.tag, seq, array,
                              self.sig, frame, copy, track)
        if track and tracker is not None:
            self.trackers.append(tracker)

    def recv(self, peer, count=None, dtype=None):
        """The next message from group rank ``peer``; checks it belongs to this collective."""
        seq = self.base + self._got[peer]
        self._got[peer] += 1
        msg = self.t.recv(Kind.DATA, self.group, self.tag, self.ranks[peer], seq, self.deadline)
        if msg.meta != self.sig:
            raise self.t.fail_mismatch(
                f"rank {self.ranks[peer]} called {format_sig(msg.meta)} but rank "
                f"{self.ranks[self.rank]} called {format_sig(self.sig)}")
        arr = msg.array
        if arr is None or (count is not None and (arr.size != count or arr.dtype != dtype)):
            got = None if arr is None else f"{arr.size} x {arr.dtype}"
            raise self.t.fail_mismatch(f"rank {self.ranks[peer]} sent {got} where {count} x "
                                       f"{dtype} was expected in {format_sig(self.sig)}")
        msg.array = arr.reshape(-1)
        return msg

    def finish(self):
        """Wait until no zero-copy send still reads the caller's memory."""
        if self.trackers:
            self.t.wait_sent(self.trackers, self.deadline)


def _split(start, stop, parts):
    """``parts`` contiguous ranges covering [start, stop), sizes differing by at most one."""
    q, rem = divmod(stop - start, parts)
    bounds = [start + i * q + min(i, rem) for i in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def _chunks(start, stop, itemsize):
    """Pipelining chunks of [start, stop): at least one, so empty segments still travel."""
    per = max(1, CHUNK_BYTES // itemsize)
    return _split(start, stop, max(1, -(-(stop - start) // per)))


def _divide(arr, n):
    # Integers divide as NCCL's AVG does (truncating); floats stay in their own precision.
    np.true_divide(arr, n, out=arr, casting="unsafe")


def all_reduce(ch, flat, op):
    """Reduce ``flat`` over the group with ``op``, in place, on every rank."""
    if ch.size == 1:
        return
    if flat.nbytes <= SMALL_BYTES:
        _all_reduce_rd(ch, flat, op)
    elif ch.arena is not None and ch.arena.covers(ch.ranks):
        shm.all_reduce(ch, flat, op, ch.arena, _UFUNC[op],
                       _divide if op is ReduceOp.AVG else None)
    else:
        _all_reduce_ring(ch, flat, op)


def _all_reduce_rd(ch, flat, op):
    """Recursive doubling; ranks beyond the largest power of two fold in first."""
    ufunc, n, r = _UFUNC[op], ch.size, ch.rank
    p2 = 1 << (n.bit_length() - 1)
    if r >= p2:   # an extra rank: hand the data to a partner, get the result back
        ch.send(r - p2, flat, copy=True)
        np.copyto(flat, ch.recv(r - p2, flat.size, flat.dtype).array)
        return
    if r < n - p2:
        ufunc(flat, ch.recv(r + p2, flat.size, flat.dtype).array, out=flat)
    mask = 1
    while mask < p2:
        # Copied sends: ``flat`` changes right after, while the peer may not have it yet.
        ch.send(r ^ mask, flat, copy=True)
        ufunc(flat, ch.recv(r ^ mask, flat.size, flat.dtype).array, out=flat)
        mask <<= 1
    if op is ReduceOp.AVG:
        _divide(flat, n)
    if r < n - p2:
        ch.send(r + p2, flat, copy=True)


def _all_reduce_ring(ch, flat, op):
    for _ in ring_all_reduce_steps(ch, flat, op):
        pass


def ring_all_reduce_steps(ch, flat, op):
    """The ring all-reduce as a generator: it pauses once, after this rank's first sends
    (which travel meanwhile), so a caller can do other work before the rest."""
    ufunc, n, r = _UFUNC[op], ch.size, ch.rank
    nxt, prv = (r + 1) % n, (r - 1) % n
    chunks = [_chunks(a, b, flat.itemsize) for a, b in _split(0, flat.size, n)]
    # Our own segment leaves straight from the caller's memory. That is safe: we overwrite
    # it only when its reduced value comes back, after the next rank has consumed it.
    for a, b in chunks[r]:
        ch.send(nxt, flat[a:b])
    yield
    for step in range(n - 2):                       # reduce-scatter
        for a, b in chunks[(r - step - 1) % n]:
            msg = ch.recv(prv, b - a, flat.dtype)
            ufunc(msg.array, flat[a:b], out=msg.array)   # into the receive buffer: it goes
            ch.send(nxt, msg.array, frame=msg.frame)    # on as it is, no copy
    for a, b in chunks[(r + 1) % n]:                # last step: the segment this rank owns
        out = flat[a:b]
        ufunc(ch.recv(prv, b - a, flat.dtype).array, out, out=out)
        if op is ReduceOp.AVG:
            _divide(out, n)
        ch.send(nxt, out, track=True)   # zero-copy from the result; finish() waits for it
    for step in range(n - 1):                       # all-gather
        for a, b in chunks[(r - step) % n]:
            _relay(ch, prv, nxt, flat[a:b], step < n - 2)
    ch.finish()


def _relay(ch, prv, nxt, dst, forward):
    """Receive the next chunk from ``prv`` into ``dst``; when ``forward``, first pass the
    received frame on to ``nxt`` unchanged, so the next hop starts before the copy."""
    msg = ch.recv(prv, dst.size, dst.dtype)
    if forward:
        ch.send(nxt, msg.array, frame=msg.frame)
    np.copyto(dst, msg.array)


def broadcast(ch, flat, src):
    """Copy group rank ``src``'s ``flat`` into every rank's ``flat``."""
    n, r = ch.size, ch.rank
    if n == 1:
        return
    if flat.nbytes <= SMALL_BYTES:
        if r == src:
            for p in range(n):
                if p != src:
                    ch.send(p, flat, copy=True)
        else:
            np.copyto(flat, ch.recv(src, flat.size, flat.dtype).array)
        return
    if ch.arena is not None and ch.arena.covers(ch.ranks):
        return shm.broadcast(ch, flat, src, ch.arena)
    pos, nxt, prv = (r - src) % n, (r + 1) % n, (r - 1) % n   # a chain starting at src
    for a, b in _chunks(0, flat.size, flat.itemsize):
        if pos == 0:
            ch.send(nxt, flat[a:b], track=True)
        else:
            _relay(ch, prv, nxt, flat[a:b], pos < n - 1)
    ch.finish()


def all_gather(ch, out, flat):
    """``out`` (``size * len(flat)`` elements) receives every rank's ``flat``, in rank order."""
    n, r, count = ch.size, ch.rank, flat.size
    np.copyto(out[r * count:(r + 1) * count], flat)
    if n == 1:
        return
    if out.nbytes <= SMALL_BYTES:
        for p in range(n):
            if p != r:
                ch.send(p, flat, copy=True)
        for p in range(n):
            if p != r:
                np.copyto(out[p * count:(p + 1) * count], ch.recv(p, count, flat.dtype).array)
        return
    nxt, prv = (r + 1) % n, (r - 1) % n
    for a, b in _chunks(r * count, (r + 1) * count, out.itemsize):
        ch.send(nxt, out[a:b], track=True)   # nothing comes back to prove it was read
    for step in range(n - 1):
        blk = (r - step - 1) % n
        for a, b in _chunks(blk * count, (blk + 1) * count, out.itemsize):
            _relay(ch, prv, nxt, out[a:b], step < n - 2)
    ch.finish()


def reduce_scatter(ch, out, flat, op):
    """Reduce ``flat`` (``size`` blocks) over the group; rank i gets block i in ``out``."""
    n, r, count = ch.size, ch.rank, out.size
    ufunc = _UFUNC[op]
    if n == 1:
        np.copyto(out, flat)
        return
    if flat.nbytes <= SMALL_BYTES:
        for p in range(n):
            if p != r:
                ch.send(p, flat[p * count:(p + 1) * count], copy=True)
        np.copyto(out, flat[r * count:(r + 1) * count])
        for p in range(n):   # every block is reduced at its owner only, in rank order
            if p != r:
                ufunc(out, ch.recv(p, count, flat.dtype).array, out=out)
    else:
        _reduce_scatter_ring(ch, out, flat, ufunc)
    if op is ReduceOp.AVG:
        _divide(out, n)


def _reduce_scatter_ring(ch, out, flat, ufunc):
    n, r, count = ch.size, ch.rank, out.size
    nxt, prv = (r + 1) % n, (r - 1) % n
    first = (r - 1) % n
    for a, b in _chunks(first * count, (first + 1) * count, flat.itemsize):
        ch.send(nxt, flat[a:b], track=True)  # the input must stay untouched: track it
    for step in range(n - 1):
        blk = (r - step - 2) % n
        for a, b in _chunks(blk * count, (blk + 1) * count, flat.itemsize):
            msg = ch.recv(prv, b - a, flat.dtype)
            buf = msg.array
            ufunc(buf, flat[a:b], out=buf)
            if step < n - 2:
                ch.send(nxt, buf, frame=msg.frame)
            else:
                np.copyto(out[a - blk * count:b - blk * count], buf)
    ch.finish()


def gather(ch, out, flat, dst):
    """Group rank ``dst`` receives every rank's ``flat`` into ``out`` (rank order)."""
    n, r, count = ch.size, ch.rank, flat.size
    if r != dst:
        ch.send(dst, flat, track=True)
        ch.finish()
        return
    np.copyto(out[r * count:(r + 1) * count], flat)
    for p in range(n):
        if p != r:
            np.copyto(out[p * count:(p + 1) * count], ch.recv(p, count, flat.dtype).array)


def scatter(ch, out, flat, src):
    """Group rank ``src`` sends block i of ``flat`` to rank i's ``out``."""
    n, r, count = ch.size, ch.rank, out.size
    if r != src:
        np.copyto(out, ch.recv(src, count, out.dtype).array)
        return
    for p in range(n):
        if p != r:
            ch.send(p, flat[p * count:(p + 1) * count], track=True)
    np.copyto(out, flat[r * count:(r + 1) * count])
    ch.finish()


def all_to_all(ch, outs, ins):
    """Rank r sends ``ins[p]`` to every rank p and receives rank p's block for it into
    ``outs[p]`` (blocks may differ in size: a receive checks the size it expects). Sends go
    out first, to ``r+1, r+2, ...`` so that no rank is everyone's first peer, then the
    receives in the opposite order."""
    n, r = ch.size, ch.rank
    for k in range(1, n):
        p = (r + k) % n
        ch.send(p, ins[p], track=True)
    np.copyto(outs[r], ins[r])
    for k in range(1, n):
        p = (r - k) % n
        np.copyto(outs[p], ch.recv(p, outs[p].size, outs[p].dtype).array)
    ch.finish()


def barrier(ch):
    """Return on every rank only once every rank has entered."""
    if ch.size > 1:
        _all_reduce_rd(ch, np.zeros(1, np.uint8), ReduceOp.MAX)


def broadcast_bytes(ch, payload, src):
    """``payload`` (bytes, on ``src``) on every rank; lengths need not be known."""
    if ch.size == 1:
        return payload
    if ch.rank == src:
        data = np.frombuffer(payload, np.uint8)
        for p in range(ch.size):
            if p != src:
                ch.send(p, data)   # ``data`` is private to this call: zero-copy is safe
        return payload
    return ch.recv(src).array.tobytes()


def all_gather_bytes(ch, payload):
    """Every rank's ``payload`` (bytes of any length), in rank order, on every rank."""
    data = np.frombuffer(payload, np.uint8)
    for p in range(ch.size):
        if p != ch.rank:
            ch.send(p, data)
    return [payload if p == ch.rank else ch.recv(p).array.tobytes() for p in range(ch.size)]
