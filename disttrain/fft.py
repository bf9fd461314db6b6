"""disttrain.fft: ``torch.fft``'s discrete Fourier transforms, differentiable, with ``n``/``s``
(zero-pad or trim), ``dim`` and ``norm`` (``"backward"``, ``"ortho"``, ``"forward"``).

Example::

    >>> import disttrain as torch
    >>> torch.fft.rfft(torch.tensor([1., 2., 3., 4.]))
    tensor([10.+0.j, -2.+2.j, -2.+0.j])
"""
from .core import dtype as _dt
from .core.ops import fft_ops as _F
from .core.ops.complex_ops import Conj as _Conj
from .core.functions import cat as _cat, roll as _roll
from .core.functions._common import write_out as _write_out

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]


def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in ("backward", "ortho", "forward"):
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _swap(norm):
    return _F.ADJOINT_NORM[_norm(norm)]


def _dim(x, dim):
    nd = x.dim()
    if not -nd <= dim < nd or nd == 0:
        lo, hi = (-nd, nd - 1) if nd else (-1, 0)
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                         f"but got {dim})")
    return dim % nd


def _resize(x, n, dim):
    """``x`` trimmed or zero-padded to ``n`` along ``dim`` (differentiably)."""
    if n is None or n == x.shape[dim]:
        return x
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    if n < x.shape[dim]:
        return x.narrow(dim, 0, n)
    shape = list(x.shape)
    shape[dim] = n - x.shape[dim]
    return _cat([x, x.new_zeros(shape)], dim)


def _as_complex(x):
    if x._data.dtype.kind == "c":
        return x
    if x._data.dtype.kind in "biu":
        x = x.to(_dt.get_default_dtype())
    return x.to(x.dtype.to_complex())


def _c2c(x, n, dim, norm, forward):
    d = _dim(x, dim)
    return _F.C2C.apply(_resize(x, n, d), d, _norm(norm), forward)


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """The one-dimensional discrete Fourier transform along ``dim``.

    Args:
        n (int, optional): the signal length: ``input`` is zero-padded or trimmed to it.
        dim (int): the dimension to transform. Default: -1.
        norm (str, optional): ``"backward"`` (default: no scaling forward, 1/n inverse),
            ``"ortho"`` (1/√n both ways) or ``"forward"`` (1/n forward).
    """
    return _write_out(_c2c(input, n, dim, norm, True), out, "fft_fft")


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of ``fft`` along ``dim``."""
    return _write_out(_c2c(input, n, dim, norm, False), out, "fft_ifft")


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The FFT of a real signal: its n//2 + 1 non-negative frequencies."""
    d = _dim(input, dim)
    return _write_out(_F.R2C.apply(_resize(input, n, d), d, _norm(norm)), out, "fft_rfft")


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of ``rfft``: ``n`` real points (default 2·(m - 1) for m frequencies)."""
    d = _dim(input, dim)
    n = 2 * (input.shape[d] - 1) if n is None else n
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    x = _resize(_as_complex(input), n // 2 + 1, d)
    return _write_out(_F.C2R.apply(x, d, _norm(norm), n), out, "fft_irfft")


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The FFT of a Hermitian-symmetric signal given by its first half: ``n`` real values."""
    return irfft(_Conj.apply(_as_complex(input)), n, dim, _swap(norm), out=out)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of ``hfft``: the n//2 + 1 values of a real signal's inverse FFT."""
    return _write_out(_Conj.apply(rfft(input, n, dim, _swap(norm))), out, "fft_ihfft")


