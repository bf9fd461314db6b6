"""The tutorials' model-building snippets, run as the scripts under examples/seeds.

Each script's output is compared with what PyTorch 2.13 prints for the same script (with
``torch.`` reading ``disttrain.``): exactly where the output is deterministic (reprs,
parameter names and shapes, buffers, tied weights), and with every floating-point number
masked where it comes from the random generator, whose stream differs from PyTorch's.
"""
import contextlib
import io
import re

import numpy as np
import pytest

import disttrain as torch
from disttrain import nn

from ._seeds import load_seed


# PyTorch 2.13's output of each script (CPU), with torch.Size written disttrain.Size.
EXPECTED = {
    "models_mlp": [
        'tensor([[-0.0894, -0.4150, -0.0230, -0.2098,  0.0863,  0.0848,  0.0193,  0.0790,',
        '         -0.0306,  0.3400],',
        '        [-0.1865, -0.2439,  0.1013, -0.2069, -0.0952, -0.1075,  0.1416,  0.0421,',
        '          0.0358,  0.1633]], grad_fn=<AddmmBackward0>)',
        'tensor([[-0.0279, -0.0876, -0.0229, -0.0164,  0.1875,  0.1238,  0.1732, -0.0804,',
        '          0.0552, -0.2257],',
        '        [-0.0866, -0.0782, -0.0475,  0.1933,  0.0370, -0.1510,  0.1543, -0.0624,',
        '          0.0261, -0.0860]], grad_fn=<AddmmBackward0>)',
        'Sequential(',
        '  (0): Linear(in_features=784, out_features=256, bias=True)',
        '  (1): ReLU()',
        '  (2): Linear(in_features=256, out_features=10, bias=True)',
        ')',
    ],
    "models_my_sequential": [
        'tensor([[ 0.1310, -0.2045,  0.1665, -0.1500, -0.2157, -0.0051, -0.1630, -0.0104,',
        '         -0.2863, -0.0970],',
        '        [-0.0275, -0.2010,  0.0497, -0.1543, -0.0898,  0.0057, -0.1384, -0.2470,',
        '         -0.2916, -0.0579]], grad_fn=<AddmmBackward0>)',
        'tensor([[ 0.0140, -0.1282,  0.0478,  0.0666, -0.1507, -0.0575, -0.0086, -0.0880,',
        '          0.0967, -0.0783],',
        '        [ 0.0685, -0.1656,  0.0964,  0.0841, -0.1170, -0.0704, -0.1405, -0.0796,',
        '          0.1205, -0.0178]], grad_fn=<AddmmBackward0>)',
        'MySequentialIdx(',
        '  (0): Linear(in_features=20, out_features=256, bias=True)',
        '  (1): ReLU()',
        '  (2): Linear(in_features=256, out_features=10, bias=True)',
        ')',
        ("('0.weight', disttrain.Size([256, 20])) ('0.bias', disttrain.Size([256])) ('2.we"
         "ight', disttrain.Size([10, 256])) ('2.bias', disttrain.Size([10]))"),
    ],
    "models_nested": [
        'tensor(0.0251, grad_fn=<SumBackward0>)',
        'tensor(-0.2174, grad_fn=<SumBackward0>)',
        'Sequential(',
        '  (0): NestMLP(',
        '    (net): Sequential(',
        '      (0): Linear(in_features=20, out_features=64, bias=True)',
        '      (1): ReLU()',
        '      (2): Linear(in_features=64, out_features=32, bias=True)',
        '      (3): ReLU()',
        '    )',
        '    (linear): Linear(in_features=32, out_features=16, bias=True)',
        '  )',
        '  (1): Linear(in_features=16, out_features=20, bias=True)',
        '  (2): FixedHiddenMLP(',
        '    (linear): Linear(in_features=20, out_features=20, bias=True)',
        '  )',
        ')',
    ],
    "models_parameters": [
        'Sequential(',
        '  (0): Linear(in_features=4, out_features=3, bias=True)',
        '  (1): ReLU()',
        '  (2): Linear(in_features=3, out_features=1, bias=True)',
        ')',
        'tensor(0.3860, grad_fn=<SumBackward0>)',
        "<class 'generator'>",
        '0.weight disttrain.Size([3, 4])',
        '0.bias disttrain.Size([3])',
        '2.weight disttrain.Size([1, 3])',
        '2.bias disttrain.Size([1])',
        "weight disttrain.Size([3, 4]) <class 'disttrain.nn.parameter.Parameter'>",
        "bias disttrain.Size([3]) <class 'disttrain.nn.parameter.Parameter'>",
        ("('0.weight', disttrain.Size([3, 4])) ('0.bias', disttrain.Size([3])) ('2.weight'"
         ", disttrain.Size([1, 3])) ('2.bias', disttrain.Size([1]))"),
        'tensor([0.2105])',
    ],
    "models_init_apply": [
        'Init weight disttrain.Size([8, 4])',
        'Init weight disttrain.Size([1, 8])',
        'tensor([[ 8.4239, -8.0183, -7.5191, -0.0000],',
        '        [-6.5804, -7.0271, -0.0000,  9.8619]], grad_fn=<SliceBackward0>)',
        'Init weight disttrain.Size([20, 10])',
        'Init weight disttrain.Size([30, 20])',
        'Init weight disttrain.Size([2, 30])',
        'disttrain.Size([3, 2])',
    ],
    "models_shared_params": [
        'tensor([True, True, True, True, True, True, True, True])',
        'tensor([True, True, True, True, True, True, True, True])',
        "['0.weight', '0.bias', '2.weight', '2.bias', '6.weight', '6.bias']",
        'True',
    ],
    "models_lazy": [
        'Sequential(',
        '  (0): LazyLinear(in_features=0, out_features=256, bias=True)',
        '  (1): ReLU()',
        '  (2): LazyLinear(in_features=0, out_features=10, bias=True)',
        ')',
        '<UninitializedParameter>',
        'Sequential(',
        '  (0): Linear(in_features=20, out_features=256, bias=True)',
        '  (1): ReLU()',
        '  (2): Linear(in_features=256, out_features=10, bias=True)',
        ')',
        'disttrain.Size([256, 20])',
    ],
    "models_fourier_layer": [
        'FourierCoefficientLayer()',
        "['k'] []",
        'tensor([[[ 1.0000e+00,  7.5000e-01,  5.0000e-01,  7.5000e-01],',
        '         [ 0.0000e+00,  2.5000e-01, -2.1856e-08, -2.5000e-01]],',
        '',
        '        [[ 1.0000e+00, -4.3711e-08, -1.0000e+00,  1.1925e-08],',
        '         [ 0.0000e+00,  1.0000e+00, -8.7423e-08, -1.0000e+00]]])',
    ],
    "models_intermediate": [
        'Parameter containing:',
        'tensor([[-0.0053,  0.3793],',
        '        [-0.5820, -0.5204],',
        '        [-0.2723,  0.1896],',
        '        [-0.0140,  0.5607],',
        '        [-0.0628,  0.1871],',
        '        [-0.2137, -0.1390],',
        '        [-0.6755, -0.4683],',
        '        [-0.2915,  0.0262]], requires_grad=True)',
        'Parameter containing:',
        'tensor([[-0.0053,  0.3793],',
        '        [-0.5820, -0.5204],',
        '        [-0.2723,  0.1896],',
        '        [-0.0140,  0.5607],',
        '        [-0.0628,  0.1871],',
        '        [-0.2137, -0.1390],',
        '        [-0.6755, -0.4683],',
        '        [-0.2915,  0.0262]], requires_grad=True)',
        'Parameter containing:',
        'tensor([ 0.2795,  0.4243, -0.4794, -0.3079,  0.2568,  0.5872, -0.1455,  0.5291],',
        '       requires_grad=True)',
        'Parameter containing:',
        'tensor([[-0.0570,  0.0374,  0.3201, -0.3280, -0.2226, -0.0895, -0.1378,  0.3055]],',
        '       requires_grad=True)',
        'Parameter containing:',
        'tensor([-0.2292], requires_grad=True)',
        'tensor([[1.0329, 0.0000, 0.0000, 0.7994, 0.5683, 0.0955, 0.0000, 0.2900],',
        '        [1.7810, 0.0000, 0.0000, 1.8927, 0.8170, 0.0000, 0.0000, 0.0000],',
        '        [2.5290, 0.0000, 0.0000, 2.9860, 1.0657, 0.0000, 0.0000, 0.0000],',
        '        [3.2771, 0.0000, 0.0000, 4.0793, 1.3144, 0.0000, 0.0000, 0.0000]],',
        '       grad_fn=<ReluBackward0>)',
        'tensor([[1.0329, 0.0000, 0.0000, 0.7994, 0.5683, 0.0955, 0.0000, 0.2900],',
        '        [1.7810, 0.0000, 0.0000, 1.8927, 0.8170, 0.0000, 0.0000, 0.0000],',
        '        [2.5290, 0.0000, 0.0000, 2.9860, 1.0657, 0.0000, 0.0000, 0.0000],',
        '        [3.2771, 0.0000, 0.0000, 4.0793, 1.3144, 0.0000, 0.0000, 0.0000]],',
        '       grad_fn=<ReluBackward0>)',
        'tensor(132.0424, grad_fn=<MseLossBackward0>)',
        "[('input_to_hidden_layer', (2, 8)), ('hidden_to_output_layer', (8, 1))]",
        'disttrain.Size([4, 1])',
    ],
    "models_layers": [
        'Linear(in_features=5, out_features=3, bias=True)',
        'disttrain.Size([3, 5]) disttrain.Size([3])',
        'ReLU() Sigmoid()',
        'tensor([0., 0., 3.]) tensor([0.1192, 0.5000, 0.9526])',
        'tensor([1.0000, 1.0000, 1.0000])',
        'disttrain.Size([3, 4])',
        '<MseLossBackward0 object at 0x...> disttrain.Size([1, 1]) disttrain.Size([1])',
        'disttrain.Size([])',
    ],
}

