"""In-place writes to views: PyTorch's errors, and rebasing the graph through ``CopySlices``.

A view records how to make it again from its base (``_view_chain``); after the view or its
base is written in place, the view's graph node is re-derived by replaying that chain.
"""
import re

from .autograd import Function, _MULTI_VIEW
from .tensor import Tensor
from .device import array_module as _array_module
from .grad_mode import state as _grad_state

__all__ = ["check_inplace_view", "rebase_view", "CopySlices"]


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
    old = Tensor._make(base._data, base._requires_grad)
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
                _replay_view(Tensor._make(keep), ctx.chain)._data[...] = 0
            finally:
                _grad_state.enabled = prev
            g_base = g * Tensor._make(keep)
        if ctx.needs_input_grad[1]:
            g_src = _replay_view(g, ctx.chain)
        return g_base, g_src, None
