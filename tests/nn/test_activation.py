"""Activations: values against PyTorch's, gradients by finite differences, reprs, errors."""
import math

import numpy as np
import pytest

import disttrain as torch
from disttrain import nn
from disttrain.autograd import gradcheck, gradgradcheck
import disttrain.nn.functional as F
from disttrain.core.ops.nn_ops import erf_array

A = [-3.0, -1.0, -0.5, -1e-4, 0.0, 0.3, 1.0, 2.5, 25.0]
X = [[0.5, -1.2, 2.0, 0.0], [-0.3, 0.8, -2.5, 1.7]]

# Computed by PyTorch 2.13 in float64 on A (and X below).
ACT = {
    "relu": [0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 1.0, 2.5, 25.0],
    "leaky_relu": [-0.6000000000000001, -0.2, -0.1, -2e-05, 0.0, 0.3, 1.0, 2.5, 25.0],
    "elu": [-0.6651490521424952, -0.44248439117999033, -0.2754285382011566,
            -6.999650011666375e-05, 0.0, 0.3, 1.0, 2.5, 25.0],
    "selu": [-1.6705687287671118, -1.1113307378125625, -0.6917581878028713,
             -0.00017580114388104267, 0.0, 0.31521029620664415, 1.0507009873554805,
             2.626752468388701, 26.26752468388701],
    "celu": [-1.296997075145081, -0.729874321451112, -0.4252030341393161,
             -9.999666674073952e-05, 0.0, 0.3, 1.0, 2.5, 25.0],
    "gelu": [-0.00404969409489031, -0.15865525393145702, -0.15426876936299344,
             -4.9996010577202634e-05, 0.0, 0.1853734266566858, 0.841344746068543,
             2.4844758366855597, 25.0],
    "gelu_tanh": [-0.0036373920817729943, -0.15880800939172324, -0.15428599017485606,
                  -4.999601057720267e-05, 0.0, 0.18537092354275922, 0.8411919906082768,
                  2.484915733910001, 25.0],
    "silu": [-0.14227761953270035, -0.2689414213699951, -0.1887703343990727,
             -4.9997500000002084e-05, 0.0, 0.1723327550434977, 0.7310585786300049,
             2.3103545499468914, 24.9999999996528],
    "mish": [-0.1456474612756246, -0.30340146137410895, -0.22074377465173,
             -5.999679998400459e-05, 0.0, 0.20800137234811503, 0.8650983882673103,
             2.471392304557881, 25.0],
    "sigmoid": [0.04742587317756678, 0.2689414213699951, 0.3775406687981454,
                0.4999750000000208, 0.5, 0.574442516811659, 0.7310585786300049,
                0.9241418199787566, 0.999999999986112],
    "tanh": [-0.9950547536867305, -0.7615941559557649, -0.4621171572600098,
             -9.999999966666667e-05, 0.0, 0.2913126124515909, 0.7615941559557649,
             0.9866142981514303, 1.0],
    "softplus": [0.0012378425688652247, 0.06346400552148625, 0.15663084375911143,
                 0.34652359277997263, 0.34657359027997264, 0.5187439752429428,
                 1.0634640055214863, 2.503357674244559, 25.0],
    "softsign": [-0.75, -0.5, -0.3333333333333333, -9.999000099990002e-05, 0.0,
                 0.23076923076923075, 0.5, 0.7142857142857143, 0.9615384615384616],
    "logsigmoid": [-3.048587351573742, -1.3132616875182228, -0.9740769841801067,
                   -0.6931971818099453, -0.6931471805599453, -0.5543552444685271,
                   -0.31326168751822286, -0.07888973429254963, -1.3887943864867583e-11],
    "hardtanh": [-0.5, -0.5, -0.5, -0.0001, 0.0, 0.3, 1.0, 2.0, 2.0],
    "relu6": [0.0, 0.0, 0.0, 0.0, 0.0, 0.8999999999999999, 3.0, 6.0, 6.0],
    "hardsigmoid": [0.0, 0.3333333333333333, 0.4166666666666667, 0.4999833333333333, 0.5,
                    0.5499999999999999, 0.6666666666666666, 0.9166666666666666, 1.0],
    "hardswish": [-0.0, -0.3333333333333333, -0.20833333333333334, -4.999833333333333e-05,
                  0.0, 0.16499999999999998, 0.6666666666666666, 2.2916666666666665, 25.0],
    "threshold": [20.0, 20.0, 20.0, 20.0, 20.0, 0.3, 1.0, 2.5, 25.0],
}

