"""disttrain.core: Tensor, autograd, ops, devices, dtypes, random numbers.

The one place where files import each other in a circle (``tools/check_imports.py`` allows it
here and nowhere else): a Tensor and its ops must know each other. ``tensor.py`` defines the
class; ``autograd.py`` (Function, graph nodes) builds Tensors; the ops in ``ops/`` are
Functions; the public wrappers in ``functions/`` call the ops; the method tables
(``methods.py`` and the modules it gathers) bind those wrappers onto Tensor; and a few Tensor
methods and ops call back into wrappers, ``engine.py`` (backward) or ``views.py`` (in-place
writes to views) with an import inside the function, which runs once the modules are loaded.
Outside ``core/`` every import runs one way.
"""
from . import tensor, autograd, functions, methods, creation  # noqa: F401  (binds methods)
