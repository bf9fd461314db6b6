"""``disttrain.signal.windows``: window functions as ``torch.signal.windows`` (symmetric by
default; ``sym=False`` gives the periodic window for spectral analysis)."""

import numpy as np

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _check(M, name):
    if not isinstance(M, int) or M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")


def _make(values, dtype, device, requires_grad):
    import disttrain
    return disttrain.tensor(values, dtype=dtype or disttrain.get_default_dtype(), device=device,
                            requires_grad=requires_grad)


def _window(name, M, sym, fn, dtype, device, requires_grad):
    _check(M, name)
    if M == 0:
        return _make(np.zeros(0), dtype, device, requires_grad)
    if M == 1:
        return _make(np.ones(1), dtype, device, requires_grad)
    n = M if sym else M + 1
    return _make(fn(n)[:M], dtype, device, requires_grad)


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None,
                requires_grad=False):
    """``exp(-|n - center| / tau)``; ``center`` defaults to the middle."""
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")

    def fn(n):
        c = (n - 1) / 2 if center is None else center
        return np.exp(-np.abs(np.arange(n) - c) / tau)
    if not sym and center is not None:
        _check(M, "exponential")
        return _make(np.exp(-np.abs(np.arange(M) - center) / tau), dtype, device,
                     requires_grad)
    return _window("exponential", M, sym, fn, dtype, device, requires_grad)


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """``sin(pi (n + 0.5) / M)``."""
    return _window("cosine", M, sym, lambda n: np.sin(np.pi * (np.arange(n) + 0.5) / n), dtype,
                   device, requires_grad)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``exp(-((n - (M-1)/2) / std)^2 / 2)``."""
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    return _window("gaussian", M, sym, lambda n: np.exp(
        -((np.arange(n) - (n - 1) / 2) / std) ** 2 / 2), dtype, device, requires_grad)


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """``sum_k (-1)^k a_k cos(2 pi k n / (M - 1))``."""
    def fn(n):
        x = 2 * np.pi * np.arange(n) / (n - 1)
        return sum((-1) ** k * c * np.cos(k * x) for k, c in enumerate(a))
    return _window("general_cosine", M, sym, fn, dtype, device, requires_grad)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None,
                    requires_grad=False):
    """``alpha - (1 - alpha) cos(2 pi n / (M - 1))``."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, device=device,
                          requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Hamming window (``general_hamming`` with ``alpha=0.54``)."""
    return general_hamming(M, sym=sym, dtype=dtype, device=device, requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Hann window (``general_hamming`` with ``alpha=0.5``)."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Blackman window."""
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, device=device,
                          requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The minimum 4-term Blackman-Harris window of Nuttall."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, device=device, requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Bartlett (triangular) window."""
    return _window("bartlett", M, sym, lambda n: 1 - np.abs(
        2 * np.arange(n) / (n - 1) - 1), dtype, device, requires_grad)


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None,
           requires_grad=False):
    """The Kaiser window with shape ``beta``."""
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    return _window("kaiser", M, sym, lambda n: np.kaiser(n, beta), dtype, device,
                   requires_grad)