# Scripts whose output does not depend on random numbers: compared character for character.
EXACT = {"models_lazy", "models_fourier_layer", "models_shared_params"}

_NUMBER = re.compile(r"-?\d+\.\d*(?:e[+-]\d+)?")


def _run(name, seed=0):
    module = load_seed(name)
    torch.manual_seed(seed)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        module.main()
    return module, buf.getvalue()


def _masked(text):
    """Numbers become '#' and spaces go (their count depends on the values' signs and
    widths); the words, punctuation and line structure remain."""
    return re.sub(r"[ \t]+", "", _NUMBER.sub("#", text))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_script_prints_what_pytorch_prints(name):
    """The script runs and prints PyTorch's text (numbers masked where they are random)."""
    _, out = _run(name)
    out = re.sub(r"0x[0-9a-f]+", "0x...", out).rstrip("\n")
    out = re.sub(r",?\s*device='cuda:\d+'", "", out)     # on a GPU the device is shown too
    want = "\n".join(EXPECTED[name])
    if name in EXACT:
        assert out == want
    else:
        assert _masked(out) == _masked(want)


def test_fixed_hidden_mlp_control_flow():
    """FixedHiddenMLP halves until the absolute sum is at most 1; rand_weight gets no grad."""
    mod = load_seed("models_nested")
    torch.manual_seed(1)
    net = mod.FixedHiddenMLP()
    out = net(torch.rand(2, 20) * 50)
    assert out.dim() == 0 and abs(out.item()) <= 1
    assert [n for n, _ in net.named_parameters()] == ["linear.weight", "linear.bias"]
    out.backward()
    assert net.linear.weight.grad is not None and net.rand_weight.grad is None
    chimera = nn.Sequential(mod.NestMLP(), nn.Linear(16, 20), mod.FixedHiddenMLP())
    assert len(list(chimera.parameters())) == 10


