"""F.pad and F.interpolate (and Upsample) against PyTorch: values, gradients, errors."""
import pytest

import disttrain
import disttrain.nn as nn
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck, gradgradcheck
from tests.nn.spatial_data import fingerprint, seq, weighted_loss

PAD_CASES = [((1, 2), "constant", None), ((1, 2, 2, 1), "reflect", None),
             ((2, 0, 1, 3), "replicate", None), ((1, 1, 2, 2), "circular", None),
             ((-1, 2, 1, -2), "constant", 2.5), ((1, 1, 1, 1, 1, 1), "constant", None)]
PAD_EXPECTED = [
    ((2, 3, 4, 8), (0.026882, -0.657886), (-7.527917, 0.992469)),
    ((2, 3, 7, 8), (-2.328247, 0.005917), (-0.162328, -0.767166)),
    ((2, 3, 8, 7), (-3.722117, 3.291472), (-0.162328, -31.990028)),
    ((2, 3, 8, 7), (0.072053, 0.407227), (-0.162328, 6.481607)),
    ((2, 3, 3, 6), (151.722342, -39.70247), (16.924675, -4.592366)),
    ((2, 5, 6, 7), (0.026882, 2.838755), (-2.321132, 2.160821)),
]
INTERP_CASES = [
    dict(scale_factor=2), dict(size=(7, 3)), dict(scale_factor=1.7),
    dict(scale_factor=(0.6, 2.3)), dict(size=(7, 9), mode="bilinear"),
    dict(size=(7, 9), mode="bilinear", align_corners=True),
    dict(scale_factor=1.7, mode="bilinear"),
    dict(scale_factor=0.6, mode="bilinear", align_corners=False),
    dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
    dict(size=(3, 2), mode="area"), dict(scale_factor=1.7, mode="nearest-exact"),
]
INTERP_EXPECTED = [
    ((2, 3, 10, 8), (0.107527, 4.036065), (-0.501362, -2.637166)),
    ((2, 3, 7, 3), (0.061449, -0.591697), (-0.486075, -15.801049)),
    ((2, 3, 8, 6), (2.359355, 1.306761), (-2.668491, -0.647341)),
    ((2, 3, 3, 9), (0.474781, -0.517326), (-1.057266, 3.976506)),
    ((2, 3, 7, 9), (0.077473, 0.084296), (-2.216217, 0.632064)),
    ((2, 3, 7, 9), (0.055652, -0.108893), (-2.216217, 0.537238)),
    ((2, 3, 8, 6), (0.384603, 0.107201), (-2.668491, -0.66408)),
    ((2, 3, 3, 2), (-0.018053, 0.064028), (0.170296, -3.233967)),
    ((2, 3, 8, 6), (0.065048, -1.215434), (-2.668491, -0.608783)),
    ((2, 3, 3, 2), (0.008537, 0.608087), (0.170296, 0.080653)),
    ((2, 3, 8, 6), (-1.812587, -1.702095), (-2.668491, -1.070588)),
]


def _close(got, want, tol=1e-5):
    assert got == pytest.approx(want, abs=tol)


@pytest.mark.parametrize("case,expected", list(zip(PAD_CASES, PAD_EXPECTED)))
def test_pad_modes_match_pytorch(case, expected):
    """constant (incl. negative = crop, 3 dims, value), reflect, replicate, circular padding."""
    pad, mode, value = case
    x = seq(2, 3, 4, 5, requires_grad=True)
    y = F.pad(x, pad, mode=mode, value=value)
    weighted_loss(y).backward()
    shape, fy, fx = expected
    assert tuple(y.shape) == shape
    _close(fingerprint(y), fy)
    _close(fingerprint(x.grad), fx)


