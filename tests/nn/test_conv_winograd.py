"""3x3 stride-1 convolutions by Winograd F(2x2, 3x3) (``core/ops/_winograd.py``).

Small layers take the Winograd path here by lowering its size thresholds, so PyTorch's
values, the im2col path and finite differences can all check it cheaply: odd output sizes
(tiles cut off at the edge), no padding, unequal padding, 'same', and the input gradient
(a forward convolution of the output gradient, so Winograd too)."""
import numpy as np
import pytest

import disttrain
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck, gradgradcheck
from disttrain.core.ops import _winograd
from disttrain.core.ops.conv import ConvSpec
from tests.nn.spatial_data import fingerprint, seq, weighted_loss

# (input shape, weight shape, bias?, kwargs) and PyTorch 2.13's (output shape, digests of
# the output and of the input/weight/bias gradients of ``weighted_loss``)
CASES = [
    ((2, 4, 5, 6), (3, 4, 3, 3), True, dict(padding=1)),
    ((1, 3, 7, 4), (4, 3, 3, 3), False, dict()),
    ((2, 2, 4, 5), (5, 2, 3, 3), True, dict(padding=(2, 1))),
    ((1, 5, 6, 6), (5, 5, 3, 3), False, dict(padding="same")),
]
TORCH = [
    ((2, 3, 5, 6), (129.513618, -0.003314), (0.628279, 35.468199), (-1.422336, 0.39312),
     (-1.363762, -2.515855)),
    ((1, 4, 5, 2), (10.313089, -1.924752), (-0.422974, -0.059445), (-0.170778, 11.159203),
     None),
    ((2, 5, 6, 5), (102.317707, -3.646346), (1.021232, 1.892177), (-0.651067, -8.070205),
     (-0.644348, -0.763067)),
    ((1, 5, 6, 6), (-5.931906, 0.375832), (3.402735, -16.175785), (-54.027601, 73.025962),
     None),
]


@pytest.fixture
def winograd_everywhere(monkeypatch):
    monkeypatch.setattr(_winograd, "MIN_CHANNELS", 1)
    monkeypatch.setattr(_winograd, "MIN_TILES", 1)


def _inputs(case):
    xs, ws, bias, kw = case
    x = seq(*xs, requires_grad=True)
    w = seq(*ws, phase=1.0, requires_grad=True)
    b = seq(ws[0], phase=2.0, requires_grad=True) if bias else None
    return x, w, b, kw


def _results(case):
    x, w, b, kw = _inputs(case)
    y = F.conv2d(x, w, b, **kw)
    weighted_loss(y).backward()
    return [y, x.grad, w.grad] + ([b.grad] if b is not None else [])


@pytest.mark.parametrize("case,expected", list(zip(CASES, TORCH)))
def test_values_and_gradients_match_pytorch(case, expected, winograd_everywhere):
    got = _results(case)
    shape, *digests = expected
    assert tuple(got[0].shape) == shape
    for t, want in zip(got, [d for d in digests if d is not None]):
        assert fingerprint(t) == pytest.approx(want, abs=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_the_same_as_im2col_to_rounding(case, monkeypatch):
    monkeypatch.setattr(_winograd, "MIN_CHANNELS", 10 ** 9)
    direct = _results(case)
    monkeypatch.setattr(_winograd, "MIN_CHANNELS", 1)
    monkeypatch.setattr(_winograd, "MIN_TILES", 1)
    xs, ws = case[0], case[1]
    assert _winograd.applies(ws, ConvSpec((1, 1), ((1, 1), (1, 1)), (1, 1), 1, 2), xs[0],
                             xs[2:], np.dtype(np.float64))
    for a, b in zip(_results(case), direct):
        assert disttrain.allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_gradcheck(case, winograd_everywhere):
    x, w, b, kw = _inputs(case)
    args = (x, w) if b is None else (x, w, b)
    assert gradcheck(lambda *a: F.conv2d(*a, **kw), args)


def test_second_order(winograd_everywhere):
    x, w, _, kw = _inputs(CASES[2])
    assert gradgradcheck(lambda a, c: F.conv2d(a, c, **kw), (x, w))


def test_a_resnet_layer_at_the_default_thresholds_matches_im2col_in_float32(monkeypatch):
    """64 channels of 32x32 (256 tiles): the default thresholds choose Winograd; float32
    results agree with im2col's to a few units in the last place of the large values."""
    rng = np.random.default_rng(0)
    x = disttrain.tensor(rng.standard_normal((1, 64, 32, 32)).astype(np.float32),
                         requires_grad=True)
    w = disttrain.tensor(rng.standard_normal((64, 64, 3, 3)).astype(np.float32) * 0.05,
                         requires_grad=True)
    g = disttrain.tensor(rng.standard_normal((1, 64, 32, 32)).astype(np.float32))
    spec = ConvSpec((1, 1), ((1, 1), (1, 1)), (1, 1), 1, 2)
    assert _winograd.applies(tuple(w.shape), spec, 1, (32, 32), np.dtype(np.float32))
    assert not _winograd.applies(tuple(w.shape), spec, 1, (32, 32), np.dtype(np.float16))

    def run():
        x.grad = w.grad = None
        y = F.conv2d(x, w, padding=1)
        y.backward(g)
        return [y.detach().clone(), x.grad, w.grad]
    fast = run()
    monkeypatch.setattr(_winograd, "MIN_CHANNELS", 10 ** 9)
    for a, b in zip(fast, run()):
        scale = b.abs().max().item()
        assert (a - b).abs().max().item() <= 1e-5 * scale