def test_my_sequential_both_forms_compute_like_sequential():
    """Both MySequential forms run the blocks in order, like nn.Sequential with them."""
    mod = load_seed("models_my_sequential")
    layers = [nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10)]
    x = torch.rand(2, 20)
    ref = nn.Sequential(*layers)(x)
    for cls in (mod.MySequential, mod.MySequentialIdx):
        assert (cls(*layers)(x) == ref).all()
    # the str(idx) form names parameters like nn.Sequential does; keys that are modules
    # break dotted naming, in PyTorch as here
    assert len(list(mod.MySequentialIdx(*layers).parameters())) == 4
    with pytest.raises(TypeError, match="can only concatenate str"):
        list(mod.MySequential(*layers).parameters())


def test_my_init_leaves_only_large_weights():
    """After my_init every Linear weight is 0 or has 5 <= |w| <= 10."""
    mod = load_seed("models_init_apply")
    torch.manual_seed(0)
    with contextlib.redirect_stdout(io.StringIO()):
        model = mod.MyModel()
    for layer in (model.fc1, model.fc2, model.fc3):
        w = np.abs(layer.weight.detach().numpy())
        assert ((w == 0) | ((w >= 5) & (w <= 10))).all() and (w > 0).any()


def test_shared_parameters_accumulate_both_gradients():
    """The tied layer's gradient is the sum of the gradients of its two uses."""
    torch.manual_seed(0)
    shared = nn.Linear(8, 8)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(),
                        nn.Linear(8, 1))
    x = torch.rand(2, 4)
    net(x).sum().backward()
    # the same computation with the two uses as separate copies of the weight
    w1 = shared.weight.detach().clone().requires_grad_()
    w2 = shared.weight.detach().clone().requires_grad_()
    h = net[1](net[0](x))
    h = (h @ w1.T + shared.bias).relu()
    h = (h @ w2.T + shared.bias).relu()
    net[6](h).sum().backward()
    np.testing.assert_allclose(shared.weight.grad.numpy(), (w1.grad + w2.grad).numpy(),
                               rtol=1e-5, atol=1e-7)


def test_fourier_layer_buffer_moves_and_saves():
    """The registered buffer is saved, moved by .double(), and is not a parameter."""
    mod = load_seed("models_fourier_layer")
    layer = mod.FourierCoefficientLayer(3).double()
    assert layer.k.dtype is torch.float64 and list(layer.parameters()) == []
    assert list(layer.state_dict()) == ["k"]
    out = layer(torch.ones(2, 5, dtype=torch.float64))
    assert out.shape == (2, 2, 3) and out.dtype is torch.float64


def test_intermediate_values_are_the_hidden_activations():
    """mynet(X)[1] equals the activation computed by calling the layers directly."""
    mod = load_seed("models_intermediate")
    net = mod.MyNeuralNet()
    X = torch.tensor(mod.x).float()
    out, hidden = net(X)
    direct = net.hidden_layer_activation(net.input_to_hidden_layer(X))
    assert (hidden == direct).all() and out.shape == (4, 1)
    assert (hidden >= 0).all()
