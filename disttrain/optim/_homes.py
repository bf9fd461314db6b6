"""Where a parameter's gradient (or value) already lives in someone's flat buffer.

The data-parallel layer lays the gradients of its parameters out in one flat array per
(dtype, device), in the order backward produces them, and makes ``param.grad`` a view of it;
ZeRO lays the parameters out in one flat array per (dtype, device), rank by rank. They record
here which region of which :class:`FlatBuffer` each parameter owns (its *home*). When the
optimizer lays out a flat group it looks its parameters up: if their gradients' homes tile one
contiguous region of a buffer, that region *is* the group's gradient buffer (the parameters are
put in the buffer's order, and the state follows it), so the step reads the memory the
all-reduce wrote, with no copy; likewise for the parameters' own memory.

The registry holds each parameter weakly; a later registration replaces an earlier one.
"""
import weakref

import numpy as np

__all__ = ["FlatBuffer", "set_grad_home", "set_param_home", "grad_home", "param_home",
           "generation", "tiling", "arrange", "same_arrangement"]

_GRAD, _PARAM = {}, {}      # id(param) -> (weakref to it, FlatBuffer, index in the buffer)
_generation = [0]           # bumped at every registration: cached layouts re-check theirs


class FlatBuffer:
    """One flat array whose consecutive regions are the tensors of ``shapes``.

    Args:
        xp: the array module (numpy or cupy).
        dtype: the element type.
        shapes (list of tuple): the tensors' shapes, in layout order.
        extra (int): trailing elements after the last region (not part of any tensor).
        fill (bool): zero the memory (else ``empty``: untouched pages cost no memory).
    """

    def __init__(self, xp, dtype, shapes, extra=0, fill=True):
        self.shapes = [tuple(s) for s in shapes]
        self.numels = [int(np.prod(s, dtype=np.int64)) for s in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(self.numels)]).astype(np.int64).tolist()
        self.size = self.offsets[-1]
        alloc = xp.zeros if fill else xp.empty
        self.array = alloc(self.size + extra, dtype)
        self.views = [self.array[o:o + n].reshape(s)
                      for o, n, s in zip(self.offsets, self.numels, self.shapes)]

    def region(self, i, j):
        """Elements of regions ``i .. j-1`` as one 1-D view."""
        return self.array[self.offsets[i]:self.offsets[j]]


def _register(table, param, buf, i):
    key = id(param)

    def gone(ref, key=key, table=table):
        entry = table.get(key)
        if entry is not None and entry[0] is ref:
            del table[key]
    table[key] = (weakref.ref(param, gone), buf, i)
    _generation[0] += 1


def set_grad_home(param, buf, i):
    """Record that ``param``'s gradient belongs in region ``i`` of ``buf``."""
    _register(_GRAD, param, buf, i)


def set_param_home(param, buf, i):
    """Record that ``param``'s values live in region ``i`` of ``buf`` (``_data`` is its view)."""
    _register(_PARAM, param, buf, i)


def _lookup(table, param):
    entry = table.get(id(param))
    if entry is None or entry[0]() is not param:
        return None
    buf, i = entry[1], entry[2]
    d = param._data
    if buf.views[i].shape != d.shape or buf.array.dtype != d.dtype or \
            type(buf.array) is not type(d):
        return None        # the parameter changed since (``model.half()``, moved)
    return buf, i


def grad_home(param):
    """``(FlatBuffer, index)`` of ``param``'s gradient home, or None."""
    return _lookup(_GRAD, param)


def param_home(param):
    """``(FlatBuffer, index)`` where ``param``'s values live now, or None."""
    home = _lookup(_PARAM, param)
    if home is None or param._data is not home[0].views[home[1]]:
        return None
    return home


def generation():
    """A number that changes whenever a home is registered."""
    return _generation[0]


def tiling(homes):
    """``(buf, order, i0, i1)`` when ``homes`` are regions ``i0 .. i1-1`` of one buffer, each
    once (``order``: positions of ``homes`` sorted by region); else None."""
    if not homes or any(h is None for h in homes):
        return None
    buf = homes[0][0]
    if any(h[0] is not buf for h in homes):
        return None
    order = sorted(range(len(homes)), key=lambda k: homes[k][1])
    first = homes[order[0]][1]
    if [homes[k][1] for k in order] != list(range(first, first + len(homes))):
        return None
    return buf, order, first, first + len(homes)


def arrange(params):
    """Lay ``params`` (one dtype, one device) out over the buffers they already live in.

    Returns ``(params, param, pviews, grad, gviews)``: the parameters in layout order, then
    the flat parameter array and per-parameter views to adopt (or None: allocate new ones),
    then the same for gradients. Gradients are adopted when their homes tile one region of a
    buffer (their order wins: it is the order backward fills them); parameter memory when it
    tiles a region in that same order.
    """
    params = list(params)
    grads = tiling([grad_home(p) for p in params])
    pars = tiling([param_home(p) for p in params])
    if grads is not None and pars is not None and grads[1] != pars[1]:
        pars = None
    order = grads[1] if grads is not None else pars[1] if pars is not None else None
    if order is None:
        return params, None, None, None, None
    params = [params[k] for k in order]
    out = [params]
    for found in (pars, grads):
        if found is None:
            out += [None, None]
        else:
            buf, _, i0, i1 = found
            out += [buf.region(i0, i1), buf.views[i0:i1]]
    return tuple(out)


def same_arrangement(params, fg_param, fg_grad):
    """Whether :func:`arrange` would still give ``params`` (in that order) the same buffers."""
    got = arrange(params)
    return [id(p) for p in got[0]] == [id(p) for p in params] and \
        _same(got[1], fg_param) and _same(got[3], fg_grad)


def _same(adopted, current):
    if adopted is None:
        return current is None
    return current is not None and adopted.shape == current.shape and \
        _base(adopted) is _base(current) and _ptr(adopted) == _ptr(current)


def _base(a):
    return a if a.base is None else a.base


def _ptr(a):
    if isinstance(a, np.ndarray):
        return a.__array_interface__["data"][0]
    return a.data.ptr
