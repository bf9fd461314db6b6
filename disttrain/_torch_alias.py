"""``import torch`` (and ``import torch.nn as nn``, ``from torch.utils.data import ...``)
resolving to disttrain, and ``import torchvision`` to ``disttrain.vision``, for running a
PyTorch program unchanged.

``sys.modules["torch"] = disttrain`` alone is not enough: ``import torch.nn`` would then search
disttrain's ``__path__`` and load ``disttrain/nn`` a second time under the name ``torch.nn``,
a second copy whose ``Tensor`` and ``Module`` are other classes. The finder here resolves
``torch`` and every ``torch.<x>`` to the one, already loaded ``disttrain.<x>`` module.

Used by ``python -m disttrain.as_torch script.py`` and ``launch --as-torch``; a program can
also call :func:`install` itself before its first ``import torch``.
"""
import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["install", "uninstall"]


class _TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolve ``torch`` and ``torch.<x>`` to ``disttrain`` and ``disttrain.<x>``."""

    def __init__(self):
        self._real_specs = {}

    def find_spec(self, name, path=None, target=None):
        real = _real_name(name)
        if real is None:
            return None
        if importlib.util.find_spec(real) is None:
            return None            # ImportError names the torch module, as PyTorch's would
        return importlib.util.spec_from_loader(name, self, is_package=True)

    def create_module(self, spec):
        # the real module, not a new one: ``torch.nn.Module is disttrain.nn.Module``
        module = importlib.import_module(_real_name(spec.name))
        self._real_specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module):
        # the import system stamped the alias's spec on the real module; put its own back
        real_spec = self._real_specs.pop(module.__spec__.name, None)
        if real_spec is not None:
            module.__spec__ = real_spec


# alias prefix -> the disttrain package it stands for
_PREFIXES = (("torchvision", "disttrain.vision"), ("torch", "disttrain"))


def _real_name(name):
    for alias, real in _PREFIXES:
        if name == alias or name.startswith(alias + "."):
            return real + name[len(alias):]
    return None


_FINDER = _TorchAlias()


def install():
    """Make ``import torch`` (and its submodules) resolve to disttrain in this process."""
    import disttrain
    from disttrain.core import _names
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    sys.modules["torch"] = disttrain
    _names.set_prefix("torch")      # print what the program prints on PyTorch


def uninstall():
    """Undo :func:`install`: drop the finder and every ``torch`` alias from ``sys.modules``."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    from disttrain.core import _names
    _names.set_prefix("disttrain")
    for name in [n for n in sys.modules if _real_name(n) is not None]:
        if getattr(sys.modules[name], "__name__", "").startswith("disttrain"):
            del sys.modules[name]