FUNCS = {
    "relu": F.relu, "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "elu": lambda x: F.elu(x, 0.7), "selu": F.selu, "celu": lambda x: F.celu(x, 1.5),
    "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu,
    "mish": F.mish, "sigmoid": F.sigmoid, "tanh": F.tanh,
    "softplus": lambda x: F.softplus(x, beta=2.0, threshold=10.0), "softsign": F.softsign,
    "logsigmoid": F.logsigmoid, "hardtanh": lambda x: F.hardtanh(x, -0.5, 2.0),
    "relu6": lambda x: F.relu6(x * 3), "hardsigmoid": F.hardsigmoid,
    "hardswish": F.hardswish, "threshold": lambda x: F.threshold(x, 0.1, 20.0),
}

MODULES = {
    "relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(0.2), "elu": nn.ELU(0.7), "selu": nn.SELU(),
    "celu": nn.CELU(1.5), "gelu": nn.GELU(), "gelu_tanh": nn.GELU("tanh"), "silu": nn.SiLU(),
    "mish": nn.Mish(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(),
    "softplus": nn.Softplus(2.0, 10.0), "softsign": nn.Softsign(),
    "logsigmoid": nn.LogSigmoid(), "hardtanh": nn.Hardtanh(-0.5, 2.0),
    "hardsigmoid": nn.Hardsigmoid(), "hardswish": nn.Hardswish(),
    "threshold": nn.Threshold(0.1, 20.0),
}

# Elementwise functions whose kinks sit away from the random points gradcheck uses.
SMOOTH = ["elu", "selu", "celu", "gelu", "gelu_tanh", "silu", "mish", "sigmoid", "tanh",
          "softplus", "softsign", "logsigmoid", "leaky_relu", "relu", "hardtanh",
          "hardsigmoid", "hardswish", "relu6", "threshold"]


def _input(dtype=torch.float64):
    return torch.tensor(A, dtype=dtype)


@pytest.mark.parametrize("name", sorted(ACT))
def test_functional_matches_pytorch(name):
    """Each functional activation gives PyTorch's float64 values on the same inputs."""
    out = FUNCS[name](_input())
    np.testing.assert_allclose(out.numpy(), ACT[name], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_matches_functional(name):
    """Each activation layer computes the same values as its functional form."""
    np.testing.assert_allclose(MODULES[name](_input()).numpy(), ACT[name], rtol=1e-13,
                               atol=1e-15)


@pytest.mark.parametrize("name", SMOOTH)
def test_gradcheck(name):
    """Analytical gradients agree with finite differences (points away from the kinks)."""
    torch.manual_seed(0)
    x = torch.randn(3, 4, dtype=torch.float64) * 2
    x = (x + x.sign() * 0.05).detach().requires_grad_()
    assert gradcheck(FUNCS[name], (x,))


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "elu", "silu", "softplus",
                                  "logsigmoid", "mish"])
def test_gradgradcheck(name):
    """Second derivatives are right too: backward formulas are themselves differentiable."""
    torch.manual_seed(1)
    x = (torch.randn(5, dtype=torch.float64) + 0.1).requires_grad_()
    assert gradgradcheck(FUNCS[name], (x,))


@pytest.mark.parametrize("name", ["relu", "gelu", "silu", "elu", "softplus", "tanh"])
def test_float32_stays_float32(name):
    """A float32 input gives a float32 output with the same values to float32 precision."""
    out = FUNCS[name](_input(torch.float32))
    assert out.dtype is torch.float32
    np.testing.assert_allclose(out.numpy(), ACT[name], rtol=1e-6, atol=1e-7)


