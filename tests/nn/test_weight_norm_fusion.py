"""nn.utils.weight_norm / spectral_norm (hook API) against PyTorch 2.13, their removal, and
the conv/linear + BatchNorm fusion helpers."""
import warnings

import numpy as np
import pytest

import disttrain
import disttrain.nn as nn
from disttrain.autograd import gradcheck
from tests.nn.spatial_data import fingerprint, seq, set_params, weighted_loss

# ctor, dim, input shape; digests of output, grad of g, grad of v; shape of g (PyTorch)
WN = [("Linear(5, 3)", 0, (4, 5), [(8.32094, -1.560597), (-0.765793, 1.518173),
                                   (-4.840357, 2.150084)], (3, 1)),
      ("Conv1d(2, 3, 2)", 1, (2, 2, 5), [(15.925385, -2.799574), (-1.23803, -0.894696),
                                         (-0.993128, -2.459306)], (1, 2, 1)),
      ("Linear(5, 3)", None, (4, 5), [(8.656241, -1.330331), (0.02885, 0.004071),
                                      (-6.452528, -0.16992)], ())]


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


@pytest.mark.parametrize("ctor,dim,shape,want,gshape", WN)
def test_weight_norm_matches_pytorch(ctor, dim, shape, want, gshape):
    """w = g·v/‖v‖ per dim (or whole): outputs and the gradients of g and v are PyTorch's."""
    m = set_params(_quiet(nn.utils.weight_norm, eval("nn." + ctor).double(), dim=dim))
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_g", "weight_v"]
    y = m(seq(*shape))
    weighted_loss(y).backward()
    np.testing.assert_allclose([fingerprint(y), fingerprint(m.weight_g.grad),
                                fingerprint(m.weight_v.grad)], want, atol=1e-5)
    assert tuple(m.weight_g.shape) == gshape


def test_weight_norm_remove_warning_and_errors():
    """Deprecation warning as PyTorch; removal restores a plain weight with the same values;
    a second hook on the same weight is refused."""
    lin = set_params(nn.Linear(4, 2).double())
    x = seq(3, 4)
    want = lin(x)
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated"):
        m = nn.utils.weight_norm(lin)
    assert disttrain.allclose(m(x), want)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same "
                                           "parameter weight"):
        _quiet(nn.utils.weight_norm, m)
    nn.utils.remove_weight_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
    assert disttrain.allclose(m(x), want)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(m)


SN = [("Linear(5, 3)", (4, 5), [(8.529882, -1.104919), (-7.251787, -0.04645),
                                (0.307449, -0.741213), (-2.218531, 1.283873)]),
      ("ConvTranspose1d(2, 3, 2)", (2, 2, 5), [(20.052482, 2.270604), (0.011405, -0.843511),
                                               (1.690835, -0.65429), (-0.51987, 1.063713)])]


@pytest.mark.parametrize("ctor,shape,want", SN)
def test_spectral_norm_matches_pytorch(ctor, shape, want):
    """From given u, v: one power iteration in training, then w / σ; outputs, the gradient of
    weight_orig and the updated u, v are PyTorch's; eval reuses u, v."""
    m = nn.utils.spectral_norm(eval("nn." + ctor).double())
    set_params(m)
    with disttrain.no_grad():
        u = seq(*m.weight_u.shape, phase=7.0)
        m.weight_u.copy_(u / u.norm())
        v = seq(*m.weight_v.shape, phase=8.0)
        m.weight_v.copy_(v / v.norm())
    x = seq(*shape)
    y = m(x)
    weighted_loss(y).backward()
    np.testing.assert_allclose([fingerprint(y), fingerprint(m.weight_orig.grad),
                                fingerprint(m.weight_u), fingerprint(m.weight_v)], want,
                               atol=1e-5)
    m.eval()
    np.testing.assert_allclose(fingerprint(m(x)), want[0], atol=1e-5)


def test_spectral_norm_converges_and_removes():
    """Repeated training steps drive the largest singular value to 1; state_dict and removal
    as PyTorch."""
    disttrain.manual_seed(0)
    m = nn.utils.spectral_norm(nn.Linear(6, 4).double())
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    for _ in range(30):
        m(disttrain.randn(2, 6, dtype=disttrain.float64))
    top = np.linalg.svd(np.array(m.weight.tolist()), compute_uv=False)[0]
    assert top == pytest.approx(1.0, abs=1e-6)
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


