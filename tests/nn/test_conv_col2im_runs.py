"""Input gradients whose col2im columns are large run a few images at a time
(``conv.COL2IM_BYTES``); the threshold is lowered here so small tensors take that path.
Flat windows, padding wider than the kernel (no forward-convolution route), strided phases
and a transposed convolution: the same as in one run to rounding (float64), and gradcheck
through it."""
import pytest

import disttrain
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck
from disttrain.core.ops import conv
from tests.nn.spatial_data import seq, weighted_loss

CASES = [
    (F.conv2d, (5, 3, 12, 12), (4, 3, 3, 3), dict()),                    # flat windows
    (F.conv2d, (5, 2, 11, 10), (3, 2, 3, 3), dict(padding=3)),           # padding > kernel
    (F.conv2d, (5, 2, 19, 18), (3, 2, 4, 4), dict(stride=2, padding=1)),  # strided phases
    (F.conv_transpose2d, (5, 3, 10, 10), (3, 2, 4, 4), dict(stride=2, padding=1)),
]


def _grads(fn, xs, ws, kw):
    x = seq(*xs, requires_grad=True)
    w = seq(*ws, phase=1.0, requires_grad=True)
    y = fn(x, w, **kw)
    weighted_loss(y).backward()
    return y.detach(), x.grad, w.grad


@pytest.mark.parametrize("case", CASES)
def test_runs_of_images_equal_one_run(case, monkeypatch):
    calls = []
    real = conv._images_per_col2im
    monkeypatch.setattr(conv, "_images_per_col2im",
                        lambda *a: calls.append(real(*a)) or calls[-1])
    monkeypatch.setattr(conv, "COL2IM_BYTES", 1)           # one image per run
    runs = _grads(*case)
    assert 1 in calls
    monkeypatch.setattr(conv, "COL2IM_BYTES", 1 << 40)
    for a, b in zip(runs, _grads(*case)):
        assert disttrain.allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES[:3])
def test_gradcheck_in_runs(case, monkeypatch):
    monkeypatch.setattr(conv, "COL2IM_BYTES", 1)
    fn, xs, ws, kw = case
    x = seq(*xs, requires_grad=True)
    w = seq(*ws, phase=1.0, requires_grad=True)
    assert gradcheck(lambda a, b: fn(a, b, **kw), (x, w))
