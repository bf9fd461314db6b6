"""The tensor and autograd programs of the tutorials, run as scripts in a subprocess.

Each script under examples/seeds is the tutorial's code with ``import disttrain as torch``.
EXPECTED holds what PyTorch 2.13 printed for the same script: lines marked '=' came out the
same in two PyTorch runs with different seeds and must match exactly; lines marked '~' hold
random values (our generator is not PyTorch's), so only their structure must match: the
same text once every number is masked (shape, brackets, dtype and grad_fn suffixes).
PyTorch's ``empty`` was made zero-filled for the recording, as ours is.
"""
import math
import re
import subprocess
import sys

import pytest

from ._seeds import ROOT, SEEDS

_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|nan|inf")
_ADDRESS = re.compile(r"0x[0-9a-f]+")

EXPECTED = {
    'tensors_basics': (
        '= tensor([[0., 0., 0.],\n'
        '=         [0., 0., 0.],\n'
        '=         [0., 0., 0.],\n'
        '=         [0., 0., 0.],\n'
        '=         [0., 0., 0.]])\n'
        '~ tensor([[0.7576, 0.2793, 0.4031],\n'
        '~         [0.7347, 0.0293, 0.7999],\n'
        '~         [0.3971, 0.7544, 0.5695],\n'
        '~         [0.4388, 0.6387, 0.5247],\n'
        '~         [0.6826, 0.3051, 0.4635]])\n'
        '= tensor([[0, 0, 0],\n'
        '=         [0, 0, 0],\n'
        '=         [0, 0, 0],\n'
        '=         [0, 0, 0],\n'
        '=         [0, 0, 0]])\n'
        '= tensor([5.5000, 3.0000])\n'
        '= tensor([[1., 1., 1.],\n'
        '=         [1., 1., 1.],\n'
        '=         [1., 1., 1.],\n'
        '=         [1., 1., 1.],\n'
        '=         [1., 1., 1.]], dtype=disttrain.float64)\n'
        '~ tensor([[-1.8349, -2.2149,  0.0436],\n'
        '~         [ 1.3240, -0.1005,  0.6443],\n'
        '~         [ 0.5244,  1.0157,  0.2571],\n'
        '~         [-0.9013,  0.8138,  0.3871],\n'
        '~         [ 0.5417,  0.6646,  0.3248]])\n'
        '= disttrain.Size([5, 3])\n'
        '~ tensor([[-1.1879, -1.8593,  0.4888],\n'
        '~         [ 1.3433,  0.1611,  1.4156],\n'
        '~         [ 0.9029,  2.0137,  1.1579],\n'
        '~         [-0.4247,  0.9800,  1.1916],\n'
        '~         [ 1.1969,  0.8414,  1.1495]])\n'
        '~ tensor([[-1.1879, -1.8593,  0.4888],\n'
        '~         [ 1.3433,  0.1611,  1.4156],\n'
        '~         [ 0.9029,  2.0137,  1.1579],\n'
        '~         [-0.4247,  0.9800,  1.1916],\n'
        '~         [ 1.1969,  0.8414,  1.1495]])\n'
        '~ tensor([[-1.1879, -1.8593,  0.4888],\n'
        '~         [ 1.3433,  0.1611,  1.4156],\n'
        '~         [ 0.9029,  2.0137,  1.1579],\n'
        '~         [-0.4247,  0.9800,  1.1916],\n'
        '~         [ 1.1969,  0.8414,  1.1495]])\n'
        '~ tensor([[-1.1879, -1.8593,  0.4888],\n'
        '~         [ 1.3433,  0.1611,  1.4156],\n'
        '~         [ 0.9029,  2.0137,  1.1579],\n'
        '~         [-0.4247,  0.9800,  1.1916],\n'
        '~         [ 1.1969,  0.8414,  1.1495]])\n'
        '~ tensor([-2.2149, -0.1005,  1.0157,  0.8138,  0.6646])\n'
        '= disttrain.Size([4, 4]) disttrain.Size([16]) disttrain.Size([2, 8])\n'
        '~ tensor([0.0996])\n'
        '~ 0.09960874915122986\n'
    ),
    'tensors_numpy_bridge': (
        '= tensor([1., 1., 1., 1., 1.])\n'
        '= [1. 1. 1. 1. 1.]\n'
        '= tensor([2., 2., 2., 2., 2.])\n'
        '= [2. 2. 2. 2. 2.]\n'
        '= [2. 2. 2. 2. 2.]\n'
        '= tensor([2., 2., 2., 2., 2.], dtype=disttrain.float64)\n'
    ),
    'tensors_matrix_ops': (
        '= tensor([[0., 0., 0.],\n'
        '=         [0., 0., 0.],\n'
        '=         [0., 0., 0.],\n'
        '=         [0., 0., 0.],\n'
        '=         [0., 0., 0.]])\n'
        '= tensor([0., 0., 0., 0., 0.]) tensor([0, 0, 0, 0, 0])\n'
        '= tensor([0., 0., 0., 0., 0.])\n'
        '~ tensor([[0.7576, 0.2793, 0.4031],\n'
        '~         [0.7347, 0.0293, 0.7999],\n'
        '~         [0.3971, 0.7544, 0.5695],\n'
        '~         [0.4388, 0.6387, 0.5247],\n'
        '~         [0.6826, 0.3051, 0.4635]])\n'
        '= tensor([[0, 0, 0],\n'
        '=         [0, 0, 0],\n'
        '=         [0, 0, 0],\n'
        '=         [0, 0, 0],\n'
        '=         [0, 0, 0]])\n'
        '= tensor([5.5000, 3.0000])\n'
        '= tensor([[1., 1., 1.],\n'
        '=         [1., 1., 1.],\n'
        '=         [1., 1., 1.],\n'
        '=         [1., 1., 1.],\n'
        '=         [1., 1., 1.]], dtype=disttrain.float64)\n'
        '~ tensor([[-1.8349, -2.2149,  0.0436],\n'
        '~         [ 1.3240, -0.1005,  0.6443],\n'
        '~         [ 0.5244,  1.0157,  0.2571],\n'
        '~         [-0.9013,  0.8138,  0.3871],\n'
        '~         [ 0.5417,  0.6646,  0.3248]])\n'
        '= disttrain.Size([5, 3]) tensor([[1., 1.],\n'
        '=         [1., 1.]]) tensor([[0., 0.],\n'
        '=         [0., 0.]]) tensor([[1., 0.],\n'
        '=         [0., 1.]])\n'
        '= disttrain.Size([5, 3])\n'
        '~ tensor([[-1.0314, -1.2715,  0.2633],\n'
        '~         [ 1.7417,  0.3898,  1.2173],\n'
        '~         [ 0.6449,  1.1609,  1.0291],\n'
        '~         [-0.5185,  1.5580,  0.9156],\n'
        '~         [ 1.2059,  1.2746,  1.0066]])\n'
        '~ tensor([[-1.0314, -1.2715,  0.2633],\n'
        '~         [ 1.7417,  0.3898,  1.2173],\n'
        '~         [ 0.6449,  1.1609,  1.0291],\n'
        '~         [-0.5185,  1.5580,  0.9156],\n'
        '~         [ 1.2059,  1.2746,  1.0066]])\n'
        '~ tensor([[-2.8663, -3.4865,  0.3069],\n'
        '~         [ 3.0657,  0.2892,  1.8616],\n'
        '~         [ 1.1693,  2.1766,  1.2862],\n'
        '~         [-1.4198,  2.3718,  1.3028],\n'
        '~         [ 1.7477,  1.9392,  1.3313]])\n'
        '~ tensor([0.0369, 0.1227, 0.7937, 0.8639, 0.6607])\n'
        '= disttrain.Size([4, 4]) disttrain.Size([16]) disttrain.Size([2, 8])\n'
        '= float\n'
        '= tensor([1., 1., 1., 1., 1.])\n'
        '= [1. 1. 1. 1. 1.]\n'
        '= tensor([3., 3., 3., 3., 3.])\n'
        '= [3. 3. 3. 3. 3.]\n'
        '= [2. 2. 2. 2. 2.]\n'
        '= tensor([2., 2., 2., 2., 2.], dtype=disttrain.float64)\n'
    ),
    'autograd_basics': (
        '= tensor([[3., 3.],\n'
        '=         [3., 3.]], grad_fn=<AddBackward0>)\n'
        '~ <AddBackward0 object at 0x7fdfdc88f640>\n'
        '= tensor([[27., 27.],\n'
        '=         [27., 27.]], grad_fn=<MulBackward0>)\n'
        '= tensor(27., grad_fn=<MeanBackward0>)\n'
        '~ tensor([[-5.8588, -1.0923],\n'
        '~         [-0.1972, -4.9222]])\n'
        '= True\n'
        '~ tensor(0.8985, grad_fn=<SumBackward0>)\n'
        '= None\n'
        '= tensor([[4.5000, 4.5000],\n'
        '=         [4.5000, 4.5000]])\n'
        '~ tensor([ -462.7517,  -170.1174, -1559.3149], grad_fn=<MulBackward0>)\n'
        '= tensor([1024., 1024., 1024.])\n'
        '= True\n'
        '= True\n'
        '= False\n'
    ),
    'autograd_backward': (
        '= tensor([1, 2, 3])\n'
        '= tensor([[1, 1, 1],\n'
        '=         [1, 1, 1],\n'
        '=         [1, 1, 1]])\n'
        '= tensor([[0., 0.],\n'
        '=         [0., 0.]])\n'
        '= tensor([[1, 2],\n'
        '=         [3, 4]])\n'
        '= tensor([1., 2., 3.])\n'
        '= tensor([[0., 0., 0.],\n'
        '=         [0., 0., 0.],\n'
        '=         [0., 0., 0.]])\n'
        '= tensor([[0., 0.],\n'
        '=         [0., 0.]])\n'
        '= tensor([[1., 1., 1.],\n'
        '=         [1., 1., 1.],\n'
        '=         [1., 1., 1.]])\n'
        '= tensor([[1., 1.],\n'
        '=         [1., 1.]])\n'
        '= disttrain.Size([2, 3]) disttrain.float32\n'
        '= tensor([1, 2, 3])\n'
        '= tensor(2.5000) tensor([2., 3.])\n'
        '= tensor(1.2910) tensor([1.4142, 1.4142])\n'
        '= tensor(1.6667) tensor([2., 2.])\n'
        '= tensor([12.])\n'
        '= tensor([ 5., -1.,  4.])\n'
        '= tensor([2., 2., 2.])\n'
        '= tensor([ 2., -4.,  1.]) False\n'
    ),
    'tensors_from_lists': (
        '= tensor([[1., 2.],\n'
        '=         [3., 4.],\n'
        '=         [5., 6.],\n'
        '=         [7., 8.]])\n'
        '= tensor([[ 3.],\n'
        '=         [ 7.],\n'
        '=         [ 5.],\n'
        '=         [11.]])\n'
        '= cpu disttrain.float32 disttrain.Size([4, 1])\n'
        '= tensor(True) disttrain.Size([2, 20])\n'
    ),
}


