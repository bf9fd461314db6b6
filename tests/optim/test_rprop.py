"""Rprop: PyTorch's updates, state, errors and repr."""
import copy

import pytest

import disttrain
from disttrain.optim import Rprop

from ._helpers import assert_state, assert_values, check_invalid, run_steps

# Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64);
# the float32 values, state and repr are for the last configuration.
EXPECTED = [
    ({'lr': 0.1},
     [[0.35000000000000003, -0.9500000000000001, 1.7799999999999998],
      [0.0, 0.30000000000000004, -0.52, 0.5]]),
    ({'lr': 0.1, 'etas': (0.3, 1.5), 'step_sizes': (0.05, 0.12)},
     [[0.35000000000000003, -0.9500000000000001, 1.7799999999999998],
      [0.0, 0.30000000000000004, -0.52, 0.5]]),
    ({'lr': 0.1, 'maximize': True},
     [[0.65, -1.05, 2.22], [0.2, 0.1, -0.07999999999999999, 0.30000000000000004]]),
]
EXPECTED_F32 = [[0.6500000357627869, -1.0500000715255737, 2.2199997901916504],
                [0.20000000298023224,
                 0.10000000149011612,
                 -0.08000001311302185,
                 0.30000001192092896]]
STATE_F32 = {0: {'step': [3.0],
                 'prev': [-0.20000000298023224, -0.20000000298023224, 0.0],
                 'step_size': [0.05000000074505806, 0.05000000074505806, 0.06000000238418579]},
             1: {'step': [2.0],
                 'prev': [0.0, 0.0, -0.10000000149011612, 0.6000000238418579],
                 'step_size': [0.05000000074505806,
                               0.05000000074505806,
                               0.12000000476837158,
                               0.10000000149011612]}}
REPR = ('Rprop (\n'
        'Parameter Group 0\n'
        '    capturable: False\n'
        '    differentiable: False\n'
        '    etas: (0.5, 1.2)\n'
        '    foreach: None\n'
        '    lr: 0.1\n'
        '    maximize: True\n'
        '    step_sizes: (1e-06, 50)\n'
        ')')


@pytest.mark.parametrize("kwargs,expected", EXPECTED, ids=[str(k) for k, _ in EXPECTED])
def test_matches_pytorch_float64(kwargs, expected):
    """Rprop steps (one with a missing grad) equal PyTorch's to float64 rounding."""
    params, _ = run_steps(Rprop, kwargs)
    assert_values(params, expected)


def test_matches_pytorch_float32_state_and_repr():
    """In float32 the parameters, ``state_dict()["state"]`` (PyTorch's keys, in order) and
    the repr match PyTorch's."""
    params, opt = run_steps(Rprop, EXPECTED[-1][0], disttrain.float32)
    assert_values(params, EXPECTED_F32, rtol=2e-6, atol=1e-7)
    assert_state(opt, STATE_F32)
    assert repr(opt) == REPR


def test_state_dict_round_trip():
    """A saved state dict loaded into a fresh optimizer continues exactly as the original."""
    params, opt = run_steps(Rprop, EXPECTED[-1][0])
    twin = [p.detach().clone().requires_grad_() for p in params]
    other = Rprop(twin)
    other.load_state_dict(copy.deepcopy(opt.state_dict()))
    for ps, o in ((params, opt), (twin, other)):
        for p in ps:
            p.grad = disttrain.ones_like(p) * 0.3
        o.step()
    for p, q in zip(params, twin):
        assert disttrain.equal(p, q)


@pytest.mark.parametrize("kwargs,message", [({'lr': -0.1}, 'Invalid learning rate: -0.1'),
                         ({'etas': (1.0, 1.2)}, 'Invalid eta values: 1.0, 1.2'),
                         ({'etas': (0.5, 1.0)}, 'Invalid eta values: 0.5, 1.0')])
def test_invalid_arguments(kwargs, message):
    """Bad hyperparameters raise PyTorch's ValueError and message."""
    check_invalid(Rprop, kwargs, message)


def test_differentiable_is_refused():
    """``differentiable=True`` raises instead of silently stepping outside autograd."""
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        Rprop([disttrain.zeros(2, requires_grad=True)], differentiable=True)
