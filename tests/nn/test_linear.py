"""Linear, Bilinear, LazyLinear, Identity, Flatten, Unflatten: values, grads, init, reprs."""
import math

import numpy as np
import pytest

import disttrain as torch
from disttrain import nn
from disttrain.autograd import gradcheck, gradgradcheck
import disttrain.nn.functional as F

X = [[0.5, -1.2, 2.0, 0.0], [-0.3, 0.8, -2.5, 1.7]]
W = [[0.1, -0.2, 0.3, 0.4], [-0.5, 0.6, 0.05, -0.7], [0.2, 0.1, -0.3, 0.25]]
B = [0.1, -0.1, 0.05]
D64 = torch.float64


def _fixed_linear():
    m = nn.Linear(4, 3).double()
    with torch.no_grad():
        m.weight.copy_(torch.tensor(W, dtype=D64))
        m.bias.copy_(torch.tensor(B, dtype=D64))
    return m


def test_linear_forward_and_grads_match_pytorch():
    """y = x Wᵀ + b and the gradients of x, W and b equal PyTorch's for fixed weights."""
    m = _fixed_linear()
    x = torch.tensor(X, dtype=D64, requires_grad=True)
    y = m(x)
    np.testing.assert_allclose(y.detach().numpy(), [[0.99, -0.97, -0.57],
                                                    [-0.16, -0.785, 1.245]], rtol=1e-14)
    assert type(y.grad_fn).__name__ == "AddmmBackward0"
    (y * torch.tensor([[1., 2., 3.], [-1., 0.5, 2.]], dtype=D64)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[-0.3, 1.3, -0.5, -0.25],
                                                [0.05, 0.7, -0.875, -0.25]], atol=1e-15)
    np.testing.assert_allclose(m.weight.grad.numpy(), [[0.8, -2.0, 4.5, -1.7],
                                                       [0.85, -2.0, 2.75, 0.85],
                                                       [0.9, -2.0, 1.0, 3.4]], atol=1e-15)
    assert m.bias.grad.tolist() == [0.0, 2.5, 5.0]


@pytest.mark.parametrize("shape", [(4,), (2, 4), (2, 3, 4), (1, 2, 1, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(shape, bias):
    """Linear passes gradcheck for input, weight and bias, for 1-d to 4-d inputs."""
    torch.manual_seed(0)
    m = nn.Linear(4, 3, bias=bias).double()
    x = torch.randn(*shape, dtype=D64, requires_grad=True)
    assert gradcheck(lambda x, *p: m(x), (x, *m.parameters()))
    assert m(x).shape == tuple(shape[:-1]) + (3,)


def test_linear_gradgradcheck():
    """Linear's backward is differentiable (second derivatives by finite differences)."""
    torch.manual_seed(0)
    x = torch.randn(2, 4, dtype=D64, requires_grad=True)
    w = torch.randn(3, 4, dtype=D64, requires_grad=True)
    b = torch.randn(3, dtype=D64, requires_grad=True)
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b).tanh(), (x, w, b))


def test_linear_grad_fn_names():
    """grad_fn names follow PyTorch for each input rank, with and without bias."""
    x = torch.randn(2, 4, requires_grad=True)
    w, b = torch.randn(3, 4), torch.randn(3)
    cases = [(F.linear(x, w, b), "AddmmBackward0"), (F.linear(x, w), "MmBackward0"),
             (F.linear(x.view(1, 2, 4), w, b), "ViewBackward0"),
             (F.linear(x.view(1, 2, 4), w), "UnsafeViewBackward0"),
             (F.linear(x[0], w, b), "ViewBackward0"), (F.linear(x[0], w), "SqueezeBackward4")]
    for out, name in cases:
        assert type(out.grad_fn).__name__ == name


def test_linear_shape_mismatch_message():
    """A wrong input width gives PyTorch's matmul error with both shapes."""
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(3x4 and 5x2\)"):
        F.linear(torch.randn(3, 4), torch.randn(2, 5))


def test_linear_default_init_distribution():
    """Weights and bias are uniform in ±1/√in_features (Kaiming-uniform with a=√5)."""
    torch.manual_seed(0)
    m = nn.Linear(64, 512)
    bound = 1 / math.sqrt(64)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.95 * bound
    assert abs(w.var() - bound ** 2 / 3) < 0.05 * bound ** 2 / 3
    assert abs(w.mean()) < 0.02 * bound


def test_manual_seed_makes_models_reproducible():
    """The same seed builds the same parameters; another seed builds others."""
    torch.manual_seed(7)
    a = nn.Sequential(nn.Linear(5, 3), nn.Linear(3, 2))
    torch.manual_seed(7)
    b = nn.Sequential(nn.Linear(5, 3), nn.Linear(3, 2))
    torch.manual_seed(8)
    c = nn.Linear(5, 3)
    for p, q in zip(a.parameters(), b.parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())
    assert not np.array_equal(a[0].weight.detach().numpy(), c.weight.detach().numpy())


def test_linear_parameters_and_repr():
    """Linear registers weight (out, in) and bias (out) and prints like PyTorch."""
    m = nn.Linear(784, 256)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [
        ("weight", (256, 784)), ("bias", (256,))]
    assert repr(m) == "Linear(in_features=784, out_features=256, bias=True)"
    m = nn.Linear(3, 4, bias=False)
    assert m.bias is None and repr(m) == "Linear(in_features=3, out_features=4, bias=False)"
    assert [n for n, _ in m.named_parameters()] == ["weight"]


def test_linear_dtype_argument():
    """dtype= builds float64 parameters."""
    m = nn.Linear(2, 3, dtype=D64)
    assert m.weight.dtype is D64 and m.bias.dtype is D64


def test_lazy_linear_infers_in_features():
    """LazyLinear prints in_features=0, then becomes a Linear sized from the first input."""
    torch.manual_seed(0)
    m = nn.LazyLinear(256)
    assert repr(m) == "LazyLinear(in_features=0, out_features=256, bias=True)"
    assert repr(m.weight) == "<UninitializedParameter>"
    y = m(torch.rand(2, 20))
    assert y.shape == (2, 256)
    assert type(m) is nn.Linear and m.in_features == 20
    assert repr(m) == "Linear(in_features=20, out_features=256, bias=True)"
    assert type(m.weight) is nn.Parameter and m.weight.shape == (256, 20)
    bound = 1 / math.sqrt(20)
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    m(torch.rand(3, 20)).sum().backward()
    assert m.weight.grad.shape == (256, 20)


def test_lazy_linear_in_a_net_and_state_dict():
    """A net with LazyLinear initialises at the first call and then saves a full state_dict."""
    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1, bias=False))
    sd = net.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "2.weight"]
    assert repr(sd["0.weight"]) == "<UninitializedParameter>"
    net(torch.ones(4, 3))
    assert [tuple(p.shape) for p in net.parameters()] == [(8, 3), (8,), (1, 8)]
    assert str(net) == ("Sequential(\n  (0): Linear(in_features=3, out_features=8, bias=True)\n"
                        "  (1): ReLU()\n  (2): Linear(in_features=8, out_features=1, bias=False)"
                        "\n)")


