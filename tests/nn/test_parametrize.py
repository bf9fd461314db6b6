"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm) against
PyTorch 2.13: names, state_dict keys, reprs, values, gradients, setters, removal, caching."""
import warnings

import numpy as np
import pytest

import disttrain
import disttrain.nn as nn
import disttrain.nn.utils.parametrize as P
from disttrain.autograd import gradcheck
from tests.nn.spatial_data import fingerprint, seq, set_params, weighted_loss


def _check(got, want):
    np.testing.assert_allclose(got, want, atol=1e-5)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu()


def test_weight_norm_parametrization_matches_pytorch():
    """Parameter names, state_dict keys, repr, values and gradients are PyTorch's; a
    state_dict of the old hook-based weight_norm loads into it."""
    m = set_params(nn.utils.parametrizations.weight_norm(nn.Linear(5, 3).double()))
    names = ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert [n for n, _ in m.named_parameters()] == names and list(m.state_dict()) == names
    assert repr(m) == (
        "ParametrizedLinear(\n  in_features=5, out_features=3, bias=True\n"
        "  (parametrizations): ModuleDict(\n    (weight): ParametrizationList(\n"
        "      (0): _WeightNorm()\n    )\n  )\n)")
    x = seq(4, 5)
    y = m(x)
    weighted_loss(y).backward()
    plist = m.parametrizations.weight
    _check([fingerprint(y), fingerprint(plist.original0.grad), fingerprint(plist.original1.grad)],
           [(8.32094, -1.560597), (-0.765793, 1.518173), (-4.840357, 2.150084)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = set_params(nn.utils.weight_norm(nn.Linear(5, 3).double()))
    new = nn.utils.parametrizations.weight_norm(nn.Linear(5, 3).double())
    new.load_state_dict(old.state_dict())
    assert disttrain.allclose(new(x), old(x))


def test_register_set_and_remove_parametrization():
    """A custom parametrization: the class becomes ParametrizedLinear, assignment goes
    through right_inverse, removal restores a plain Linear holding the current value."""
    s = set_params(nn.Linear(3, 3).double())
    P.register_parametrization(s, "weight", Symmetric())
    assert type(s).__name__ == "ParametrizedLinear" and isinstance(s, nn.Linear)
    assert P.is_parametrized(s) and not P.is_parametrized(s, "bias")
    assert P.type_before_parametrizations(s) is nn.Linear
    assert disttrain.equal(s.weight, s.weight.t())
    _check(fingerprint(s.weight), (5.926982, -0.8756))
    s.weight = seq(3, 3, phase=2.0)
    _check([fingerprint(s.weight), fingerprint(s.parametrizations.weight.original)],
           [(0.482886, -2.267303), (0.045349, -1.307631)])
    P.remove_parametrizations(s, "weight")
    assert type(s) is nn.Linear and [n for n, _ in s.named_parameters()] == ["bias", "weight"]
    _check(fingerprint(s.weight), (0.482886, -2.267303))
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(s, "weight")
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a "
                                         "parametrized element with name 'nope'"):
        P.register_parametrization(s, "nope", Symmetric())


def test_parametrization_gradients_chaining_and_cache():
    """Gradients reach the original (finite differences); chained parametrizations apply in
    order; cached() evaluates once per block; a shape change needs unsafe=True."""
    s = set_params(nn.Linear(3, 3).double())
    P.register_parametrization(s, "weight", Symmetric())
    x = seq(2, 3)
    orig = s.parametrizations.weight.original
    weighted_loss(s(x)).backward()
    leaf = orig.detach().clone().requires_grad_(True)
    weighted_loss(nn.functional.linear(x, Symmetric()(leaf), s.bias)).backward()
    assert disttrain.allclose(orig.grad, leaf.grad)
    assert gradcheck(lambda a: Symmetric()(a).matmul(x.t()), (seq(3, 3, requires_grad=True),))

    class Double(nn.Module):
        def forward(self, X):
            return 2 * X
    P.register_parametrization(s, "weight", Double())
    assert disttrain.allclose(s.weight, 2 * Symmetric()(orig))
    with P.cached():
        assert s.weight is s.weight
    assert s.weight is not s.weight

    class Flatten(nn.Module):
        def forward(self, X):
            return X.reshape(-1)
    m = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="may not change the shape of the tensor, unless "
                                         "`unsafe` flag is enabled"):
        P.register_parametrization(m, "weight", Flatten())
    P.register_parametrization(m, "weight", Flatten(), unsafe=True)
    assert tuple(m.weight.shape) == (4,)


def test_spectral_norm_parametrization_matches_pytorch():
    """Buffers inside the parametrization, state_dict keys, one power step per training
    access, values and gradient of the original are PyTorch's."""
    sn = set_params(nn.utils.parametrizations.spectral_norm(nn.Linear(5, 3).double()))
    assert list(sn.state_dict()) == ["bias", "parametrizations.weight.original",
                                     "parametrizations.weight.0._u",
                                     "parametrizations.weight.0._v"]
    p = sn.parametrizations.weight[0]
    with disttrain.no_grad():
        u, v = seq(3, phase=7.0), seq(5, phase=8.0)
        p._u.copy_(u / u.norm())
        p._v.copy_(v / v.norm())
    y = sn(seq(4, 5))
    weighted_loss(y).backward()
    _check([fingerprint(y), fingerprint(sn.parametrizations.weight.original.grad),
            fingerprint(p._u)],
           [(8.528086, -1.102919), (-7.338611, -0.129998), (-0.195467, 0.823232)])
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), name="nope")
