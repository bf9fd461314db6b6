"""BatchNorm/LayerNorm/GroupNorm: values, gradients and running statistics against PyTorch."""
import pytest

import disttrain
import disttrain.nn as nn
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck, gradgradcheck
from tests.nn.spatial_data import fingerprint, seq, weighted_loss


def _close(got, want, tol=1e-5):
    assert got == pytest.approx(want, abs=tol)


def _vec(values):
    return disttrain.tensor(values, dtype=disttrain.float64)


def test_batch_norm_training_values_grads_and_running_stats():
    """Training-mode batch_norm: PyTorch's output, grads, and momentum/unbiased running stats."""
    rm, rv = disttrain.zeros(3, dtype=disttrain.float64), disttrain.ones(3, dtype=disttrain.float64)
    x = seq(4, 3, 2, 2, requires_grad=True)
    w = seq(3, phase=1.0, requires_grad=True)
    b = seq(3, phase=2.0, requires_grad=True)
    y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3, eps=1e-3)
    weighted_loss(y).backward()
    _close(fingerprint(y), (31.959359, 0.016921))
    _close(fingerprint(x.grad), (0.0, 28.037981))
    _close(fingerprint(w.grad), (1.002772, -3.979066))
    _close(fingerprint(b.grad), (-2.073006, -0.122873))
    assert disttrain.allclose(rm, _vec([0.035893, 0.029812, -0.030487]), atol=1e-6)
    assert disttrain.allclose(rv, _vec([0.862736, 0.854026, 0.854914]), atol=1e-6)


def test_batch_norm_eval_uses_running_stats():
    """Eval-mode batch_norm normalises with the given running statistics (PyTorch's values)."""
    x = seq(4, 3, 2, 2, requires_grad=True)
    w, b = seq(3, phase=1.0), seq(3, phase=2.0)
    y = F.batch_norm(x, seq(3, phase=4.0), seq(3, phase=5.0).abs() + 0.5, w, b, training=False)
    weighted_loss(y).backward()
    _close(fingerprint(y), (70.139983, -1.445355))
    _close(fingerprint(x.grad), (-1.505921, 20.300215))


def test_batchnorm2d_cumulative_average_with_momentum_none():
    """momentum=None averages all batches; num_batches_tracked counts them; eval uses the result."""
    m = nn.BatchNorm2d(3, momentum=None).double()
    for i in range(3):
        m(seq(2, 3, 2, 2, phase=float(i)))
    assert m.num_batches_tracked.item() == 3 and m.num_batches_tracked.dtype == disttrain.int64
    assert disttrain.allclose(m.running_mean, _vec([0.227426, 0.329044, -0.167756]), atol=1e-6)
    assert disttrain.allclose(m.running_var, _vec([0.400739, 0.388696, 0.405762]), atol=1e-6)
    m.eval()
    _close(fingerprint(m(seq(2, 3, 2, 2, phase=7.0))), (3.116173, -4.36256))
    assert m.num_batches_tracked.item() == 3        # eval does not count


def test_batchnorm1d_on_3d_input_updates_running_stats():
    """BatchNorm1d over (N, C, L) reduces over N and L (PyTorch's running stats)."""
    m = nn.BatchNorm1d(3).double()
    m(seq(4, 3, 5))
    assert disttrain.allclose(m.running_mean, _vec([-0.021206, 0.060038, -0.011886]), atol=1e-6)
    assert disttrain.allclose(m.running_var, _vec([0.946268, 0.916829, 0.949146]), atol=1e-6)


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    """track_running_stats=False: no buffers, batch statistics even in eval mode."""
    m = nn.BatchNorm1d(3, affine=False, track_running_stats=False).double()
    assert m.running_mean is None and list(m.state_dict()) == []
    m.eval()
    y = m(seq(5, 3))
    _close(fingerprint(y), (0.0, 2.233341))


