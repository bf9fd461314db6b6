"""DistributedSampler: each rank's disjoint share of a data set, reshuffled every epoch."""
import math

from ...core.creation import randperm
from ...core.random import Generator
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Restricts data loading to a 1/``num_replicas`` subset of the data set.

    Every rank draws the same permutation (from a :class:`disttrain.Generator` seeded with
    ``seed + epoch``), pads it by repeating it from the start until its length divides by
    ``num_replicas`` (or, with ``drop_last``, cuts the tail), and takes
    ``indices[rank::num_replicas]``: the ranks' shares are disjoint and equally long.

    The sampler can resume in the middle of an epoch: :meth:`state_dict` records the
    epoch and how many samples of it the whole job has consumed, and
    :meth:`load_state_dict` makes the next iteration skip them, also on a different
    number of ranks.

    Args:
        dataset: the data set (anything with ``len``).
        num_replicas (int, optional): number of ranks. Default: the process group's size.
        rank (int, optional): this rank. Default: the process group's rank.
        shuffle (bool): shuffle the indices every epoch. Default: True.
        seed (int): seed of the shuffle, the same on every rank. Default: 0.
        drop_last (bool): drop the tail instead of padding. Default: False.

    Example::

        >>> sampler = DistributedSampler(dataset)
        >>> loader = DataLoader(dataset, batch_size=32, sampler=sampler)
        >>> for epoch in range(epochs):
        ...     sampler.set_epoch(epoch)
        ...     for x, y in loader:
        ...         train_step(x, y)
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = drop_last
        self.shuffle = shuffle
        self.seed = seed
        self._start = 0        # where the next iteration starts in the job's epoch order
        self._iter_start = 0   # where the current iteration started
        self._yielded = 0      # indices this rank handed out in the current iteration
        self._sizes(len(dataset))

    def _sizes(self, n):
        r = self.num_replicas
        if self.drop_last and n % r != 0:
            # Drop the tail so that every rank receives the same amount of data.
            self.num_samples = math.ceil((n - r) / r)
        else:
            self.num_samples = math.ceil(n / r)
        self.total_size = self.num_samples * r

    def _order(self):
        n = len(self.dataset)
        if self.shuffle:
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            return randperm(n, generator=g).tolist()
        return list(range(n))

    def _epoch_length(self, n):
        """Length of the job's whole (padded or cut) order of one epoch."""
        r = self.num_replicas
        return (n // r) * r if self.drop_last else math.ceil(n / r) * r

    def _indices(self, start):
        indices = self._order()
        if start:
            # A resumed epoch: what the interrupted job had not consumed of its order. On
            # as many ranks as before this continues that order exactly; on a different
            # number, the rest is padded (or cut) again for the new ranks.
            indices = _pad(indices, self._epoch_length(len(indices)))[start:]
        total = self._epoch_length(len(indices))
        indices = indices[:total] if self.drop_last else _pad(indices, total)
        return indices[self.rank:total:self.num_replicas]

    def __iter__(self):
        start, self._start = self._start, 0
        mine = self._indices(start)
        self._iter_start, self._yielded = start, 0
        for i in mine:
            self._yielded += 1
            yield i

    def __len__(self):
        if not self._start:
            return self.num_samples
        n = len(self.dataset)
        rest = max(0, self._epoch_length(n) - self._start)
        r = self.num_replicas
        return rest // r if self.drop_last else math.ceil(rest / r)

    def set_epoch(self, epoch):
        """Set the epoch: every rank must call it with the same value before iterating.

        Without it the shuffle is the same every epoch. A position restored by
        :meth:`load_state_dict` survives only a call with the restored epoch.
        """
        if epoch != self.epoch:
            self._start = self._iter_start = self._yielded = 0
        self.epoch = epoch

    def state_dict(self, consumed=None):
        """Where the job is in the epoch: ``{"epoch", "seed", "consumed"}``.

        ``consumed`` counts the samples of the epoch consumed by all ranks together.

        Args:
            consumed (int, optional): samples this rank consumed in the current iteration
                (e.g. ``batches_done * batch_size``). Default: the indices this sampler
                handed out, exact when the loader does not read ahead.
        """
        mine = self._yielded if consumed is None else int(consumed)
        return {"epoch": int(self.epoch), "seed": int(self.seed),
                "consumed": int(self._iter_start + mine * self.num_replicas)}

    def load_state_dict(self, state):
        """Resume at the epoch and position :meth:`state_dict` recorded.

        The next iteration yields only what the job had not consumed of that epoch (nothing
        if it had finished it); later epochs are whole. The number of ranks may differ
        from the saving job's.
        """
        self.epoch = int(state["epoch"])
        self.seed = int(state.get("seed", self.seed))
        self._start = self._iter_start = int(state.get("consumed", 0))
        self._yielded = 0


def _pad(indices, total):
    """Repeat ``indices`` from its start until it has ``total`` entries."""
    pad = total - len(indices)
    if pad <= 0 or not indices:
        return indices[:total]
    if pad <= len(indices):
        return indices + indices[:pad]
    return (indices * math.ceil(pad / len(indices)) + indices)[:total]
