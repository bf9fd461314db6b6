"""SGD: PyTorch's updates (the optimizer and the functional ``sgd``), its errors and repr."""
import pytest

import disttrain
from disttrain.optim import SGD
from disttrain.optim.sgd import sgd

from ._helpers import (assert_values, check_float32, check_invalid,
                       run_reference, run_steps)

# Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64).
EXPECTED = [
    ({"lr": 0.1},
     [[0.49, -1.06, 2.055], [0.03, 0.16999999999999998, -0.335, 0.46]]),
    ({"lr": 0.1, "momentum": 0.9},
     [[0.4747, -1.0798, 2.0334], [-0.06000000000000001, 0.215, -0.35750000000000004, 0.46]]),
    ({"lr": 0.1, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.1},
     [[0.42647662500000005, -0.97164425, 1.92058175], [-0.076895, 0.24996, -0.34519, 0.42042]]),
    ({"lr": 0.1, "momentum": 0.8, "nesterov": True},
     [[0.47304, -1.12336, 2.08428], [-0.09000000000000002, 0.17800000000000002, -0.379, 0.508]]),
    ({"lr": 0.05, "momentum": 0.5, "weight_decay": 0.2, "maximize": True},
     [[0.484951, -0.9204, 1.8931235],
      [0.15700999999999998, 0.19777000000000003, -0.26890499999999995, 0.36004]]),
]
EXPECTED_F32 = [[0.484950989484787, -0.9203999638557434, 1.8931235074996948],
                [0.1570100039243698, 0.19777001440525055, -0.26890501379966736,
                 0.36003997921943665]]
STATE_F32 = {0: {"momentum_buffer": [0.09898000210523605, -0.7919999957084656,
                                     1.3405300378799438]},
             1: {"momentum_buffer": [-0.16019999980926514, -0.49539998173713684,
                                     -0.3119000196456909, 0.719200074672699]}}
REPR = ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None"
        "\n    fused: None\n    lr: 0.05\n    maximize: True\n    momentum: 0.5\n"
        "    nesterov: False\n    weight_decay: 0.2\n)")


@pytest.mark.parametrize("kwargs,expected", EXPECTED, ids=[str(k) for k, _ in EXPECTED])
def test_matches_pytorch_float64(kwargs, expected):
    """Three SGD steps (one with a missing grad) equal PyTorch's to float64 rounding."""
    params, _ = run_steps(SGD, kwargs)
    assert_values(params, expected)


def test_matches_pytorch_float32_state_and_repr():
    """In float32 the parameters, the momentum buffers and the repr match PyTorch's."""
    check_float32(SGD, EXPECTED[-1][0], EXPECTED_F32, STATE_F32, REPR, rtol=1e-6)


@pytest.mark.parametrize("kwargs,expected", EXPECTED, ids=[str(k) for k, _ in EXPECTED])
def test_functional_sgd_matches_pytorch(kwargs, expected):
    """The functional ``sgd`` (one tensor at a time, new momentum buffers made for it) gives
    PyTorch's parameters."""
    hyper = dict(lr=0.001, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 maximize=False)
    hyper.update(kwargs)
    buffers = [None, None]
    assert_values(run_reference(sgd, [buffers], **hyper), expected)
    if hyper["momentum"]:
        assert all(isinstance(b, disttrain.Tensor) for b in buffers)


def test_momentum_buffer_starts_as_the_gradient():
    """The first momentum buffer is the gradient itself (not scaled by dampening)."""
    p = disttrain.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    p.grad = disttrain.tensor([0.5, -1.0])
    opt.step()
    assert opt.state[p]["momentum_buffer"].tolist() == [0.5, -1.0]
    assert p.tolist() == pytest.approx([0.95, 2.1])


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": -0.1}, "Invalid learning rate: -0.1"),
    ({"lr": 0.1, "momentum": -1}, "Invalid momentum value: -1"),
    ({"lr": 0.1, "weight_decay": -1}, "Invalid weight_decay value: -1"),
    ({"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ({"lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "Nesterov momentum requires a momentum and zero dampening"),
])
def test_invalid_arguments(kwargs, message):
    """Bad hyperparameters raise PyTorch's ValueError and message."""
    check_invalid(SGD, kwargs, message)


def test_defaults_and_tutorial_repr():
    """SGD(lr=0.001, momentum=0.9) has PyTorch's defaults and group keys."""
    opt = SGD([disttrain.zeros(3, requires_grad=True)], lr=0.001, momentum=0.9)
    assert opt.defaults == {"lr": 0.001, "momentum": 0.9, "dampening": 0, "weight_decay": 0,
                            "nesterov": False, "maximize": False, "foreach": None,
                            "differentiable": False, "fused": None}
    assert "    momentum: 0.9\n" in repr(opt) and repr(opt).startswith("SGD (\nParameter Group 0")


def test_lr_may_be_a_tensor():
    """A 1-element Tensor lr works; a larger one is refused."""
    p = disttrain.tensor([1.0], requires_grad=True)
    opt = SGD([p], lr=disttrain.tensor(0.5))
    p.grad = disttrain.tensor([1.0])
    opt.step()
    assert p.item() == 0.5
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        SGD([p], lr=disttrain.tensor([0.1, 0.2]))
