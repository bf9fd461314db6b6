"""``stft`` and ``istft``: short-time Fourier transforms as PyTorch computes them, built from
framing (``unfold``), the window product, the FFT ops and an overlap-add (``index_add``), so
their gradients come from those ops' own.

``stft``: the signal (padded by ``n_fft // 2`` on both sides when ``center``) is cut into
frames of ``n_fft`` every ``hop_length`` samples, each multiplied by the window (centred in
``n_fft`` when shorter) and transformed; the result is (``n_fft // 2 + 1`` frequencies when
onesided, else ``n_fft``) x frames. ``istft`` inverts it: inverse transforms, the window again,
overlap-add, divided by the overlap-added squared window (which must not vanish where the
signal is kept: the NOLA condition), trimmed to ``length``.
"""
import warnings

import numpy as np

from ..device import array_module
from ..ops import fft_ops as _F
from ..ops.complex_ops import Real as _Real
from ..tensor import Tensor
from . import shaping as _S
from .complex_fns import view_as_real as _view_as_real

__all__ = ["stft", "istft"]

_warned = set()


def _warn_once(key, message):
    # PyTorch gives these once per process (TORCH_WARN_ONCE)
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, UserWarning, stacklevel=3)


def _sizes(name, n_fft, hop_length, win_length, window):
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    win = n_fft if win_length is None else int(win_length)
    if hop <= 0:
        raise RuntimeError(f"{name}(): expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise RuntimeError(f"{name}(): expected 0 < win_length <= n_fft, but got "
                           f"win_length={win}")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        raise RuntimeError(f"{name}(): expected a 1D window tensor of size equal to "
                           f"win_length={win}, but got window with size "
                           f"{list(window.shape)}")
    return hop, win


def _full_window(window, win, n_fft, like):
    """The window centred in ``n_fft`` samples (ones of ``win`` when not given)."""
    if window is None:
        real = like.real if like.is_complex() else like
        window = real.new_ones(win)
    left = (n_fft - win) // 2
    if left or win < n_fft:
        window = _S.cat([window.new_zeros(left), window, window.new_zeros(n_fft - win - left)])
    return window


def _indices(idx, like):
    """An int64 index tensor on ``like``'s device (numpy or cupy)."""
    return Tensor._make(array_module(like._data).asarray(idx.astype(np.int64)))


