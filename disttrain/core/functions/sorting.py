"""Sorting and selection (sort, argsort, topk, nonzero, argwhere, unique), clone, and the
small predicates ``numel``, ``is_tensor``, ``is_floating_point``.
"""
import numpy as np

from ..tensor import Tensor
from ..ops import elementwise as E, select as SEL
from ._common import ValuesIndices, array_module_of

__all__ = [
    "clone", "numel", "is_tensor", "is_floating_point", "sort", "argsort", "topk", "nonzero",
    "unique", "argwhere",
]


def clone(input, *, memory_format=None):
    return E.Clone.apply(input)


def numel(input):
    return input.numel()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def sort(input, dim=-1, descending=False, stable=False):
    """The elements along ``dim`` in order, with the indices they came from (ties keep their
    order; nan sorts as the largest value)."""
    d = input._dim(dim) if input.dim() else 0
    return ValuesIndices(*SEL.Sort.apply(input, d, descending), "sort")


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable)[1]


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim``, with their
    indices."""
    d = input._dim(dim)
    if k > (input.shape[d] if input.dim() else 1) or k < 0:
        raise RuntimeError("selected index k out of range")
    return ValuesIndices(*SEL.Topk.apply(input, k, d, largest, sorted), "topk")


def nonzero(input, *, as_tuple=False):
    xp = array_module_of(input)
    nz = xp.nonzero(input._data)
    if as_tuple:
        if input.dim() == 0:
            return (Tensor._make(xp.zeros(int(bool(input)), np.int64)),)
        return tuple(Tensor._make(a.astype(np.int64)) for a in nz)
    if input.dim() == 0:
        return Tensor._make(xp.zeros((int(bool(input)), 0), np.int64))
    return Tensor._make(xp.stack(nz, axis=1).astype(np.int64))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    xp = array_module_of(input)
    res = xp.unique(input._data.reshape(-1) if dim is None else input._data,
                    return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not isinstance(res, tuple):
        return Tensor._make(res)
    out = [Tensor._make(res[0])]
    k = 1
    if return_inverse:
        out.append(Tensor._make(res[k].reshape(input.shape).astype(np.int64)))
        k += 1
    if return_counts:
        out.append(Tensor._make(res[k].astype(np.int64)))
    return tuple(out)


def argwhere(input):
    """The indices of the non-zero elements, one row each."""
    return nonzero(input)
