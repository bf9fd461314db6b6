"""Adamax: PyTorch's updates, state, errors and repr."""
import copy

import pytest

import disttrain
from disttrain.optim import Adamax

from ._helpers import assert_state, assert_values, check_invalid, run_steps

# Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64);
# the float32 values, state and repr are for the last configuration.
EXPECTED = [
    ({'lr': 0.1},
     [[0.4094407751958836, -0.9724250474680404, 1.8565003510317488],
      [-0.03161055661024185, 0.2769736824983553, -0.46848953543417127, 0.45263157807017546]]),
    ({'lr': 0.1, 'betas': (0.5, 0.9), 'weight_decay': 0.1},
     [[0.40764093271149493, -0.9825763001672418, 1.8394027217531472],
      [-0.015034835685317728, 0.25261044025953217, -0.4572390502448733, 0.3643275092412988]]),
    ({'lr': 0.1, 'eps': 0.001, 'maximize': True},
     [[0.590250545060374, -1.027197951447256, 2.141822454469094],
      [0.23147907884749996, 0.12319716962684135, -0.13218173090263668, 0.3474559943953061]]),
]
EXPECTED_F32 = [[0.590250551700592, -1.0271978378295898, 2.141822576522827],
                [0.23147906363010406,
                 0.12319717556238174,
                 -0.13218173384666443,
                 0.3474560081958771]]
STATE_F32 = {0: {'step': [3.0],
                 'exp_avg': [-0.008299999870359898, -0.05779999867081642, 0.05739999935030937],
                 'exp_inf': [0.40059900283813477, 0.6003990173339844, 0.7009999752044678]},
             1: {'step': [2.0],
                 'exp_avg': [-0.05999999865889549,
                             -0.03500000387430191,
                             -0.0325000025331974,
                             0.06000000238418579],
                 'exp_inf': [0.9999990463256836,
                             0.8009999990463257,
                             0.25074899196624756,
                             0.6010000109672546]}}
REPR = ('Adamax (\n'
        'Parameter Group 0\n'
        '    betas: (0.9, 0.999)\n'
        '    capturable: False\n'
        '    differentiable: False\n'
        '    eps: 0.001\n'
        '    foreach: None\n'
        '    lr: 0.1\n'
        '    maximize: True\n'
        '    weight_decay: 0\n'
        ')')


@pytest.mark.parametrize("kwargs,expected", EXPECTED, ids=[str(k) for k, _ in EXPECTED])
def test_matches_pytorch_float64(kwargs, expected):
    """Adamax steps (one with a missing grad) equal PyTorch's to float64 rounding."""
    params, _ = run_steps(Adamax, kwargs)
    assert_values(params, expected)


def test_matches_pytorch_float32_state_and_repr():
    """In float32 the parameters, ``state_dict()["state"]`` (PyTorch's keys, in order) and
    the repr match PyTorch's."""
    params, opt = run_steps(Adamax, EXPECTED[-1][0], disttrain.float32)
    assert_values(params, EXPECTED_F32, rtol=2e-6, atol=1e-7)
    assert_state(opt, STATE_F32)
    assert repr(opt) == REPR


def test_state_dict_round_trip():
    """A saved state dict loaded into a fresh optimizer continues exactly as the original."""
    params, opt = run_steps(Adamax, EXPECTED[-1][0])
    twin = [p.detach().clone().requires_grad_() for p in params]
    other = Adamax(twin)
    other.load_state_dict(copy.deepcopy(opt.state_dict()))
    for ps, o in ((params, opt), (twin, other)):
        for p in ps:
            p.grad = disttrain.ones_like(p) * 0.3
        o.step()
    for p, q in zip(params, twin):
        assert disttrain.equal(p, q)


@pytest.mark.parametrize("kwargs,message", [({'lr': -0.1}, 'Invalid learning rate: -0.1'),
                         ({'eps': -1}, 'Invalid epsilon value: -1'),
                         ({'betas': (1.0, 0.9)}, 'Invalid beta parameter at index 0: 1.0'),
                         ({'betas': (0.9, -0.1)}, 'Invalid beta parameter at index 1: -0.1'),
                         ({'weight_decay': -1}, 'Invalid weight_decay value: -1')])
def test_invalid_arguments(kwargs, message):
    """Bad hyperparameters raise PyTorch's ValueError and message."""
    check_invalid(Adamax, kwargs, message)


def test_differentiable_is_refused():
    """``differentiable=True`` raises instead of silently stepping outside autograd."""
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        Adamax([disttrain.zeros(2, requires_grad=True)], differentiable=True)
