"""The name printed forms begin with: ``disttrain.float32``, ``disttrain.Size([3])``.

While the torch alias is installed (a program run by ``python -m disttrain.as_torch`` or
``launch --as-torch``, see ``disttrain._torch_alias``) it is ``torch``, so the program
prints what it prints on PyTorch: ``torch.Size([3])``, ``dtype=torch.float64``.
"""

__all__ = ["prefix", "qualified", "set_prefix"]

prefix = "disttrain"


def qualified(name):
    """``name`` as printed: ``disttrain.<name>`` (``torch.<name>`` under the alias)."""
    return f"{prefix}.{name}"


def set_prefix(value):
    global prefix
    prefix = value