def _run(name):
    """Run examples/seeds/<name>.py in a fresh interpreter; return its stdout lines."""
    proc = subprocess.run([sys.executable, str(SEEDS / f"{name}.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def _structure(line):
    """The line with every number masked and spaces dropped (widths follow the values)."""
    return "".join(_NUMBER.sub("#", _ADDRESS.sub("0x", line)).split())


def _numbers(lines):
    return [float(v) for line in lines for v in re.findall(r"-?\d+\.\d*", line)]


@pytest.fixture(scope="module")
def outputs():
    return {}


def _output(outputs, name):
    if name not in outputs:
        outputs[name] = _run(name)
    return outputs[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_script_prints_what_pytorch_prints(name, outputs):
    """Deterministic lines equal PyTorch's; random ones have PyTorch's structure."""
    got = _output(outputs, name)
    want = "".join(EXPECTED[name]).splitlines()
    assert len(got) == len(want), "\n".join(got)
    for i, (g, w) in enumerate(zip(got, want)):
        flag, line = w[0], w[2:]
        if flag == "=":
            assert g == line, f"line {i + 1}: {g!r} != {line!r}"
        else:
            assert _structure(g) == _structure(line), f"line {i + 1}: {g!r} ~ {line!r}"


def _block(lines, start, n):
    return "\n".join(lines[start:start + n])


def test_tensors_basics_relations(outputs):
    """The four additions print one result; x[:, 1] is x's column; item() is the value."""
    out = _output(outputs, "tensors_basics")
    sums = [_block(out, s, 5) for s in (27, 32, 37, 42)]
    assert sums[0] == sums[1] == sums[2] == sums[3]
    x = [_numbers([row]) for row in out[21:26]]
    assert _numbers([out[47]]) == [row[1] for row in x]
    assert f"{float(out[50]):.4f}" == out[49][len("tensor(["):-len("])")]


def test_matrix_ops_relations(outputs):
    """Both ways of adding give one result; add_ then adds matrix_6 once more."""
    out = _output(outputs, "tensors_matrix_ops")
    assert _block(out, 33, 5) == _block(out, 38, 5)
    m6, total, result = _numbers(out[23:28]), _numbers(out[33:38]), _numbers(out[43:48])
    assert all(abs(r - (t + m)) <= 2e-4 for r, t, m in zip(result, total, m6))


def test_autograd_basics_relations(outputs):
    """The vector backward's gradient is 2**k for the k doublings that took the norm past
    1000."""
    out = _output(outputs, "autograd_basics")
    y = _numbers([out[13]])
    grad = _numbers([out[14]])
    assert len(set(grad)) == 1 and 1000 <= sum(v * v for v in y) ** 0.5 < 2000
    k = round(math.log2(grad[0]))
    assert grad[0] == 2.0 ** k and k >= 1
