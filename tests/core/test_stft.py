"""``stft``/``istft``: PyTorch 2.13's values (``stft_data.py``) over its options, exact
round trips, finite-difference gradients (padding edges included), and its errors."""
import warnings

import numpy as np
import pytest

import disttrain as T
from disttrain.autograd import gradcheck

from .stft_data import REF


def cases():
    d = T.float64
    x = (T.arange(40, dtype=d) * 0.37).sin() + (T.arange(40, dtype=d) * 1.3).cos() * 0.5
    xb = T.stack([x, x.flip(0) * 2])
    hw = T.hann_window(8, dtype=d)
    res = {}
    res["basic"] = T.stft(x, 8, return_complex=True, window=T.ones(8, dtype=d))
    res["hann_hop2"] = T.stft(x, 8, hop_length=2, window=hw, return_complex=True)
    res["win6"] = T.stft(xb, 8, hop_length=3, win_length=6, window=T.hann_window(6, dtype=d), return_complex=True)
    res["nocenter"] = T.stft(x, 8, hop_length=3, window=hw, center=False, return_complex=True)
    res["constpad_norm"] = T.stft(x, 8, window=hw, pad_mode="constant", normalized=True, return_complex=True)
    res["replicate"] = T.stft(x, 8, window=hw, pad_mode="replicate", return_complex=True)
    res["circular"] = T.stft(x, 8, window=hw, pad_mode="circular", return_complex=True)
    res["twosided"] = T.stft(x, 8, window=hw, onesided=False, return_complex=True)
    res["complex_in"] = T.stft(x.to(T.complex128) * (1 + 0.5j), 8, window=hw, return_complex=True)
    res["real_view"] = T.stft(x, 8, window=hw, return_complex=False)
    X = T.stft(xb, 16, hop_length=4, window=T.hann_window(16, dtype=d), return_complex=True)
    res["istft"] = T.istft(X, 16, hop_length=4, window=T.hann_window(16, dtype=d))
    res["istft_len"] = T.istft(X, 16, hop_length=4, window=T.hann_window(16, dtype=d), length=37)
    res["istft_pad"] = T.istft(X, 16, hop_length=4, window=T.hann_window(16, dtype=d), length=45)
    Xn = T.stft(x, 8, hop_length=2, window=hw, return_complex=True, normalized=True)
    res["istft_norm"] = T.istft(Xn, 8, hop_length=2, window=hw, normalized=True)
    Xf = T.stft(x, 8, hop_length=2, window=hw, return_complex=True, onesided=False)
    res["istft_twosided"] = T.istft(Xf, 8, hop_length=2, window=hw, onesided=False)
    res["istft_twosided_c"] = T.istft(Xf, 8, hop_length=2, window=hw, onesided=False, return_complex=True)
    Xr = T.stft(x, 8, hop_length=4, window=T.ones(8, dtype=d), return_complex=True, center=False)
    res["istft_nocenter"] = T.istft(Xr, 8, hop_length=4, window=T.ones(8, dtype=d), center=False)
    res["istft_random"] = T.istft(X * (1 + 0.3j), 16, hop_length=4, window=T.hann_window(16, dtype=d))
    return res


@pytest.fixture(scope="module")
def results():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # return_complex=False and length > signal warn
        return cases()


@pytest.mark.parametrize("name", sorted(REF))
def test_values_match_pytorch(results, name):
    shape, dtype, values = REF[name]
    got = results[name]
    assert tuple(got.shape) == shape and str(got.dtype).split(".")[1] == dtype
    flat = (T.view_as_real(got) if got.is_complex() else got).reshape(-1).numpy()
    np.testing.assert_allclose(flat, values, rtol=1e-10, atol=1e-12)


def test_round_trip_and_methods():
    x = T.randn(3, 50, dtype=T.float64)
    w = T.hann_window(16, dtype=T.float64)
    spec = x.stft(16, 4, window=w, return_complex=True)
    assert spec.shape == (3, 9, 13)
    np.testing.assert_allclose(spec.istft(16, 4, window=w, length=50).numpy(), x.numpy(),
                               atol=1e-12)


def test_gradients_by_finite_differences():
    x = T.randn(2, 21, dtype=T.float64, requires_grad=True)
    w = T.hann_window(8, dtype=T.float64, requires_grad=True)
    for mode in ("reflect", "constant", "replicate", "circular"):
        assert gradcheck(lambda a, b: T.view_as_real(T.stft(
            a, 8, 3, window=b, pad_mode=mode, return_complex=True)), (x, w))
    spec = T.stft(x.detach(), 8, 2, window=w.detach(), return_complex=True)
    spec = spec.detach().contiguous().requires_grad_()
    assert gradcheck(lambda s: T.istft(s, 8, 2, window=w.detach(), length=21), (spec,))
    zeros = T.zeros(12, dtype=T.float64, requires_grad=True)
    assert gradcheck(lambda a: T.view_as_real(T.stft(a, 4, 1, window=T.ones(
        4, dtype=T.float64), return_complex=True)), (zeros,))


def test_errors_say_what_is_wrong():
    x = T.arange(40, dtype=T.float64)
    hw = T.hann_window(8, dtype=T.float64)
    with pytest.raises(RuntimeError, match="^stft requires the return_complex parameter be "
                                           "given for real inputs"):
        T.stft(x, 8)
    with pytest.raises(RuntimeError, match="expected a 1D or 2D tensor"):
        T.stft(x.reshape(2, 2, 10), 4, window=T.ones(4, dtype=T.float64), return_complex=True)
    with pytest.raises(RuntimeError, match="expected hop_length > 0, but got hop_length=0"):
        T.stft(x, 8, hop_length=0, window=hw, return_complex=True)
    with pytest.raises(RuntimeError, match="expected a 1D window tensor of size equal to "
                                           r"win_length=8, but got window with size \[6\]"):
        T.stft(x, 8, window=T.ones(6, dtype=T.float64), return_complex=True)
    with pytest.raises(RuntimeError, match="expected 0 < win_length <= n_fft"):
        T.stft(x, 8, win_length=10, return_complex=True)
    with pytest.raises(RuntimeError, match="window overlap add min"):
        T.istft(T.stft(x, 8, 2, window=hw, center=False, return_complex=True), 8, 2, window=hw,
                center=False)
    with pytest.raises(RuntimeError, match="^istft requires a complex-valued input tensor"):
        T.istft(x.reshape(5, 8), 8)
    with pytest.raises(RuntimeError, match="^Cannot have onesided output if window or input "
                                           "is complex$"):
        T.stft(x.to(T.complex128), 8, window=hw, onesided=True, return_complex=True)
    with pytest.warns(UserWarning, match="The length of signal is shorter than the length"):
        T.istft(T.stft(x, 8, 2, window=hw, return_complex=True), 8, 2, window=hw, length=50)
    with pytest.warns(UserWarning, match="stft with return_complex=False is deprecated"):
        T.stft(x, 8, window=hw, return_complex=False)