def test_grad_fn_names():
    """The graph nodes carry PyTorch's names."""
    x = torch.randn(2, 3, requires_grad=True)
    names = {F.relu(x): "ReluBackward0", F.leaky_relu(x): "LeakyReluBackward0",
             F.elu(x): "EluBackward0", F.gelu(x): "GeluBackward0", F.silu(x): "SiluBackward0",
             F.softplus(x): "SoftplusBackward0", F.hardtanh(x): "HardtanhBackward0",
             F.softmax(x, 1): "SoftmaxBackward0", F.log_softmax(x, 1): "LogSoftmaxBackward0",
             F.prelu(x, torch.tensor([0.25])): "PreluKernelBackward0"}
    for out, name in names.items():
        assert type(out.grad_fn).__name__ == name


SOFTMAX = {
    "softmax1": [0.1594666604600604, 0.029131931501764706, 0.7146799892671639,
                 0.09672141877101095, 0.08692609547988253, 0.2611404226349867,
                 0.009631685923276777, 0.642301795961854],
    "softmax0": [0.6899744811276125, 0.11920292202211755, 0.9890130573694068,
                 0.1544652650835347, 0.31002551887238755, 0.8807970779778823,
                 0.01098694263059318, 0.8455347349164652],
    "log_softmax1": [-1.8359204039348516, -3.5359204039348517, -0.33592040393485156,
                     -2.3359204039348516, -2.442696998580537, -1.342696998580537,
                     -4.642696998580537, -0.442696998580537],
    "softmin1": [0.11982076506504752, 0.6558925644025744, 0.02673562649807143,
                 0.19755104403430668, 0.09529963278526542, 0.03172249204126035,
                 0.8600804723781351, 0.012897402795339076],
}


def test_softmax_family_values():
    """softmax, log_softmax and softmin along either dim give PyTorch's values."""
    x = torch.tensor(X, dtype=torch.float64)
    got = {"softmax1": F.softmax(x, 1), "softmax0": F.softmax(x, dim=0),
           "log_softmax1": nn.LogSoftmax(dim=1)(x), "softmin1": nn.Softmin(1)(x)}
    for k, v in got.items():
        np.testing.assert_allclose(v.numpy().ravel(), SOFTMAX[k], rtol=1e-13)
    np.testing.assert_allclose(nn.Softmax(dim=-1)(x).numpy().ravel(), SOFTMAX["softmax1"])


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax, F.softmin])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_gradcheck(fn, dim):
    """Softmax-type functions pass gradcheck and gradgradcheck along every dim."""
    torch.manual_seed(2)
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda t: fn(t, dim), (x,))
    assert gradgradcheck(lambda t: fn(t, dim), (x,))


def test_torch_softmax_uses_the_fused_kernel():
    """torch.softmax, Tensor.log_softmax and the 0-d case behave as PyTorch's."""
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    y = torch.softmax(x, 1)
    assert type(y.grad_fn).__name__ == "SoftmaxBackward0"
    np.testing.assert_allclose(y.detach().numpy().ravel(), SOFTMAX["softmax1"], rtol=1e-13)
    assert type(x.log_softmax(-1).grad_fn).__name__ == "LogSoftmaxBackward0"
    s = torch.tensor(2.0, requires_grad=True)
    out = F.softmax(s, 0)
    out.backward()
    assert out.item() == 1.0 and F.log_softmax(s, 0).item() == 0.0 and s.grad.item() == 0.0


def test_softmax_large_logits_are_stable():
    """Logits of ±1e4 give finite probabilities and log-probabilities, and finite grads."""
    x = torch.tensor([[1e4, 0.0, -1e4]], requires_grad=True)
    p = F.softmax(x, 1)
    lp = F.log_softmax(x, 1)
    assert p.tolist() == [[1.0, 0.0, 0.0]]
    assert lp.tolist() == [[0.0, -1e4, -2e4]]
    lp.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_softmax_without_dim_warns_and_picks_pytorch_dim():
    """Softmax with no dim warns as PyTorch does and uses dim 1 for 2-d, 0 for 1-d/3-d."""
    x = torch.tensor(X)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been "
                                         "deprecated. Change the call to include dim=X"):
        y = F.softmax(x)
    assert np.allclose(y.sum(1).numpy(), 1)
    with pytest.warns(UserWarning):
        z = nn.Softmax()(torch.ones(2, 3, 4))
    assert np.allclose(z.sum(0).numpy(), 1)


