"""Function, the graph nodes it records, and the backward engine.

Every differentiable op, built-in or user-written, is a ``Function`` with static
``forward(ctx, *args)`` and ``backward(ctx, *grads)``. ``apply`` runs ``forward`` with
recording off and, when an input requires grad, makes ``ctx`` the outputs' ``grad_fn``:
the ctx *is* the graph node (its class is named like PyTorch's, e.g. ``MulBackward0``).

Built-in forwards may return raw arrays (``apply`` wraps them); backwards are written
with Tensor ops so that ``create_graph=True`` yields higher-order gradients, and run with
recording off otherwise, so they cost no graph building.
"""
import heapq
import itertools
import re
import traceback
import warnings
import weakref

import numpy as np

from . import grad_mode  # noqa: F401  (other modules reach it through autograd)
from .grad_mode import state as _grad_state

__all__ = ["Function", "backward", "grad", "BackwardNode", "AccumulateGrad", "RemovableHandle"]

_seq = itertools.count()
_Tensor = None   # set by tensor.py: autograd sits below Tensor in the import order


class RemovableHandle:
    """Returned by ``register_*hook``; ``remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks_dict):
        # A plain dict cannot be weakly referenced; holding it keeps only the hooks alive.
        self._hooks_dict = hooks_dict
        self.id = next(RemovableHandle._ids)

    @classmethod
    def register(cls, hooks_dict, hook):
        """Add ``hook`` to ``hooks_dict`` under a new handle's id; return the handle."""
        h = cls(hooks_dict)
        hooks_dict[h.id] = hook
        return h

    def remove(self):
        self._hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _FreedSaved:
    """Marks saved tensors released by a backward without ``retain_graph``."""


_FREED = _FreedSaved()
_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


class BackwardNode:
    """The ctx of one Function call and, once an input requires grad, its graph node."""

    # Defaults live on the class so that making a ctx (once per op call) stores nothing.
    _fn = None
    _materialize = True
    _recording = False
    _saved = ()
    _non_diff = None
    _pre_hooks = None        # output_nr -> {id: hook}, hooks of non-leaf tensors
    _hooks = None            # node hooks: hook(grad_inputs, grad_outputs)

    # ---- ctx API used inside forward ----
    def save_for_backward(self, *tensors):
        if self._recording:
            self._saved = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        self._materialize = bool(value)

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(_FREED_MSG)
        out = []
        for item in saved:
            if type(item) is _SavedOutput:
                out.append(item.unpack(self))
            elif item is not None and hasattr(item, "_version"):
                if item._version[0] != self._saved_versions[len(out)]:
                    raise RuntimeError(self._modified_message(item, len(out)))
                out.append(item)
            else:
                out.append(item)
        return tuple(out)

    def _modified_message(self, t, i):
        return _modified_message(t, t.grad_fn, t._output_nr, self._saved_versions[i])

    # ---- node API ----
    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        edges, shown = self._edges, self._fn.graph_inputs
        if shown is None:
            return tuple(e if e is not None else (None, 0) for e, is_t in
                         zip(edges, self._tensor_args) if is_t)
        return tuple(edges[i] or (None, 0) for i in shown if i < len(edges))

    @property
    def metadata(self):
        if "_metadata" not in self.__dict__:
            self._metadata = {}
        return self._metadata

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)`` runs after this node computes its gradients."""
        if self._hooks is None:
            self._hooks = {}
        return RemovableHandle.register(self._hooks, hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs)`` runs before this node, and may return new grad_outputs."""
        if "_node_pre_hooks" not in self.__dict__:
            self._node_pre_hooks = {}
        return RemovableHandle.register(self._node_pre_hooks, hook)

    def _add_tensor_hook(self, output_nr, hook):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return RemovableHandle.register(self._pre_hooks.setdefault(output_nr, {}), hook)

    def __call__(self, *grads):
        """Run this node's backward; returns the gradients of its tensor inputs."""
        res = self._fn.backward(self, *grads)
        res = res if isinstance(res, tuple) else (res,)
        is_tensor = self.__dict__.get("_tensor_args")
        if is_tensor is not None:
            res = tuple(r for r, t in zip(res, is_tensor) if t)
        return res[0] if len(res) == 1 else res

    def __repr__(self):
        # a user's Function prints with its module path, as in PyTorch
        where = "" if self._fn is None or self._fn._builtin else "disttrain.autograd.function."
        return f"<{where}{type(self).__name__} object at {hex(id(self))}>"