def test_batchnorm_defaults_and_state_dict():
    """Weight ones, bias zeros, running mean 0 / var 1, PyTorch's state_dict keys."""
    m = nn.BatchNorm2d(4)
    assert disttrain.equal(m.weight, disttrain.ones(4)) and disttrain.equal(m.bias,
                                                                           disttrain.zeros(4))
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                    "num_batches_tracked"]
    assert list(nn.BatchNorm2d(3, bias=False).state_dict()) == [
        "weight", "running_mean", "running_var", "num_batches_tracked"]


def test_layer_norm_values_and_grads():
    """layer_norm over two trailing dims with affine parameters matches PyTorch."""
    x = seq(2, 3, 4, requires_grad=True)
    w = seq(3, 4, phase=1.0, requires_grad=True)
    b = seq(3, 4, phase=2.0, requires_grad=True)
    y = F.layer_norm(x, (3, 4), w, b, eps=1e-5)
    weighted_loss(y).backward()
    _close(fingerprint(y), (-9.718474, -4.460844))
    _close(fingerprint(x.grad), (0.0, 1.945896))
    _close(fingerprint(w.grad), (-0.86064, -0.230267))
    _close(fingerprint(b.grad), (-2.229722, 2.667854))
    x = seq(2, 3, 4, requires_grad=True)
    y = F.layer_norm(x, (4,))
    weighted_loss(y).backward()
    _close(fingerprint(y), (0.0, -2.837165))
    _close(fingerprint(x.grad), (0.0, 14.626019))


def test_layer_norm_exact_values():
    """[1, 2, 3] normalises to PyTorch's [-1.2247, 0, 1.2247]."""
    y = nn.LayerNorm(3)(disttrain.tensor([[1.0, 2.0, 3.0]]))
    assert disttrain.allclose(y, disttrain.tensor([[-1.2247, 0.0, 1.2247]]), atol=1e-4)


def test_group_norm_values_and_grads():
    """group_norm with 3 groups of 2 channels matches PyTorch's values and grads."""
    x = seq(2, 6, 3, requires_grad=True)
    w = seq(6, phase=1.0, requires_grad=True)
    b = seq(6, phase=2.0, requires_grad=True)
    y = F.group_norm(x, 3, w, b)
    weighted_loss(y).backward()
    _close(fingerprint(y), (5.881299, 3.444321))
    _close(fingerprint(x.grad), (0.0, 12.649547))
    _close(fingerprint(w.grad), (11.966845, -7.037375))
    _close(fingerprint(b.grad), (0.170296, 0.734593))


NORM_FNS = [
    lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
    lambda x, w, b: F.batch_norm(x, disttrain.zeros(3, dtype=disttrain.float64) + 0.1,
                                 disttrain.ones(3, dtype=disttrain.float64) * 2, w, b),
    lambda x, w, b: F.group_norm(x, 3, w, b),
    lambda x, w, b: F.layer_norm(x, (3, 2), w.reshape(3, 1).expand(3, 2).contiguous(), None),
    lambda x, w, b: F.batch_norm(x, None, None, None, None, training=True),
]


@pytest.mark.parametrize("fn", NORM_FNS)
def test_norm_gradcheck_and_second_order(fn):
    """Each normalisation's first and second derivatives match finite differences."""
    x = seq(2, 3, 2, requires_grad=True)
    w = seq(3, phase=1.0, requires_grad=True)
    b = seq(3, phase=2.0, requires_grad=True)
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_norm_modules_gradcheck_parameters():
    """LayerNorm/GroupNorm/BatchNorm modules' parameters get correct gradients."""
    x = seq(3, 4, 2, requires_grad=True)
    for m in (nn.LayerNorm(2).double(), nn.GroupNorm(2, 4).double(), nn.BatchNorm1d(4).double()):
        with disttrain.no_grad():
            for i, p in enumerate(m.parameters()):
                p.copy_(seq(*p.shape, phase=1.0 + i))
        assert gradcheck(lambda a, *ps: m(a), (x, *m.parameters()))


