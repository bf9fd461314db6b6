"""``disttrain.utils.checkpoint``: trade compute for memory by recomputing a function's
forward during backward instead of keeping its activations.

Two variants, as in PyTorch:

- ``use_reentrant=True``: the function runs without recording; one graph node stands for it
  and keeps only its inputs. Backward reruns the function with recording on and
  backpropagates through the fresh graph (parameters it uses get their ``.grad`` there), so
  ``autograd.grad`` cannot see through it, as in PyTorch.
- ``use_reentrant=False``: the function runs recording the graph, but the tensors its ops save
  for backward are dropped (through ``saved_tensors_hooks``); the first backward that needs
  one reruns the function once and takes them from the rerun. Works with ``autograd.grad``
  and with inputs that do not require grad. (Index arrays some built-in ops keep as plain
  attributes of their graph node are kept.)

Both rerun with the random-number state of the first run, so dropout masks match.
"""
import warnings

from ..core import random as _random
from ..core.autograd import Function
from ..core.engine import backward as _backward
from ..core.grad_mode import enable_grad, no_grad, state as _grad_state
from ..core.tensor import Tensor
from ..autograd.graph import saved_tensors_hooks

__all__ = ["checkpoint", "checkpoint_sequential"]


class _ForkedRNG:
    """Run a block with a saved RNG state, then put the current state back."""

    def __init__(self, state, enabled=True):
        self.state, self.enabled = state, enabled

    def __enter__(self):
        if self.enabled:
            self._now = _random.get_rng_state()
            _random.set_rng_state(self.state)

    def __exit__(self, *exc):
        if self.enabled:
            _random.set_rng_state(self._now)
        return False


def _detached(args):
    out = []
    for a in args:
        if isinstance(a, Tensor):
            d = a.detach()
            d.requires_grad = a.requires_grad
            out.append(d)
        else:
            out.append(a)
    return tuple(out)


class CheckpointFunction(Function):
    """The node of a reentrant checkpoint: keeps the inputs, reruns ``run_function``."""

    node_name = "CheckpointFunctionBackward"

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.rng_state = _random.get_rng_state()
        ctx.tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.inputs = list(args)
        ctx.save_for_backward(*[args[i] for i in ctx.tensor_pos])
        with no_grad():
            outputs = run_function(*args)
        single = not isinstance(outputs, tuple)
        ctx.single = single
        outs = (outputs,) if single else outputs
        return tuple(o._data if isinstance(o, Tensor) else o for o in outs) if not single \
            else outs[0]._data

    @staticmethod
    def backward(ctx, *grads):
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_pos, ctx.saved_tensors):
            inputs[i] = t
        detached = _detached(inputs)
        with _ForkedRNG(getattr(ctx, "rng_state", None), ctx.preserve_rng_state), enable_grad():
            outputs = ctx.run_function(*detached)
        outs = (outputs,) if not isinstance(outputs, tuple) else outputs
        roots, root_grads = [], []
        for o, g in zip(outs, grads):
            if isinstance(o, Tensor) and o.requires_grad and g is not None:
                roots.append(o)
                root_grads.append(g)
        if not roots:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        _backward(roots, root_grads)
        in_grads = tuple(d.grad if isinstance(d, Tensor) and d.requires_grad else None
                         for d in detached)
        return (None, None) + in_grads


def _checkpoint_reentrant(function, preserve, args):
    if not any(isinstance(a, Tensor) and a.requires_grad for a in args) and \
            _grad_state.enabled:
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      UserWarning, stacklevel=3)
    return CheckpointFunction.apply(function, preserve, *args)


class _Recompute:
    """The saved tensors of one non-reentrant checkpoint, recomputed on first need."""

    def __init__(self, function, args, kwargs, preserve):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.rng_state = _random.get_rng_state() if preserve else None
        self.preserve = preserve
        self.count = 0
        self.values = None

    def pack(self, t):
        i = self.count
        self.count += 1
        return i

    def unpack(self, i):
        if self.values is None:
            self._rerun()
        if i >= len(self.values):
            raise RuntimeError("torch.utils.checkpoint: Recomputed values for the following "
                               "tensors have different metadata than during the forward pass "
                               "(the recomputation saved fewer tensors than the first run).")
        return self.values[i]

    def _rerun(self):
        values = []

        def keep(t):
            values.append(t.detach() if t.grad_fn is not None else t)   # drop the rerun graph
            return len(values) - 1

        args = _detached(self.args)
        with _ForkedRNG(self.rng_state, self.preserve), enable_grad(), \
                saved_tensors_hooks(keep, lambda i: values[i]):
            self.function(*args, **self.kwargs)
        self.values = values


def _checkpoint_nonreentrant(function, preserve, args, kwargs):
    frame = _Recompute(function, args, kwargs, preserve)
    with saved_tensors_hooks(frame.pack, frame.unpack):
        return function(*args, **kwargs)


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, early_stop=True, preserve_rng_state=True, **kwargs):
    """Run ``function(*args)`` without keeping its activations; recompute them in backward.

    Args:
        function: the function (or module) to run.
        args: its arguments.
        use_reentrant (bool): the variant (see the module docs); pass it explicitly —
            PyTorch's default (True) is used with a warning when it is omitted.
        preserve_rng_state (bool): rerun with the first run's random state (default True).
        context_fn, determinism_check, debug, early_stop: accepted; only their defaults are
            supported.

    Example::

        >>> out = checkpoint(block, x, use_reentrant=False)
        >>> out.sum().backward()    # block's forward runs again here
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly. Starting in PyTorch 2.9, calling checkpoint without "
                      "use_reentrant will raise an exception. use_reentrant=False is "
                      "recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.", UserWarning, stacklevel=2)
        use_reentrant = True
    if context_fn is not None or determinism_check != "default" or debug:
        raise NotImplementedError("disttrain's checkpoint supports only the default context_fn, "
                                  "determinism_check and debug")
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        return _checkpoint_reentrant(function, preserve_rng_state, args)
    return _checkpoint_nonreentrant(function, preserve_rng_state, args, kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a sequence of modules (or a ``Sequential``) in ``segments`` chunks, checkpointing
    every chunk but the last, whose activations are kept for the start of backward."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant "
                      "parameter should be passed explicitly. In version 2.9 we will raise an "
                      "exception if use_reentrant is not passed. use_reentrant=False is "
                      "recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.", UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    functions = list(functions)

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
