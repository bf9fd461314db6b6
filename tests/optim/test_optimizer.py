"""The Optimizer base: param groups, zero_grad, hooks, state_dict round trips, and the flat
buffers a step runs on."""
import copy

import numpy as np
import pytest

import disttrain
from disttrain.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from disttrain.optim.optimizer import required

from ._helpers import GRADS, make_params, run_steps


def _leaf(values, dtype=disttrain.float32):
    return disttrain.tensor(values, dtype=dtype, requires_grad=True)


# ----------------------------------------------------------------------------- construction
def test_empty_parameter_list():
    """An optimizer over nothing raises PyTorch's ValueError."""
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        SGD([], lr=0.1)


def test_params_must_be_an_iterable_of_tensors():
    """A bare tensor or a non-tensor parameter raises PyTorch's TypeError."""
    with pytest.raises(TypeError, match="^params argument given to the optimizer should be an "
                                        "iterable of Tensors or dicts, but got "
                                        "disttrain.FloatTensor$"):
        SGD(disttrain.zeros(2), lr=0.1)
    with pytest.raises(TypeError, match="^optimizer can only optimize Tensors, but one of the "
                                        "params is int$"):
        SGD([1], lr=0.1)


def test_group_errors():
    """Shared parameters, non-leaves, sets and non-dict groups are refused as in PyTorch."""
    a = _leaf([1.0, 2.0])
    with pytest.raises(ValueError, match="^some parameters appear in more than one parameter "
                                         "group$"):
        SGD([{"params": [a]}, {"params": [a]}], lr=0.1)
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        SGD([a, a * 2], lr=0.1)
    opt = SGD([a], lr=0.1)
    with pytest.raises(TypeError, match="^param_group must be a dict, but got <class 'list'>$"):
        opt.add_param_group([a])
    with pytest.raises(TypeError, match="ordering of tensors in sets will change"):
        opt.add_param_group({"params": {_leaf([1.0])}})


def test_required_hyperparameter():
    """A group lacking a hyperparameter whose default is ``required`` is refused."""
    class Plain(Optimizer):
        def __init__(self, params, lr=required):
            super().__init__(params, {"lr": lr})

    assert repr(required) == "<required parameter>"
    with pytest.raises(ValueError, match="^parameter group didn't specify a value of required "
                                         "optimization parameter lr$"):
        Plain([_leaf([1.0])])
    assert Plain([{"params": [_leaf([1.0])], "lr": 0.5}]).param_groups[0]["lr"] == 0.5


def test_groups_take_defaults_and_print_like_pytorch():
    """Per-group options override the defaults; the repr lists every group as PyTorch does."""
    a, b = _leaf([1.0, 2.0]), _leaf([3.0])
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert repr(opt) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: "
        "None\n    fused: None\n    lr: 0.1\n    maximize: False\n    momentum: 0\n    nesterov: "
        "False\n    weight_decay: 0\n\nParameter Group 1\n    dampening: 0\n    differentiable: "
        "False\n    foreach: None\n    fused: None\n    lr: 0.5\n    maximize: False\n    "
        "momentum: 0.9\n    nesterov: False\n    weight_decay: 0\n)")


def test_named_parameters_keep_their_names():
    """(name, tensor) pairs give the group ``param_names``, first in its state_dict entry."""
    opt = SGD([("w", _leaf([1.0])), ("b", _leaf([2.0]))], lr=0.1)
    group = opt.state_dict()["param_groups"][0]
    assert list(group)[0] == "param_names" and group["param_names"] == ["w", "b"]
    assert group["params"] == [0, 1]


def test_add_param_group_mid_training():
    """A group added after two steps joins the flat step; values match PyTorch's."""
    a, b = _leaf([1.0, 2.0]), _leaf([3.0])
    opt = SGD([a], lr=0.1, momentum=0.9)
    for s in range(4):
        if s == 2:
            opt.add_param_group({"params": [b], "lr": 0.2})
        a.grad = disttrain.tensor([1.0, -1.0]) * (s + 1)
        b.grad = disttrain.tensor([0.5]) * (s + 1)
        opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [-0.8559000492095947, 3.8559000492095947],
                               rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), [2.0299999713897705], rtol=1e-6)
    state = opt.state_dict()["state"]
    np.testing.assert_allclose(state[0]["momentum_buffer"].numpy(), [9.049, -9.049], rtol=1e-6)
    np.testing.assert_allclose(state[1]["momentum_buffer"].numpy(), [3.35], rtol=1e-6)


