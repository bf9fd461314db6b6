"""``summary(model, input_size)``: the layer table of the ``torchsummary`` package.

It runs the model once on random input (batch 2, so batch norm works) with a forward hook on
every module except containers (``Sequential``, ``ModuleList``) and the model itself, and
prints each hooked call's output shape and weight + bias count in torchsummary's layout and
arithmetic (sizes assume 4 bytes per number; the forward/backward size counts every output
twice, for its gradient).

This module is callable, so both ``disttrain.summary(model, (2,))`` and
``from disttrain.summary import summary`` work.
"""
import sys
import types

from .core.creation import rand
from .core.device import as_device, cuda_available
from .core.dtype import float32
from .core.grad_mode import no_grad
from .core.tensor import Tensor

__all__ = ["summary", "summary_string"]

_RULE = "-" * 64
_DOUBLE = "=" * 64
_ROW = "{:>20}  {:>25} {:>15}"
_MB = 1024 ** 2.0


def _prod(values):
    n = 1
    for v in values:
        n *= _prod(v) if isinstance(v, list) else v
    return n


def _shape(out, batch_size):
    """torchsummary's output shape: batch dim replaced; for a tuple/list output, one shape per
    element with -1 in front."""
    if isinstance(out, (list, tuple)):
        return [[-1] + list(o.shape)[1:] if isinstance(o, Tensor) else _shape(o, batch_size)
                for o in out]
    shape = list(out.shape)
    if shape:
        shape[0] = batch_size
    return shape


def _count(module):
    """(weight + bias element count, whether the weight is trainable or None without one)."""
    params, trainable = 0, None
    weight, bias = getattr(module, "weight", None), getattr(module, "bias", None)
    if weight is not None and hasattr(weight, "size"):
        params += _prod(weight.size())
        trainable = weight.requires_grad
    if bias is not None and hasattr(bias, "size"):
        params += _prod(bias.size())
    return params, trainable


def _inputs(input_size, device, dtypes):
    if isinstance(input_size, tuple):
        input_size = [input_size]
    if dtypes is None:
        dtypes = [float32] * len(input_size)
    if isinstance(device, str):
        if device.lower().split(":")[0] not in ("cuda", "cpu"):
            raise ValueError("Input device is not valid, please specify 'cuda' or 'cpu'")
    dev = as_device(device)
    if dev.type == "cuda" and not cuda_available():
        dev = as_device("cpu")
    xs = [rand(2, *size).to(dtype).to(dev) for size, dtype in zip(input_size, dtypes)]
    return input_size, xs


def _record(model, xs, batch_size):
    """Run ``model(*xs)`` once and collect one row per hooked module call."""
    from .nn import ModuleList, Sequential
    rows, hooks = [], []

    def hook(module, inputs, output):
        params, trainable = _count(module)
        rows.append((f"{type(module).__name__}-{len(rows) + 1}", _shape(output, batch_size),
                     params, trainable))

    def register(module):
        if not isinstance(module, (Sequential, ModuleList)) and module is not model:
            hooks.append(module.register_forward_hook(hook))
    model.apply(register)
    try:
        with no_grad():
            model(*xs)
    finally:
        for h in hooks:
            h.remove()
    return rows


def summary_string(model, input_size, batch_size=-1, device="cpu", dtypes=None):
    """The table ``summary`` prints, and ``(total_params, trainable_params)``."""
    input_size, xs = _inputs(input_size, device, dtypes)
    rows = _record(model, xs, batch_size)
    lines = [_RULE, _ROW.format("Layer (type)", "Output Shape", "Param #"), _DOUBLE]
    total = trainable = total_output = 0
    for name, shape, params, train in rows:
        lines.append(_ROW.format(name, str(shape), f"{params:,}"))
        total += params
        total_output += _prod(shape)
        if train:
            trainable += params
    # torchsummary's arithmetic: the product over all input dims, signs dropped by abs().
    input_mb = abs(_prod([s for size in input_size for s in size]) * batch_size * 4.0 / _MB)
    output_mb = abs(2.0 * total_output * 4.0 / _MB)
    params_mb = abs(total * 4.0 / _MB)
    lines += [_DOUBLE, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", _RULE,
              "Input size (MB): %0.2f" % input_mb,
              "Forward/backward pass size (MB): %0.2f" % output_mb,
              "Params size (MB): %0.2f" % params_mb,
              "Estimated Total Size (MB): %0.2f" % (params_mb + output_mb + input_mb), _RULE]
    return "\n".join(lines) + "\n", (total, trainable)


def summary(model, input_size, batch_size=-1, device="cpu", dtypes=None):
    """Print torchsummary's table of a model's layers, output shapes and parameter counts.

    Args:
        model (nn.Module): the model; it runs once on random input of batch 2.
        input_size (tuple or list of tuples): one input's shape without the batch dimension,
            or a list of them for a model with several inputs.
        batch_size (int): shown as the first output dimension. Default: ``-1``.
        device (str or device): where the inputs are made (``'cuda'`` falls back to the CPU
            when there is no GPU). Default: ``'cpu'``.
        dtypes (list of dtype, optional): one dtype per input. Default: float32.

    Returns:
        None, as torchsummary's ``summary`` does.

    Example::

        >>> model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
        >>> summary(model, (2,))
        ----------------------------------------------------------------
                Layer (type)               Output Shape         Param #
        ================================================================
                    Linear-1                    [-1, 8]              24
        ...
    """
    text, _ = summary_string(model, input_size, batch_size, device, dtypes)
    print(text, end="")


class _CallableModule(types.ModuleType):
    """Lets the module object stand for the function once ``disttrain.summary`` is imported as
    a submodule (which replaces the package attribute with the module)."""

    def __call__(self, *args, **kwargs):
        return summary(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
