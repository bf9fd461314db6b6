"""ASGD: PyTorch's updates, state, errors and repr."""
import copy

import pytest

import disttrain
from disttrain.optim import ASGD

from ._helpers import assert_state, assert_values, check_invalid, run_steps

# Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64);
# the float32 values, state and repr are for the last configuration.
EXPECTED = [
    ({'lr': 0.1},
     [[0.4899852001129018, -1.0599690489177533, 2.0549392359791203],
      [0.029998773214326556, 0.16999610159861545, -0.33499367532503604, 0.4599915494588664]]),
    ({'lr': 0.1, 't0': 1, 'lambd': 0.1, 'alpha': 0.5},
     [[0.4754191475650615, -1.0297533167927053, 1.9954703538970722],
      [0.028861064376756364, 0.1659293338406441, -0.32874635242642597, 0.4517618836855859]]),
    ({'lr': 0.1, 't0': 0, 'lambd': 0.01, 'weight_decay': 0.1, 'maximize': True},
     [[0.4934763235023742, -0.9076821796323138, 1.879599334829683],
      [0.16673622192696355, 0.22611546838788346, -0.2587210328535522, 0.33129662273940985]]),
]
EXPECTED_F32 = [[0.49347633123397827, -0.9076821804046631, 1.8795994520187378],
                [0.16673621535301208,
                 0.22611548006534576,
                 -0.2587210536003113,
                 0.3312966227531433]]
STATE_F32 = {0: {'step': [3.0],
                 'eta': [0.09977559000253677],
                 'mu': [0.3333333432674408],
                 'ax': [0.4861205816268921, -0.9228182435035706, 1.9253721237182617]},
             1: {'step': [2.0],
                 'eta': [0.09985025972127914],
                 'mu': [0.5],
                 'ax': [0.16673621535301208,
                        0.22611548006534576,
                        -0.2587210536003113,
                        0.3312966227531433]}}
REPR = ('ASGD (\n'
        'Parameter Group 0\n'
        '    alpha: 0.75\n'
        '    capturable: False\n'
        '    differentiable: False\n'
        '    foreach: None\n'
        '    lambd: 0.01\n'
        '    lr: 0.1\n'
        '    maximize: True\n'
        '    t0: 0\n'
        '    weight_decay: 0.1\n'
        ')')


@pytest.mark.parametrize("kwargs,expected", EXPECTED, ids=[str(k) for k, _ in EXPECTED])
def test_matches_pytorch_float64(kwargs, expected):
    """ASGD steps (one with a missing grad) equal PyTorch's to float64 rounding."""
    params, _ = run_steps(ASGD, kwargs)
    assert_values(params, expected)


def test_matches_pytorch_float32_state_and_repr():
    """In float32 the parameters, ``state_dict()["state"]`` (PyTorch's keys, in order) and
    the repr match PyTorch's."""
    params, opt = run_steps(ASGD, EXPECTED[-1][0], disttrain.float32)
    assert_values(params, EXPECTED_F32, rtol=2e-6, atol=1e-7)
    assert_state(opt, STATE_F32)
    assert repr(opt) == REPR


def test_state_dict_round_trip():
    """A saved state dict loaded into a fresh optimizer continues exactly as the original."""
    params, opt = run_steps(ASGD, EXPECTED[-1][0])
    twin = [p.detach().clone().requires_grad_() for p in params]
    other = ASGD(twin)
    other.load_state_dict(copy.deepcopy(opt.state_dict()))
    for ps, o in ((params, opt), (twin, other)):
        for p in ps:
            p.grad = disttrain.ones_like(p) * 0.3
        o.step()
    for p, q in zip(params, twin):
        assert disttrain.equal(p, q)


@pytest.mark.parametrize("kwargs,message", [({'lr': -0.1}, 'Invalid learning rate: -0.1'),
                         ({'weight_decay': -1}, 'Invalid weight_decay value: -1')])
def test_invalid_arguments(kwargs, message):
    """Bad hyperparameters raise PyTorch's ValueError and message."""
    check_invalid(ASGD, kwargs, message)


def test_differentiable_is_refused():
    """``differentiable=True`` raises instead of silently stepping outside autograd."""
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        ASGD([disttrain.zeros(2, requires_grad=True)], differentiable=True)
