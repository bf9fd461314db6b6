"""linear_cross_entropy / LinearCrossEntropyLoss against PyTorch 2.13: the reference path and
the chunked node (same values and gradients, finite differences, second derivatives)."""
import warnings

import numpy as np
import pytest

import disttrain
import disttrain.nn as nn
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck, gradgradcheck
from tests.nn.spatial_data import fingerprint, seq, set_params, weighted_loss

TARGET = [1, 4, -100, 0, 6, 2, 2]
# per case: digests of the loss and of the gradients of input, weight and bias (PyTorch)
CASES = [
    (dict(), [(3.366711, 0.47511), (0.795177, -1.296831), (0.0, -0.937554),
              (0.0, 0.191698)]),
    (dict(reduction="sum"), [(20.200263, 2.850661), (4.771063, -7.780986), (0.0, -5.625327),
                             (0.0, 1.150186)]),
    (dict(reduction="none"), [(20.200263, -0.740275), (-4.334679, -1.170525),
                              (0.0, -4.644314), (0.0, 1.357387)]),
    (dict(weight=True), [(3.632255, 0.512584), (0.667974, -1.560064), (0.0, -1.230322),
                         (0.0, 0.400209)]),
    (dict(weight=True, reduction="none"), [(27.189313, 0.435879), (-5.837072, -1.743747),
                                           (0.0, -6.562729), (0.0, 1.669994)]),
]


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("kw,want", CASES)
def test_matches_pytorch(kw, want, chunked):
    """Both paths give PyTorch's losses and gradients (ignore_index row included)."""
    kw = dict(kw)
    if kw.pop("weight", False):
        kw["weight"] = seq(7, phase=1.0).abs() + 0.5
    opt = nn.LinearCrossEntropyOptions(batch_chunk_size=3) if chunked else None
    x, w = seq(7, 5, requires_grad=True), seq(7, 5, phase=2.0, requires_grad=True)
    b = seq(7, phase=3.0, requires_grad=True)
    loss = F.linear_cross_entropy(x, w, disttrain.tensor(TARGET), linear_bias=b, options=opt,
                                  **kw)
    (weighted_loss(loss) if loss.dim() else loss * 1.7).backward()
    got = [fingerprint(loss), fingerprint(x.grad), fingerprint(w.grad), fingerprint(b.grad)]
    np.testing.assert_allclose(got, want, atol=1e-5)
    if chunked and loss.dim():
        assert type(loss.grad_fn).__name__ == "LinearCrossEntropyBackward0"


def test_chunked_finite_differences_and_second_order():
    """The chunked node's gradients (input, weight, bias) match finite differences, to
    second order too."""
    t = disttrain.tensor([1, 0, -100, 2, 1])
    opt = nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    cw = seq(3, phase=1.0).abs() + 0.5

    def fn(x, w, b):
        return F.linear_cross_entropy(x, w, t, linear_bias=b, weight=cw, options=opt)
    args = (seq(5, 4, requires_grad=True), seq(3, 4, phase=2.0, requires_grad=True),
            seq(3, phase=3.0, requires_grad=True))
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


def test_other_shapes_and_layer():
    """K-dimensional weights, probability targets with smoothing, unbatched input through the
    chunked path, and the layer (repr and values) equal PyTorch's."""
    y = F.linear_cross_entropy(seq(2, 5), seq(6, 3, 5, phase=2.0),
                               disttrain.tensor([[1, 2, 3], [0, 5, 5]]), reduction="none")
    np.testing.assert_allclose(fingerprint(y), (13.952165, -8.308777), atol=1e-5)
    y = F.linear_cross_entropy(seq(3, 5), seq(4, 5, phase=2.0), seq(3, 4, phase=1.0).softmax(1),
                               label_smoothing=0.1)
    np.testing.assert_allclose(fingerprint(y), (2.965689, 0.418518), atol=1e-5)
    y = F.linear_cross_entropy(seq(5), seq(6, 5, phase=2.0), disttrain.tensor(3),
                               options=nn.LinearCrossEntropyOptions())
    np.testing.assert_allclose(fingerprint(y), (0.561059, 0.079177), atol=1e-5)
    m = set_params(nn.LinearCrossEntropyLoss(5, 4, bias=True, label_smoothing=0.2).double())
    assert repr(m) == (
        "LinearCrossEntropyLoss(\n  in_features=5, num_classes=4, out_features=(), bias=True, "
        "reduction=mean, ignore_index=None, label_smoothing=0.2, options=None\n"
        "  (linear): Linear(in_features=5, out_features=4, bias=True)\n)")
    y = m(seq(3, 5), disttrain.tensor([0, 3, 1]))
    np.testing.assert_allclose(fingerprint(y), (2.22179, 0.313539), atol=1e-5)
    assert repr(nn.LinearCrossEntropyOptions()) == (
        "LinearCrossEntropyOptions(allow_retain_graph=False, batch_chunk_size=None, "
        "chunking_method='auto', acc_policy='auto', acc_dtype=None)")


def test_errors_and_fallback_warning():
    """PyTorch's errors; options that the chunked path cannot serve warn and fall back."""
    x, w = seq(3, 5), seq(4, 5)
    with pytest.raises(RuntimeError, match="expected equal input and linear_weight last "
                                           "dimensions"):
        F.linear_cross_entropy(x, seq(4, 6), disttrain.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="ignore_index cannot be specified when target "
                                           "contains probabilities"):
        F.linear_cross_entropy(x, w, seq(3, 4), ignore_index=1)
    with pytest.raises(ValueError, match="invalid acc_policy: 'fast'"):
        nn.LinearCrossEntropyOptions(acc_policy="fast")
    with pytest.warns(UserWarning, match="``options`` ignored"):
        F.linear_cross_entropy(x, w, disttrain.tensor([0, 1, 2]), label_smoothing=0.1,
                               options=nn.LinearCrossEntropyOptions())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.linear_cross_entropy(x, w, disttrain.tensor([0, 1, 2]))
