"""Module backward hooks: identity Functions around a module's inputs and outputs.

The output identity sees the gradients of the outputs (``grad_output``); the input identity
then sees the gradients of the inputs (``grad_input``) and calls the user's hooks, which
may replace them, just as ``register_full_backward_hook`` does in PyTorch.
"""
import warnings

from ...core.autograd import Function, RemovableHandle
from ...core.creation import zeros_like
from ...core.tensor import Tensor
from ...core.grad_mode import state as _grad_state

__all__ = ["BackwardHook", "add_hook"]


class _Identity(Function):
    """Pass tensors through unchanged; ``backward`` hands the gradients to a callback."""

    node_name = "BackwardHookFunctionBackward"

    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        outs = tuple(t._data for t in tensors)
        return outs

    @staticmethod
    def backward(ctx, *grads):
        new = ctx.callback(grads)
        return (None,) + tuple(new)


def _split(values):
    """Positions of the Tensors in a tuple of values (or a single Tensor)."""
    single = isinstance(values, Tensor)
    items = (values,) if single else tuple(values) if isinstance(values, tuple) else None
    if items is None:
        return single, None, []
    return single, items, [i for i, v in enumerate(items) if isinstance(v, Tensor)]


def _replace(items, positions, new, single):
    out = list(items)
    for i, t in zip(positions, new):
        t._version = items[i]._version
        out[i] = t
    return out[0] if single else tuple(out)


class BackwardHook:
    """Wires one forward call of ``module`` for its full backward (pre-)hooks."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_output = None
        self.inputs = ()          # every Tensor argument, in order
        self.wrapped = []         # indices into ``inputs`` of those that require grad

    def setup_input_hook(self, args):
        _, items, pos = _split(args)
        self.inputs = tuple(items[i] for i in pos)
        self.wrapped = [k for k, t in enumerate(self.inputs) if t.requires_grad]
        if not (_grad_state.enabled and self.wrapped):
            return args
        new = _Identity.apply(self._on_input_grads, *(self.inputs[k] for k in self.wrapped))
        new = new if isinstance(new, tuple) else (new,)
        return _replace(items, [pos[k] for k in self.wrapped], new, False)

    def setup_output_hook(self, result):
        single, items, pos = _split(result)
        if not pos or not _grad_state.enabled or not any(items[i].requires_grad for i in pos):
            return result
        new = _Identity.apply(self._on_output_grads, *(items[i] for i in pos))
        new = new if isinstance(new, tuple) else (new,)
        return _replace(items, pos, new, single)

    def _on_output_grads(self, grads):
        for hook in self.pre_hooks:
            res = hook(self.module, grads)
            if res is not None:
                grads = tuple(res) if isinstance(res, (tuple, list)) else (res,)
        self.grad_output = grads
        if not self.wrapped and self.hooks:
            # No gradient will reach the inputs: the hooks run now, with grad_input all None.
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            for hook in self.hooks:
                hook(self.module, (None,) * len(self.inputs), grads)
        return grads

    def _on_input_grads(self, grads):
        # Inputs that need no gradient get zeros in grad_input, as in PyTorch.
        full = [zeros_like(t) for t in self.inputs]
        for k, g in zip(self.wrapped, grads):
            full[k] = g
        full = tuple(full)
        for hook in self.hooks:
            res = hook(self.module, full, self.grad_output)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(full):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                       f"got {len(res)}, but expected {len(full)}")
                full = res
        return tuple(full[k] for k in self.wrapped)


def add_hook(hooks, hook, prepend=False):
    """Register ``hook`` in the ordered dict ``hooks``, first when ``prepend``."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle
