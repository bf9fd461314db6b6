"""Choosing the kernel of ``scaled_dot_product_attention``: ``SDPBackend`` and ``sdpa_kernel``.

There is one implementation, a fused single-node kernel computing exactly the reference
(math) formula on any device. It serves the MATH, FLASH_ATTENTION and EFFICIENT_ATTENTION
backends; restricting the choice to backends it does not serve (CUDNN_ATTENTION,
OVERRIDEABLE) makes attention raise, as PyTorch does when no enabled kernel applies.
"""
import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.IntEnum):
    """The kernels PyTorch can run scaled_dot_product_attention with."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


_SERVED = frozenset({SDPBackend.MATH, SDPBackend.FLASH_ATTENTION,
                     SDPBackend.EFFICIENT_ATTENTION})
_enabled = set(SDPBackend) - {SDPBackend.ERROR}


def _check_backend():
    """Raise PyTorch's error when every enabled backend is one this kernel does not serve."""
    if not _enabled & _SERVED:
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This "
                           "is likely due to turning off both the math kernel and the fused "
                           "kernels.")


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Within the block, enable only ``backends`` (one or a list) for attention.

    Example::

        >>> from disttrain.nn.attention import SDPBackend, sdpa_kernel
        >>> with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        ...     out = F.scaled_dot_product_attention(q, k, v)
    """
    if isinstance(backends, SDPBackend):
        backends = [backends]
    backends = list(backends)
    for b in backends:
        if not isinstance(b, SDPBackend):
            raise TypeError("Backend must be an instance of SDPBackend")
    global _enabled
    previous = _enabled
    _enabled = set(backends)
    try:
        yield {}
    finally:
        _enabled = previous