def test_pad_exact_values():
    """1-d reflect and replicate padding give PyTorch's exact values."""
    x = seq(1, 3)
    assert disttrain.allclose(F.pad(x, (2, 1), mode="reflect"), disttrain.tensor(
        [[0.6743, 0.3616, 0.0, 0.3616, 0.6743, 0.3616]], dtype=disttrain.float64), atol=1e-4)
    assert disttrain.allclose(F.pad(x, (2, 1), mode="replicate"), disttrain.tensor(
        [[0.0, 0.0, 0.0, 0.3616, 0.6743, 0.6743]], dtype=disttrain.float64), atol=1e-4)
    assert F.pad(disttrain.ones(1, 2), (1, 1)).tolist() == [[0.0, 1.0, 1.0, 0.0]]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradcheck(mode):
    """Every padding mode's gradient (and second derivative) matches finite differences."""
    x = seq(1, 2, 3, 3, requires_grad=True)
    fn = lambda a: F.pad(a, (1, 2, 2, 1), mode=mode)    # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("kw,expected", list(zip(INTERP_CASES, INTERP_EXPECTED)))
def test_interpolate_2d_matches_pytorch(kw, expected):
    """nearest/nearest-exact/bilinear/area, size or scale_factor, align_corners, recompute."""
    x = seq(2, 3, 5, 4, requires_grad=True)
    y = F.interpolate(x, **kw)
    weighted_loss(y).backward()
    shape, fy, fx = expected
    assert tuple(y.shape) == shape
    _close(fingerprint(y), fy)
    _close(fingerprint(x.grad), fx)


@pytest.mark.parametrize("kw,expected", [
    (dict(scale_factor=2, mode="linear"), ((2, 3, 10), (5.781155, 0.54406), (-1.70093, 0.280058))),
    (dict(size=7, mode="linear", align_corners=True),
     ((2, 3, 7), (4.076032, 0.640637), (-1.981622, 1.532964))),
    (dict(size=3), ((2, 3, 3), (2.076261, -5.629167), (0.116547, 0.706974)))])
def test_interpolate_1d_matches_pytorch(kw, expected):
    """linear and nearest resampling of (N, C, L) match PyTorch."""
    x = seq(2, 3, 5, requires_grad=True)
    y = F.interpolate(x, **kw)
    weighted_loss(y).backward()
    assert tuple(y.shape) == expected[0]
    _close(fingerprint(y), expected[1])
    _close(fingerprint(x.grad), expected[2])


def test_bilinear_exact_values():
    """2x2 -> 4x4 (half-pixel) and 2x2 -> 3x3 (align_corners) give PyTorch's exact grids."""
    x = disttrain.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    y = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    assert y[0, 0].tolist() == [[1.0, 1.25, 1.75, 2.0], [1.5, 1.75, 2.25, 2.5],
                                [2.5, 2.75, 3.25, 3.5], [3.0, 3.25, 3.75, 4.0]]
    y = F.interpolate(x, size=3, mode="bilinear", align_corners=True)
    assert y[0, 0].tolist() == [[1.0, 1.5, 2.0], [2.0, 2.5, 3.0], [3.0, 3.5, 4.0]]


@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=(3, 5), mode="bilinear"),
                                dict(size=(4, 2), mode="bilinear", align_corners=True)])
def test_interpolate_gradcheck(kw):
    """interpolate's gradients match finite differences."""
    x = seq(1, 2, 3, 3, requires_grad=True)
    assert gradcheck(lambda a: F.interpolate(a, **kw), (x,))


def test_upsample_module_repr_and_forward():
    """Upsample prints like PyTorch and resizes like F.interpolate."""
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True)) == \
        "Upsample(size=(3, 4), mode='bilinear')"
    x = seq(1, 2, 3, 3)
    assert disttrain.equal(nn.Upsample(scale_factor=2, mode="bilinear")(x),
                           F.interpolate(x, scale_factor=2.0, mode="bilinear"))
    assert nn.Upsample(scale_factor=2)(disttrain.tensor([[[1.0, 2.0]]])).tolist() == \
        [[[1.0, 1.0, 2.0, 2.0]]]


