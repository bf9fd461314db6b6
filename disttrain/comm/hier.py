"""Two-level collectives for groups whose ranks span several hosts.

A flat ring over every rank crosses the network once per host per step and also sends
intra-host hops through the kernel; its latency grows with the number of ranks. Here a
collective runs in three phases instead:

1. within each host (the ranks reporting the same host at rendezvous): shared memory
   (:mod:`.shm`) for large all-reduces and broadcasts; small all-reduces send to the
   leader, which adds in local rank order (one step however many ranks the host has);
2. among one leader per host (the host's lowest group rank) over tcp: the flat
   algorithms of :mod:`.collectives` on the leaders only (a ring for large messages,
   recursive doubling for small ones), so only leaders send across hosts;
3. back within each host, from its leader.

A large all-reduce on hosts that all have the same number L of the group's ranks goes
as NCCL's hierarchical all-reduce does instead, so that every rank drives the network
on 1/L of the bytes (with one NIC per host, each host still sends 2(H-1)/H of the array
for H hosts, against 2(n-1)/n for a flat ring over all n ranks):

1. reduce-scatter within each host: local rank i (the host's i-th lowest group rank)
   gets the host's sum of slice i (``ceil(len / L)`` elements, the last shorter), through
   shared memory where the host has it, else a socket ring over padded blocks;
2. L all-reduces across hosts at once, the i-th among local rank i of every host (hosts
   in the order of their lowest rank) on slice i: the flat ring or recursive doubling;
3. all-gather of the slices within each host.

Slices go in pieces of ``PIPE_BYTES``, so that the host reduces and gathers some pieces
in shared memory while others cross the network.

Every element of a result is reduced by one fixed sequence of operations, and the other
ranks copy it, so results are bitwise identical on every rank: on the leader path the
host's leader or shared-memory owner (its own value, then its peers' in rank order), then
the leaders' ring or doubling; on the sliced path the slice's owner within the host (the
same order in shared memory; over sockets the reduce-scatter ring's order), then the
ring (or doubling) among the slices' owners across hosts. AVG sums, then divides
each element once by the group's size. Results may differ in the last
bits from the flat mode's (additions in another order); on integers they are equal.

``DISTTRAIN_COLLECTIVES`` chooses: ``auto`` (default: two-level when the group spans more
than one host and some host has more than one of its ranks), ``flat`` or ``two_level``.
"""
import numpy as np

from . import collectives as C, shm
from .env import MODES, mode_from_env

__all__ = ["MODES", "mode_from_env", "active", "all_reduce", "broadcast", "all_gather",
           "reduce_scatter", "barrier"]


class SubChannel:
    """The part of a collective's :class:`~.collectives.Channel` among ``members``
    (group ranks, in the same order on every member), renumbered 0..len-1.

    Messages keep the parent's numbering per peer, so phases that follow one another
    on the same pair of ranks never confuse their messages.
    """
    sub = True

    def __init__(self, ch, members):
        self.parent, self.members = ch, members
        self.t, self.group, self.tag, self.sig = ch.t, ch.group, ch.tag, ch.sig
        self.deadline = ch.deadline
        self.ranks = [ch.ranks[m] for m in members]
        self.rank, self.size = members.index(ch.rank), len(members)

    @property
    def arena(self):
        return self.parent.arena

    def send(self, peer, *args, **kwargs):
        self.parent.send(self.members[peer], *args, **kwargs)

    def recv(self, peer, count=None, dtype=None):
        return self.parent.recv(self.members[peer], count, dtype)

    def finish(self):
        self.parent.finish()


class Layout:
    """Which group ranks share a host: ``hosts`` (lists of group ranks, ordered by their
    lowest rank), this rank's host index ``me``, each host's ``leader``, the most ranks a
    host has (``widest``) and whether every host has that many (``even``)."""

    def __init__(self, hosts_of, rank):
        by = {}
        for g, host in enumerate(hosts_of):
            by.setdefault(host, []).append(g)
        self.hosts = sorted(by.values(), key=lambda ranks: ranks[0])
        self.host_of = {g: h for h, ranks in enumerate(self.hosts) for g in ranks}
        self.leaders = [ranks[0] for ranks in self.hosts]
        self.me = self.host_of[rank]
        self.widest = max(len(ranks) for ranks in self.hosts)
        self.even = all(len(ranks) == self.widest for ranks in self.hosts)


def _layout(ch):
    cache = ch.t.layouts   # per group: the hosts do not change while the transport lives
    key = (tuple(ch.ranks), ch.rank)
    if key not in cache:
        cache[key] = Layout([ch.t.hosts[r] for r in ch.ranks], ch.rank)
    return cache[key]


