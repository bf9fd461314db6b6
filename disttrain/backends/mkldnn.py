"""``disttrain.backends.mkldnn``: disttrain does not use oneDNN (MKL-DNN).

``enabled`` (default True) is kept for programs that set it and has no effect here.
"""
import contextlib

__all__ = ["is_available", "enabled", "flags"]

enabled = True
deterministic = False


def is_available():
    """False: disttrain's CPU kernels are numpy's, not oneDNN's."""
    return False


@contextlib.contextmanager
def flags(enabled=False, deterministic=False):
    """Set the (ineffective) oneDNN flags inside a ``with`` block."""
    g = globals()
    old = (g["enabled"], g["deterministic"])
    g["enabled"], g["deterministic"] = enabled, deterministic
    try:
        yield
    finally:
        g["enabled"], g["deterministic"] = old
