"""Samplers: the order in which a ``DataLoader`` visits a map-style dataset.

Random samplers draw from a ``disttrain.Generator`` (the global one unless given), so
``disttrain.manual_seed`` makes shuffling reproducible; like PyTorch, a sampler without its
own generator draws a fresh seed from the global one at every ``iter()``, so each epoch gets a
new permutation.

Resuming mid-epoch needs nothing from a sampler beyond being deterministic for a given
generator state: ``DataLoader.load_state_dict`` skips the first batches by advancing the
(batch) sampler, which costs only index arithmetic.
"""
import numpy as np

from ...core.random import Generator, default_generator
from ...core.tensor import Tensor

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]

_CHUNK = 32      # RandomSampler with replacement draws indices in chunks of this many


def _draw_seed(generator=None):
    """A 63-bit seed drawn from ``generator`` (what PyTorch's ``random_()`` on int64 yields)."""
    return int((generator or default_generator)._gen.integers(0, 2 ** 63, dtype=np.int64))


def _fresh_generator(generator):
    """``generator`` itself, or a new one seeded from the global stream (one draw per call)."""
    if generator is not None:
        return generator
    return Generator().manual_seed(_draw_seed())


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


class Sampler:
    """Base class: an iterable over dataset indices (or lists of indices), optionally sized."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order.

    Args:
        data_source (Dataset): the dataset to sample from.
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a permutation, or draws with replacement.

    Args:
        data_source (Dataset): the dataset to sample from.
        replacement (bool): draw with replacement. Default: ``False``.
        num_samples (int, optional): how many indices to yield. Default: ``len(data_source)``;
            without replacement more than that chains several permutations.
        generator (Generator, optional): the random stream. Default: a fresh generator seeded
            from the global one at every ``iter()``.

    Example::

        >>> list(RandomSampler(range(4), generator=disttrain.Generator().manual_seed(0)))
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        rng = _fresh_generator(self.generator)._gen
        if self.replacement:
            for _ in range(self.num_samples // _CHUNK):
                yield from rng.integers(0, n, _CHUNK).tolist()
            yield from rng.integers(0, n, self.num_samples % _CHUNK).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from rng.permutation(n).tolist()
            yield from rng.permutation(n).tolist()[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order, without replacement.

    Args:
        indices (sequence): the indices to permute.
        generator (Generator, optional): the random stream. Default: the global generator.
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        rng = (self.generator or default_generator)._gen
        for i in rng.permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Indices ``0 .. len(weights) - 1`` drawn with probabilities proportional to ``weights``.

    Args:
        weights (sequence): non-negative weights, not necessarily summing to one.
        num_samples (int): how many indices to draw.
        replacement (bool): draw with replacement. Default: ``True``.
        generator (Generator, optional): the random stream. Default: the global generator.

    Example::

        >>> list(WeightedRandomSampler([0.1, 0.9, 0.4], 5, replacement=True))
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        w = weights._data if isinstance(weights, Tensor) else weights
        w = np.asarray(w.get() if hasattr(w, "get") else w, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        self.weights = Tensor._make(w)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        from ...core.creation import multinomial
        draw = multinomial(self.weights, self.num_samples, self.replacement,
                           generator=self.generator)
        yield from draw.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of another sampler into lists of ``batch_size``.

    Args:
        sampler (Sampler or iterable): yields single indices.
        batch_size (int): indices per batch.
        drop_last (bool): drop the last batch when it would be smaller than ``batch_size``.

    Example::

        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size