class _SavedOutput:
    """An output saved for backward, kept as data so that output -> node -> output is no cycle."""

    __slots__ = ("data", "version", "saved_version", "output_nr", "requires_grad")

    def __init__(self, t):
        self.data, self.version = t._data, t._version
        self.saved_version, self.output_nr = t._version[0], t._output_nr
        self.requires_grad = t.requires_grad

    def unpack(self, node):
        t = _Tensor._make(self.data, self.requires_grad)
        if self.version[0] != self.saved_version:
            t._version = self.version
            raise RuntimeError(_modified_message(t, node, self.output_nr, self.saved_version))
        if self.requires_grad:
            t.grad_fn, t._output_nr = node, self.output_nr
        t._version = self.version
        return t


def _modified_message(t, node, output_nr, expected):
    """PyTorch's error for a tensor saved for backward and modified in place since."""
    where = ""
    if node is not None:
        op = re.sub(r"Backward\d*$", "", type(node).__name__)
        where = f", which is output {output_nr} of {op},"
    return (f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{t.type()} {list(t.shape)}]{where} is at version "
            f"{t._version[0]}; expected version {expected} instead. Hint: enable anomaly "
            f"detection to find the operation that failed to compute its gradient, with "
            f"disttrain.autograd.set_detect_anomaly(True, check_nan=False).")


class AccumulateGrad:
    """The node that ends every path at a leaf: adds the incoming gradient to ``leaf.grad``."""

    __slots__ = ("variable", "__weakref__")
    _seq = float("inf")          # leaves run as soon as their gradient is complete
    _out_meta = (None,)          # one gradient comes in

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self):
        return ()

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


def _edge(t):
    """The (node, output_nr) a gradient for ``t`` flows into, or None."""
    if t._base is not None:
        _refresh_view(t)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t.requires_grad:
        ref = t._acc
        acc = ref() if ref is not None else None
        if acc is None:
            acc = AccumulateGrad(t)
            t._acc = weakref.ref(acc)
        return (acc, 0)
    return None


class Function:
    """Base class of differentiable operations.

    Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``;
    call ``MyFn.apply(*args)``. ``backward`` returns one gradient per ``forward`` argument
    (None for non-tensors and for inputs whose ``ctx.needs_input_grad`` is False).

    Example::

        >>> class Exp(Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         y = x.exp()
        ...         ctx.save_for_backward(y)
        ...         return y
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         y, = ctx.saved_tensors
        ...         return g * y
    """

    #: name of the graph node class; PyTorch's for built-ins (``AddBackward0``)
    node_name = None
    #: outputs share memory (and the version counter) with the first input
    is_view = False
    #: outputs are never differentiable (comparisons, argmax, ...)
    differentiable = True
    #: positions of the forward args that ``next_functions`` lists, as PyTorch lists its op's
    #: inputs (a Python scalar it wraps shows as ``(None, 0)``); None: the tensor args
    graph_inputs = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("node_name") or f"{cls.__name__}Backward"
        cls._node_cls = type(name, (BackwardNode,), {"_fn": cls})
        cls._builtin = cls.__module__.startswith("disttrain.")

    def __init__(self, *args, **kwargs):
        import warnings
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions "
                      f"are all static, so you should invoke them on the class itself. "
                      f"Instantiating an autograd function will raise an error in a future "
                      f"version of PyTorch.", DeprecationWarning, stacklevel=2)

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        state = _grad_state
        prev = state.enabled
        ctx = cls._node_cls()
        record = False
        if prev and cls.differentiable:
            Tensor = _Tensor
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    record = True
                    break
        if record:
            ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad
                                         for a in args)
            ctx._recording = True
            if anomaly.enabled:
                ctx._forward_trace = "".join(traceback.format_stack()[:-1])
        else:
            n = len(args)
            ctx.needs_input_grad = _NO_NEEDS[n] if n < 8 else (False,) * n
        state.enabled = False
        try:
            out = cls.forward(ctx, *args, **kwargs)
        finally:
            state.enabled = prev
        if type(out) is _ndarray and not record and not cls.is_view:
            return _Tensor._wrap(out)      # the common case, kept short: one new array
        return _wrap_outputs(cls, ctx, args, out, record, kwargs)


