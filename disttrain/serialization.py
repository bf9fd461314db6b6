"""``torch.serialization``: ``save``/``load`` and the allow-list of the weights-only loader.

``load`` reads disttrain's own files, PyTorch's ``torch.save`` files, ``.safetensors`` and
``.npz`` without running code: a PyTorch file's pickle may name only the globals PyTorch's
``weights_only=True`` loader allows, plus those added here.
"""
import contextlib

from .core import _torchpickle
from .core._weightfiles import load_safetensors, save_npz, save_safetensors
from .core.serialization import load, save

__all__ = ["save", "load", "add_safe_globals", "safe_globals", "get_safe_globals",
           "clear_safe_globals", "get_unsafe_globals_in_checkpoint", "save_safetensors",
           "load_safetensors", "save_npz", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2


def _entry(g):
    """``(name, object)`` of an allow-list entry: an object, or ``(object, "module.name")``
    for an object pickled under another name."""
    if isinstance(g, tuple):
        if len(g) != 2 or not isinstance(g[1], str):
            raise ValueError(f"Expected tuple of length 2 (global, str of callable full "
                             f"path), but got {g!r}")
        return g[1], g[0]
    module, name = getattr(g, "__module__", None), getattr(g, "__qualname__", None)
    if module is None or name is None:
        raise TypeError(f"add_safe_globals: {g!r} is not a class or function")
    return f"{module}.{name}", g


def add_safe_globals(safe_globals):
    """Allow these globals (classes, functions) in files loaded with ``weights_only=True``.

    Only add what you trust: an allowed class is constructed while loading.

    Args:
        safe_globals (list): objects, or ``(object, "module.qualname")`` tuples.

    Example::

        >>> disttrain.serialization.add_safe_globals([MyConfig])
    """
    for g in safe_globals:
        name, obj = _entry(g)
        _torchpickle.safe_globals_registry[name] = obj


def get_safe_globals():
    """The globals added with ``add_safe_globals``."""
    return list(_torchpickle.safe_globals_registry.values())


def clear_safe_globals():
    """Forget every global added with ``add_safe_globals``."""
    _torchpickle.safe_globals_registry.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Context manager that allows ``safe_globals`` for the loads inside its block.

    Example::

        >>> with disttrain.serialization.safe_globals([MyConfig]):
        ...     ckpt = disttrain.load("ckpt.pt")
    """
    before = dict(_torchpickle.safe_globals_registry)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _torchpickle.safe_globals_registry.clear()
        _torchpickle.safe_globals_registry.update(before)


def get_unsafe_globals_in_checkpoint(f):
    """The globals a PyTorch-format file names that the weights-only loader would refuse,
    as ``"module.name"`` strings (the file's pickle is scanned, not run)."""
    import pickletools
    import zipfile
    from .core._torchzip import is_torch_zip
    with zipfile.ZipFile(f) as z:
        names = z.namelist()
        if not is_torch_zip(names):
            raise ValueError(f"{f}: not a torch.save file")
        pkl = next(n for n in names if n == "data.pkl" or n.endswith("/data.pkl"))
        data = z.read(pkl)
    probe = _torchpickle.RestrictedUnpickler(b"", None, None)
    found = []
    for op, arg, _ in pickletools.genops(data):
        if op.name == "GLOBAL":
            module, name = arg.split(" ", 1)
            module = {"__builtin__": "builtins"}.get(module, module)
            full = f"{module}.{name}"
            if (probe._allowed(full) is None and full not in
                    _torchpickle.safe_globals_registry and full not in found):
                found.append(full)
    return found
