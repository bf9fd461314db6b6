"""Adagrad: PyTorch's updates, errors and repr; the flat step against the per-tensor one."""
import pytest

import disttrain
from disttrain.optim import Adagrad
from disttrain.optim.adagrad import adagrad

from ._helpers import (assert_same, assert_values, check_float32, check_invalid,
                       fresh_states, run_reference, run_steps)

# Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64);
# the float32 values, state and repr are for the last configuration.
EXPECTED = [({"lr": 0.1},
             [[0.4428609323888195, -1.0250194642932822, 1.9540270267962776],
              [0.028734788563882247, 0.21520016958847998, -0.4371390675816173,
               0.49999999998333333]]),
            ({"lr": 0.1, "lr_decay": 0.5},
             [[0.4347637995417431, -0.978321120469983, 1.919559953529806],
              [0.019156525712588166, 0.2434667797189867, -0.4247593783744115,
               0.46666666665555556]]),
            ({"lr": 0.1, "initial_accumulator_value": 0.3, "weight_decay": 0.1, "eps": 0.001},
             [[0.4622761952604246, -1.0269857182454958, 1.9758725060924716],
              [0.0373170494931236, 0.19085477112291482, -0.34834906196575494,
               0.46408113982838434]]),
            ({"lr": 0.1, "maximize": True, "lr_decay": 0.1},
             [[0.5582219502777009, -0.9886301183995336, 2.0583654594341625],
              [0.17387746494101614, 0.17709075492138188, -0.1662372112930752,
               0.30909090910606063]])]
EXPECTED_F32 = [[0.5582219958305359, -0.9886301159858704, 2.0583653450012207],
                [0.17387746274471283, 0.17709076404571533, -0.1662372201681137,
                 0.30909091234207153]]
STATE_F32 = {0: {"step": [3.0],
                 "sum": [0.28999999165534973, 0.4400000274181366, 0.5024999976158142]},
             1: {"step": [2.0],
                 "sum": [1.090000033378601, 0.89000004529953, 0.07249999791383743,
                         0.36000001430511475]}}
REPR = ("Adagrad (\n"
        "Parameter Group 0\n"
        "    differentiable: False\n"
        "    eps: 1e-10\n"
        "    foreach: None\n"
        "    fused: None\n"
        "    initial_accumulator_value: 0\n"
        "    lr: 0.1\n"
        "    lr_decay: 0.1\n"
        "    maximize: True\n"
        "    weight_decay: 0\n"
        ")")


@pytest.mark.parametrize("kwargs,expected", EXPECTED, ids=[str(k) for k, _ in EXPECTED])
def test_matches_pytorch_float64(kwargs, expected):
    """Three Adagrad steps (one with a missing grad) equal PyTorch's to float64 rounding."""
    params, _ = run_steps(Adagrad, kwargs)
    assert_values(params, expected)


def test_matches_pytorch_float32_state_and_repr():
    """In float32 the parameters, the state (sum, step) and the repr match PyTorch's."""
    check_float32(Adagrad, EXPECTED[-1][0], EXPECTED_F32, STATE_F32, REPR)


@pytest.mark.parametrize("kwargs", [k for k, _ in EXPECTED])
def test_flat_step_equals_functional_reference(kwargs):
    """The flat-buffer step gives the per-tensor functional ``adagrad``'s values."""
    params, _ = run_steps(Adagrad, kwargs)
    hyper = dict(lr=1e-2, lr_decay=0, weight_decay=0, eps=1e-10, maximize=False)
    hyper.update(kwargs)
    init = hyper.pop("initial_accumulator_value", 0)
    assert_same(params, run_reference(adagrad, fresh_states(1, init), **hyper))


def test_state_exists_before_the_first_step():
    """As in PyTorch, Adagrad's state (step 0, the initial sums) is there from construction."""
    p = disttrain.zeros(2, requires_grad=True)
    opt = Adagrad([p], initial_accumulator_value=0.5)
    state = opt.state_dict()["state"]
    assert list(state) == [0] and list(state[0]) == ["step", "sum"]
    assert state[0]["step"].item() == 0.0 and state[0]["sum"].tolist() == [0.5, 0.5]


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": -1}, "Invalid learning rate: -1"),
    ({"lr_decay": -1}, "Invalid lr_decay value: -1"),
    ({"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ({"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
    ({"eps": -1}, "Invalid epsilon value: -1"),
])
def test_invalid_arguments(kwargs, message):
    """Bad hyperparameters raise PyTorch's ValueError and message."""
    check_invalid(Adagrad, kwargs, message)
