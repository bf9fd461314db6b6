"""``disttrain.backends.cudnn``: disttrain does not use cuDNN.

``is_available()`` is False and ``version()`` None. The flags below are kept for programs that
set them; none has an effect here:

* ``enabled`` (default True): there is no cuDNN to enable.
* ``benchmark`` (default False): convolutions have one algorithm; nothing to choose.
* ``deterministic`` (default False): see ``disttrain.use_deterministic_algorithms``.
* ``allow_tf32`` (default True): convolutions run in full float32.
* ``benchmark_limit`` (default 10).
"""
import contextlib

__all__ = ["is_available", "version", "is_acceptable", "flags", "enabled", "benchmark",
           "deterministic", "allow_tf32", "benchmark_limit"]

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available():
    """False: disttrain does not use cuDNN."""
    return False


def version():
    """None: disttrain does not use cuDNN."""
    return None


def is_acceptable(tensor):
    """False: no tensor is computed with cuDNN here."""
    return False


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True):
    """Set the (ineffective, see the module) cuDNN flags inside a ``with`` block."""
    g = globals()
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    old = {k: g[k] for k in names}
    g.update(zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)))
    try:
        yield
    finally:
        g.update(old)
