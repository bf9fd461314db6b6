"""RMSprop: PyTorch's updates, errors and repr; the flat step against the per-tensor one."""
import pytest

import disttrain
from disttrain.optim import RMSprop
from disttrain.optim.rmsprop import rmsprop

from ._helpers import (assert_same, assert_values, check_float32, check_invalid,
                       fresh_states, run_reference, run_steps)

# Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64);
# the float32 values, state and repr are for the last configuration.
EXPECTED = [({"lr": 0.01},
             [[0.44278628812042964, -1.0252187211405048, 1.953869204051121],
              [0.028867520681702816, 0.2150808062246035, -0.43730013841659016,
               0.49999998333333606]]),
            ({"lr": 0.01, "momentum": 0.9},
             [[0.3439162816414638, -0.9396430127446757, 1.7424582183852158],
              [-0.06113247031829808, 0.30508078822460705, -0.5273001024166045,
               0.49999998333333606]]),
            ({"lr": 0.01, "centered": True},
             [[0.44229331426821017, -1.0250325974191654, 1.9532594881479501],
              [0.028427579203985722, 0.21554004771288796, -0.4381212614984485,
               0.5005037646909072]]),
            ({"lr": 0.01,
              "alpha": 0.5,
              "eps": 0.001,
              "weight_decay": 0.1,
              "momentum": 0.5,
              "centered": True,
              "maximize": True},
             [[0.5179246658928179, -0.9952839952625833, 1.9072388607965585],
              [0.12410952076350645, 0.1842435232130045, -0.2574338615619148, 0.3508694603132798]])]
EXPECTED_F32 = [[0.5179246664047241, -0.9952840209007263, 1.9072388410568237],
                [0.12410952895879745, 0.18424353003501892, -0.2574338912963867,
                 0.35086947679519653]]
STATE_F32 = {0: {"step": [3.0],
                 "square_avg": [0.06991354376077652, 0.16976402699947357, 0.40692755579948425],
                 "momentum_buffer": [-0.30931010842323303, -1.558872103691101, 3.925421714782715],
                 "grad_avg": [0.0074876099824905396, -0.31353384256362915, 0.4968344271183014]},
             1: {"step": [2.0],
                 "square_avg": [0.29369574785232544, 0.37335604429244995, 0.027793817222118378,
                                0.20398278534412384],
                 "momentum_buffer": [-0.4149843454360962, -0.41668951511383057,
                                     -2.2707982063293457, 3.0082919597625732],
                 "grad_avg": [-0.09150201082229614, -0.26099616289138794, -0.13400709629058838,
                              0.32904762029647827]}}
REPR = ("RMSprop (\n"
        "Parameter Group 0\n"
        "    alpha: 0.5\n"
        "    capturable: False\n"
        "    centered: True\n"
        "    differentiable: False\n"
        "    eps: 0.001\n"
        "    foreach: None\n"
        "    lr: 0.01\n"
        "    maximize: True\n"
        "    momentum: 0.5\n"
        "    weight_decay: 0.1\n"
        ")")


@pytest.mark.parametrize("kwargs,expected", EXPECTED, ids=[str(k) for k, _ in EXPECTED])
def test_matches_pytorch_float64(kwargs, expected):
    """Three RMSprop steps (one with a missing grad) equal PyTorch's to float64 rounding."""
    params, _ = run_steps(RMSprop, kwargs)
    assert_values(params, expected)


def test_matches_pytorch_float32_state_and_repr():
    """In float32 the parameters, the state (square_avg, momentum_buffer, grad_avg, step) and
    the repr match PyTorch's."""
    check_float32(RMSprop, EXPECTED[-1][0], EXPECTED_F32, STATE_F32, REPR)


@pytest.mark.parametrize("kwargs", [k for k, _ in EXPECTED])
def test_flat_step_equals_functional_reference(kwargs):
    """The flat-buffer step gives the per-tensor functional ``rmsprop``'s values."""
    params, _ = run_steps(RMSprop, kwargs)
    hyper = dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 maximize=False)
    hyper.update(kwargs)
    assert_same(params, run_reference(rmsprop, fresh_states(3), **hyper))


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": -1}, "Invalid learning rate: -1"),
    ({"eps": -1}, "Invalid epsilon value: -1"),
    ({"momentum": -1}, "Invalid momentum value: -1"),
    ({"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ({"alpha": -1}, "Invalid alpha value: -1"),
])
def test_invalid_arguments(kwargs, message):
    """Bad hyperparameters raise PyTorch's ValueError and message."""
    check_invalid(RMSprop, kwargs, message)


def test_tutorial_constructor_and_state_keys():
    """The tutorial's full RMSprop call works; state appears only after a step, with
    PyTorch's keys."""
    p = disttrain.ones(3, requires_grad=True)
    opt = RMSprop([p], lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0, momentum=0,
                  centered=False)
    assert opt.state_dict()["state"] == {}
    p.grad = disttrain.ones(3)
    opt.step()
    assert list(opt.state[p]) == ["step", "square_avg"]
