"""The claims of the ranks joining one group, checked as they arrive (see :mod:`.store`).

Each rank claims its rank, the world size it was given, its host and its process id.
The roster is complete once ranks ``0..n-1`` have all claimed with the same world size
``n``; it fails, naming the disagreement, when two processes claim one rank, when the
world sizes differ (after a short grace that lets the other claims arrive, so the message
says who says what), or when a claim comes after the group formed.
"""
import secrets
import time

__all__ = ["Roster", "ranges"]

SETTLE = 0.5   # seconds to collect more claims before naming a world-size disagreement


def ranges(ranks):
    """[1, 2, 3, 5] -> "ranks 1-3, 5"; [0] -> "rank 0"."""
    ranks = sorted(ranks)
    parts, start = [], None
    for i, r in enumerate(ranks):
        if start is None:
            start = r
        if i + 1 == len(ranks) or ranks[i + 1] != r + 1:
            parts.append(str(start) if start == r else f"{start}-{r}")
            start = None
    return ("ranks " if len(ranks) > 1 else "rank ") + ", ".join(parts)


class Roster:
    """The claims of the ranks joining one group, checked as they arrive."""

    def __init__(self):
        self.claims = {}       # rank -> (world_size, host, pid)
        self.formed = None     # the roster sent to every rank, once complete
        self.failure = None    # why the rendezvous failed, once it has
        self.disagree_at = None
        self.nonce = secrets.token_hex(16)

    def claim(self, world_size, rank, host, pid):
        """Record one claim; a failure text, or None."""
        if self.failure:
            return self.failure
        mine = (world_size, host, pid)
        old = self.claims.get(rank)
        if old is not None and old[1:] != mine[1:]:
            return self._fail(f"RANK {rank} claimed by two processes: pid {old[2]} on host "
                              f"{old[1]} and pid {pid} on host {host}"
                              + self._size_note(world_size, rank))
        if self.formed is not None:
            if old is not None:
                return None    # the same process asking again
            return self._fail(f"rank {rank} (pid {pid} on host {host}, WORLD_SIZE="
                              f"{world_size}) joined after the group of "
                              f"{len(self.claims)} ranks had formed"
                              + self._size_note(world_size, rank))
        self.claims[rank] = mine
        if len({c[0] for c in self.claims.values()}) > 1 and self.disagree_at is None:
            self.disagree_at = time.monotonic() + SETTLE   # let the others' claims come in
        return None

    def _size_note(self, world_size, rank):
        sizes = {c[0] for c in self.claims.values()} | {world_size}
        return "" if len(sizes) == 1 else f" ({self._sizes((rank, world_size))})"

    def _sizes(self, extra=None):
        by_size = {}
        for rank, (size, _, _) in self.claims.items():
            by_size.setdefault(size, []).append(rank)
        if extra is not None and extra[0] not in by_size.get(extra[1], []):
            by_size.setdefault(extra[1], []).append(extra[0])
        ordered = sorted(by_size.items(), key=lambda item: min(item[1]))
        first = ordered[0]
        text = [f"{ranges(first[1])} {'says' if len(first[1]) == 1 else 'say'} "
                f"WORLD_SIZE={first[0]}"]
        text += [f"{ranges(r)} {'says' if len(r) == 1 else 'say'} {size}"
                 for size, r in ordered[1:]]
        return ", ".join(text)

    def _fail(self, why):
        if self.failure is None:
            self.failure = f"rendezvous failed: {why}"
        return self.failure

    def settle(self):
        """Fail a pending world-size disagreement once its grace has passed."""
        if self.failure is None and self.disagree_at is not None \
                and time.monotonic() >= self.disagree_at:
            self._fail(f"the ranks disagree on the world size: {self._sizes()}")
        return self.failure

    def complete(self):
        """The roster once every rank of the world has claimed its place, else None."""
        if self.formed is None and self.failure is None and self.disagree_at is None:
            sizes = {c[0] for c in self.claims.values()}
            if len(sizes) == 1 and len(self.claims) == next(iter(sizes)):
                n = len(self.claims)
                self.formed = {"nonce": self.nonce,
                               "ranks": [list(self.claims[r][1:]) for r in range(n)]}
        return self.formed