_NC = ("Padding size {n} is not supported for {d}D input tensor.\n"
       "Supported combinations for non-constant padding:\n"
       "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
       "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
       "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
ERRORS = [
    (lambda: F.pad(disttrain.randn(1, 2, 3, 3), (1, 2, 3)), RuntimeError,
     "Padding length must be divisible by 2"),
    (lambda: F.pad(disttrain.randn(1, 2, 3, 3), (3, 3), mode="reflect"), NotImplementedError,
     _NC.format(n=2, d=4)),
    (lambda: F.pad(disttrain.randn(3), (1, 1), mode="replicate"), NotImplementedError,
     _NC.format(n=2, d=1)),
    (lambda: F.pad(disttrain.randn(1, 2, 3, 3), (1, 1), mode="foo"), NotImplementedError,
     "Unrecognised padding mode foo"),
    (lambda: F.pad(disttrain.randn(1, 2, 3, 3), (1, 1) * 5), RuntimeError,
     "Padding length should be less than or equal to two times the input dimension but got "
     "padding length 10 and input of dimension 4"),
    (lambda: F.pad(disttrain.randn(1, 2, 3, 3), (1, 1, 1, 1), value=2, mode="reflect"),
     RuntimeError, 'Padding mode "reflect" doesn\'t take in value argument'),
    (lambda: F.interpolate(disttrain.randn(1, 2, 3, 3), size=(4, 4), scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
    (lambda: F.interpolate(disttrain.randn(1, 2, 3, 3)), ValueError,
     "either size or scale_factor should be defined"),
    (lambda: F.interpolate(disttrain.randn(1, 2, 3, 3), size=(4, 4, 4)), ValueError,
     "Input and output must have the same number of spatial dimensions, but got input with "
     "spatial dimensions of [3, 3] and output size of (4, 4, 4). Please provide input tensor in "
     "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."),
    (lambda: F.interpolate(disttrain.randn(1, 2, 3), size=4, mode="bilinear"),
     NotImplementedError, "Got 3D input, but bilinear mode needs 4D input"),
    (lambda: F.interpolate(disttrain.randn(1, 2, 3, 3), size=4, mode="nearest",
                           align_corners=True), ValueError,
     "align_corners option can only be set with the interpolating modes: linear | bilinear | "
     "bicubic | trilinear"),
    (lambda: F.interpolate(disttrain.randn(3, 3), size=4), NotImplementedError,
     "Input Error: Only 3D, 4D and 5D input Tensors supported (got 2D) for the modes: nearest | "
     "linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got nearest)"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS)
def test_pad_interpolate_errors_match_pytorch(fn, exc, msg):
    """Bad pad/interpolate arguments raise PyTorch's exception type and message."""
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == msg


@pytest.mark.parametrize("fn,shape", [
    (lambda: F.conv2d(disttrain.randn(0, 3, 8, 8), disttrain.randn(6, 3, 3, 3)), (0, 6, 6, 6)),
    (lambda: F.max_pool2d(disttrain.randn(0, 3, 8, 8), 2), (0, 3, 4, 4)),
    (lambda: F.avg_pool2d(disttrain.randn(0, 3, 8, 8), 2), (0, 3, 4, 4)),
    (lambda: F.batch_norm(disttrain.randn(0, 3), None, None, training=False), (0, 3)),
    (lambda: F.group_norm(disttrain.randn(0, 4, 3), 2), (0, 4, 3)),
    (lambda: F.conv_transpose2d(disttrain.randn(0, 3, 4, 4), disttrain.randn(3, 2, 3, 3)),
     (0, 2, 6, 6)),
    (lambda: F.adaptive_avg_pool2d(disttrain.randn(0, 3, 8, 8), 2), (0, 3, 2, 2)),
    (lambda: F.interpolate(disttrain.randn(0, 3, 8, 8), scale_factor=2), (0, 3, 16, 16))])
def test_empty_batch_gives_empty_output(fn, shape):
    """A batch of zero samples passes through with PyTorch's output shape."""
    assert tuple(fn().shape) == shape


def test_rnn_rejects_empty_sequence():
    """A zero-length sequence raises PyTorch's error."""
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
        nn.GRU(3, 4)(disttrain.randn(0, 2, 3))
