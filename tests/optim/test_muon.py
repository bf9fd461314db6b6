"""Muon: PyTorch's updates (its Newton-Schulz iteration in bfloat16 reproduced bit for bit),
state, errors and repr."""
import numpy as np
import pytest

import disttrain
from disttrain.optim import Muon
from disttrain.optim.muon import _bf16

from ._helpers import assert_values, check_invalid

# A 4x3 and a 2x5 weight and three steps of gradients (numpy's RandomState(0), rounded).
P0 = [[[1.764, 0.4, 0.979], [2.241, 1.868, -0.977], [0.95, -0.151, -0.103], [0.411, 0.144, 1.454]],
      [[0.761, 0.122, 0.444, 0.334, 1.494], [-0.205, 0.313, -0.854, -2.553, 0.654]]]
GRADS = [[[[0.864, -0.742, 2.27], [-1.454, 0.046, -0.187], [1.533, 1.469, 0.155],
           [0.378, -0.888, -1.981]],
          [[-0.348, 0.156, 1.23, 1.202, -0.387], [-0.302, -1.049, -1.42, -1.706, 1.951]]],
         [[[-0.51, -0.438, -1.253], [0.777, -1.614, -0.213], [-0.895, 0.387, -0.511],
           [-1.181, -0.028, 0.428]],
          [[0.067, 0.302, -0.634, -0.363, -0.672], [-0.36, -0.813, -1.726, 0.177, -0.402]]],
         [[[-1.63, 0.463, -0.907], [0.052, 0.729, 0.129], [1.139, -1.235, 0.402],
           [-0.685, -0.871, -0.579]],
          [[-0.312, 0.056, -1.165, 0.901, 0.466], [-1.536, 1.488, 1.896, 1.179, -0.18]]]]
# (dtype, options, parameters after the three steps), from PyTorch 2.13.
EXPECTED = [
    ("float64", {'lr': 0.02},
     [[1.7590387681340243, 0.4184653161433757, 0.9547235823756155, 2.236833957500595,
       1.8685777107181445, -0.9624711448067557, 0.9213032274830967, -0.16102294117252572,
       -0.0912947807713585, 0.4242335370593472, 0.17482799851043634, 1.4795249137968989],
      [0.7693055305995, 0.11501232407868751, 0.44726425616675, 0.30875661454674996,
       1.5006976287433125, -0.17970959351624996, 0.3171825745897499, -0.8361557558555,
       -2.533738724326, 0.633508213393]]),
    ("float64", {'lr': 0.02, 'nesterov': False, 'weight_decay': 0.0, 'momentum': 0.9,
                 'adjust_lr_fn': 'match_rms_adamw'},
     [[1.7596562500000001, 0.40867773437500005, 0.97091015625, 2.244794921875, 1.8764921875,
       -0.976556640625, 0.934890625, -0.15790624999999997, -0.09826562499999998,
       0.410537109375, 0.15478124999999998, 1.47028125],
      [0.7683021594890227, 0.12113963790709481, 0.443764164705498, 0.3223479895234972,
       1.4986817673278903, -0.19374104834766706, 0.31866768987851635, -0.8438852862580282,
       -2.548963504241789, 0.6442870797227354]]),
    ("float64", {'lr': 0.05, 'ns_steps': 3, 'ns_coefficients': (2.0, -1.5, 0.5)},
     [[1.7579172613621699, 0.43876174361670167, 0.9382018256489508, 2.2353900312896613,
       1.8746425427607525, -0.9392519316980945, 0.8617772278183305, -0.195542011371237,
       -0.05765968194830764, 0.4537810732279063, 0.2229184953857208, 1.5205808889876733],
      [0.7818993211835936, 0.10910173118554688, 0.44984165758593747, 0.25608561371875,
       1.5058870829765625, -0.13770347437499997, 0.3357474129257813, -0.8025290213749999,
       -2.4924315684726563, 0.5898527817265625]]),
    ("float32", {'lr': 0.02},
     [[1.7590389251708984, 0.41846534609794617, 0.954723596572876, 2.2368340492248535,
       1.8685779571533203, -0.9624711871147156, 0.9213033318519592, -0.16102293133735657,
       -0.0912947952747345, 0.4242335855960846, 0.17482800781726837, 1.4795249700546265],
      [0.7693055272102356, 0.11501234024763107, 0.44726428389549255, 0.30875661969184875,
       1.5006976127624512, -0.17970959842205048, 0.3171825706958771, -0.8361557722091675,
       -2.533738851547241, 0.6335082650184631]]),
]
REPR = ('Muon (\n'
        'Parameter Group 0\n'
        '    adjust_lr_fn: None\n'
        '    eps: 1e-07\n'
        '    lr: 0.02\n'
        '    momentum: 0.95\n'
        '    nesterov: True\n'
        '    ns_coefficients: (3.4445, -4.775, 2.0315)\n'
        '    ns_steps: 5\n'
        '    weight_decay: 0.1\n'
        ')')