_NO_NEEDS = tuple((False,) * n for n in range(8))
_ndarray = np.ndarray


# numpy scalars (np.float64 subclasses float) are results to wrap, not plain values
_PLAIN = (int, float, bool, str, list)


def _wrap_outputs(cls, ctx, args, out, record, kwargs=None):
    """Turn forward's arrays into Tensors and, when recording, link them to ``ctx``."""
    Tensor = _Tensor
    single = type(out) is not tuple
    outs = (out,) if single else out
    wrapped = []
    for o in outs:
        if type(o) is _ndarray:
            o = Tensor._wrap(o)
        elif isinstance(o, Tensor):
            for a in args:
                if o is a:      # forward returned an input: hand back an alias, not the input
                    o = Tensor._make(a._data, False)
                    o._version = a._version
                    break
        elif o is not None and type(o) not in _PLAIN:
            o = Tensor._make(o, False)
        wrapped.append(o)
    if cls.is_view:
        base = args[0]
        # how to make this view again from its base: replayed when it is modified in place
        if len(wrapped) > 1:
            chain = _MULTI_VIEW
        elif base._base is None:
            chain = ((cls, args[1:], kwargs),)
        else:
            prev = getattr(base, "_view_chain", None)
            chain = prev + ((cls, args[1:], kwargs),) if type(prev) is tuple else _MULTI_VIEW
        root = base._base if base._base is not None else base
        for o in wrapped:
            o._version = base._version
            o._base = root
            o._view_chain = chain
            o._view_src = root.grad_fn
    if record:
        edges, is_tensor = [], []
        for a in args:
            if isinstance(a, Tensor):
                is_tensor.append(True)
                edges.append(_edge(a) if a._requires_grad else None)
            else:
                is_tensor.append(False)
                edges.append(None)
        ctx._edges, ctx._tensor_args = edges, is_tensor
        ctx._seq = next(_seq)
        non_diff = ctx._non_diff
        meta = []
        i = 0
        for o in wrapped:
            if isinstance(o, Tensor):
                d = o._data
                # the array's type, not the array: the graph must not keep outputs alive
                meta.append((d.shape, d.dtype, type(d)))
                if d.dtype.kind == "f" and not (non_diff and any(o is n for n in non_diff)):
                    o._requires_grad = True
                    o.grad_fn = ctx
                    o._output_nr = i
            else:
                meta.append(None)
            i += 1
        ctx._out_meta = meta
        if ctx._saved:
            ctx._saved, ctx._saved_versions = _prepare_saved(ctx._saved, wrapped, outs)
    return wrapped[0] if single else tuple(wrapped)


# ---------------------------------------------------------------- in-place writes to views
_MULTI_VIEW = "multi"   # the view came from split/chunk/unbind: it cannot be rebased


def check_inplace_view(t):
    """Raise PyTorch's errors for in-place writes to views that autograd cannot follow."""
    base = t._base
    if base is None:
        return
    if base.grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    if getattr(t, "_view_chain", None) is _MULTI_VIEW:
        if t.grad_fn is not None:
            op = re.sub(r"Backward\d*$", "", type(t.grad_fn).__name__)
            what = f"Output {t._output_nr} of {op} is a view and is being modified inplace."
        else:
            what = ("A view was created in no_grad mode and is being modified inplace with grad "
                    "mode enabled.")
        raise RuntimeError(
            f"{what} This view is the output of a function that returns multiple views. Such "
            f"functions do not allow the output views to be modified inplace. You should "
            f"replace the inplace operation by an out-of-place one.")


