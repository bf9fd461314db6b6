"""disttrain.fft: transforms against PyTorch 2.13, gradients through real-valued views of
the complex results for every norm and for padding/trimming, and PyTorch's errors."""
import numpy as np
import pytest

import disttrain
import disttrain.fft as F
from disttrain.autograd import gradcheck, gradgradcheck

from .conftest import leaf, raises

f64, c128 = disttrain.float64, disttrain.complex128
x = disttrain.tensor([1., 2., -1., 0.5, 3.], dtype=f64)
z = disttrain.tensor([1 + 2j, -1 + 0.5j, 3j, 2 - 1j], dtype=c128)
X = disttrain.tensor([[1., 2., 0.], [3., -1., 4.]], dtype=f64)

COMPUTE = {
    "fft": lambda: F.fft(x), "fft_ortho_n8": lambda: F.fft(x, n=8, norm="ortho"),
    "ifft_fwd": lambda: F.ifft(z, norm="forward"), "rfft": lambda: F.rfft(x),
    "rfft_n4": lambda: F.rfft(x, n=4), "irfft": lambda: F.irfft(z),
    "irfft_n5": lambda: F.irfft(z, n=5), "hfft": lambda: F.hfft(z), "ihfft": lambda: F.ihfft(x),
    "fft2": lambda: F.fft2(X), "rfft2": lambda: F.rfft2(X),
    "irfft2": lambda: F.irfft2(F.rfft2(X), s=(2, 3)), "fftn_dim0": lambda: F.fftn(X, dim=0),
    "ifftn": lambda: F.ifftn(X, s=(3, 2)),
}