ERRORS = [
    (lambda: F.batch_norm(disttrain.randn(1, 3), disttrain.zeros(3), disttrain.ones(3),
                          training=True), ValueError,
     "Expected more than 1 value per channel when training, got input size "
     "disttrain.Size([1, 3])"),
    (lambda: F.batch_norm(disttrain.randn(2, 3), disttrain.zeros(4), disttrain.ones(4),
                          training=True), RuntimeError, "running_mean should contain 3 elements "
     "not 4"),
    (lambda: F.batch_norm(disttrain.randn(2, 3), disttrain.zeros(3), disttrain.ones(3),
                          disttrain.ones(4), training=True), RuntimeError,
     "weight should contain 3 elements not 4"),
    (lambda: nn.BatchNorm1d(3)(disttrain.randn(2, 3, 4, 5)), ValueError,
     "expected 2D or 3D input (got 4D input)"),
    (lambda: nn.BatchNorm2d(3)(disttrain.randn(2, 3, 4)), ValueError,
     "expected 4D input (got 3D input)"),
    (lambda: nn.BatchNorm2d(3)(disttrain.randn(1, 3, 1, 1)), ValueError,
     "Expected more than 1 value per channel when training, got input size "
     "disttrain.Size([1, 3, 1, 1])"),
    (lambda: nn.LayerNorm(4)(disttrain.randn(2, 3)), RuntimeError,
     "Given normalized_shape=[4], expected input with shape [*, 4], but got input of size"
     "[2, 3]"),
    (lambda: F.layer_norm(disttrain.randn(2, 3), (3,), disttrain.ones(4)), RuntimeError,
     "Expected weight to be of same shape as normalized_shape, but got weight of shape [4] and "
     "normalized_shape = [3]"),
    (lambda: F.group_norm(disttrain.randn(2, 6, 3), 4), RuntimeError,
     "Expected number of channels in input to be divisible by num_groups, but got input of "
     "shape [2, 6, 3] and num_groups=4"),
    (lambda: nn.GroupNorm(4, 6), ValueError, "num_channels (6) must be divisible by "
     "num_groups (4)"),
    (lambda: nn.GroupNorm(2, 6)(disttrain.randn(2, 4, 3)), RuntimeError,
     "Expected weight to be a vector of size equal to the number of channels in input, but got "
     "weight of shape [6] and input of shape [2, 4, 3]"),
    (lambda: F.group_norm(disttrain.randn(6), 2), RuntimeError,
     "Expected at least 2 dimensions for input tensor but received 1"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS)
def test_norm_errors_match_pytorch(fn, exc, msg):
    """Bad shapes raise PyTorch's exception type and message."""
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == msg


REPRS = [
    (lambda: nn.BatchNorm2d(6), "BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                                "track_running_stats=True)"),
    (lambda: nn.BatchNorm1d(3, eps=1e-3, momentum=None, affine=False, track_running_stats=False),
     "BatchNorm1d(3, eps=0.001, momentum=None, affine=False, bias=False, "
     "track_running_stats=False)"),
    (lambda: nn.LayerNorm(4), "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"),
    (lambda: nn.LayerNorm((2, 3), elementwise_affine=False),
     "LayerNorm((2, 3), eps=1e-05, elementwise_affine=False, bias=False)"),
    (lambda: nn.LayerNorm(4, bias=False),
     "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)"),
    (lambda: nn.GroupNorm(2, 6), "GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)"),
    (lambda: nn.GroupNorm(2, 6, affine=False, eps=1e-3),
     "GroupNorm(2, 6, eps=0.001, affine=False, bias=False)"),
]


@pytest.mark.parametrize("make,text", REPRS)
def test_norm_module_repr_matches_pytorch(make, text):
    """print(layer) shows what PyTorch 2.13 shows (bias= included)."""
    assert repr(make()) == text


def test_batch_norm_grad_fn_name_and_float32():
    """float32 stays float32; the node is PyTorch's NativeBatchNormBackward0."""
    x = seq(4, 3, dtype=disttrain.float32, requires_grad=True)
    y = nn.BatchNorm1d(3)(x)
    assert y.dtype == disttrain.float32
    assert type(y.grad_fn).__name__ == "NativeBatchNormBackward0"