def rebase_view(t, res):
    """After ``t`` (a view) was overwritten in place by ``res``, route gradients through it.

    As PyTorch does, the base gets a ``CopySlices`` node: the gradient of the written region
    flows to ``res``'s graph and the rest to the base's old graph; ``t`` becomes a fresh view
    of the rebased base. Returns False when ``t`` is no view of its base's memory.
    """
    base, chain = t._base, getattr(t, "_view_chain", None)
    if base is None or type(chain) is not tuple or not _shares_memory(t._data, base._data):
        return False
    old = _Tensor._make(base._data, base._requires_grad)
    old.grad_fn, old._output_nr = base.grad_fn, base._output_nr
    prev = _grad_state.enabled
    _grad_state.enabled = True
    try:
        new = CopySlices.apply(old, res, chain)
        base.grad_fn, base._output_nr, base._requires_grad = new.grad_fn, 0, True
        again = _replay_view(base, chain)
    finally:
        _grad_state.enabled = prev
    t.grad_fn, t._output_nr, t._requires_grad = again.grad_fn, again._output_nr, True
    t._view_src = base.grad_fn
    return True


def _refresh_view(t):
    """Re-derive a view's graph node when its base was modified in place since it was made."""
    base = t._base
    if getattr(t, "_view_src", base.grad_fn) is base.grad_fn:
        return
    chain = getattr(t, "_view_chain", None)
    if type(chain) is not tuple or not _shares_memory(t._data, base._data):
        return
    prev = _grad_state.enabled
    _grad_state.enabled = True
    try:
        again = _replay_view(base, chain)
    finally:
        _grad_state.enabled = prev
    t.grad_fn, t._output_nr = again.grad_fn, again._output_nr
    t._view_src = base.grad_fn


def _shares_memory(a, b):
    xp = _array_module(a)
    return bool(xp.may_share_memory(a, b)) if hasattr(xp, "may_share_memory") else True


def _replay_view(x, chain):
    for cls, args, kwargs in chain:
        x = cls.apply(x, *args, **(kwargs or {}))
    return x


class CopySlices(Function):
    """A base whose view was written in place: ``base`` outside the view, ``src`` inside."""

    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, src, chain):
        ctx.chain, ctx.shape = chain, base._data.shape
        return base._data      # already holds the written values: the view shares its memory

    @staticmethod
    def backward(ctx, g):
        g_base = g_src = None
        if ctx.needs_input_grad[0]:
            keep = _array_module(g._data).ones(ctx.shape, g._data.dtype)
            prev = _grad_state.enabled
            _grad_state.enabled = False
            try:
                _replay_view(_Tensor._make(keep), ctx.chain)._data[...] = 0
            finally:
                _grad_state.enabled = prev
            g_base = g * _Tensor._make(keep)
        if ctx.needs_input_grad[1]:
            g_src = _replay_view(g, ctx.chain)
        return g_base, g_src, None


def _prepare_saved(saved, outputs, originals):
    Tensor = _Tensor
    items, versions = [], []
    for s in saved:
        # ``originals`` are forward's own results: a numpy scalar (a 0-d result) is wrapped
        # into a new array, so it is recognised by identity with what forward returned
        for o, r in zip(outputs, originals):
            if isinstance(o, Tensor) and (s is o or s is o._data or s is r) and \
                    o.grad_fn is not None:
                s = _SavedOutput(o)
                break
        else:
            if isinstance(s, Tensor):
                versions.append(s._version[0])
                items.append(s)
                continue
        versions.append(None)
        items.append(s)
    return tuple(items), versions


# ---------------------------------------------------------------- the engine


def _zeros_for(meta):
    shape, dt, array_type = meta
    xp = np if array_type is _ndarray else _array_module(array_type(0))
    return _Tensor._make(xp.zeros(shape, dt), False)


def _array_module(x):
    global _array_module
    from .device import array_module
    _array_module = array_module
    return array_module(x)