def test_prelu_values_and_gradcheck():
    """PReLU with one slope per channel gives PyTorch's values and checks out numerically."""
    x = torch.tensor(X, dtype=torch.float64).view(2, 2, 2)
    w = torch.tensor([0.1, 0.3], dtype=torch.float64)
    assert F.prelu(x, w).flatten().tolist() == pytest.approx(
        [0.5, -0.12, 2.0, 0.0, -0.03, 0.8, -0.75, 1.7])
    torch.manual_seed(3)
    x = (torch.randn(2, 3, 4, dtype=torch.float64) + 0.01).requires_grad_()
    w = torch.tensor([0.1, 0.3, -0.2], dtype=torch.float64, requires_grad=True)
    assert gradcheck(F.prelu, (x, w))
    one = torch.tensor([0.25], dtype=torch.float64, requires_grad=True)
    assert gradcheck(F.prelu, (x, one))


def test_prelu_module_learns_its_slope():
    """nn.PReLU holds one Parameter filled with ``init``, which receives a gradient."""
    m = nn.PReLU(3, init=0.1)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert m.weight.tolist() == pytest.approx([0.1] * 3)
    m(torch.tensor([[-1.0, 2.0, -3.0]])).sum().backward()
    assert m.weight.grad.tolist() == [-1.0, 0.0, -3.0]


def test_prelu_channel_mismatch():
    """A slope count that is neither 1 nor the channel count is PyTorch's RuntimeError."""
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel "
                                           "size. Found parameter numbers = 3 and channel "
                                           "size = 4."):
        F.prelu(torch.randn(3, 4), torch.ones(3))


def test_glu_gradcheck():
    """GLU passes gradcheck along either dim."""
    torch.manual_seed(4)
    x = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda t: F.glu(t, 0), (x,)) and gradcheck(nn.GLU(), (x,))


def test_glu_values():
    """GLU halves the last dim and gates the first half by the sigmoid of the second."""
    got = nn.GLU()(torch.tensor(X, dtype=torch.float64)).flatten().tolist()
    assert got == pytest.approx([0.44039853898894116, -0.6, -0.02275745400637306,
                                 0.6764277879331723], rel=1e-13)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 "
                                           "is size 3"):
        F.glu(torch.ones(2, 3))


def test_erf_kernel_accuracy():
    """The erf kernel is within 2 ulp of math.erf over the whole line, and odd."""
    x = np.concatenate([np.linspace(-7, 7, 20001), np.geomspace(1e-300, 1, 200)])
    ref = np.array([math.erf(v) for v in x])
    got = erf_array(x)
    assert (np.abs(got - ref) <= 2 * np.spacing(np.abs(ref))).all()
    assert np.array_equal(erf_array(-x), -got)
    edge = erf_array(np.array([np.inf, -np.inf, np.nan, 0.0]))
    assert edge[:2].tolist() == [1.0, -1.0] and np.isnan(edge[2]) and edge[3] == 0.0


def test_erf_matches_pytorch():
    """erf values equal PyTorch's to the last bits."""
    x = np.array([-7., -2.5, -0.3, 1e-8, 0.2, 0.9, 1.7, 3.3, 5.9, 6.4])
    ref = [-1.0, -0.999593047982555, -0.3286267594591274, 1.1283791670955126e-08,
           0.22270258921047847, 0.7969082124228322, 0.9837904585907745, 0.9999969422902035,
           0.9999999999999999, 1.0]
    np.testing.assert_allclose(erf_array(x), ref, rtol=3e-16, atol=0)


