"""``disttrain.jit``: TorchScript's entry points, for programs that use them in passing.

disttrain has no TorchScript compiler. ``script`` and ``trace`` return the module or function
unchanged, which computes exactly what the scripted or traced one would; the annotations
(``ignore``, ``unused``, ``export``, ``Final``, ``Attribute``, ``annotate``) keep their
meaning for eager code. Saving and loading TorchScript archives is not supported and raises.
"""
import typing

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting",
           "is_tracing", "Final", "Attribute", "annotate", "ScriptModule", "ScriptFunction",
           "save", "load", "freeze", "optimize_for_inference"]

Final = typing.Final


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a module, function or class) unchanged: it runs eagerly."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-5, strict=True, example_kwarg_inputs=None, **kwargs):
    """Return ``func`` (a module or function) unchanged: called on any input it computes what
    a trace recorded on ``example_inputs`` would, without the trace's fixed control flow."""
    return func


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None,
                 check_tolerance=1e-5, strict=True, **kwargs):
    """Return ``mod`` unchanged (see :func:`trace`)."""
    return mod


def ignore(drop=False, **kwargs):
    """Mark a function to be left to Python by the compiler: here everything runs in Python,
    so the function is returned unchanged. Works with and without arguments."""
    if callable(drop):
        return drop

    def decorator(fn):
        return fn
    return decorator


def unused(fn):
    """Mark a method the compiler should skip: returned unchanged."""
    return fn


def export(fn):
    """Mark a method to compile besides ``forward``: returned unchanged."""
    return fn


def is_scripting():
    """False: code never runs under the TorchScript compiler here."""
    return False


def is_tracing():
    """False: code never runs under the TorchScript tracer here."""
    return False


def Attribute(value, type):
    """``Attribute(value, type)``: a typed module attribute; eager code sees ``value``, as in
    PyTorch."""
    return value


def annotate(the_type, the_value):
    """Give ``the_value`` a type for the compiler: returns ``the_value``."""
    return the_value


class ScriptModule:
    """The type of a scripted module. Nothing is scripted here, so no module is one."""


class ScriptFunction:
    """The type of a scripted function. Nothing is scripted here, so no function is one."""


def _no_archives(what):
    raise NotImplementedError(
        f"disttrain.jit.{what}: TorchScript archives are not supported (disttrain has no "
        f"TorchScript compiler). Save the model's state_dict with disttrain.save instead.")


def save(m, f, _extra_files=None):
    """Not supported: raises NotImplementedError (use ``disttrain.save(model.state_dict())``).
    """
    _no_archives("save")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Not supported: raises NotImplementedError (use ``disttrain.load``)."""
    _no_archives("load")


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """Return ``mod`` unchanged: there is no scripted graph to freeze."""
    return mod


def optimize_for_inference(mod, other_methods=None):
    """Return ``mod`` unchanged: there is no scripted graph to optimise."""
    return mod
