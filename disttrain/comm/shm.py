"""Shared-memory staging for all_reduce among the ranks of one host.

Moving a byte through a Unix socket costs two kernel copies plus per-packet work; on a
host with few cores that, not memory bandwidth, bounds a socket ring. So ranks on one
host also share a staging segment each (``/dev/shm``, ``SLOTS`` slots of ``SLOT_BYTES``),
and a large all_reduce among them goes, one slot's worth of the array per round::

    stage round 0 in my slot 0                      exchange: all staged
    for each round i (slot i mod 3):
        reduce my 1/n part of round i: my array's + every peer's slot, into my slot
        stage round i+1 in my next slot             exchange: i reduced, i+1 staged
        copy every rank's reduced part of round i into my array

(Staging copies all of a round but my own part, which only I read.)
    exchange: done reading, the slots may be reused

An exchange sends an empty message to every peer over ZeroMQ and waits for theirs.
Each part is reduced by one rank only, so every rank ends with the same bits. These are
ordinary collective messages: they carry the collective's signature (mismatches are still
caught) and waiting on them keeps liveness. Why three slots are safe: when I stage round
i+1 into slot (i+1) mod 3 = (i-2) mod 3, every peer has sent me its exchange for round
i-1, which it does only after copying round i-2 out of my slots.
:func:`reduce_scatter` and :func:`all_gather` (the two halves, on ranges each rank owns,
for :mod:`.hier`) go round by round the same way.

A segment is unlinked as soon as every peer has mapped it (after the group's first
barrier), and on every way out of a failed start: an error, or SIGTERM (see
:mod:`.group`). Only SIGKILL in that short window can leave one; so segments are named
``disttrain-<pid namespace>-<pid>-<random>``, and creating a segment first removes those
of this pid namespace whose process no longer exists. Where ``/dev/shm`` is missing or
full, the rank publishes no segment and groups including it use the socket ring.
"""
import logging
import mmap
import os
import uuid

import numpy as np

__all__ = ["Arena", "all_reduce", "reduce_scatter", "all_gather", "broadcast", "SLOT_BYTES",
           "sweep_dead"]

log = logging.getLogger("disttrain.comm")

SLOT_BYTES = 4 << 20   # per slot. Fewer rounds = fewer control round trips
SLOTS = 3              # see all_reduce: three make one exchange per round enough
_DIR = "/dev/shm"


class Arena:
    """This rank's staging segment and the mapped segments of its same-host peers."""

    def __init__(self, name, mapping):
        self.name = name
        self._maps = {}          # global rank -> mmap
        self._own = mapping
        self._path = os.path.join(_DIR, name)

    @classmethod
    def create(cls, slot_bytes=None):
        """A new segment, or None (logged) where shared memory cannot be had."""
        size = SLOTS * (slot_bytes or SLOT_BYTES)
        sweep_dead()
        name = f"{_prefix()}{os.getpid()}-{uuid.uuid4().hex[:12]}"
        path = os.path.join(_DIR, name)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            log.info("no shared memory for collectives (%s); using sockets only", exc)
            return None
        try:
            os.posix_fallocate(fd, 0, size)   # fail now, not with SIGBUS on first touch
            mapping = mmap.mmap(fd, size)
        except OSError as exc:
            os.unlink(path)
            log.warning("cannot reserve %d bytes of shared memory in %s (%s); large "
                        "all_reduces use sockets only", size, _DIR, exc)
            return None
        except BaseException:     # SIGTERM (see group.py) while reserving: leave nothing
            os.unlink(path)
            raise
        finally:
            os.close(fd)
        return cls(name, mapping)

    def attach(self, rank, name, own=False):
        """Map rank ``rank``'s segment (ours when ``own``)."""
        if own:
            self._maps[rank] = self._own
            return
        fd = os.open(os.path.join(_DIR, name), os.O_RDONLY)
        try:
            self._maps[rank] = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
        finally:
            os.close(fd)

    def unlink(self):
        """Remove our segment's name; the memory lives on while anyone maps it."""
        try:
            os.unlink(self._path)
        except FileNotFoundError:
            pass

    def covers(self, ranks):
        """Whether every rank in ``ranks`` (global) has a mapped segment here."""
        return all(r in self._maps for r in ranks)

    @property
    def slot_bytes(self):
        return len(self._own) // SLOTS

    def slot(self, rank, index, dtype, count):
        """Slot ``index`` of rank ``rank``'s segment as ``count`` elements of ``dtype``."""
        dtype = np.dtype(dtype)
        return np.frombuffer(self._maps[rank], dtype, count,
                             offset=(index % SLOTS) * self.slot_bytes)

    def close(self):
        self.unlink()
        for m in self._maps.values():
            try:
                m.close()
            except BufferError:
                pass   # an array still views it; the mapping goes with that array