# PyTorch 2.13's results
EXPECTED = {
    'fft': [(5.5+0j), (2.949593469062211+1.8327343947338632j), (-3.19959346906221-0.838799522150257j), (-3.19959346906221+0.838799522150257j), (2.949593469062211-1.8327343947338632j)],
    'fft_ortho_n8': [(1.9445436482630054+0j), (-0.33210678118654746-0.2714466094067262j), (1.7677669529663687-0.5303300858899106j), (-1.0821067811865475-0.9785533905932737j), (0.17677669529663687+0j), (-1.0821067811865475+0.9785533905932737j), (1.7677669529663687+0.5303300858899106j), (-0.33210678118654746+0.2714466094067262j)],
    'ifft_fwd': [(2+4.5j), (-0.5-4j), 5.5j, (2.5+2j)],
    'rfft': [(5.5+0j), (2.949593469062211+1.8327343947338632j), (-3.19959346906221-0.838799522150257j)],
    'rfft_n4': [(2.5+0j), (2-1.5j), (-2.5+0j)],
    'irfft': [0.16666666666666666, -1.3436963044151784, 1.3883545031536988, 0.16666666666666666, -0.055021169820365534, 0.6770296377485118],
    'irfft_n5': [-0.2, -0.8191604037599777, 1.5473175668456687, -0.5001039713457107, 0.9719468082600197],
    'hfft': [1.0, 4.06217782649107, -0.33012701892219365, 1.0, 8.330127018922195, -8.06217782649107],
    'ihfft': [(1.0999999999999999-0j), (0.5899186938124421-0.36654687894677274j), (-0.639918693812442+0.16775990443005143j)],
    'fft2': [[(9+0j), (1.5+2.5980762113533156j), (1.5-2.5980762113533156j)], [(-3+0j), (-1.5-6.0621778264910695j), (-1.5+6.0621778264910695j)]],
    'rfft2': [[(9+0j), (1.5+2.5980762113533156j)], [(-3+0j), (-1.5-6.0621778264910695j)]],
    'irfft2': [[1.0, 1.9999999999999996, 2.9605947323337506e-16], [3.0, -0.9999999999999997, 4.0]],
    'fftn_dim0': [[(4+0j), (1+0j), (4+0j)], [(-2+0j), (3+0j), (-4+0j)]],
    'ifftn': [[(0.8333333333333333+0j), (0.5+0j)], [(0.33333333333333337+0.28867513459481287j), (-0.5+0.5773502691896257j)], [(0.33333333333333337-0.28867513459481287j), (-0.5-0.5773502691896257j)]],
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_values_match_pytorch(name):
    got = COMPUTE[name]()
    np.testing.assert_allclose(np.asarray(got.tolist()), np.asarray(EXPECTED[name]),
                               rtol=1e-12, atol=1e-14)


def test_dtypes_frequencies_and_shifts():
    assert F.fft(disttrain.tensor([1., 2.])).dtype == disttrain.complex64
    assert F.fft(disttrain.tensor([1, 2])).dtype == disttrain.complex64
    assert F.irfft(disttrain.tensor([1., 2.])).dtype == disttrain.float32
    assert F.rfft(x).dtype == c128 and F.irfft(z).dtype == f64
    np.testing.assert_allclose(F.fftfreq(6, d=0.5).numpy(), [
        0.0, 0.3333333432674408, 0.6666666865348816, -1.0, -0.6666666865348816,
        -0.3333333432674408], rtol=1e-7)
    np.testing.assert_allclose(F.rfftfreq(7).numpy(), [0.0, 0.1428571492433548,
                                                       0.2857142984867096, 0.4285714626312256])
    assert F.fftshift(disttrain.arange(6).reshape(2, 3)).tolist() == [[5, 3, 4], [2, 0, 1]]
    assert F.ifftshift(disttrain.arange(5)).tolist() == [2, 3, 4, 0, 1]
    assert repr(F.rfft(disttrain.tensor([1., 2., 3., 4.]))) == \
        "tensor([10.+0.j, -2.+2.j, -2.+0.j])"
    assert disttrain.fft is F


R = disttrain.view_as_real
C = disttrain.view_as_complex
rng = np.random.default_rng(0)
GRADS = []
for _norm in (None, "ortho", "forward"):
    GRADS += [
        (f"fft_real_{_norm}", lambda a, n=_norm: R(F.fft(a, norm=n)), (5,)),
        (f"fft_complex_{_norm}", lambda a, n=_norm: R(F.fft(C(a), norm=n)), (5, 2)),
        (f"ifft_pad_{_norm}", lambda a, n=_norm: R(F.ifft(C(a), n=7, norm=n)), (5, 2)),
        (f"rfft_{_norm}", lambda a, n=_norm: R(F.rfft(a, norm=n)), (6,)),
        (f"rfft_trim_{_norm}", lambda a, n=_norm: R(F.rfft(a, n=5, norm=n)), (6,)),
        (f"irfft_{_norm}", lambda a, n=_norm: F.irfft(C(a), norm=n), (4, 2)),
        (f"irfft_odd_{_norm}", lambda a, n=_norm: F.irfft(C(a), n=7, norm=n), (4, 2)),
        (f"hfft_{_norm}", lambda a, n=_norm: F.hfft(C(a), norm=n), (4, 2)),
        (f"ihfft_{_norm}", lambda a, n=_norm: R(F.ihfft(a, norm=n)), (5,)),
        (f"fft2_{_norm}", lambda a, n=_norm: R(F.fft2(a, norm=n)), (3, 4)),
        (f"rfftn_{_norm}", lambda a, n=_norm: R(F.rfftn(a, norm=n)), (3, 4)),
        (f"irfftn_{_norm}", lambda a, n=_norm: F.irfftn(C(a), s=(3, 4), norm=n), (3, 3, 2)),
    ]
GRADS.append(("abs_of_fft", lambda a: F.fft(a, dim=0).abs(), (4, 2)))


@pytest.mark.parametrize("name,fn,shape", GRADS, ids=[g[0] for g in GRADS])
def test_gradients_match_finite_differences(name, fn, shape):
    assert gradcheck(fn, (leaf(rng.standard_normal(shape)),))


def test_second_derivatives():
    assert gradgradcheck(lambda a: F.irfft(F.rfft(a) * F.rfft(a)), (leaf(rng.standard_normal(6)),))


def test_gradients_match_pytorch():
    xr = leaf([1., 2., -1., 0.5, 3.])
    y = F.rfft(xr)
    assert y.grad_fn.name() == "FftR2CBackward0"
    assert F.irfft(y).grad_fn.name() == "FftC2RBackward0"
    y.abs().sum().backward()
    np.testing.assert_allclose(xr.grad.numpy(), [0.8820760514396144, 1.692165260046671,
                                                 -0.5374772152327595, 0.5653065133744514,
                                                 2.3979293903720227], rtol=1e-12)
    zz = disttrain.tensor([1 + 2j, -1 + 0.5j, 3j, 2 - 1j], dtype=c128, requires_grad=True)
    (F.fft(zz) * disttrain.tensor([1, 2, 3, 4])).abs().sum().backward()
    assert zz.grad.dtype == c128
    np.testing.assert_allclose(np.asarray(zz.grad.tolist()), [
        1.4717371465826745 + 1.194090136874435j, -4.812363135910072 - 0.028311894136848093j,
        -0.6594602144757791 + 6.633532960366079j, 5.6246400680169675 - 4.144065008622638j],
        rtol=1e-12)


def test_errors_match_pytorch():
    with raises(RuntimeError, 'Invalid normalization mode: "xyz"'):
        F.fft(x, norm="xyz")
    with raises(RuntimeError, "Invalid number of data points (0) specified"):
        F.fft(x, n=0)
    with raises(IndexError, "Dimension out of range (expected to be in range of [-1, 0], but "
                            "got 2)"):
        F.fft(x, dim=2)
    with raises(RuntimeError, "rfft expects a real input tensor, but got ComplexDouble"):
        F.rfft(z)
    with raises(RuntimeError, "When given, dim and shape arguments must have the same length"):
        F.fftn(X, s=(2,), dim=(0, 1))


def test_hermitian_n_dimensional_transforms():
    """``hfftn``/``hfft2``/``ihfftn``/``ihfft2``: PyTorch 2.13's values, the round trip, and
    finite-difference gradients."""
    d = disttrain.float64
    z = disttrain.complex(disttrain.tensor([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]], dtype=d),
                          disttrain.tensor([[0.0, 1.0, 2.0], [-1.0, 0.25, 0.0]], dtype=d))
    np.testing.assert_allclose(F.hfftn(z).numpy(), [[7.5, 2.0, -0.5, -3.0], [0.5, 6.0, -7.5, 3.0]],
                               atol=1e-14)
    assert F.hfft2(z).tolist() == F.hfftn(z).tolist()
    x = disttrain.tensor([[1.0, 2.0, 3.0, -1.0], [0.0, 4.0, -2.0, 1.0]], dtype=d)
    got = F.ihfft2(x)
    np.testing.assert_allclose(got.numpy(), [[1.0, 0.75j, -0.5], [0.25, -0.5, 1.25]],
                               atol=1e-15)
    np.testing.assert_allclose(F.hfftn(F.ihfftn(x), s=x.shape).numpy(), x.numpy(), atol=1e-14)
    xs = leaf(np.random.default_rng(0).standard_normal((2, 3, 4)))
    assert gradcheck(lambda a: disttrain.view_as_real(F.ihfftn(a, dim=(0, 2), norm="ortho")),
                     (xs,))
    zs = disttrain.randn(2, 3, dtype=disttrain.complex128, requires_grad=True)
    assert gradcheck(lambda a: F.hfft2(a, s=(2, 4)), (zs,))