def _graph(root_nodes, targets):
    """Dependency counts of the nodes reachable from the roots (pruned to ``targets``).

    Returns ``(deps, needed)``: ``deps[node]`` is how many gradients ``node`` waits for;
    ``needed`` is None, or (for ``autograd.grad``) the nodes on a path to a target.
    """
    Acc = AccumulateGrad
    if targets is None:
        deps, seen, stack = {}, set(root_nodes), list(root_nodes)
        while stack:
            n = stack.pop()
            if type(n) is Acc:
                continue
            for e in n._edges:
                if e is not None:
                    c = e[0]
                    deps[c] = deps.get(c, 0) + 1
                    if c not in seen:
                        seen.add(c)
                        stack.append(c)
        return deps, None
    parents, seen, stack = {}, set(), list(root_nodes)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if type(n) is Acc:
            continue
        for e in n._edges:
            if e is not None:
                parents.setdefault(e[0], []).append(n)
                if e[0] not in seen:
                    stack.append(e[0])
    needed, stack = set(), [t for t in targets if t in seen]
    while stack:
        n = stack.pop()
        if n not in needed:
            needed.add(n)
            stack.extend(parents.get(n, ()))
    deps = {}
    for child, ps in parents.items():
        if child in needed:
            deps[child] = sum(1 for p in ps if p in needed)
    return deps, needed


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None,
                 accumulate=True, allow_unused=False):
    """Propagate ``root_grads`` from ``roots`` through the graph.

    Nodes run most recently created first (PyTorch's order), each once all its incoming
    gradients are summed. With ``accumulate`` the leaves' ``.grad`` grow; otherwise
    (``autograd.grad``) the gradients reaching ``inputs`` are returned and no ``.grad``
    changes.
    """
    root_edges = [_edge(t) for t in roots]
    capture, targets = None, None
    if inputs is not None:
        capture = {}
        for i, t in enumerate(inputs):
            if not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture.setdefault(_edge(t), []).append(i)
        targets = {e[0] for e in capture}
    deps, needed = _graph([e[0] for e in root_edges], targets)
    captured = [None] * (len(inputs) if inputs is not None else 0)

    buffers, owned, heap = {}, {}, []
    counter = itertools.count()
    for (node, nr), g in zip(root_edges, root_grads):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * len(node._out_meta)
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    for node in buffers:
        if deps.get(node, 0) == 0:
            heapq.heappush(heap, (-node._seq, next(counter), node))

    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph
    _final_callbacks.append([])
    state = (retain_graph, needed, deps, buffers, owned, heap, counter)
    pop = heapq.heappop
    try:
        while heap:
            node = pop(heap)[2]
            grads = buffers.pop(node)
            if type(node) is AccumulateGrad:
                g = grads[0]
                if capture is not None:
                    for i in capture.get((node, 0), ()):
                        captured[i] = g
                    if not accumulate:
                        continue
                _accumulate(node.variable, g, owned.get(node, False), create_graph)
                continue
            if node._pre_hooks is not None or "_node_pre_hooks" in node.__dict__:
                _run_pre_hooks(node, grads)
            if capture is not None:
                for nr in range(len(grads)):
                    for i in capture.get((node, nr), ()):
                        captured[i] = grads[nr]
                if not any(e is not None and e[0] in needed for e in node._edges):
                    continue
            _call_node(node, grads, state)
        _run_final_callbacks(_final_callbacks[-1])
    finally:
        _final_callbacks.pop()
        _grad_state.enabled = prev_mode
    if inputs is not None:
        for i, g in enumerate(captured):
            if g is None and not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    f"the graph. Set allow_unused=True if this is the desired behavior.")
        return captured
    return None


# Callbacks queued during a backward pass, one list per pass now running (they nest).
_final_callbacks = []


def queue_callback(callback):
    """Run ``callback()`` when the backward pass now running has finished.

    PyTorch's ``Variable._execution_engine.queue_callback``: data-parallel training waits
    for its gradient all-reduces there. Callbacks run in order and may queue more.
    """
    if not _final_callbacks:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _final_callbacks[-1].append(callback)


def _run_final_callbacks(callbacks):
    i = 0
    while i < len(callbacks):
        callbacks[i]()
        i += 1


