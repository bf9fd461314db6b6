"""``disttrain.compiler``: the parts of ``torch.compiler`` a program calls around its model.

disttrain has no graph compiler: ``compile`` returns the model as it is (see
``disttrain.compile``) and every program runs eagerly. So nothing is ever being compiled or
exported (``is_compiling()`` and the like are False, as in PyTorch outside a compiled
region), a function kept out of compilation (``disable``, ``allow_in_graph``,
``assume_constant_result``) is the function itself, and there is no compiled state to
``reset`` or CUDA graph step to mark.
"""
import functools

__all__ = ["compile", "reset", "allow_in_graph", "assume_constant_result", "disable",
           "cudagraph_mark_step_begin", "is_compiling", "is_dynamo_compiling", "is_exporting"]


def compile(*args, **kwargs):
    """``disttrain.compile``: the model itself, run eagerly."""
    from . import compile as _compile
    return _compile(*args, **kwargs)


def reset():
    """Clear compiled code: there is none."""


def allow_in_graph(fn):
    """``fn`` itself (nothing traces it)."""
    return fn


def assume_constant_result(fn):
    """``fn`` itself (nothing traces it)."""
    return fn


def disable(fn=None, recursive=True, *, reason=None):
    """Keep ``fn`` out of compilation: ``fn`` itself, as everything runs eagerly. Works as
    ``disable(fn)``, ``@disable`` and ``@disable(recursive=False)``."""
    if fn is None:
        return functools.partial(disable, recursive=recursive, reason=reason)
    return fn


def cudagraph_mark_step_begin():
    """Mark a new step for CUDA graph trees: there are no CUDA graphs here."""


def is_compiling():
    """False: nothing is compiled here."""
    return False


def is_dynamo_compiling():
    """False: nothing is traced here."""
    return False


def is_exporting():
    """False: nothing is exported here."""
    return False