def active(ch):
    """Whether this collective runs in two levels (see the module docstring)."""
    if ch.t is None or ch.size == 1 or getattr(ch, "sub", False):
        return False
    mode = getattr(ch.t, "collectives", "flat")
    if mode == "flat" or getattr(ch.t, "hosts", None) is None:
        return False
    lay = _layout(ch)
    if mode == "two_level":
        return True
    return len(lay.hosts) > 1 and lay.widest > 1


def _levels(ch):
    lay = _layout(ch)
    local = SubChannel(ch, lay.hosts[lay.me])
    leaders = SubChannel(ch, lay.leaders) if ch.rank == lay.leaders[lay.me] else None
    return lay, local, leaders


def _sum_op(op):
    return C.ReduceOp.SUM if op is C.ReduceOp.AVG else op


def all_reduce(ch, flat, op):
    """Small: reduce at each host's leader, across the leaders, copy back. Large, hosts
    all of one size: reduce-scatter within the host, one all-reduce per local rank index
    across hosts on that rank's slice, all-gather within the host. Large, hosts of
    different sizes: all-reduce within the host, across the leaders, broadcast back."""
    lay, local, leaders = _levels(ch)
    inner = _sum_op(op)
    if flat.nbytes <= C.SMALL_BYTES:
        _reduce_to_leader(local, flat, inner)   # one step, whatever the host's rank count
    elif lay.even:
        return _all_reduce_sliced(ch, lay, local, flat, op)
    else:
        C.all_reduce(local, flat, inner)        # shared memory
    if leaders is not None:
        C.all_reduce(leaders, flat, inner)
    C.broadcast(local, flat, 0)
    if op is C.ReduceOp.AVG:
        C._divide(flat, ch.size)   # the same bits on every rank: the same division of them


PIPE_BYTES = 1 << 20   # grain of a slice at which host and network phases overlap (measured)
PIPE_STEP_BYTES = 256 << 10   # at least this per ring step: each piece's ring pays its own
                              # 2(H-1) latency steps, so more hosts mean larger pieces