def _run_pre_hooks(node, grads):
    hooks = node.__dict__.get("_node_pre_hooks")
    if hooks:
        for h in list(hooks.values()):
            r = h(tuple(grads))
            if r is not None:
                grads[:] = list(r)
    if node._pre_hooks:
        for nr, hs in node._pre_hooks.items():
            if grads[nr] is None:
                continue
            for h in list(hs.values()):
                r = h(grads[nr])
                if r is not None:
                    grads[nr] = r


def _call_node(node, grads, state):
    """Run one node's backward and hand each input gradient on to the node it flows into."""
    retain_graph, needed, deps, buffers, owned, heap, counter = state
    Tensor = _Tensor
    if node._materialize and None in grads:
        for i, g in enumerate(grads):
            if g is None:
                grads[i] = _zeros_for(node._out_meta[i])
    if anomaly.enabled:
        result = _checked_backward(node, grads)
    else:
        result = node._fn.backward(node, *grads)
    if type(result) is not tuple:
        result = (result,)
    edges = node._edges
    n_in = len(edges)
    if len(result) != n_in:
        if len(result) > n_in and all(r is None for r in result[n_in:]):
            result = result[:n_in]
        else:
            raise RuntimeError(f"function {type(node).__name__} returned an incorrect number of "
                               f"gradients (expected {n_in}, got {len(result)})")
    if node._hooks:
        for h in list(node._hooks.values()):
            r = h(result, tuple(grads))
            if r is not None:
                result = tuple(r)
    if not retain_graph:
        node._saved = _FREED
    idx = -1
    for e in edges:
        idx += 1
        if e is None:
            continue
        g = result[idx]
        if g is None:
            continue
        child, nr = e
        if needed is not None and child not in needed:
            continue
        if not isinstance(g, Tensor):
            g = Tensor._make(g, False)
        is_leaf = type(child) is AccumulateGrad
        want = child.variable._data.shape if is_leaf else child._out_meta[nr][0]
        if g._data.shape != want:
            g = _fit_gradient(g, want, node, idx)
        buf = buffers.get(child)
        if buf is None:
            buf = buffers[child] = [None] * len(child._out_meta)
        if buf[nr] is None:
            buf[nr] = g
            if is_leaf:
                owned[child] = _is_fresh(g, node, grads, result, idx)
        else:
            buf[nr] = buf[nr] + g
            owned[child] = True
        left = deps[child] - 1
        deps[child] = left
        if left == 0:
            heapq.heappush(heap, (-child._seq, next(counter), child))


class _Anomaly:
    """Anomaly detection: forward tracebacks on backward errors and a NaN check."""

    enabled = False
    check_nan = True


anomaly = _Anomaly()


def _checked_backward(node, grads):
    """A node's backward under anomaly detection."""
    name = type(node).__name__
    try:
        result = node._fn.backward(node, *grads)
    except Exception:
        trace = node.__dict__.get("_forward_trace")
        if trace:
            warnings.warn(f"Error detected in {name}. Traceback of forward call that caused "
                          f"the error:\n{trace}", UserWarning, stacklevel=2)
        raise
    if anomaly.check_nan:
        for i, r in enumerate(result if type(result) is tuple else (result,)):
            if r is not None and hasattr(r, "_data") and r._data.dtype.kind == "f" and \
                    bool(_array_module(r._data).isnan(r._data).any()):
                raise RuntimeError(f"Function '{name}' returned nan values in its {i}th "
                                   f"output.")
    return result


def _fit_gradient(g, shape, node, idx):
    """A gradient of a broadcast shape is summed down to its input's; others are an error."""
    try:
        ok = np.broadcast_shapes(shape, g._data.shape) == g._data.shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(
            f"Function {type(node).__name__} returned an invalid gradient at index {idx} - got "
            f"{list(g._data.shape)} but expected shape compatible with {list(shape)}")
    from .ops._util import unbroadcast
    return unbroadcast(g, shape)


