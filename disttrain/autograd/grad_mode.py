"""``disttrain.autograd.grad_mode``: the switches of graph recording."""
from ..core.grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,
                              is_grad_enabled, is_inference_mode_enabled)

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "set_multithreading_enabled"]


class set_multithreading_enabled:
    """Context manager (or call) for multithreaded backward. disttrain always runs backward
    on the calling thread, so only ``False`` can be honoured; ``True`` raises."""

    def __init__(self, mode):
        if mode:
            raise RuntimeError("disttrain runs backward on the calling thread; multithreaded "
                               "backward is not supported")
        self.mode = False

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def is_multithreading_enabled():
    """Whether backward may run on several threads: never in disttrain."""
    return False
