"""``disttrain.autograd.graph``: the graph's node type and hooks on the tensors nodes save.

``saved_tensors_hooks(pack, unpack)`` applies to every tensor a node saves with
``ctx.save_for_backward`` (as PyTorch's does); built-in ops that keep array data as plain ctx
attributes do not pass it through the hooks.
"""
from ..core import autograd as _core
from ..core.autograd import BackwardNode as Node
from ..core.tensor import Tensor

__all__ = ["Node", "saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks",
           "increment_version"]


class saved_tensors_hooks:
    """Context manager: tensors saved for backward inside it go through ``pack_hook`` when
    saved and ``unpack_hook`` when backward reads them.

    Example::

        >>> with disttrain.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda t: t):
        ...     y = x.exp()
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        if _core.saved_hooks.disabled is not None:
            raise RuntimeError(_core.saved_hooks.disabled)
        _core.saved_hooks.stack.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        _core.saved_hooks.stack.pop()
        return False


class save_on_cpu(saved_tensors_hooks):
    """Keep the tensors saved for backward in host memory and move them back to their device
    when backward needs them (``pin_memory`` pins the host copies; needs a GPU)."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack(t):
            host = t.detach().to("cpu")
            if host is t or host._data is t._data:
                host = host.clone()
            if pin_memory:
                host = host.pin_memory()
            return t.device, host

        def unpack(packed):
            dev, host = packed
            return host.to(dev)

        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Context manager in which opening ``saved_tensors_hooks`` raises ``error_message``."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        self._prev = _core.saved_hooks.disabled
        _core.saved_hooks.disabled = self.error_message
        return self

    def __exit__(self, *exc):
        _core.saved_hooks.disabled = self._prev
        return False


def increment_version(tensor):
    """Bump the version counter of ``tensor`` (or of each tensor in a sequence), as an
    in-place change does, so that saved copies of its old value are detected."""
    for t in (tensor if isinstance(tensor, (list, tuple)) else (tensor,)):
        if isinstance(t, Tensor):
            t._version[0] += 1