def test_fuse_conv_and_linear_with_batchnorm():
    """Fused layers compute bn(layer(x)) in eval mode (transposed conv too); gradients flow to
    the new parameters; training-mode fusion is refused."""
    disttrain.manual_seed(0)
    for conv, bn, transpose in ((nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), False),
                                (nn.ConvTranspose2d(3, 4, 2), nn.BatchNorm2d(4), True)):
        conv, bn = conv.double(), bn.double()
        bn.train()(conv(disttrain.randn(5, 3, 6, 6, dtype=disttrain.float64)))
        conv.eval(), bn.eval()
        x = disttrain.randn(2, 3, 6, 6, dtype=disttrain.float64)
        fused = nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
        assert disttrain.allclose(fused(x), bn(conv(x)))
        assert fused.weight.requires_grad and fused.weight is not conv.weight
    lin, bn1 = nn.Linear(4, 3).double().eval(), nn.BatchNorm1d(3).double()
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_linear_bn_eval(lin, bn1)
    bn1.train()(lin(disttrain.randn(8, 4, dtype=disttrain.float64)))
    bn1.eval()
    fused = nn.utils.fuse_linear_bn_eval(lin, bn1)
    x = disttrain.randn(5, 4, dtype=disttrain.float64)
    assert disttrain.allclose(fused(x), bn1(lin(x)))


def test_weight_norm_gradcheck_and_skip_init():
    """weight_norm's gradients in g and v match finite differences; skip_init builds the layer
    with its shapes without running its initialisers."""
    from types import SimpleNamespace
    from disttrain.nn.utils.weight_norm import WeightNorm
    for dim, g_shape in ((0, (2, 1)), (1, (1, 3)), (None, ())):
        hook = WeightNorm("weight", dim)
        g = seq(*g_shape, phase=1.0, requires_grad=True)
        v = seq(2, 3, requires_grad=True)
        assert gradcheck(lambda a, b: hook.compute_weight(SimpleNamespace(weight_g=a,
                                                                          weight_v=b)), (g, v))
    lin = nn.utils.skip_init(nn.Linear, 4, 3)
    assert type(lin) is nn.Linear and tuple(lin.weight.shape) == (3, 4)
    disttrain.manual_seed(0)
    state = disttrain.rand(1).item()
    disttrain.manual_seed(0)
    nn.utils.skip_init(nn.Linear, 40, 30)          # draws nothing from the generator
    assert disttrain.rand(1).item() == state


def test_stateless_functional_call():
    """The call sees the given tensors (gradients reach them), the module keeps its own;
    strict naming errors and the deprecation warning are PyTorch's; tied weights follow."""
    from disttrain.nn.utils.stateless import functional_call
    m = set_params(nn.Linear(2, 2).double())
    before = m.weight.detach().clone()
    w = disttrain.ones(2, 2, dtype=disttrain.float64, requires_grad=True)
    x = seq(3, 2)
    with pytest.warns(FutureWarning, match="stateless.functional_call` is deprecated"):
        out = functional_call(m, {"weight": w}, (x,))
    assert disttrain.allclose(out, x.matmul(w.t()) + m.bias)
    out.sum().backward()
    assert w.grad is not None and disttrain.equal(m.weight, before) and m.weight.grad is None
    with pytest.raises(RuntimeError, match="Error\\(s\\) in reparametrizing for Linear:\n\t"
                                           "Unexpected key\\(s\\): 'nope'.\n\tMissing "
                                           "key\\(s\\): 'bias', 'weight'."):
        _quiet(functional_call, m, {"nope": w}, x, strict=True)

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2, bias=False)
            self.b = nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))
    t = Tied().double()
    eye = disttrain.eye(2, dtype=disttrain.float64)
    assert disttrain.allclose(_quiet(functional_call, t, {"a.weight": eye}, x), x)
    assert not disttrain.allclose(_quiet(functional_call, t, {"a.weight": eye}, x,
                                         tie_weights=False), x)
