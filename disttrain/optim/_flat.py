"""Flat buffers behind the optimizers: one array per (param group, dtype, device) each for the
parameters, their gradients and every per-parameter state, with an offset per parameter.

A parameter's ``_data`` becomes a view of the flat parameter array (its values copied in, the
Tensor object unchanged), so an optimizer step is a handful of array operations over the
whole group rather than a Python loop over tensors. The data-parallel layer reads the same
arrays: it can all-reduce ``FlatGroup.grad`` in place and step with it.

Layout of one group of n parameters::

    param:  [ p0 ........ | p1 .... | p2 ............ ]   p_i._data = param[off_i:off_i+numel_i]
    grad:   [ g0 ........ | g1 .... | g2 ............ ]   same offsets
    state:  {"exp_avg": [...], "exp_avg_sq": [...]}        same offsets
    steps:  float32[n] on the host (a parameter's ``state["step"]`` is a 0-d view of it)

Under DistributedDataParallel the gradient array is not the group's own: it is the region of
DDP's gradient buffer that holds these parameters (see ``_homes``), and the parameters are laid
out in that buffer's order (backward's, the reverse of registration), so the all-reduce, the
``param.grad`` views and the step share one memory. The same holds for the parameter array
under ZeroRedundancyOptimizer. A step is elementwise: only the order must agree between the
parameter, gradient and state arrays.
"""
import bisect

import numpy as np

from ..core.device import array_module, device_of
from ..core.sharedmem import is_shared_array
from ..core.tensor import Tensor
from . import _homes

__all__ = ["FlatGroup", "build_flat_groups", "grad_term"]

# Elements per kernel call. A step runs its arithmetic block by block so that the temporaries
# stay in the L2 cache: on a 2 M-element Adam step this is about twice as fast as whole-array
# operations, which stream every temporary through main memory.
BLOCK = 1 << 16


def build_flat_groups(params, group_index, state, scalars=None):
    """Lay the parameters of one param group out in flat groups, one per (dtype, device).

    Per-parameter state already in ``state`` (loaded from a checkpoint, or views into an older
    layout) is copied into the new buffers and replaced by views of them. ``scalars`` maps the
    names of per-parameter 0-d float32 states (NAdam's ``mu_product``) to their initial value.
    """
    buckets = {}
    for p in params:
        key = (p._data.dtype.str, str(device_of(p._data)))
        buckets.setdefault(key, []).append(p)
    return [FlatGroup(ps, group_index, state, scalars) for ps in buckets.values()]