def _dims_sizes(x, s, dim, default_all):
    """PyTorch's (s, dim) pairing for the n-dimensional transforms."""
    if dim is None:
        dims = list(range(x.dim() - len(s), x.dim())) if s is not None else \
            (list(range(x.dim())) if default_all else [x.dim() - 2, x.dim() - 1])
    else:
        dims = [dim] if isinstance(dim, int) else list(dim)
        dims = [_dim(x, d) for d in dims]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = list(s)
        if len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    else:
        s = [None] * len(dims)
    return dims, s


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-dimensional FFT over ``dim`` (all dims by default), sizes ``s``."""
    dims, s = _dims_sizes(input, s, dim, True)
    x = input
    for d, n in zip(dims, s):
        x = _c2c(x, n, d, norm, True)
    return _write_out(x, out, "fft_fftn")


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of ``fftn``."""
    dims, s = _dims_sizes(input, s, dim, True)
    x = input
    for d, n in zip(dims, s):
        x = _c2c(x, n, d, norm, False)
    return _write_out(x, out, "fft_ifftn")


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The two-dimensional FFT over the last two dims."""
    return fftn(input, s, dim, norm, out=out)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The inverse of ``fft2``."""
    return ifftn(input, s, dim, norm, out=out)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-dimensional FFT of a real signal: one-sided along the last of ``dim``."""
    dims, s = _dims_sizes(input, s, dim, True)
    x = rfft(input, s[-1], dims[-1], norm)
    for d, n in zip(dims[:-1], s[:-1]):
        x = _c2c(x, n, d, norm, True)
    return _write_out(x, out, "fft_rfftn")


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of ``rfftn``: real output, ``s[-1]`` (default 2·(m - 1)) points along
    the last of ``dim``."""
    dims, s = _dims_sizes(input, s, dim, True)
    x = _as_complex(input)
    for d, n in zip(dims[:-1], s[:-1]):
        x = _c2c(x, n, d, norm, False)
    return _write_out(irfft(x, s[-1], dims[-1], norm), out, "fft_irfftn")


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return rfftn(input, s, dim, norm, out=out)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return irfftn(input, s, dim, norm, out=out)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-dimensional FFT of a Hermitian-symmetric signal given by its first half along
    the last of ``dim``: real output (``irfftn`` of the conjugate, the scaling swapped)."""
    return _write_out(irfftn(_Conj.apply(_as_complex(input)), s, dim, _swap(norm)), out,
                      "fft_hfftn")


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of ``hfftn``: one-sided along the last of ``dim``."""
    return _write_out(_Conj.apply(rfftn(input, s, dim, _swap(norm))), out, "fft_ihfftn")


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return hfftn(input, s, dim, norm, out=out)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return ihfftn(input, s, dim, norm, out=out)


def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an ``n``-point FFT with spacing ``d``:
    [0, 1, ..., n//2 - 1 (or (n-1)//2), -n//2, ..., -1] / (d·n)."""
    from .core.creation import arange
    from .core.functions import where
    dt = _dt.to_dtype(dtype) or _dt.get_default_dtype()
    k = arange(n, device=device).to(dt)
    k = where(k >= (n + 1) // 2, k - n, k)
    out = k / (d * n)
    return out.requires_grad_(requires_grad) if requires_grad else out


def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The non-negative sample frequencies of an ``n``-point ``rfft``: [0, ..., n//2]/(d·n)."""
    from .core.creation import arange
    dt = _dt.to_dtype(dtype) or _dt.get_default_dtype()
    out = arange(n // 2 + 1, device=device).to(dt) / (d * n)
    return out.requires_grad_(requires_grad) if requires_grad else out


def _shift_dims(x, dim):
    if dim is None:
        return list(range(x.dim()))
    return [dim] if isinstance(dim, int) else list(dim)


def fftshift(input, dim=None):
    """Move the zero frequency to the centre (roll by n//2 along each of ``dim``)."""
    dims = _shift_dims(input, dim)
    return _roll(input, [input.shape[d] // 2 for d in dims], dims)


def ifftshift(input, dim=None):
    """The inverse of ``fftshift`` (roll by -(n//2))."""
    dims = _shift_dims(input, dim)
    return _roll(input, [-(input.shape[d] // 2) for d in dims], dims)