def run(dtype, kwargs):
    params = [disttrain.tensor(p, dtype=dtype, requires_grad=True) for p in P0]
    opt = Muon(params, **kwargs)
    for grads in GRADS:
        for p, g in zip(params, grads):
            p.grad = disttrain.tensor(g, dtype=dtype)
        opt.step()
    return params, opt


@pytest.mark.parametrize("dtype,kwargs,expected", EXPECTED,
                         ids=[f"{d}-{k}" for d, k, _ in EXPECTED])
def test_matches_pytorch(dtype, kwargs, expected):
    """Three steps on a tall and a wide matrix (transposed for the iteration) equal
    PyTorch's: Nesterov or not, both lr adjustments, other Newton-Schulz coefficients."""
    params, _ = run(getattr(disttrain, dtype), kwargs)
    assert_values(params, expected, rtol=1e-12 if dtype == "float64" else 1e-6, atol=1e-7)


def test_state_and_repr():
    """The state is PyTorch's: a momentum buffer per parameter, no step count."""
    params, opt = run(disttrain.float32, {"lr": 0.02})
    state = opt.state_dict()["state"]
    assert sorted(state) == [0, 1] and list(state[0]) == ["momentum_buffer"]
    assert state[0]["momentum_buffer"].shape == (4, 3)
    assert repr(opt) == REPR


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": -1.0}, "Learning rate should be >= 0 but is: -1.0"),
    ({"momentum": -0.5}, "momentum should be >= 0 but is: -0.5"),
    ({"weight_decay": -0.1}, "weight decay should be >= 0 but is: -0.1"),
    ({"adjust_lr_fn": "other"}, "Adjust learning rate function other is not supported"),
])
def test_invalid_arguments(kwargs, message):
    """Bad hyperparameters raise PyTorch's ValueError and message."""
    check_invalid(Muon, kwargs, message)


def test_only_matrices():
    """Muon refuses parameters that are not 2-d, naming their size."""
    with pytest.raises(ValueError, match=r"^Muon only supports 2D parameters whereas we found "
                                         r"a parameter with size: disttrain.Size\(\[3\]\)$"):
        Muon([disttrain.zeros(3, requires_grad=True)])


def test_bfloat16_rounding_matches_pytorch():
    """Round to nearest, ties to even, subnormals kept; float64 is rounded through float32
    as PyTorch's ``.bfloat16()`` does (so 1 + 2**-8 + 2**-40 becomes 1.0)."""
    x = [1.00390625, 1.01171875, 1.0039063, 3.0e38, -2.5e-3, 0.1, 1e-40]
    expected = [1.0, 1.015625, 1.0, 3.00405527047391e+38, -0.00250244140625, 0.10009765625,
                9.183549615799121e-41]
    for dtype in (np.float32, np.float64):
        np.testing.assert_array_equal(_bf16(np, np.array(x, dtype)), expected)
    assert _bf16(np, np.array([1.0 + 2 ** -8 + 2 ** -40]))[0] == 1.0
    assert np.isnan(_bf16(np, np.array([np.nan], np.float32))[0])