class FlatGroup:
    """The parameters of one param group that share a dtype and a device, laid end to end.

    Attributes:
        group_index (int): index of the param group in ``optimizer.param_groups``.
        params (list of Tensor): the parameters, in param-group order, or in the order of the
            buffers they already live in (``_homes.arrange``).
        param (array): flat parameter values; ``params[i]._data`` is a view of it.
        grad (array): flat gradients, same offsets (under DDP a region of its buffer).
        offsets, numels, shapes (lists): where each parameter lives in the flat arrays.
        state (dict of str to array): flat per-parameter state (``exp_avg`` ...).
        steps (numpy float32 array): the step count of each parameter.
        scalars (dict of str to numpy float32 array): other per-parameter 0-d states, one
            value per parameter on the host, published as 0-d views like ``step``.
        has_state (numpy bool array): whether each parameter's state has been initialised.
    """

    def __init__(self, params, group_index, state, scalars=None):
        # The buffers the parameters already live in, if any (DDP's gradients, ZeRO's values).
        params, param, pviews, grad, gviews = _homes.arrange(params)
        self._generation = _homes.generation()
        self._adopted = (param, grad)
        first = params[0]._data
        self.xp = array_module(first)
        self.dtype = first.dtype
        self.device = device_of(first)
        self.group_index = group_index
        self.params = list(params)
        self.ids = [id(p) for p in params]
        self.shapes = [p._data.shape for p in params]
        self.numels = [int(p._data.size) for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(self.numels)]).astype(np.int64).tolist()
        self.total = self.offsets[-1]
        self.param = self.xp.empty(self.total, self.dtype) if param is None else param
        self.grad = self.xp.zeros(self.total, self.dtype) if grad is None else grad
        self.state = {}
        self.steps = np.zeros(len(params), np.float32)
        self.has_state = np.zeros(len(params), bool)
        self._state_views = {"step": [None] * len(params)}
        self.scalars = {}
        self.scalar_fills = dict(scalars or {})
        for name, fill in self.scalar_fills.items():
            self.scalars[name] = np.full(len(params), fill, np.float32)
            self._state_views[name] = [None] * len(params)
        self._scratch = []
        self._grad_src = {}     # parameter index -> its gradient, read in place this step
        self.pviews = [self.view(self.param, i) for i in range(len(params))] \
            if pviews is None else list(pviews)
        self.gviews = [self.view(self.grad, i) for i in range(len(params))] \
            if gviews is None else list(gviews)
        # A parameter in memory shared with other processes (Hogwild training) keeps that
        # memory: before each step its values are read into the flat buffer, and after it the
        # step's change is added back (others' concurrent updates are not overwritten).
        self.shared = {i: p._data for i, p in enumerate(self.params)
                       if is_shared_array(p._data)}
        self._before = {}
        for i, (p, v) in enumerate(zip(self.params, self.pviews)):
            if p._data is v:
                continue        # already in place (an adopted buffer)
            v[...] = p._data
            if i in self.shared:
                self._before[i] = v.copy()
            else:
                p._data = v
        self._import_state(state)

    # ------------------------------------------------------------------ layout
    def view(self, flat, i):
        """Parameter ``i``'s region of a flat array, in the parameter's shape."""
        o = self.offsets[i]
        return flat[o:o + self.numels[i]].reshape(self.shapes[i])

    def slice(self, i):
        """Parameter ``i``'s region as a Python slice of the flat arrays."""
        return slice(self.offsets[i], self.offsets[i + 1])

    def sync_params(self):
        """Check that every parameter still fits its place; copy back in and rebind those whose
        ``_data`` was replaced (``p.data = ...``, another optimizer over the same parameters).
        False when one changed shape, dtype or device, or when the buffers they live in
        changed (DDP built after the first step): the layout must be rebuilt."""
        if self._generation != _homes.generation():
            if not _homes.same_arrangement(self.params, *self._adopted):
                return False
            self._generation = _homes.generation()
        for i, (p, v) in enumerate(zip(self.params, self.pviews)):
            d = p._data
            if d is v:
                continue
            if self.shared.get(i) is d:
                v[...] = d
                self._before[i] = v.copy()
                continue
            if is_shared_array(d):
                return False    # newly moved to shared memory: re-lay out to keep it there
            if d.shape != v.shape or d.dtype != self.dtype or device_of(d) != self.device:
                return False
            v[...] = d
            p._data = v
        return True

    def write_back_shared(self):
        """Add the step's change of each shared parameter to its shared memory."""
        for i, d in self.shared.items():
            if self.params[i]._data is d:
                v = self.pviews[i]
                d += v - self._before[i]

    # ------------------------------------------------------------------ gradients
    def gather_grads(self, in_place=False):
        """Copy the parameters' gradients into ``grad``; returns a bool array of which have one.

        A gradient array that owns its memory is rebound to its view of ``grad``, so the next
        backward accumulates in place and the next step copies nothing. Under DDP ``grad`` is
        the buckets' memory and every gradient already is its view. Gradients that are views
        of another buffer or carry a graph are only copied.

        ``in_place=True`` (a step, which only reads them): a contiguous gradient of at least
        ``BLOCK`` elements is not copied but read where it lies through ``grad_block``, its
        region of ``grad`` left stale. With ``zero_grad()`` setting gradients to None every
        step, each one is a new array, and copying it cost a pass over every gradient (0.5 ms
        of the MLP's 2 ms optimizer step).
        """
        active = np.ones(len(self.params), bool)
        self._grad_src.clear()
        for i, p in enumerate(self.params):
            g = p._grad
            if g is None:
                active[i] = False
                continue
            gv = self.gviews[i]
            d = g._data
            if d is gv:
                continue
            if in_place and d.size >= BLOCK and type(d) is type(gv) and d.dtype == gv.dtype \
                    and d.flags.c_contiguous and device_of(d) == self.device:
                self._grad_src[i] = d.reshape(-1)
                continue
            gv[...] = d
            if d.base is None and g._base is None and not g._requires_grad and \
                    d.dtype == gv.dtype:
                g._data = gv
        return active

    def grad_block(self, a, b):
        """The gradient of elements ``[a, b)`` (a piece from ``blocks``/``pieces``): a slice of
        ``grad``, or of the parameter's own gradient when ``gather_grads`` left it in place."""
        if self._grad_src:
            i = bisect.bisect_right(self.offsets, a) - 1
            src = self._grad_src.get(i)
            if src is not None:
                o = self.offsets[i]
                return src[a - o:b - o]
        return self.grad[a:b]

    def set_grads(self, flat):
        """Take an already-reduced flat gradient for the whole group."""
        self._grad_src.clear()
        if flat is not self.grad:
            if flat.shape != (self.total,):
                raise ValueError(f"flat gradient has shape {tuple(flat.shape)}, expected "
                                 f"({self.total},)")
            self.grad[...] = flat

    # ------------------------------------------------------------------ state
    def ensure(self, name, fill=0.0):
        """The flat array for state ``name``, allocated (filled with ``fill``) on first use."""
        arr = self.state.get(name)
        if arr is None:
            # zeros come as untouched pages that the first step writes once; full() would
            # write every page twice
            arr = self.xp.zeros(self.total, self.dtype) if fill == 0 else \
                self.xp.full(self.total, fill, self.dtype)
            self.state[name] = arr
            self._state_views[name] = [None] * len(self.params)
        return arr

    def state_view(self, name, i):
        """Parameter ``i``'s state ``name`` as a Tensor viewing the flat array (cached)."""
        views = self._state_views[name]
        t = views[i]
        if t is None:
            if name == "step":
                arr = self.steps[i:i + 1].reshape(())
            elif name in self.scalars:
                arr = self.scalars[name][i:i + 1].reshape(())
            else:
                arr = self.view(self.state[name], i)
            t = views[i] = Tensor._make(arr)
        return t

    def reset(self, i, fills):
        """Give parameter ``i`` fresh state: step 0, its scalars at their initial values and its
        region of each array named in ``fills`` (name to value) set to that value."""
        self.steps[i] = 0
        for name, fill in self.scalar_fills.items():
            self.scalars[name][i] = fill
        for name, fill in fills.items():
            if name in self.state:
                self.view(self.state[name], i)[...] = fill

    def publish(self, state, i, names, with_step):
        """Put parameter ``i``'s state into the optimizer's ``state`` dict as views."""
        st = state[self.params[i]]
        if with_step:
            st["step"] = self.state_view("step", i)
        for name in names:
            st[name] = self.state_view(name, i)
        self.has_state[i] = True

    def _import_state(self, state):
        for i, p in enumerate(self.params):
            st = state.get(p)
            if not st:
                continue
            for name, value in list(st.items()):
                if value is None:
                    del st[name]        # old checkpoints store an absent momentum buffer as None
                elif name == "step" or isinstance(value, Tensor):
                    self._import(st, name, value, i)
            self.has_state[i] = True

    def check_state(self, state, names):
        """Re-import state entries that were replaced by other tensors since the last step
        (``optimizer.state[p]["exp_avg"] = ...``); our own views pass by identity."""
        views = [(name, self._state_views.get(name)) for name in names]
        for i, p in enumerate(self.params):
            if not self.has_state[i]:
                continue
            st = state.get(p)
            if not st:
                self.has_state[i] = False
                continue
            for name, own in views:
                t = st.get(name)
                if t is not None and (own is None or t is not own[i]):
                    self._import(st, name, t, i)

    def _import(self, st, name, value, i):
        if name == "step":
            self.steps[i] = float(value)
        elif name in self.scalars:
            self.scalars[name][i] = float(value)
        else:
            self.ensure(name)
            self.view(self.state[name], i)[...] = _to_array(value._data, self.device)
        st[name] = self.state_view(name, i)

    # ------------------------------------------------------------------ iteration
    def runs(self, active, key=None, bounds=None):
        """Maximal element ranges of consecutive active parameters sharing ``key[i]``.

        Yields ``(lo, hi, i0, i1, key_value)``: elements ``[lo, hi)`` of the flat arrays hold
        parameters ``i0 .. i1-1``. ``bounds=(lo, hi)`` clips the element ranges (a shard).
        """
        n = len(self.params)
        i = 0
        while i < n:
            if not active[i]:
                i += 1
                continue
            k = None if key is None else key[i]
            j = i + 1
            while j < n and active[j] and (key is None or key[j] == k):
                j += 1
            lo, hi = self.offsets[i], self.offsets[j]
            if bounds is not None:
                lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
            if lo < hi:
                yield lo, hi, i, j, k
            i = j

    def pieces(self, active, key=None, bounds=None):
        """The ``runs`` cut into ``blocks``: yields ``(a, b, key_value)``."""
        for lo, hi, _, _, k in self.runs(active, key, bounds):
            for a, b in self.blocks(lo, hi):
                yield a, b, k

    def blocks(self, lo, hi):
        """Split ``[lo, hi)`` into cache-sized pieces, none straddling the edge of a gradient
        read in place (``grad_block``)."""
        if self._grad_src:
            cuts = sorted({c for i in self._grad_src for c in self.offsets[i:i + 2]
                           if lo < c < hi})
            if cuts:
                edges = [lo] + cuts + [hi]
                return [piece for x, y in zip(edges, edges[1:])
                        for piece in self._blocks(x, y)]
        return self._blocks(lo, hi)

    @staticmethod
    def _blocks(lo, hi):
        if hi - lo <= BLOCK:
            return ((lo, hi),)
        return ((a, min(a + BLOCK, hi)) for a in range(lo, hi, BLOCK))

    def scratch(self, k, n):
        """``k`` reusable temporaries of length ``n`` (at most ``BLOCK``), so steps allocate
        nothing."""
        size = min(self.total, BLOCK)
        while len(self._scratch) < k:
            self._scratch.append(self.xp.empty(size, self.dtype))
        return [s[:n] for s in self._scratch[:k]]


def grad_term(xp, p, g, t1, t2, maximize, weight_decay):
    """The gradient an update follows: ``g``, negated under ``maximize``, plus
    ``weight_decay * p`` (L2). Returns ``g`` itself or ``t1``; ``t2`` is scratch."""
    d = g
    if maximize:
        d = xp.negative(g, out=t1)
    if weight_decay != 0:
        xp.multiply(p, weight_decay, out=t2)
        d = xp.add(d, t2, out=t1)
    return d


def _to_array(arr, device):
    if device_of(arr) == device:
        return arr
    from ..core.device import move_array
    return move_array(arr, device)
