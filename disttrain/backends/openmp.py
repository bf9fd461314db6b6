"""``disttrain.backends.openmp``: disttrain has no OpenMP loops of its own.

Threads inside BLAS calls are set with ``disttrain.set_num_threads``.
"""
__all__ = ["is_available"]


def is_available():
    """False: disttrain's kernels are numpy calls, not OpenMP loops."""
    return False
