"""swap_in_optimizer_params_and_state: a step on swapped-in parameters and state, PyTorch's
values, the live optimizer untouched, and PyTorch's errors."""
import copy

import numpy as np
import pytest

import disttrain
from disttrain.optim import Adam, swap_in_optimizer_params_and_state

F64 = disttrain.float64


def live_optimizer():
    a = disttrain.tensor([1.0, -2.0], dtype=F64, requires_grad=True)
    b = disttrain.tensor([[0.5], [0.25]], dtype=F64, requires_grad=True)
    opt = Adam([a, b], lr=0.1)
    a.grad = disttrain.tensor([0.5, -1.0], dtype=F64)
    b.grad = disttrain.tensor([[1.0], [2.0]], dtype=F64)
    opt.step()
    return a, b, opt


def test_step_on_swapped_in_parameters_matches_pytorch():
    """Inside the context ``step`` updates the given tensors with the given state and
    hyperparameters (values from PyTorch 2.13); the state dict's tensors are updated in
    place; on exit the live parameters, state and lr are as before and keep training."""
    a, b, opt = live_optimizer()
    osd = copy.deepcopy(opt.state_dict())
    osd["param_groups"][0]["lr"] = 0.5
    sa = disttrain.tensor([3.0, 4.0], dtype=F64, requires_grad=True)
    sb = disttrain.tensor([[-1.0], [1.5]], dtype=F64, requires_grad=True)
    sa.grad = disttrain.tensor([1.0, 1.0], dtype=F64)
    sb.grad = disttrain.tensor([[-2.0], [0.5]], dtype=F64)
    exp_avg = osd["state"][0]["exp_avg"]
    with swap_in_optimizer_params_and_state(opt, {"a": sa, "b": sb}, osd):
        opt.step()
        assert opt.param_groups[0]["lr"] == 0.5
        assert opt.param_groups[0]["params"] == [sa, sb]
    np.testing.assert_allclose(sa.detach().numpy(), [2.5174089931925474, 3.973684210789474],
                               rtol=1e-13)
    np.testing.assert_allclose(sb.detach().numpy().ravel(),
                               [-0.8169482376396258, 1.0847012360118082], rtol=1e-13)
    assert osd["state"][0]["exp_avg"] is exp_avg
    np.testing.assert_allclose(exp_avg.numpy(), [0.14499999999999996, 0.010000000000000007],
                               rtol=1e-12)
    np.testing.assert_allclose(osd["state"][1]["exp_avg_sq"].numpy().ravel(),
                               [0.004999000000000004, 0.004246000000000004], rtol=1e-12)
    assert osd["state"][0]["step"].item() == 2.0
    np.testing.assert_allclose(a.detach().numpy(), [0.900000002, -1.900000001], rtol=1e-13)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["params"] == [a, b]
    assert opt.state[a]["step"].item() == 1.0
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.8000000040000006, -1.8000000020000007],
                               rtol=1e-13)
    np.testing.assert_allclose(b.detach().numpy().ravel(),
                               [0.30000000200000065, 0.05000000100000071], rtol=1e-13)


def test_errors():
    """PyTorch's RuntimeErrors for an uninitialised optimizer and mismatched state."""
    p = disttrain.zeros(2, requires_grad=True)
    fresh = Adam([p])
    with pytest.raises(RuntimeError, match="requires initialized optimizer state"):
        with swap_in_optimizer_params_and_state(fresh, {"p": p}, fresh.state_dict()):
            pass
    a, b, opt = live_optimizer()
    osd = opt.state_dict()
    bad = {"state": osd["state"], "param_groups": []}
    with pytest.raises(RuntimeError, match="different number of parameter groups"):
        with swap_in_optimizer_params_and_state(opt, {"a": a, "b": b}, bad):
            pass
    group = dict(osd["param_groups"][0], extra=1)
    with pytest.raises(RuntimeError, match=r"Keys only in swap-in: \['extra'\]"):
        with swap_in_optimizer_params_and_state(opt, {"a": a, "b": b},
                                                {"state": osd["state"], "param_groups": [group]}):
            pass
    with pytest.raises(RuntimeError, match="match optimizer.param_groups ordering"):
        with swap_in_optimizer_params_and_state(opt, {"a": a}, osd):
            pass
