"""The backward engine: runs the graph that ``Function.apply`` recorded.

Nodes run most recently created first, each once the gradients flowing into it are summed;
leaves accumulate into ``.grad`` (``backward``) or hand their gradients back (``grad``).
"""
import heapq
import itertools
import warnings

import numpy as np

from . import _names
from .tensor import Tensor
from .autograd import AccumulateGrad, Function, _FREED, _edge, _ndarray, anomaly
from .device import array_module as _array_module
from .grad_mode import state as _grad_state

__all__ = ["backward", "grad", "run_backward", "queue_callback"]


def _zeros_for(meta):
    shape, dt, array_type = meta
    xp = np if array_type is _ndarray else _array_module(array_type(0))
    return Tensor._make(xp.zeros(shape, dt), False)


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
        if g._data.dtype.kind == "c":
            g = _real_if_real(g, child.variable._data.dtype if is_leaf else
                              child._out_meta[nr][1])
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



def _real_if_real(g, dtype):
    """A real tensor's gradient is the real part of a complex one (PyTorch's convention)."""
    if dtype.kind == "c":
        return g
    from .ops.complex_ops import real_part
    return real_part(g)


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
    return _names.qualified(f"Size({list(shape)})")


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
