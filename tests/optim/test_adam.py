"""Adam and AdamW: PyTorch's updates, errors and repr; the flat step against the per-tensor one."""
import numpy as np
import pytest

import disttrain
from disttrain.optim import Adam, AdamW
from disttrain.optim.adam import adam

from ._helpers import (assert_same, assert_values, check_float32, check_invalid,
                       fresh_states, run_reference, run_steps)

# Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64);
# the float32 values, state and repr are for the last configuration.
EXPECTED = [({"lr": 0.1},
             [[0.40949941804949097, -1.005110995374322, 1.8585103001114196],
              [-0.04278485757077363, 0.2723886992104869, -0.4898575117368704,
               0.4744136806031895]]),
            ({"lr": 0.1, "amsgrad": True, "betas": (0.9, 0.5)},
             [[0.40955944530059146, -0.9896892199328327, 1.8496313385473893],
              [-0.03867615235973442, 0.27420536523436545, -0.4837983252004775,
               0.46446025507324157]]),
            ({"lr": 0.1, "weight_decay": 0.1},
             [[0.3836917526343224, -0.9645220880273715, 1.8072054963755364],
              [-0.043031715075573504, 0.26910688576651726, -0.484231200114404,
               0.3695430397134044]]),
            ({"lr": 0.1, "betas": (0.5, 0.75), "eps": 0.001, "maximize": True},
             [[0.5677243893467637, -0.9614062115175998, 2.1061432708168084],
              [0.21911737113129143, 0.15344417342525213, -0.11765236937034823,
               0.31200230630905823]]),
            ({"lr": 0.1, "weight_decay": 0.1, "amsgrad": True, "decoupled_weight_decay": True},
             [[0.39644540757949404, -0.9769058054525732, 1.8020304794333009],
              [-0.04377485758077363, 0.26740869923048693, -0.4828875117768704,
               0.4664536806031895]])]
EXPECTED_F32 = [[0.3964453935623169, -0.9769058227539062, 1.8020304441452026],
                [-0.04377484694123268, 0.26740866899490356, -0.48288753628730774,
                 0.4664537012577057]]
STATE_F32 = {0: {"step": [3.0],
                 "exp_avg": [0.008299999870359898, 0.05779999867081642, -0.05739999935030937],
                 "exp_avg_sq": [0.00028966012177988887, 0.00043956009903922677,
                                0.0005024775164201856],
                 "max_exp_avg_sq": [0.00028966012177988887, 0.00043956009903922677,
                                    0.0005024775164201856]},
             1: {"step": [2.0],
                 "exp_avg": [0.05999999865889549, 0.03500000387430191, 0.0325000025331974,
                             -0.06000000238418579],
                 "exp_avg_sq": [0.0010890000266954303, 0.00088975002290681, 7.243750587804243e-05,
                                0.00036000003456138074],
                 "max_exp_avg_sq": [0.0010890000266954303, 0.00088975002290681,
                                    7.243750587804243e-05, 0.00036000003456138074]}}
REPR = ("Adam (\n"
        "Parameter Group 0\n"
        "    amsgrad: True\n"
        "    betas: (0.9, 0.999)\n"
        "    capturable: False\n"
        "    decoupled_weight_decay: True\n"
        "    differentiable: False\n"
        "    eps: 1e-08\n"
        "    foreach: None\n"
        "    fused: None\n"
        "    lr: 0.1\n"
        "    maximize: False\n"
        "    weight_decay: 0.1\n"
        ")")

# AdamW, the same way.
W_EXPECTED = [({"lr": 0.1},
               [[0.40818146650246134, -1.0022644753821022, 1.8528094160435178],
                [-0.04288475757177364, 0.2718888992124869, -0.4891578117408705,
                 0.4736140806031895]]),
              ({"lr": 0.1, "weight_decay": 0.3, "amsgrad": True},
               [[0.37116538664150023, -0.9222114256120755, 1.6925628380830635],
                [-0.04569485760077363, 0.2575686992704869, -0.4691275118568704,
                 0.4507736806031895]])]
W_EXPECTED_F32 = [[0.3711654245853424, -0.9222114682197571, 1.6925629377365112],
                  [-0.04569484293460846, 0.25756868720054626, -0.4691275358200073,
                   0.4507737159729004]]
