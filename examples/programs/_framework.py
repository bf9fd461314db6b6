"""Pick the framework the example programs run on, and give them deterministic numbers.

Each program starts with ``import _framework`` and then imports ``torch`` the way any PyTorch
program does (``import torch``, ``import torch.nn as nn``, ``from torch.utils.data import
DataLoader``). With ``EXAMPLE_FRAMEWORK=torch`` in the environment those imports get PyTorch;
otherwise they get disttrain.

The alias is disttrain's own (``disttrain._torch_alias``, which ``python -m
disttrain.as_torch`` uses): ``torch`` and every ``torch.<x>`` resolve to the one, already
loaded ``disttrain.<x>`` module.

The two frameworks draw different random numbers, so the programs set every weight and input
from the formulas below (``fill_`` / ``det``) instead of from a generator; the numbers they
print then agree between the two frameworks up to float32 rounding.
"""
import importlib
import importlib.abc
import importlib.util
import math
import os
import sys

__all__ = ["FRAMEWORK", "install", "uninstall", "det", "det_tokens", "fill_"]

FRAMEWORK = "torch" if os.environ.get("EXAMPLE_FRAMEWORK") == "torch" else "disttrain"


def install():
    """Make ``import torch`` (and its submodules) resolve to disttrain in this process
    (``disttrain._torch_alias``, the mechanism behind ``python -m disttrain.as_torch``)."""
    if FRAMEWORK == "torch":
        return
    from disttrain import _torch_alias
    _torch_alias.install()


def uninstall():
    """Undo :func:`install`: drop the finder and every ``torch`` alias from ``sys.modules``."""
    if FRAMEWORK == "torch":
        return
    from disttrain import _torch_alias
    _torch_alias.uninstall()


install()


def _torch():
    return sys.modules["torch"] if FRAMEWORK == "disttrain" else importlib.import_module("torch")


def det(*shape, seed=0, scale=1.0, dtype=None):
    """A tensor of ``shape`` holding ``scale * sin(0.7 * k + seed + 0.3)`` for k = 0, 1, ...

    Computed in float64 and rounded once to ``dtype`` (default: the default dtype), so both
    frameworks hold the same bits."""
    torch = _torch()
    n = math.prod(shape)
    k = torch.arange(n, dtype=torch.float64)
    values = torch.sin(k * 0.7 + (seed + 0.3)) * scale
    return values.to(dtype or torch.get_default_dtype()).reshape(shape)


def det_tokens(*shape, vocab, seed=0):
    """Integer tokens in ``[0, vocab)`` from ``(7 k + 3 k^2 // 5 + seed) mod vocab``."""
    torch = _torch()
    n = math.prod(shape)
    k = torch.arange(n, dtype=torch.int64)
    return ((k * 7 + (k * k * 3) // 5 + seed) % vocab).reshape(shape)


def fill_(model, scale=1.0):
    """Overwrite every parameter of ``model`` with fixed values (in ``named_parameters`` order).

    A weight of two or more dimensions gets ``det(...) * scale / sqrt(fan_in)``; a
    one-dimensional ``weight`` (a norm's scale) gets ``1 + 0.1 * det(...)``; any other
    one-dimensional parameter (a bias) gets ``0.1 * det(...)``. Buffers (running statistics,
    masks) keep the values their modules gave them, which do not depend on a generator."""
    torch = _torch()
    with torch.no_grad():
        for i, (name, p) in enumerate(model.named_parameters()):
            values = det(*p.shape, seed=i, dtype=p.dtype)
            if p.dim() >= 2:
                fan_in = math.prod(p.shape[1:])
                p.copy_(values * (scale / math.sqrt(fan_in)))
            elif name.endswith("weight"):
                p.copy_(1.0 + 0.1 * values)
            else:
                p.copy_(0.1 * values)
    return model