def _all_reduce_sliced(ch, lay, local, flat, op):
    """Local rank i owns slice i of the array (``ceil(len / L)`` elements; the last may be
    shorter): it gets the host's sum of it, all-reduces it with local rank i of every other
    host (so every rank of a host drives the network at once, on 1/L of the bytes), and
    the host's ranks then copy each other's slices.

    Slices go in pieces of ``PIPE_BYTES`` (or H x ``PIPE_STEP_BYTES`` for H hosts, if
    larger), each piece in a ring of its own across hosts (a lane: its messages numbered
    apart). While piece k's ring waits for the network the host reduces piece k+1; while
    piece k+1's first sends travel it gathers piece k. (Piece k+1's ring starts only once
    piece k's has ended: started earlier, its sends queue ahead of piece k's on the same
    connections and the whole was slower, measured.)
    """
    inner, n_local, i = _sum_op(op), local.size, local.rank
    width = -(-flat.size // n_local)
    grain = max(PIPE_BYTES, len(lay.hosts) * PIPE_STEP_BYTES)
    # One rank per host has no host phases to overlap: one ring, not several in turn.
    pieces = 1 if n_local == 1 else max(1, -(-width * flat.itemsize // grain))
    step = -(-width // pieces)

    def bounds(k):   # piece k of every local rank's slice
        return [(min(q * width + min(k * step, width), flat.size),
                 min(q * width + min((k + 1) * step, width), flat.size))
                for q in range(n_local)]

    reduce_scatter, all_gather = _host_phases(local, flat, width, inner, pieces)
    members = [ranks[i] for ranks in lay.hosts]
    rings = [None] * pieces

    def start(k):   # the ring of piece k, up to its first sends
        a, b = bounds(k)[i]
        lane = C.Channel(ch.t, ch.group, [ch.ranks[m] for m in members],
                         members.index(ch.rank), ch.tag, ch.sig, ch.deadline)
        lane.base = (k + 1) << 40
        if len(members) > 1 and (b - a) * flat.itemsize > C.SMALL_BYTES:
            rings[k] = C.ring_all_reduce_steps(lane, flat[a:b], inner)
            next(rings[k])
        else:
            rings[k] = iter([C.all_reduce(lane, flat[a:b], inner)])

    def finish(k):
        for _ in rings[k]:
            pass
        rings[k] = None
        if op is C.ReduceOp.AVG:
            a, b = bounds(k)[i]
            C._divide(flat[a:b], ch.size)

    reduce_scatter(0, bounds(0))
    start(0)
    for k in range(pieces):
        if k + 1 < pieces:
            reduce_scatter(k + 1, bounds(k + 1))   # while piece k crosses the network
        finish(k)
        if k + 1 < pieces:
            start(k + 1)
        all_gather(k, bounds(k))                  # while piece k+1 crosses the network


def _host_phases(local, flat, width, op, pieces):
    """(reduce_scatter(k, bounds), all_gather(k, bounds)) for piece k: through shared
    memory where this host has it (a per-host choice: the slices are the same), else a
    socket ring over the whole padded array at the first and last piece."""
    arena, n_local = local.arena, local.size
    if n_local == 1:
        return (lambda k, bounds: None), (lambda k, bounds: None)
    if arena is not None and arena.covers(local.ranks):
        ufunc = C._UFUNC[op]
        return ((lambda k, bounds: shm.reduce_scatter(local, flat, bounds, arena, ufunc)),
                (lambda k, bounds: shm.all_gather(local, flat, bounds, arena)))
    padded = np.zeros(n_local * width, flat.dtype)
    a, b = min(local.rank * width, flat.size), min((local.rank + 1) * width, flat.size)

    def reduce_scatter(k, bounds):
        if k == 0:
            np.copyto(padded[:flat.size], flat)
            mine = np.empty(width, flat.dtype)
            C.reduce_scatter(local, mine, padded, op)
            np.copyto(flat[a:b], mine[:b - a])

    def all_gather(k, bounds):
        if k == pieces - 1:
            mine = np.zeros(width, flat.dtype)
            np.copyto(mine[:b - a], flat[a:b])
            C.all_gather(local, padded, mine)
            np.copyto(flat, padded[:flat.size])

    return reduce_scatter, all_gather


def _reduce_to_leader(local, flat, op):
    """Local rank 0 gets the host's reduction (adding in local rank order)."""
    if local.rank != 0:
        local.send(0, flat, copy=True)
        return
    ufunc = C._UFUNC[op]
    for q in range(1, local.size):
        ufunc(flat, local.recv(q, flat.size, flat.dtype).array, out=flat)


def broadcast(ch, flat, src):
    """Within the root's host, across the leaders, then within every other host."""
    lay, local, leaders = _levels(ch)
    home = lay.host_of[src]
    if home == lay.me:
        C.broadcast(local, flat, local.members.index(src))
    if leaders is not None:
        C.broadcast(leaders, flat, home)
    if home != lay.me:
        C.broadcast(local, flat, 0)


def all_gather(ch, out, flat):
    """Gather at each leader, all-gather the hosts' blocks among leaders, copy back."""
    lay, local, leaders = _levels(ch)
    count, width = flat.size, lay.widest
    mine = np.zeros(width * count, flat.dtype)    # hosts may differ in size: pad to widest
    C.gather(local, mine[:local.size * count], flat, 0)
    if leaders is not None:
        every = np.empty(len(lay.hosts) * width * count, flat.dtype)
        C.all_gather(leaders, every, mine)
        for h, ranks in enumerate(lay.hosts):
            for i, g in enumerate(ranks):
                src = (h * width + i) * count
                np.copyto(out[g * count:(g + 1) * count], every[src:src + count])
    C.broadcast(local, out, 0)


def reduce_scatter(ch, out, flat, op):
    """Reduce within the host, reduce-scatter hosts' blocks among leaders, scatter back."""
    lay, local, leaders = _levels(ch)
    count, width, inner = out.size, lay.widest, _sum_op(op)
    work = flat.copy()                 # the caller's input stays untouched
    C.all_reduce(local, work, inner)
    mine = np.zeros(width * count, flat.dtype)
    if leaders is not None:
        # Each host's ranks' blocks side by side (padded), so a leader owns one span.
        spans = np.zeros(len(lay.hosts) * width * count, flat.dtype)
        for h, ranks in enumerate(lay.hosts):
            for i, g in enumerate(ranks):
                dst = (h * width + i) * count
                np.copyto(spans[dst:dst + count], work[g * count:(g + 1) * count])
        C.reduce_scatter(leaders, mine, spans, inner)
    C.scatter(local, out, mine[:local.size * count], 0)
    if op is C.ReduceOp.AVG:
        C._divide(out, ch.size)


def barrier(ch):
    """Every rank's host reports to its leader, the leaders meet, and leaders release."""
    all_reduce(ch, np.zeros(1, np.uint8), C.ReduceOp.MAX)