W_STATE_F32 = STATE_F32      # decoupled weight decay never enters the moments
W_REPR = ("AdamW (\n"
          "Parameter Group 0\n"
          "    amsgrad: True\n"
          "    betas: (0.9, 0.999)\n"
          "    capturable: False\n"
          "    decoupled_weight_decay: True\n"
          "    differentiable: False\n"
          "    eps: 1e-08\n"
          "    foreach: None\n"
          "    fused: None\n"
          "    lr: 0.1\n"
          "    maximize: False\n"
          "    weight_decay: 0.3\n"
          ")")


@pytest.mark.parametrize("kwargs,expected", EXPECTED, ids=[str(k) for k, _ in EXPECTED])
def test_adam_matches_pytorch_float64(kwargs, expected):
    """Three Adam steps (one with a missing grad) equal PyTorch's to float64 rounding."""
    params, _ = run_steps(Adam, kwargs)
    assert_values(params, expected)


@pytest.mark.parametrize("kwargs,expected", W_EXPECTED, ids=[str(k) for k, _ in W_EXPECTED])
def test_adamw_matches_pytorch_float64(kwargs, expected):
    """Three AdamW steps equal PyTorch's to float64 rounding."""
    params, _ = run_steps(AdamW, kwargs)
    assert_values(params, expected)


@pytest.mark.parametrize("cls,kwargs,expected,state,text", [
    (Adam, EXPECTED[-1][0], EXPECTED_F32, STATE_F32, REPR),
    (AdamW, W_EXPECTED[-1][0], W_EXPECTED_F32, W_STATE_F32, W_REPR)], ids=["Adam", "AdamW"])
def test_matches_pytorch_float32_state_and_repr(cls, kwargs, expected, state, text):
    """In float32 the parameters, the state (``step`` a float32 0-d tensor per parameter,
    lagging where a grad was missing) and the repr match PyTorch's."""
    check_float32(cls, kwargs, expected, state, text)


@pytest.mark.parametrize("kwargs", [k for k, _ in EXPECTED])
def test_flat_step_equals_functional_reference(kwargs):
    """The flat-buffer step gives the per-tensor functional ``adam``'s values."""
    params, _ = run_steps(Adam, kwargs)
    hyper = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 maximize=False, decoupled_weight_decay=False)
    hyper.update(kwargs)
    beta1, beta2 = hyper.pop("betas")
    assert_same(params, run_reference(adam, fresh_states(3), beta1=beta1, beta2=beta2, **hyper))


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": -1}, "Invalid learning rate: -1"),
    ({"eps": -1}, "Invalid epsilon value: -1"),
    ({"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
    ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ({"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ({"betas": (0.9, 1)}, "Invalid beta parameter at index 1: 1"),
    ({"betas": (0.5, 0)}, "betas must be either both floats or both Tensors"),
])
def test_invalid_arguments(kwargs, message):
    """Bad hyperparameters raise PyTorch's ValueError and message."""
    check_invalid(Adam, kwargs, message)


def test_adamw_defaults():
    """AdamW defaults to weight_decay=0.01 and always decouples it."""
    opt = AdamW([disttrain.zeros(2, requires_grad=True)])
    assert opt.defaults["weight_decay"] == 0.01 and opt.defaults["decoupled_weight_decay"]
    assert list(opt.defaults) == ["lr", "betas", "eps", "weight_decay", "amsgrad", "maximize",
                                  "foreach", "capturable", "differentiable", "fused",
                                  "decoupled_weight_decay"]


def test_state_tensors_are_live_views():
    """``optimizer.state[p]`` tensors follow later steps (they view the flat state)."""
    p = disttrain.tensor([1.0, 2.0], requires_grad=True)
    opt = Adam([p], lr=0.1)
    p.grad = disttrain.tensor([1.0, 1.0])
    opt.step()
    exp_avg, step = opt.state[p]["exp_avg"], opt.state[p]["step"]
    opt.step()
    assert step.item() == 2.0
    np.testing.assert_allclose(exp_avg.numpy(), [0.19, 0.19], rtol=1e-6)