def _pad(x, pad, mode):
    """``x`` (B, L) padded by ``pad`` on both sides of its last dim: 'constant' (zeros),
    'reflect' (mirrored without the edge sample), 'replicate' or 'circular'."""
    length = x.shape[-1]
    if mode == "constant":
        zeros = x.new_zeros(x.shape[0], pad)
        return _S.cat([zeros, x, zeros], -1)
    if mode == "reflect":
        if pad >= length:
            raise RuntimeError(f"stft(): padding size {pad} should be less than the signal "
                               f"length {length} for pad_mode='reflect' (center=True pads by "
                               f"n_fft // 2)")
        idx = np.abs(np.arange(-pad, length + pad))
        idx = np.where(idx >= length, 2 * (length - 1) - idx, idx)
    elif mode == "replicate":
        idx = np.clip(np.arange(-pad, length + pad), 0, length - 1)
    elif mode == "circular":
        if pad > length:
            raise RuntimeError(f"stft(): padding size {pad} should be at most the signal length "
                               f"{length} for pad_mode='circular'")
        idx = np.arange(-pad, length + pad) % length
    else:
        raise ValueError(f"stft(): pad_mode must be 'constant', 'reflect', 'replicate' or "
                         f"'circular', but got '{mode}'")
    return x[:, _indices(idx, x)]


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
         align_to_window=None):
    """The short-time Fourier transform of a 1-D signal or a (batch, length) batch of them.

    Args:
        n_fft (int): the frame (and FFT) size.
        hop_length (int, optional): samples between frames. Default: ``n_fft // 4``
        win_length (int, optional): the window's size, at most ``n_fft``. Default: ``n_fft``
        window (Tensor, optional): 1-D, ``win_length`` long. Default: ones (with a warning)
        center (bool): pad ``n_fft // 2`` on both sides so frame t is centred on sample
            ``t * hop_length``. Default: True
        pad_mode (str): how ``center`` pads. Default: ``'reflect'``
        normalized (bool): scale by ``n_fft ** -0.5``. Default: False
        onesided (bool, optional): keep the ``n_fft // 2 + 1`` non-negative frequencies;
            default True for a real signal and window.
        return_complex (bool): required for real inputs; False returns the real view with a
            last dim of 2 (deprecated in PyTorch, with its warning).

    Returns:
        Tensor: (batch,) frequencies x frames.
    """
    complex_in = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_in:
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in "
                               "a future PyTorch release.")
        return_complex = True
    if not return_complex:
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch "
                      "release, stft will return complex tensors for all inputs, and "
                      "return_complex=False will raise an error.\nNote: you can still call "
                      "torch.view_as_real on the complex output to recover the old return "
                      "format.", UserWarning, stacklevel=2)
    if align_to_window:
        raise RuntimeError("stft(): align_to_window=True is not supported; frames start at "
                           "multiples of hop_length (align_to_window=False)")
    if input.dim() not in (1, 2):
        raise RuntimeError(f"stft(): expected a 1D or 2D tensor, but got a "
                           f"{input.dim()}D tensor")
    hop, win = _sizes("stft", n_fft, hop_length, win_length, window)
    if window is None:
        _warn_once("stft", "A window was not provided. A rectangular window will be applied,"
                           "which is known to cause spectral leakage. Other windows such as "
                           "torch.hann_window or torch.hamming_window are recommended to "
                           "reduce spectral leakage.To suppress this warning and use a "
                           "rectangular window, explicitly set `window=torch.ones(n_fft, "
                           "device=<device>)`.")
    x = input if input.dim() == 2 else input.unsqueeze(0)
    if center:
        x = _pad(x, n_fft // 2, pad_mode)
    length = x.shape[-1]
    if not 0 < n_fft <= length:
        raise RuntimeError(f"stft(): expected 0 < n_fft <= {length} (the padded signal "
                           f"length), but got n_fft={n_fft}")
    if onesided is None:
        onesided = not complex_in
    elif onesided and complex_in:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    frames = x.unfold(-1, n_fft, hop) * _full_window(window, win, n_fft, x)
    norm = "ortho" if normalized else "backward"
    spec = _F.R2C.apply(frames, 2, norm) if onesided else _F.C2C.apply(frames, 2, norm, True)
    spec = spec.transpose(1, 2)
    if input.dim() == 1:
        spec = spec.squeeze(0)
    return spec if return_complex else _view_as_real(spec)


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    """The inverse of :func:`stft` (given its window and settings): the signal from its
    (batch,) frequencies x frames.

    Args:
        n_fft, hop_length, win_length, window, center, normalized: as given to ``stft``.
        onesided (bool, optional): whether the input holds ``n_fft // 2 + 1`` frequencies;
            default: whether that is its size.
        length (int, optional): the signal's length (trimmed, or zero-padded with a
            warning). Default: everything the frames cover, less the ``center`` padding
        return_complex (bool): return a complex signal (needs ``onesided=False``).

    Raises RuntimeError where the overlap-added squared window vanishes inside the result
    (the signal cannot be recovered there).
    """
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")
    if input.dim() not in (2, 3):
        raise RuntimeError(f"istft(): expected a tensor with 2 or 3 dimensions of complex "
                           f"values, but got a {input.dim()}D tensor")
    hop, win = _sizes("istft", n_fft, hop_length, win_length, window)
    if window is None:
        _warn_once("istft", "A window was not provided. A rectangular window will be applied."
                            "Please provide the same window used by stft to make the inversion "
                            "lossless.To suppress this warning and use a rectangular window, "
                            "explicitly set `window=torch.ones(n_fft, device=<device>)`.")
    spec = input if input.dim() == 3 else input.unsqueeze(0)
    n_freq, n_frames = spec.shape[1], spec.shape[2]
    if onesided is None:
        onesided = n_freq != n_fft
    if onesided:
        if n_freq != n_fft // 2 + 1:
            raise RuntimeError(f"istft expected the frequency dimension (3rd to the last) of "
                               f"the input tensor to match n_fft / 2 + 1 when onesided=True, "
                               f"but got {n_freq}")
        if return_complex:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
    elif n_freq != n_fft:
        raise RuntimeError(f"istft expected the frequency dimension (3rd to the last) of the "
                           f"input tensor to match n_fft when onesided=False, but got {n_freq}")
    norm = "ortho" if normalized else "backward"
    frames = spec.transpose(1, 2)                               # (B, frames, freq)
    if onesided:
        frames = _F.C2R.apply(frames, 2, norm, n_fft)
    else:
        frames = _F.C2C.apply(frames, 2, norm, False)
        if not return_complex:
            frames = _Real.apply(frames)
    w = _full_window(window, win, n_fft, frames)
    frames = frames * w
    total = n_fft + hop * (n_frames - 1)
    index = (np.arange(n_frames)[:, None] * hop + np.arange(n_fft)).reshape(-1)
    index_t = _indices(index, frames)
    batch = frames.shape[0]
    signal = frames.new_zeros(batch, total).index_add(1, index_t, frames.reshape(batch, -1))
    w2 = (w * w).detach()
    envelope = w2.new_zeros(total).index_add(0, index_t, w2.expand(n_frames, n_fft).reshape(-1))
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = total - n_fft // 2 if center else total
    kept = slice(start, min(end, total))
    signal, envelope = signal[:, kept], envelope[kept]
    lowest = float(envelope.abs().min()) if envelope.numel() else 1.0
    if lowest < 1e-11:
        raise RuntimeError(f"istft(): window overlap add min: {lowest:.3g}: the squared window "
                           f"summed over overlapping frames vanishes inside the signal "
                           f"(nonzero overlap-add condition), so it cannot be recovered there")
    signal = signal / envelope
    if length is not None and end > total:
        warnings.warn("The length of signal is shorter than the length parameter. Result is "
                      "being padded with zeros in the tail. Please check your center and "
                      "hop_length settings.", UserWarning, stacklevel=2)
        signal = _S.cat([signal, signal.new_zeros(batch, end - total)], 1)
    return signal.squeeze(0) if input.dim() == 2 else signal