def test_lazy_linear_loads_a_state_dict():
    """An uninitialised LazyLinear takes its shapes from a loaded state_dict."""
    src = nn.Linear(5, 2)
    lazy = nn.LazyLinear(2)
    lazy.load_state_dict(src.state_dict())
    assert np.array_equal(lazy.weight.detach().numpy(), src.weight.detach().numpy())
    x = torch.randn(3, 5)
    assert np.allclose(lazy(x).detach().numpy(), src(x).detach().numpy())
    assert type(lazy) is nn.Linear and lazy.in_features == 5


def test_lazy_linear_follows_dtype_set_before_first_call():
    """.double() before the first call makes the materialised parameters float64."""
    m = nn.LazyLinear(3).double()
    m(torch.ones(2, 4, dtype=D64))
    assert m.weight.dtype is D64


def test_bilinear_values_and_gradcheck():
    """Bilinear gives PyTorch's values for fixed weights and passes gradcheck."""
    w = torch.tensor([[[0.1, -0.2], [0.3, 0.4], [0.5, 0.6]],
                      [[-0.1, 0.2], [0.0, 0.7], [0.3, -0.4]]], dtype=D64)
    x1 = torch.tensor([[1.0, 2.0, -1.0], [0.5, -0.5, 0.25]], dtype=D64)
    x2 = torch.tensor([[0.3, -0.7], [1.5, 2.0]], dtype=D64)
    y = F.bilinear(x1, x2, w, torch.tensor([0.5, -0.5], dtype=D64))
    np.testing.assert_allclose(y.numpy(), [[0.56, -2.02], [0.2375, -1.1625]], rtol=1e-13)
    torch.manual_seed(0)
    m = nn.Bilinear(3, 2, 4).double()
    assert repr(m) == "Bilinear(in1_features=3, in2_features=2, out_features=4, bias=True)"
    a = torch.randn(2, 5, 3, dtype=D64, requires_grad=True)
    b = torch.randn(2, 5, 2, dtype=D64, requires_grad=True)
    assert m(a, b).shape == (2, 5, 4)
    assert gradcheck(lambda a, b, *p: m(a, b), (a, b, *m.parameters()))


def test_bilinear_size_errors():
    """Mismatched input widths give PyTorch's bilinear() messages."""
    w = torch.randn(5, 2, 3)
    with pytest.raises(RuntimeError, match="bilinear\\(\\): input2 size does not match weight "
                                           "size: got 4 but expected 3"):
        F.bilinear(torch.randn(3, 2), torch.randn(3, 4), w)
    with pytest.raises(RuntimeError, match="input1 size does not match weight size: got 1 "
                                           "but expected 2"):
        F.bilinear(torch.randn(3, 1), torch.randn(3, 3), w)


def test_identity_passes_input_through():
    """Identity ignores its constructor arguments and returns the very input tensor."""
    m = nn.Identity(54, unused_argument1=0.1)
    x = torch.randn(2, 3)
    assert m(x) is x and repr(m) == "Identity()"


def test_flatten_and_unflatten():
    """Flatten merges dims start..end; Unflatten splits one dim; both keep gradients."""
    x = torch.randn(2, 3, 4, 5, dtype=D64, requires_grad=True)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (2, 30))(nn.Flatten()(x)).shape == (2, 2, 30)
    assert nn.Unflatten(-1, (5, -1))(torch.ones(2, 10)).shape == (2, 5, 2)
    assert gradcheck(lambda t: nn.Unflatten(1, (3, 20))(nn.Flatten()(t)), (x,))
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 5))) == "Unflatten(dim=1, unflattened_size=(2, 5))"


def test_flatten_unflatten_errors():
    """Bad dims and sizes raise PyTorch's errors."""
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 3\)"):
        nn.Flatten(3)(torch.ones(3, 4))
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[3, 3\] don't multiply "
                                           r"up to the size of dim 1 \(4\) in the input tensor"):
        nn.Unflatten(1, (3, 3))(torch.ones(3, 4))
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints"):
        nn.Unflatten(1, 5)
