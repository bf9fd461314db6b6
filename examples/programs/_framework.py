"""Pick the framework the example programs run on, and give them deterministic numbers.

Each program starts with ``import _framework`` and then imports ``torch`` the way any PyTorch
program does (``import torch``, ``import torch.nn as nn``, ``from torch.utils.data import
DataLoader``). With ``EXAMPLE_FRAMEWORK=torch`` in the environment those imports get PyTorch;
otherwise they get disttrain.

Why this is more than ``sys.modules.setdefault("torch", disttrain)``: with only that alias,
``import torch.nn`` finds ``torch`` in ``sys.modules`` and then searches its ``__path__``,
which loads ``disttrain/nn`` a second time under the name ``torch.nn`` -- a second copy of the
whole package, whose ``Tensor`` and ``Module`` are different classes from disttrain's. So the
alias here is an import finder: ``torch`` and every ``torch.<x>`` resolve to the one, already
loaded ``disttrain`` and ``disttrain.<x>`` modules.

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


class _TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolve ``torch`` and ``torch.<x>`` to ``disttrain`` and ``disttrain.<x>``."""

    def __init__(self):
        self._real_specs = {}

    def find_spec(self, name, path=None, target=None):
        if name != "torch" and not name.startswith("torch."):
            return None
        real = "disttrain" + name[len("torch"):]
        if importlib.util.find_spec(real) is None:
            return None            # ImportError names the torch module, as PyTorch's would
        return importlib.util.spec_from_loader(name, self, is_package=True)

    def create_module(self, spec):
        # the real module, not a new one: ``torch.nn.Module is disttrain.nn.Module``
        module = importlib.import_module("disttrain" + spec.name[len("torch"):])
        self._real_specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module):
        # the import system stamped the alias's spec on the real module; put its own back
        real_spec = self._real_specs.pop(module.__spec__.name, None)
        if real_spec is not None:
            module.__spec__ = real_spec


_FINDER = _TorchAlias()


def install():
    """Make ``import torch`` (and its submodules) resolve to disttrain in this process."""
    if FRAMEWORK == "torch":
        return
    import disttrain
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    sys.modules.setdefault("torch", disttrain)


def uninstall():
    """Undo :func:`install`: drop the finder and every ``torch`` alias from ``sys.modules``."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
        if getattr(sys.modules[name], "__name__", "").startswith("disttrain"):
            del sys.modules[name]


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
