"""Turning a list of samples into a batch (``default_collate``) or one sample's numpy parts
into tensors (``default_convert``), with PyTorch's rules for every container type."""
import collections.abc as abc
import copy

import numpy as np

from ...core import dtype as _dt
from ...core.creation import as_tensor, tensor
from ...core.tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _is_numpy(x):
    return type(x).__module__ == "numpy" and not isinstance(x, (np.str_, np.bytes_))


def default_convert(data):
    """Convert numpy arrays and numpy scalars inside ``data`` to tensors, leaving the rest.

    Used by ``DataLoader`` when automatic batching is off (``batch_size=None``). Tuples come
    back as lists and namedtuples as their own type, as in PyTorch.

    Example::

        >>> default_convert([np.array([1, 2]), 3])
        [tensor([1, 2]), 3]
    """
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if isinstance(data, np.ndarray) and data.dtype.kind in "SaUO":
            return data
        return as_tensor(data)
    if isinstance(data, abc.Mapping):
        return _same_mapping(data, {k: default_convert(v) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        items = [default_convert(d) for d in data]
        try:
            return type(data)(items)
        except TypeError:
            return items
    return data


def _same_mapping(like, items):
    """A mapping of ``like``'s type holding ``items`` (a plain dict when that type can't)."""
    if isinstance(like, abc.MutableMapping):
        clone = copy.copy(like)
        clone.update(items)
        return clone
    try:
        return type(like)(items)
    except TypeError:
        return items


def default_collate(batch):
    """Merge a list of samples into a batch, recursively.

    Tensors are stacked along a new first dimension; numpy arrays become tensors and are
    stacked; Python ints become an int64 tensor, floats a float64 tensor, bools a bool
    tensor; strings and bytes stay as they are; dicts, namedtuples and sequences are
    collated field by field (tuples come back as lists, as in PyTorch).

    Example::

        >>> default_collate([(1, 2.0), (3, 4.0)])
        [tensor([1, 3]), tensor([2., 4.], dtype=disttrain.float64)]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        from ...core.functions import stack
        return stack(list(batch), 0)
    if _is_numpy(elem):
        if isinstance(elem, np.ndarray):
            if elem.dtype.kind in "SaUO":
                raise TypeError(_ERR.format(elem.dtype))
            return default_collate([as_tensor(b) for b in batch])
        if elem.shape == ():
            return as_tensor(np.stack(batch))
    if isinstance(elem, float):
        return tensor(list(batch), dtype=_dt.float64)
    if isinstance(elem, int):
        return tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, abc.Mapping):
        return _same_mapping(elem, {k: default_collate([d[k] for d in batch]) for k in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        if isinstance(elem, abc.MutableSequence):
            clone = copy.copy(elem)
            clone[:] = columns
            return clone
        try:
            return type(elem)(columns)
        except TypeError:
            return columns
    raise TypeError(_ERR.format(type(elem)))