def _prefix():
    try:
        ns = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        ns = 0
    return f"disttrain-{ns:x}-"


def sweep_dead():
    """Remove the segments left by processes of this pid namespace that no longer exist;
    the names removed."""
    prefix = _prefix()
    try:
        names = [n for n in os.listdir(_DIR) if n.startswith(prefix)]
    except OSError:
        return []
    removed = []
    for name in names:
        pid = name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        try:
            os.unlink(os.path.join(_DIR, name))
            removed.append(name)
        except OSError:
            pass
    if removed:
        log.info("removed %d shared-memory segment(s) of dead processes from %s",
                 len(removed), _DIR)
    return removed


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True   # someone else's process: not ours to judge
    return True


def all_reduce(ch, flat, op, arena, ufunc, divide):
    """All-reduce ``flat`` through the shared slots (see the module docstring).

    Args:
        ch (Channel): the collective's channel; control messages go through it.
        flat (ndarray): 1-D, C-contiguous, reduced in place.
        op (ReduceOp): for AVG, ``divide`` is applied to each reduced part.
        arena (Arena): covers every rank of the group.
    """
    n, r, ranks = ch.size, ch.rank, ch.ranks
    per = max(1, arena.slot_bytes // flat.itemsize)
    rounds = [(a, min(a + per, flat.size)) for a in range(0, flat.size, per)]
    peers = [q for q in range(n) if q != r]

    def slot(q, i):
        a, b = rounds[i]
        return arena.slot(ranks[q], i, flat.dtype, b - a)

    def stage(i):   # peers need every part of my round but mine, which only I reduce
        a, b = rounds[i]
        lo, hi = _parts(b - a, n)[r]
        np.copyto(slot(r, i)[:lo], flat[a:a + lo])
        np.copyto(slot(r, i)[hi:], flat[a + hi:b])

    stage(0)
    _exchange(ch, peers)                              # every slot 0 holds round 0
    for i, (a, b) in enumerate(rounds):
        parts = _parts(b - a, n)
        lo, hi = parts[r]
        acc = slot(r, i)[lo:hi]                       # my part, reduced into my slot
        ufunc(flat[a + lo:a + hi], slot(peers[0], i)[lo:hi], out=acc)
        for q in peers[1:]:
            ufunc(acc, slot(q, i)[lo:hi], out=acc)
        if divide is not None:
            divide(acc, n)
        if i + 1 < len(rounds):                       # stage the next round meanwhile
            stage(i + 1)
        _exchange(ch, peers)                          # round i reduced, round i+1 staged
        for q in range(n):
            qlo, qhi = parts[q]
            np.copyto(flat[a + qlo:a + qhi], slot(q, i)[qlo:qhi])
    _exchange(ch, peers)                              # done reading: slots reusable


def broadcast(ch, flat, src, arena):
    """Copy group rank ``src``'s ``flat`` to every rank through ``src``'s slots: the root
    stages round i+1 while the others copy round i out (one exchange per round; a slot is
    rewritten only after everyone has passed the exchange that follows reading it)."""
    n, r, ranks = ch.size, ch.rank, ch.ranks
    per = max(1, arena.slot_bytes // flat.itemsize)
    rounds = [(a, min(a + per, flat.size)) for a in range(0, flat.size, per)]
    peers = [q for q in range(n) if q != r]

    def slot(i):
        a, b = rounds[i]
        return arena.slot(ranks[src], i, flat.dtype, b - a)

    if r == src:
        np.copyto(slot(0), flat[rounds[0][0]:rounds[0][1]])
    _exchange(ch, peers)                              # round 0 staged
    for i, (a, b) in enumerate(rounds):
        if r == src:
            if i + 1 < len(rounds):
                na, nb = rounds[i + 1]
                np.copyto(slot(i + 1), flat[na:nb])
        else:
            np.copyto(flat[a:b], slot(i))
        _exchange(ch, peers)                          # round i read, round i+1 staged


def _rounds(bounds, per):
    """How many rounds move every rank's range ``bounds[q]`` ``per`` elements at a time,
    and ``piece(q, i)``: the part of rank q's range that round i moves."""
    def piece(q, i):
        lo, hi = bounds[q]
        a = min(lo + i * per, hi)
        return a, min(a + per, hi)
    return max(1, max(-(-(hi - lo) // per) for lo, hi in bounds)), piece


def reduce_scatter(ch, flat, bounds, arena, ufunc):
    """Reduce ``flat`` over the group through the shared slots; rank q's range ``bounds[q]``
    (a pair, contiguous) of its own ``flat`` ends holding the result, the rest of its
    ``flat`` is left as it was.

    Round i moves piece i of every range, one slot's n-th each, side by side in the
    slots. Each rank reduces its own piece in place, its value first, then its peers' in
    rank order, while staging round i+1; one exchange per round. The last exchange
    follows the last reads, so the slots are free afterwards.
    """
    n, r, ranks = ch.size, ch.rank, ch.ranks
    per = max(1, arena.slot_bytes // flat.itemsize // n)
    rounds, piece = _rounds(bounds, per)
    peers = [q for q in range(n) if q != r]

    def slot(q, i, owner):   # in rank q's slot of round i, the piece that ``owner`` reduces
        a, b = piece(owner, i)
        return arena.slot(ranks[q], i, flat.dtype, n * per)[owner * per:owner * per + b - a]

    def stage(i):
        for q in peers:
            a, b = piece(q, i)
            np.copyto(slot(r, i, q), flat[a:b])

    stage(0)
    _exchange(ch, peers)                              # round 0 staged everywhere
    for i in range(rounds):
        a, b = piece(r, i)
        mine = flat[a:b]
        for q in peers:
            ufunc(mine, slot(q, i, r), out=mine)
        if i + 1 < rounds:
            stage(i + 1)
        _exchange(ch, peers)                          # round i read, round i+1 staged


def all_gather(ch, flat, bounds, arena):
    """Every rank's range ``bounds[rank]`` of its ``flat`` into that range of every rank's
    ``flat``, through the owners' slots: each rank stages round i+1 of its range while
    copying its peers' round i out; one exchange per round, the last one after the
    last reads."""
    n, r, ranks = ch.size, ch.rank, ch.ranks
    per = max(1, arena.slot_bytes // flat.itemsize)
    rounds, piece = _rounds(bounds, per)
    peers = [q for q in range(n) if q != r]

    def stage(i):
        a, b = piece(r, i)
        np.copyto(arena.slot(ranks[r], i, flat.dtype, b - a), flat[a:b])

    stage(0)
    _exchange(ch, peers)
    for i in range(rounds):
        if i + 1 < rounds:
            stage(i + 1)
        for q in peers:
            a, b = piece(q, i)
            np.copyto(flat[a:b], arena.slot(ranks[q], i, flat.dtype, b - a))
        _exchange(ch, peers)                          # round i read, round i+1 staged


_TOKEN = np.empty(0, np.uint8)


def _exchange(ch, peers):
    """Tell every peer this rank reached this point; wait until all have told us."""
    for q in peers:
        ch.send(q, _TOKEN, copy=True)
    for q in peers:
        ch.recv(q, 0, _TOKEN.dtype)


def _parts(count, n):
    q, rem = divmod(count, n)
    bounds = [i * q + min(i, rem) for i in range(n + 1)]
    return list(zip(bounds[:-1], bounds[1:]))