def test_inplace_forms_write_into_the_input():
    """inplace=True activations overwrite the input and return that same tensor."""
    cases = [(lambda x: F.relu(x, inplace=True), [0.0, 2.0]), (F.relu_, [0.0, 2.0]),
             (lambda x: F.leaky_relu(x, 0.5, True), [-0.5, 2.0]),
             (lambda x: nn.Hardtanh(inplace=True)(x), [-1.0, 1.0]),
             (lambda x: nn.ReLU6(inplace=True)(x), [0.0, 2.0]),
             (lambda x: F.elu(x, inplace=True), [math.expm1(-1.0), 2.0]),
             (lambda x: nn.SiLU(True)(x), [-1 / (1 + math.e), 2 / (1 + math.exp(-2))])]
    for fn, want in cases:
        x = torch.tensor([-1.0, 2.0], dtype=torch.float64)
        assert fn(x) is x
        assert x.tolist() == pytest.approx(want, rel=1e-12)


def test_inplace_relu_in_graph():
    """An in-place ReLU on a non-leaf keeps gradients flowing correctly."""
    a = torch.tensor([-1.0, 2.0], requires_grad=True)
    h = a * 3
    F.relu_(h)
    h.sum().backward()
    assert a.grad.tolist() == [0.0, 3.0]


@pytest.mark.parametrize("fn,kernel", [
    (F.leaky_relu, "leaky_relu_cpu"), (F.elu, "elu_cpu"), (F.softplus, "softplus_cpu"),
    (F.gelu, "GeluKernelImpl"), (F.silu, "silu_cpu"),
    (lambda x: F.softmax(x, 0), "softmax_lastdim_kernel_impl")])
def test_integer_input_rejected(fn, kernel):
    """Float-only activations refuse integer tensors with PyTorch's NotImplementedError."""
    with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Long\''):
        fn(torch.tensor([1, -2]))


def test_relu_keeps_integers():
    """relu works on integer tensors, as in PyTorch."""
    assert F.relu(torch.tensor([1, -2])).tolist() == [1, 0]


def test_bad_arguments():
    """GELU's approximate and Hardtanh's bounds are validated with PyTorch's messages."""
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        F.gelu(torch.ones(2), approximate="foo")
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(torch.ones(2), 2.0, 1.0)


REPRS = [
    (nn.ReLU(), "ReLU()"), (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
    (nn.ReLU6(), "ReLU6()"), (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
    (nn.LeakyReLU(0.2, True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
    (nn.ELU(), "ELU(alpha=1.0)"), (nn.ELU(0.5, True), "ELU(alpha=0.5, inplace=True)"),
    (nn.SELU(), "SELU()"), (nn.CELU(), "CELU(alpha=1.0)"),
    (nn.GELU(), "GELU(approximate='none')"), (nn.GELU("tanh"), "GELU(approximate='tanh')"),
    (nn.SiLU(), "SiLU()"), (nn.Mish(), "Mish()"), (nn.Sigmoid(), "Sigmoid()"),
    (nn.Tanh(), "Tanh()"), (nn.Softmax(dim=1), "Softmax(dim=1)"),
    (nn.Softmax(), "Softmax(dim=None)"), (nn.LogSoftmax(1), "LogSoftmax(dim=1)"),
    (nn.Softmin(0), "Softmin(dim=0)"), (nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
    (nn.Softplus(2, 10), "Softplus(beta=2, threshold=10)"), (nn.Softsign(), "Softsign()"),
    (nn.LogSigmoid(), "LogSigmoid()"), (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (nn.Hardtanh(-2, 3), "Hardtanh(min_val=-2, max_val=3)"),
    (nn.Hardsigmoid(), "Hardsigmoid()"), (nn.Hardswish(), "Hardswish()"),
    (nn.PReLU(), "PReLU(num_parameters=1)"), (nn.PReLU(3), "PReLU(num_parameters=3)"),
    (nn.GLU(), "GLU(dim=-1)"), (nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
]


@pytest.mark.parametrize("module,text", REPRS, ids=[t for _, t in REPRS])
def test_repr_matches_pytorch(module, text):
    """print(layer) shows exactly what PyTorch shows."""
    assert repr(module) == text