# ----------------------------------------------------------------------------- zero_grad, step
def test_zero_grad_to_none_or_zeros():
    """zero_grad() sets grads to None; set_to_none=False zeroes them in place."""
    a = _leaf([1.0, 2.0])
    opt = SGD([a], lr=0.1)
    a.grad = disttrain.tensor([1.0, 1.0])
    opt.step()
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and g.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def test_zero_grad_is_not_none_grad():
    """A zero gradient still steps (Adam's step count advances); a None one does not."""
    a, b = _leaf([1.0]), _leaf([1.0])
    opt = Adam([a, b], lr=0.1)
    a.grad, b.grad = disttrain.tensor([1.0]), disttrain.tensor([1.0])
    opt.step()
    opt.zero_grad(set_to_none=False)
    b.grad = None
    opt.step()
    assert opt.state[a]["step"].item() == 2.0 and opt.state[b]["step"].item() == 1.0


def test_step_without_gradients_does_nothing():
    """With no grads at all, a step changes no parameter and creates no state."""
    a = _leaf([1.0, 2.0])
    opt = Adam([a], lr=0.1)
    opt.step()
    assert a.tolist() == [1.0, 2.0] and opt.state_dict()["state"] == {}


def test_closure_and_hooks():
    """step(closure) returns the closure's loss (computed with grad on); pre/post hooks run
    around it and can be removed."""
    a = _leaf([2.0])
    opt = SGD([a], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        calls.append("closure")
        return loss

    with disttrain.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0 and calls == ["pre", "closure", "post"]
    assert a.item() == pytest.approx(1.6)
    pre.remove()
    opt.step(closure)
    assert calls[3:] == ["closure", "post"]


@pytest.mark.parametrize("cls", [SGD, Adam, RMSprop], ids=lambda c: c.__name__)
def test_pre_hook_with_a_bad_result_names_the_step(cls):
    """A step pre-hook returning neither None nor (args, kwargs) gets PyTorch's error, which
    names the class's own ``step``."""
    opt = cls([_leaf([1.0])], lr=0.1)
    opt.register_step_pre_hook(lambda o, args, kwargs: 5)
    with pytest.raises(RuntimeError, match=rf"^<function {cls.__name__}\.step at 0x[0-9a-f]+> "
                                           r"must return None or a tuple of \(new_args, "
                                           r"new_kwargs\), but got 5\.$"):
        opt.step()


def test_step_bumps_the_version_counter():
    """An updated parameter's version counter grows, as after any in-place change."""
    a = _leaf([1.0])
    opt = SGD([a], lr=0.1)
    a.grad = disttrain.tensor([1.0])
    before = a._version[0]
    opt.step()
    assert a._version[0] > before


# ----------------------------------------------------------------------------- state_dict
OPTIMIZERS = [(SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
              (Adam, {"lr": 0.1, "amsgrad": True}),
              (AdamW, {"lr": 0.1}),
              (RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
              (Adagrad, {"lr": 0.1, "lr_decay": 0.1})]
OPTIMIZERS += [(disttrain.optim.Adadelta, {"lr": 1.0, "weight_decay": 0.1}),
               (disttrain.optim.Adamax, {"lr": 0.1}),
               (disttrain.optim.ASGD, {"lr": 0.1, "t0": 0}),
               (disttrain.optim.NAdam, {"lr": 0.1, "decoupled_weight_decay": True,
                                        "weight_decay": 0.1}),
               (disttrain.optim.RAdam, {"lr": 0.1, "betas": (0.8, 0.99)}),
               (disttrain.optim.Rprop, {"lr": 0.1}),
               (disttrain.optim.Adafactor, {"lr": 0.1})]


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=[c.__name__ for c, _ in OPTIMIZERS])
def test_checkpoint_restores_exactly(cls, kwargs):
    """An optimizer loaded from another's state_dict continues bit for bit the same."""
    params, opt = run_steps(cls, kwargs, grads=GRADS[:2])
    saved = copy.deepcopy(opt.state_dict())
    twins = [disttrain.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    opt2 = cls(twins, lr=123.0)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == kwargs["lr"]
    for step_grads in GRADS[2:] + GRADS:
        for ps in (params, twins):
            for p, g in zip(ps, step_grads):
                p.grad = None if g is None else disttrain.tensor(g, dtype=disttrain.float64)
        opt.step()
        opt2.step()
    for p, q in zip(params, twins):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    for k in s1:
        for name in s1[k]:
            assert np.array_equal(s1[k][name].numpy(), s2[k][name].numpy())


# Group keys PyTorch fills in for state dicts saved before they existed, in its order.
OLDER_KEYS = ["maximize", "foreach", "differentiable", "fused", "nesterov", "amsgrad",
              "capturable", "decoupled_weight_decay", "centered"]
FILLED = {SGD: {"lr": 0.1, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False,
                "maximize": False, "foreach": None, "differentiable": False, "fused": False},
          AdamW: {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0.01,
                  "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                  "differentiable": False, "decoupled_weight_decay": True, "fused": None},
          RMSprop: {"lr": 0.1, "momentum": 0, "alpha": 0.99, "eps": 1e-08, "weight_decay": 0,
                    "centered": False, "foreach": None, "maximize": False,
                    "differentiable": False, "capturable": False},
          Adagrad: {"lr": 0.1, "lr_decay": 0, "eps": 1e-10, "weight_decay": 0,
                    "initial_accumulator_value": 0, "foreach": None, "maximize": False,
                    "differentiable": False, "fused": None}}


@pytest.mark.parametrize("cls", list(FILLED), ids=lambda c: c.__name__)
def test_older_state_dict_gets_the_newer_group_keys(cls):
    """A state_dict without the newer group flags loads with PyTorch's defaults for them
    (AdamW stays decoupled), keys in PyTorch's order."""
    opt = cls([_leaf([1.0])], lr=0.1)
    sd = opt.state_dict()
    for key in OLDER_KEYS:
        sd["param_groups"][0].pop(key, None)
    opt.load_state_dict(sd)
    group = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
    assert list(group.items()) == list(FILLED[cls].items())


def test_state_dict_indices_span_groups_and_skip_stateless_params():
    """Indices count across groups; parameters never stepped have no state entry."""
    a, b, c = _leaf([1.0]), _leaf([2.0]), _leaf([3.0])
    opt = Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}])
    a.grad = c.grad = disttrain.tensor([1.0])
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert list(sd["state"]) == [0, 2]
    assert list(sd["state"][2]) == ["step", "exp_avg", "exp_avg_sq"]


def test_load_casts_state_to_the_parameter_dtype():
    """Loaded state takes each parameter's dtype; ``step`` stays float32."""
    params, opt = run_steps(Adam, {"lr": 0.1})
    params32 = make_params(disttrain.float32)
    opt32 = Adam(params32)
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[params32[0]]["exp_avg"].dtype == disttrain.float32
    assert opt32.state[params32[0]]["step"].dtype == disttrain.float32


def test_load_state_dict_errors():
    """Mismatched group counts or sizes raise PyTorch's messages."""
    opt = SGD([_leaf([1.0]), _leaf([2.0])], lr=0.1)
    with pytest.raises(ValueError, match="^loaded state dict has a different number of "
                                         "parameter groups$"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    other = SGD([_leaf([1.0])], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="^loaded state dict contains a parameter group that "
                                         "doesn't match the size of optimizer's group$"):
        opt.load_state_dict(other)


def test_state_dict_hooks():
    """state_dict post-hooks may replace the result; load pre-hooks see the input."""
    opt = SGD([_leaf([1.0])], lr=0.1)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    seen = []
    opt.register_load_state_dict_pre_hook(lambda o, sd: seen.append(sorted(sd)))
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert seen == [["extra", "param_groups", "state"]]


def test_deepcopy_gives_an_independent_optimizer():
    """A deep-copied optimizer steps its own copies of the parameters and state."""
    params, opt = run_steps(SGD, {"lr": 0.1, "momentum": 0.9}, grads=GRADS[:1])
    twin = copy.deepcopy(opt)
    q = twin.param_groups[0]["params"][0]
    q.grad = disttrain.ones_like(q)
    twin.step()
    assert params[0].tolist() == pytest.approx([0.47, -0.98, 1.99])
    assert q.tolist() != params[0].tolist()


# ----------------------------------------------------------------------------- flat buffers
def test_parameters_live_in_one_flat_buffer():
    """After a step every parameter of a group views one flat array; the Tensor objects and
    their values are unchanged."""
    a, b = _leaf([[1.0, 2.0], [3.0, 4.0]]), _leaf([5.0])
    opt = SGD([a, b], lr=0.1)
    (fg,) = opt._flat_groups()
    assert fg.params == [a, b] and fg.offsets == [0, 4, 5] and fg.total == 5
    assert np.shares_memory(a._data, fg.param) and np.shares_memory(b._data, fg.param)
    assert a.tolist() == [[1.0, 2.0], [3.0, 4.0]] and b.tolist() == [5.0]
    assert fg.slice(1) == slice(4, 5)


def test_backward_accumulates_into_the_flat_gradient():
    """After a step the grads view the flat gradient buffer, so a backward that accumulates
    (zero_grad(set_to_none=False)) writes there directly."""
    a = _leaf([1.0, 2.0])
    opt = SGD([a], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    (fg,) = opt._flat_groups()
    assert np.shares_memory(a.grad._data, fg.grad)
    opt.zero_grad(set_to_none=False)
    (a * 3).sum().backward()
    assert np.shares_memory(a.grad._data, fg.grad) and fg.grad.tolist() == [3.0, 3.0]
    opt.step()
    assert a.tolist() == pytest.approx([0.5, 1.3])


def test_replaced_parameter_data_is_picked_up():
    """``p.data = ...`` between steps is copied into the flat buffer at the next step."""
    a = _leaf([1.0, 2.0])
    opt = SGD([a], lr=0.1)
    a.grad = disttrain.tensor([1.0, 1.0])
    opt.step()
    a.data = disttrain.tensor([10.0, 20.0])
    opt.step()
    assert a.tolist() == pytest.approx([9.9, 19.9])
    assert np.shares_memory(a._data, opt._flat_groups()[0].param)


def test_replaced_state_tensor_is_picked_up():
    """A state tensor assigned by the user is used by the next step."""
    a = _leaf([1.0])
    opt = SGD([a], lr=1.0, momentum=0.5)
    a.grad = disttrain.tensor([1.0])
    opt.step()
    opt.state[a]["momentum_buffer"] = disttrain.tensor([4.0])
    opt.step()
    assert opt.state[a]["momentum_buffer"].tolist() == [3.0]
    assert a.tolist() == [-3.0]


def test_two_optimizers_over_the_same_parameter():
    """Alternating two optimizers over one parameter keeps both views consistent."""
    a = _leaf([1.0])
    o1, o2 = SGD([a], lr=0.1), SGD([a], lr=0.01)
    for opt in (o1, o2, o1):
        a.grad = disttrain.tensor([1.0])
        opt.step()
    assert a.item() == pytest.approx(1.0 - 0.1 - 0.01 - 0.1)


def test_mixed_dtypes_get_separate_flat_groups():
    """float32 and float64 parameters in one group step in two flat groups, each correct."""
    a, b = _leaf([1.0], disttrain.float32), _leaf([1.0], disttrain.float64)
    opt = Adam([a, b], lr=0.1)
    a.grad, b.grad = disttrain.tensor([1.0]), disttrain.tensor([1.0], dtype=disttrain.float64)
    opt.step()
    fgs = opt._flat_groups()
    assert [fg.dtype for fg in fgs] == [np.float32, np.float64]
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.9)


def test_step_flat_with_reduced_gradients():
    """``_step_flat`` with an external flat gradient equals a step from ``p.grad``."""
    ref_params, ref = run_steps(Adam, {"lr": 0.1}, grads=[GRADS[0]])
    params = make_params()
    opt = Adam(params, lr=0.1)
    (fg,) = opt._flat_groups()
    flat = np.concatenate([np.ravel(g) for g in GRADS[0]])
    opt._step_flat([flat])
    for p, r in zip(params, ref_params):
        np.testing.assert_array_equal(p.detach().numpy(), r.detach().numpy())
    assert fg.steps.tolist() == [1.0, 1.0]


def test_step_flat_within_bounds_updates_only_that_shard():
    """``bounds`` restricts the update to an element range (one rank's shard)."""
    params = make_params()
    opt = SGD(params, lr=1.0)
    flat = np.ones(7)
    opt._step_flat([flat], bounds=[(2, 5)])
    assert params[0].tolist() == [0.5, -1.0, 1.0]
    np.testing.assert_allclose(params[1].detach().numpy(), [[-0.9, -0.8], [-0.3, 0.4]])


def test_flat_gradient_of_the_wrong_size_is_refused():
    """A flat gradient that does not match the group's size raises ValueError."""
    opt = SGD(make_params(), lr=1.0)
    with pytest.raises(ValueError, match=r"flat gradient has shape \(3,\), expected \(7,\)"):
        opt._step_flat([np.ones(3)])


def test_hooks_run_once_for_a_subclass_calling_super():
    """A user subclass whose step calls super().step() runs each step hook once."""
    class Logged(SGD):
        def step(self, closure=None):
            return super().step(closure)

    a = _leaf([1.0])
    opt = Logged([a], lr=0.5)
    calls = []
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(1))
    a.grad = disttrain.tensor([1.0])
    opt.step()
    assert calls == [1] and a.item() == 0.5


def test_user_optimizer_with_per_tensor_state():
    """A PyTorch-style custom optimizer that loops over params and keeps its own state
    works on the base class, and its state_dict round-trips."""
    class SignSGD(Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @disttrain.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    state["count"] = state.get("count", 0) + 1
                    p.add_(p.grad.sign(), alpha=-group["lr"])

    a = _leaf([1.0, -1.0])
    opt = SignSGD([a])
    a.grad = disttrain.tensor([3.0, -0.5])
    opt.step()
    opt.step()
    assert a.tolist() == pytest.approx([0.8, -0.8])
    assert opt.state_dict()["state"] == {0: {"count": 2}}
    twin = SignSGD([_leaf([0.0, 0.0])])
    twin.load_state_dict(opt.state_dict())
    assert list(twin.state.values()) == [{"count": 2}]


def test_step_flat_bounds_follow_flat_group_order():
    """With several flat groups, each ``bounds`` entry applies to its own group, also when an
    earlier group has no gradients this step."""
    a, b = _leaf([1.0, 1.0]), _leaf([1.0, 1.0])
    opt = SGD([{"params": [a]}, {"params": [b]}], lr=1.0)
    b.grad = disttrain.tensor([1.0, 1.0])
    opt._step_flat(None, bounds=[(0, 2), (1, 2)])
    assert a.tolist() == [1.0, 1.0] and b.tolist() == [1.0, 0.0]


def test_cleared_state_starts_afresh():
    """Deleting a parameter's state makes its next step a first step again (zeroed moments,
    step 1), as in PyTorch, rather than reusing the old values left in the flat buffers."""
    p = disttrain.tensor([1.0, 2.0], requires_grad=True)
    q = disttrain.tensor([1.0, 2.0], requires_grad=True)
    opt, fresh = disttrain.optim.Adam([p], lr=0.1), disttrain.optim.Adam([q], lr=0.1)
    p.grad = disttrain.tensor([0.5, -1.0])
    opt.step()
    del opt.state[p]
    q.data = p.detach().clone()
    for t, o in ((p, opt), (q, fresh)):
        t.grad = disttrain.tensor([0.25, 0.75])
        o.step()
    assert disttrain.equal(p, q)
    assert opt.state[p]["step"].item() == 1.0


def test_differentiable_true_is_refused():
    """A differentiable step is not available on flat buffers: asking for it raises."""
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        disttrain.optim.SGD([disttrain.zeros(2, requires_grad=True)], lr=0.1,
                            differentiable=True)


def test_step_hooks_see_pytorchs_args_and_global_hooks_wrap_them():
    """As in PyTorch, hooks get ``args`` starting with the optimizer; the global pre-hook runs
    before the optimizer's own, the global post-hook after; handles remove them."""
    from disttrain.optim.optimizer import (register_optimizer_step_post_hook,
                                           register_optimizer_step_pre_hook)
    p = disttrain.zeros(2, requires_grad=True)
    p.grad = disttrain.ones(2)
    opt = SGD([p], lr=0.1)
    calls = []
    handles = [
        register_optimizer_step_pre_hook(lambda o, a, k: calls.append(("global pre", len(a)))),
        opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", a[0] is o, k))),
        opt.register_step_post_hook(lambda o, a, k: calls.append(("post", len(a), k))),
        register_optimizer_step_post_hook(lambda o, a, k: calls.append(("global post",)))]
    opt.step(closure=None)
    assert calls == [("global pre", 1), ("pre", True, {"closure": None}),
                     ("post", 1, {"closure": None}), ("global post",)]
    for h in handles:
        h.remove()
    calls.clear()
    opt.step()
    assert calls == []


def test_pre_hook_may_replace_the_arguments():
    """A pre-hook's ``(new_args, new_kwargs)`` is what ``step`` receives (args include the
    optimizer)."""
    p = disttrain.zeros(1, requires_grad=True)
    p.grad = disttrain.ones(1)
    opt = SGD([p], lr=0.1)
    opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": lambda: 7.0}))
    assert opt.step() == 7.0


def test_profile_hook_step_runs_the_hooks():
    """``Optimizer.profile_hook_step`` wraps a step function with the step hooks."""
    p = disttrain.zeros(1, requires_grad=True)
    opt = SGD([p], lr=0.1)
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    wrapped = Optimizer.profile_hook_step(lambda self, x: calls.append(x) or x)
    assert wrapped(opt, 3) == 3 and calls == ["pre", 3]


SHARDABLE = [(c, k) for c, k in OPTIMIZERS if c is not disttrain.optim.Adafactor]


@pytest.mark.parametrize("cls,kwargs", SHARDABLE, ids=[c.__name__ for c, _ in SHARDABLE])
def test_shards_stepped_apart_equal_one_step(cls, kwargs):
    """Two copies stepping complementary shards (``bounds``, as data-parallel ranks do) give
    together the unsharded parameters: per-parameter scalars (step, NAdam's mu_product,
    ASGD's eta and mu) advance once per step whatever the shard."""
    flat_grads = [np.concatenate([np.ravel(g) for g in step]) for step in GRADS[::2] * 2]
    whole, lo, hi = make_params(), make_params(), make_params()
    opts = [cls(ps, **kwargs) for ps in (whole, lo, hi)]
    for flat in flat_grads:
        opts[0]._step_flat([flat])
        opts[1]._step_flat([flat], bounds=[(0, 4)])
        opts[2]._step_flat([flat], bounds=[(4, 7)])
    (fg_lo,), (fg_hi,) = opts[1]._flat_groups(), opts[2]._flat_groups()
    got = np.concatenate([fg_lo.param[:4], fg_hi.param[4:]])
    np.testing.assert_array_equal(got, opts[0]._flat_groups()[0].param)


def test_adafactor_refuses_a_shard():
    """Adafactor's statistics span whole parameters: a sharded step raises."""
    opt = disttrain.optim.Adafactor(make_params())
    with pytest.raises(NotImplementedError, match="cannot step a shard"):
        opt._step_flat([np.ones(7)], bounds=[(0, 4)])


IN_PLACE = [(c, k) for c, k in OPTIMIZERS if c is not disttrain.optim.Adafactor] + \
    [(SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01, "maximize": True})]


@pytest.mark.parametrize("cls,kwargs", IN_PLACE, ids=[c.__name__ for c, _ in IN_PLACE])
def test_large_gradients_read_in_place_equal_copied_ones(cls, kwargs):
    """A step reads large gradients where backward left them instead of copying them into
    the flat buffer: the parameters come out bit for bit as from copied gradients (here
    strided views, which are always copied), the gradients themselves untouched, over steps
    that mix small and large parameters and a step with a missing gradient."""
    from disttrain.optim._flat import BLOCK
    rng = np.random.default_rng(3)
    shapes = [(3,), (BLOCK + 5,), (2, 2), (3, BLOCK // 2 + 1), (7,)]
    init = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    own = [disttrain.tensor(v.copy(), requires_grad=True) for v in init]
    viewed = [disttrain.tensor(v.copy(), requires_grad=True) for v in init]
    o_own, o_viewed = cls(own, **kwargs), cls(viewed, **kwargs)
    for step in range(3):
        grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        for i, (p, q, g) in enumerate(zip(own, viewed, grads)):
            if step == 1 and i == 1:
                p.grad = q.grad = None
                continue
            p.grad = disttrain.tensor(g.copy())
            q.grad = disttrain.from_numpy(np.stack([g, g], axis=-1)[..., 0])
        o_own.step()
        o_viewed.step()
        for p, q, g in zip(own, viewed, grads):
            np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
            if p.grad is not None:
                np.testing.assert_array_equal(p.grad.numpy(), g)
    (fg,), (fg_viewed,) = o_own._flat_groups(), o_viewed._flat_groups()
    assert set(fg._grad_src) == {1, 3}      # the large ones were read in place
    assert not fg_viewed._grad_src          # strided ones were copied
    o_own._step_flat([np.zeros(fg.total, np.float32)])
    assert not fg._grad_src                 # a flat gradient replaces them
