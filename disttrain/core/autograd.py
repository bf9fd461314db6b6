"""Function and the graph nodes it records; the saved tensors those nodes keep.

Every differentiable op, built-in or user-written, is a ``Function`` with static
``forward(ctx, *args)`` and ``backward(ctx, *grads)``. ``apply`` runs ``forward`` with
recording off and, when an input requires grad, makes ``ctx`` the outputs' ``grad_fn``:
the ctx *is* the graph node (its class is named like PyTorch's, e.g. ``MulBackward0``).

Built-in forwards may return raw arrays (``apply`` wraps them); backwards are written
with Tensor ops so that ``create_graph=True`` yields higher-order gradients, and run with
recording off otherwise, so they cost no graph building. The engine that runs the graph
(``backward``, ``grad``) is in engine.py, in-place writes to views in views.py; both build on
this module and are imported from there.
"""
import itertools
import re
import traceback
import weakref

import numpy as np

from . import grad_mode  # noqa: F401  (other modules reach it through autograd)
from .grad_mode import state as _grad_state
from .hooks import RemovableHandle
from .ops._complex_grad import COMPLEX_GRAD_OPS
from .tensor import Tensor as _Tensor

__all__ = ["Function", "BackwardNode", "AccumulateGrad", "RemovableHandle"]

_seq = itertools.count()


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
    _dirty = None            # inputs forward modified in place (``mark_dirty``)
    _pre_hooks = None        # output_nr -> {id: hook}, hooks of non-leaf tensors
    _hooks = None            # node hooks: hook(grad_inputs, grad_outputs)

    # ---- ctx API used inside forward ----
    def save_for_backward(self, *tensors):
        if self._recording:
            self._saved = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def mark_dirty(self, *tensors):
        """Declare that forward modified these inputs in place; forward must return them.

        Each becomes an output of this node (its graph history now goes through it) and its
        version counter moves on, so backward formulas that saved its old value fail loudly.
        """
        self._dirty = tensors

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
            elif type(item) is _Packed:
                out.append(item.value(self))
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
        from .views import _refresh_view   # views.py builds on this module: import on use
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
        # built-in ops not known to be right for complex inputs refuse them (see _complex_grad)
        cls._refuses_complex = cls._builtin and (
            f"{cls.__module__}.{cls.__name__}" not in COMPLEX_GRAD_OPS)

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
            if cls._refuses_complex:
                _refuse_complex(cls, args)
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


def _refuse_complex(cls, args):
    for a in args:
        if isinstance(a, _Tensor) and a._requires_grad and a._data.dtype.kind == "c":
            raise NotImplementedError(
                f"{cls._node_cls.__name__}: the gradient of this operation for complex inputs "
                f"is not implemented in disttrain (its forward runs under no_grad or on "
                f"detached inputs)")


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
    dirty = ctx._dirty
    if dirty:
        _check_dirty(ctx, dirty, outs, record)
    for o in outs:
        if type(o) is _ndarray:
            o = Tensor._wrap(o)
        elif isinstance(o, Tensor):
            if dirty and any(o is d for d in dirty):
                o._version[0] += 1      # modified in place: the input itself is the output
                wrapped.append(o)
                continue
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
                if d.dtype.kind in "fc" and not (non_diff and any(o is n for n in non_diff)):
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


def _check_dirty(ctx, dirty, outs, record):
    """PyTorch's errors for ``mark_dirty``: dirty tensors must be returned, and a leaf that
    requires grad cannot be modified in place while the graph is recorded."""
    for d in dirty:
        if not any(o is d for o in outs):
            raise RuntimeError("Some elements marked as dirty during the forward method were not "
                               "returned as output. The inputs that are modified inplace must "
                               "all be outputs of the Function.")
        if record and d.grad_fn is None and d._requires_grad:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                               "operation.")


# a view from split/chunk/unbind cannot be rebased after an in-place write (see views.py)
_MULTI_VIEW = "multi"


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
    if saved_hooks.stack:
        hooks, saved_hooks.stack = saved_hooks.stack, []    # ops inside pack save plainly
        try:
            items = [_pack(s, *hooks[-1]) for s in items]
        finally:
            saved_hooks.stack = hooks
    return tuple(items), versions


class _SavedHooks:
    """The (pack, unpack) pairs of the ``saved_tensors_hooks`` contexts now open; the
    innermost applies to every tensor a node saves with ``save_for_backward``."""

    stack = []
    disabled = None          # the message to raise while hooks are disabled


saved_hooks = _SavedHooks()


class _Packed:
    """A saved tensor as its pack hook returned it, unpacked again on access."""

    __slots__ = ("packed", "unpack", "output")

    def __init__(self, packed, unpack, output):
        self.packed, self.unpack, self.output = packed, unpack, output

    def value(self, node):
        t = self.unpack(self.packed)
        if not isinstance(t, _Tensor):
            raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(t).__name__}")
        if self.output is not None:
            # a saved output keeps its place in the graph, for double backward
            out = _Tensor._make(t._data, self.output.requires_grad)
            if self.output.requires_grad:
                out.grad_fn, out._output_nr = node, self.output.output_nr
            return out
        return t


def _pack(s, pack, unpack):
    if type(s) is _SavedOutput:
        t = _Tensor._make(s.data, False)
        return _Packed(pack(t), unpack, s)
    if isinstance(s, _Tensor):
        return _Packed(pack(s), unpack, None)
    return s


class _Anomaly:
    """Anomaly detection: forward tracebacks on backward errors and a NaN check."""

    enabled = False
    check_nan = True


anomaly = _Anomaly()