def _is_fresh(g, node, grads, result, idx):
    """Whether ``g`` is a new array nothing else holds, so it can become ``.grad`` uncopied.

    Only built-in backwards are trusted: they return new arrays, views (which have a
    ``base``) or an incoming gradient passed through. A user's backward may return a tensor
    it keeps (on ``ctx`` or elsewhere), so its gradients are always copied into ``.grad``.
    """
    if not node._fn._builtin:
        return False
    arr = g._data
    if getattr(arr, "base", None) is not None:
        return False
    for v in node.__dict__.values():
        if v is g or v is arr:
            return False
    for x in grads:
        if x is not None and (x is g or x._data is arr):
            return False
    for j, r in enumerate(result):
        if j != idx and r is not None and (r is g or getattr(r, "_data", None) is arr):
            return False
    return True


class _CopyGrad(Function):
    """The copy a leaf's first gradient gets under ``create_graph`` (PyTorch's CopyBackwards)."""

    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, g):
        return g._data.copy()

    @staticmethod
    def backward(ctx, gg):
        return gg


def _accumulate(t, g, owned, create_graph):
    Tensor = _Tensor
    if t._hooks:
        for h in list(t._hooks.values()):
            r = h(g)
            if r is not None:
                g, owned = r, False
    if g._data.dtype != t._data.dtype:
        g, owned = g.to(t.dtype), True
    cur = t._grad
    if cur is None:
        if create_graph:
            # PyTorch clones here too: the new .grad must not be the tensor the graph holds
            t.grad = _CopyGrad.apply(g)
        else:
            t.grad = Tensor._make(g._data if owned else g._data.copy(), False)
    elif create_graph or cur.requires_grad:
        t.grad = cur + g
    else:
        cur._data += g._data
    if t._post_hooks:
        for h in list(t._post_hooks.values()):
            h(t)


def _make_root_grads(tensors, grad_tensors, create_graph):
    Tensor = _Tensor
    out = []
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               f"a grad_fn")
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not t.dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar "
                                   f"outputs but got {t.dtype}")
            xp = _array_module(t._data)
            g = Tensor._make(xp.ones(t._data.shape, t._data.dtype), False)
        elif not isinstance(g, Tensor):
            g = Tensor._make(_array_module(t._data).asarray(g, dtype=t._data.dtype), False)
        elif g.shape != t.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{_sz(g.shape)} and output[{i}] has a shape of {_sz(t.shape)}.")
        out.append(g)
    return out


def _sz(shape):
    return f"torch.Size({list(shape)})".replace("torch.", "disttrain.")


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into the leaves' ``.grad`` the gradients of ``tensors``.

    Args:
        tensors (Tensor or sequence): roots of the backward pass.
        grad_tensors (Tensor or sequence, optional): vector of the vector-Jacobian product;
            may be None for scalar roots.
        retain_graph (bool, optional): keep saved tensors for another backward
            (default: ``create_graph``).
        create_graph (bool): record the backward itself, for higher-order gradients.
        inputs (sequence of Tensor, optional): accumulate only into these.
    """
    tensors = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) or (None,) * len(tensors)
    if len(grads) < len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grads)} gradients")
    grads = grads[:len(tensors)]      # PyTorch pairs them up and ignores extra gradients
    if retain_graph is None:
        retain_graph = create_graph
    roots = _make_root_grads(tensors, grads, create_graph)
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    run_backward(tensors, roots, retain_graph, create_graph, inputs=inputs, accumulate=True,
                 allow_unused=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return the gradients of ``outputs`` with respect to ``inputs``, leaving ``.grad`` alone.

    Args:
        outputs (Tensor or sequence): differentiated outputs.
        inputs (Tensor or sequence): the tensors to differentiate with respect to.
        grad_outputs (sequence, optional): the vector of the vector-Jacobian product.
        retain_graph (bool, optional): default ``create_graph``.
        create_graph (bool): record the backward for higher-order gradients.
        allow_unused (bool, optional): return None for an input that is not reached
            instead of raising (default: ``materialize_grads``).
        materialize_grads (bool): zeros instead of None for unreached inputs.
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    grads = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    roots = _make_root_grads(outputs, grads, create_graph)
    result = run_backward(outputs, roots, retain_graph, create_graph, inputs=inputs,
                          accumulate=False, allow_unused=allow_unused)
    if materialize_grads:
        result = [r if r is not None else inputs[i].new_zeros(inputs[i].shape)
                  for i, r in enumerate(result)]
    return tuple(result)
