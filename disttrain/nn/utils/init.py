"""skip_init: build a module without running its parameter initialisation."""

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with its parameters left uninitialised (allocated
    but not filled), for when they are about to be overwritten anyway."""
    from ..modules.module import Module
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in module_cls.__init__.__code__.co_varnames:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    from .. import init as _init
    saved = {}
    # the in-place initialisers become no-ops while the module is built
    for name in dir(_init):
        fn = getattr(_init, name)
        if name.endswith("_") and not name.startswith("_") and callable(fn):
            saved[name] = fn
            setattr(_init, name, lambda tensor, *a, **k: tensor)
    try:
        return module_cls(*args, **kwargs)
    finally:
        for name, fn in saved.items():
            setattr(_init, name, fn)
