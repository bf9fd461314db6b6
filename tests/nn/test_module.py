"""Module: registration, traversal, state_dict, modes, dtype/device moves, hooks, printing."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import disttrain as torch
from disttrain import nn
import disttrain.nn.functional as F


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 2)
        self.act = nn.ReLU()
        self.output = nn.Linear(2, 1)

    def forward(self, x):
        return self.output(self.act(self.hidden(x)))


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("a", torch.zeros(1))
        self.lin = nn.Linear(1, 1)
        self.p = nn.Parameter(torch.ones(1))
        self.register_buffer("np", torch.ones(1), persistent=False)
        self.register_buffer("none", None)
        self.register_parameter("nonep", None)


def _nested():
    return nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))


# ------------------------------------------------------------------ registration
def test_attribute_assignment_registers_in_order():
    """Parameters, submodules and buffers land in ordered registries by assignment order."""
    m = WithBuffers()
    assert list(m._parameters) == ["p", "nonep"]
    assert list(m._buffers) == ["a", "np", "none"]
    assert list(m._modules) == ["lin"]
    assert m.p is m._parameters["p"] and m.lin is m._modules["lin"] and m.a is m._buffers["a"]
    assert "p" not in m.__dict__ and "lin" not in m.__dict__


def test_named_parameters_buffers_and_state_dict_keys():
    """Names use dotted prefixes; None entries are skipped; non-persistent buffers unsaved."""
    m = WithBuffers()
    assert [n for n, _ in m.named_parameters()] == ["p", "lin.weight", "lin.bias"]
    assert [n for n, _ in m.named_buffers()] == ["a", "np"]
    assert list(m.state_dict()) == ["p", "a", "lin.weight", "lin.bias"]
    net = _nested()
    assert [(n, tuple(p.shape)) for n, p in net.named_parameters()] == [
        ("0.weight", (3, 2)), ("0.bias", (3,)), ("1.1.weight", (1, 3)), ("1.1.bias", (1,))]
    assert [n for n, _ in net.named_parameters(prefix="net")][0] == "net.0.weight"
    assert [n for n, _ in net.named_parameters(recurse=False)] == []
    assert [n for n, _ in net[0].named_parameters(recurse=False)] == ["weight", "bias"]


def test_named_parameters_is_a_generator():
    """named_parameters and parameters return generators, as the tutorials print."""
    assert str(type(_nested().named_parameters())) == "<class 'generator'>"
    assert str(type(_nested().parameters())) == "<class 'generator'>"


def test_shared_parameter_listed_once():
    """A module used twice contributes its parameters once unless remove_duplicate=False."""
    shared = nn.Linear(8, 8)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.Linear(8, 1))
    names = [n for n, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias"]
    assert len(list(net.named_parameters(remove_duplicate=False))) == 8
    assert net[2].weight is net[4].weight
    assert [n for n, _ in net.named_modules()] == ["", "0", "1", "2", "3", "5"]
    assert len(list(net.named_modules(remove_duplicate=False))) == 7
    assert len(list(net.children())) == 5
    x = torch.randn(2, 4)
    net(x).sum().backward()
    # both uses accumulate into the one shared gradient
    assert net[2].weight.grad is net[4].weight.grad


def test_modules_children_and_named_modules():
    """modules() is depth-first, self first; children() only the direct ones."""
    net = _nested()
    assert [type(m).__name__ for m in net.modules()] == ["Sequential", "Linear", "Sequential",
                                                         "ReLU", "Linear"]
    assert [n for n, _ in net.named_children()] == ["0", "1"]
    assert [n for n, _ in net.named_modules(prefix="m")] == ["m", "m.0", "m.1", "m.1.0",
                                                             "m.1.1"]


def test_register_parameter_and_buffer_errors():
    """Bad names, clashes and values raise PyTorch's errors."""
    m = nn.Module()
    cases = [
        (lambda: m.register_buffer("a.b", torch.ones(1)), KeyError,
         'buffer name can\'t contain "."'),
        (lambda: m.register_buffer("", torch.ones(1)), KeyError,
         'buffer name can\'t be empty string ""'),
        (lambda: m.register_buffer(1, torch.ones(1)), TypeError,
         "buffer name should be a string. Got int"),
        (lambda: nn.Linear(1, 1).register_buffer("weight", torch.ones(1)), KeyError,
         "attribute 'weight' already exists"),
        (lambda: m.register_buffer("x", 3), TypeError,
         "cannot assign 'int' object to buffer 'x' (torch Tensor or None required)"),
        (lambda: m.register_parameter("x", torch.ones(1)), TypeError,
         "cannot assign 'disttrain.FloatTensor' object to parameter 'x' "
         "(torch.nn.Parameter or None required)"),
        (lambda: m.register_parameter("a.b", nn.Parameter(torch.ones(1))), KeyError,
         'parameter name can\'t contain "."'),
        (lambda: m.add_module("x", 3), TypeError, "int is not a Module subclass"),
        (lambda: m.add_module("a.b", nn.ReLU()), KeyError,
         'module name can\'t contain ".", got: a.b'),
        (lambda: m.add_module("", nn.ReLU()), KeyError, 'module name can\'t be empty string ""'),
        (lambda: m.add_module(1, nn.ReLU()), TypeError, "module name should be a string. Got int"),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc) as info:
            fn()
        assert (info.value.args[0] if exc is KeyError else str(info.value)) == msg


def test_assignment_type_errors():
    """Assigning the wrong kind of value to a registered name is a TypeError."""
    lin = nn.Linear(2, 3)
    with pytest.raises(TypeError, match=r"cannot assign 'disttrain.FloatTensor' as parameter "
                                        r"'weight' \(torch.nn.Parameter or None expected\)"):
        lin.weight = torch.ones(3, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module '0' "
                                        r"\(torch.nn.Module or None expected\)"):
        setattr(nn.Sequential(nn.ReLU()), "0", 5)
    m = nn.Module()
    m.register_buffer("b", torch.ones(1))
    with pytest.raises(TypeError, match=r"cannot assign 'int' as buffer 'b' "
                                        r"\(torch.nn.Buffer, torch.Tensor or None expected\)"):
        m.b = 3
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'w'"):
        m.register_parameter("w", _non_leaf_parameter())


def _non_leaf_parameter():
    p = nn.Parameter(torch.ones(1))
    p.grad_fn = (torch.ones(1, requires_grad=True) * 2).grad_fn
    return p


def test_assignment_before_init():
    """Assigning a module, parameter or buffer before super().__init__() is refused."""
    class Early(nn.Module):
        def __init__(self, what):
            if what == "module":
                self.lin = nn.Linear(1, 1)
            else:
                self.p = nn.Parameter(torch.ones(1))

    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__\(\) "
                                             r"call"):
        Early("module")
    with pytest.raises(AttributeError, match=r"cannot assign parameters before "
                                             r"Module.__init__\(\) call"):
        Early("param")


def test_module_init_rejects_arguments():
    """Module() takes no arguments, as in PyTorch."""
    with pytest.raises(TypeError, match=r"Module.__init__\(\) got an unexpected keyword "
                                        r"argument 'foo'"):
        nn.Module(foo=1)
    with pytest.raises(TypeError, match=r"Module.__init__\(\) takes 1 positional argument but "
                                        r"2 were given"):
        nn.Module(1)


def test_reassign_and_delete_attributes():
    """Reassigning moves a name between registries; del removes it from its registry."""
    m = nn.Module()
    m.x = nn.Linear(1, 1)
    m.x = nn.Parameter(torch.ones(1))
    assert "x" in m._parameters and "x" not in m._modules
    with pytest.raises(TypeError, match=r"cannot assign 'disttrain.nn.modules.linear.Linear' "
                                        r"as parameter 'x' \(torch.nn.Parameter or None "
                                        r"expected\)"):
        m.x = nn.Linear(1, 1)
    del m.x
    m.x = nn.Linear(1, 1)
    m.x = None
    assert m._modules["x"] is None
    del m.x
    assert "x" not in m._modules
    m.register_buffer("b", torch.ones(2))
    m.b = torch.zeros(2)
    assert m._buffers["b"].tolist() == [0.0, 0.0]
    del m.b
    assert not hasattr(m, "b")
    m.plain = 3
    del m.plain
    with pytest.raises(AttributeError):
        del m.plain


def test_buffer_class_registers_buffer():
    """Assigning nn.Buffer registers a buffer (persistent or not)."""
    m = nn.Module()
    m.k = nn.Buffer(torch.arange(3))
    m.tmp = nn.Buffer(torch.ones(1), persistent=False)
    assert list(m.state_dict()) == ["k"]
    assert [n for n, _ in m.named_buffers()] == ["k", "tmp"]
    assert type(m.k) is torch.Tensor


def test_getattr_error_message():
    """A missing attribute names the class, as PyTorch's message does."""
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'foo'"):
        nn.Linear(2, 2).foo


def test_dir_lists_registered_names():
    """dir() includes parameters, buffers and submodules."""
    names = dir(WithBuffers())
    assert {"p", "a", "lin", "np", "forward", "state_dict"} <= set(names)


def test_missing_forward():
    """A subclass without forward raises PyTorch's NotImplementedError when called."""
    class NoForward(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(2, 2)

    with pytest.raises(NotImplementedError, match='Module \\[NoForward\\] is missing the '
                                                  'required "forward" function'):
        NoForward()(torch.ones(1, 2))


# ------------------------------------------------------------------ lookup by path
def test_get_submodule_parameter_buffer():
    """Dotted paths resolve to modules and parameters; bad paths give PyTorch's errors."""
    net = _nested()
    assert net.get_submodule("1.1") is net[1][1]
    assert net.get_submodule("") is net
    assert net.get_parameter("1.1.bias") is net[1][1].bias
    m = WithBuffers()
    assert m.get_buffer("a") is m.a
    cases = [(lambda: net.get_submodule("1.5"), "Sequential has no attribute `5`"),
             (lambda: net.get_submodule("0.weight"), "`weight` is not an nn.Module"),
             (lambda: net.get_parameter("1.1.foo"), "Linear has no attribute `foo`"),
             (lambda: net.get_parameter("1.0"), "`0` is not an nn.Parameter"),
             (lambda: net.get_parameter("2.weight"), "Sequential has no attribute `2`"),
             (lambda: net.get_buffer("0.weight"), "`weight` is not a buffer")]
    for fn, msg in cases:
        with pytest.raises(AttributeError) as info:
            fn()
        assert str(info.value) == msg


# ------------------------------------------------------------------ state_dict
def test_state_dict_order_types_and_detach():
    """state_dict is an OrderedDict in PyTorch's key order with detached values."""
    torch.manual_seed(0)
    net = MLP()
    sd = net.state_dict()
    assert type(sd) is OrderedDict
    assert list(sd) == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
    assert all(type(v) is torch.Tensor and not v.requires_grad for v in sd.values())
    assert sd["hidden.weight"].data_ptr() == net.hidden.weight.data_ptr()
    kv = net.state_dict(keep_vars=True)
    assert kv["hidden.weight"] is net.hidden.weight
    assert list(net.state_dict(prefix="model."))[0] == "model.hidden.weight"
    assert dict(sd._metadata) == {"": {"version": 1}, "hidden": {"version": 1},
                                  "act": {"version": 1}, "output": {"version": 1}}


def test_state_dict_repr_like_tutorial():
    """print(net.state_dict()) has the layout the tutorial shows."""
    net = MLP()
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(0.5)
    assert repr(net.state_dict()) == (
        "OrderedDict([('hidden.weight', tensor([[0.5000, 0.5000, 0.5000],\n"
        "        [0.5000, 0.5000, 0.5000]])), ('hidden.bias', tensor([0.5000, 0.5000])), "
        "('output.weight', tensor([[0.5000, 0.5000]])), ('output.bias', tensor([0.5000]))])")


def test_load_state_dict_round_trip():
    """Loading one model's state_dict into another makes their outputs equal, in place."""
    torch.manual_seed(0)
    net, net2 = MLP(), MLP()
    w = net2.hidden.weight
    result = net2.load_state_dict(net.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert net2.hidden.weight is w
    x = torch.randn(2, 3)
    assert (net(x) == net2(x)).all()


def test_load_state_dict_missing_and_unexpected():
    """strict=False reports keys; strict=True raises PyTorch's error listing them."""
    net = _nested()
    bad = {"0.weight": torch.ones(3, 2), "extra": torch.ones(1), "1.1.extra": torch.ones(1)}
    res = net.load_state_dict(bad, strict=False)
    assert repr(res) == ("_IncompatibleKeys(missing_keys=['0.bias', '1.1.weight', '1.1.bias'], "
                         "unexpected_keys=['extra', '1.1.extra'])")
    assert net[0].weight.tolist() == [[1.0, 1.0]] * 3
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(bad)
    assert str(info.value) == (
        'Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: '
        '"0.bias", "1.1.weight", "1.1.bias". \n\tUnexpected key(s) in state_dict: "extra", '
        '"1.1.extra". ')


def test_load_state_dict_size_mismatch_message():
    """A shape mismatch names the key and both shapes, as PyTorch's message does."""
    with pytest.raises(RuntimeError) as info:
        nn.Linear(2, 3).load_state_dict({"weight": torch.ones(3, 4), "bias": torch.ones(2)})
    assert str(info.value) == (
        "Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a "
        "param with shape disttrain.Size([3, 4]) from checkpoint, the shape in current model "
        "is disttrain.Size([3, 2]).\n\tsize mismatch for bias: copying a param with shape "
        "disttrain.Size([2]) from checkpoint, the shape in current model is "
        "disttrain.Size([3]).")


def test_load_state_dict_bad_inputs():
    """Non-dicts and non-tensor values are rejected with PyTorch's messages."""
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class "
                                        "'list'>."):
        nn.Linear(2, 3).load_state_dict([1])
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight", '
                                           'expected torch.Tensor or Tensor-like object from '
                                           "checkpoint but received <class 'int'>"):
        nn.Linear(2, 3).load_state_dict({"weight": 3, "bias": torch.ones(3)})


def test_load_state_dict_buffers_and_dtype_cast():
    """Buffers load too, and float64 checkpoints are cast into float32 parameters."""
    m = WithBuffers()
    sd = {k: v.double() + 1 for k, v in m.state_dict().items()}
    m.load_state_dict(sd)
    assert m.a.tolist() == [1.0] and m.p.dtype is torch.float32 and m.p.tolist() == [2.0]


def test_load_state_dict_assign():
    """assign=True installs the checkpoint's tensors themselves (as Parameters)."""
    m = nn.Linear(2, 1)
    sd = {"weight": torch.ones(1, 2, dtype=torch.float64), "bias": torch.zeros(1)}
    m.load_state_dict(sd, assign=True)
    assert type(m.weight) is nn.Parameter and m.weight.dtype is torch.float64
    assert m.weight.requires_grad and m.weight.data_ptr() == sd["weight"].data_ptr()
    buf = WithBuffers()
    new_a = torch.full((1,), 7.0)
    buf.load_state_dict({**buf.state_dict(), "a": new_a}, assign=True)
    assert buf.a is new_a


def test_extra_state_round_trip():
    """get_extra_state/set_extra_state save and restore non-tensor state."""
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.steps = 0

        def get_extra_state(self):
            return {"steps": self.steps}

        def set_extra_state(self, state):
            self.steps = state["steps"]

    a = Counter()
    a.steps = 5
    sd = a.state_dict()
    assert list(sd) == ["_extra_state", "lin.weight", "lin.bias"]
    b = Counter()
    assert repr(b.load_state_dict(sd)) == "<All keys matched successfully>"
    assert b.steps == 5
    res = b.load_state_dict({k: v for k, v in sd.items() if k != "_extra_state"}, strict=False)
    assert res.missing_keys == ["_extra_state"]


def test_state_dict_hooks():
    """State-dict pre/post hooks and load post hooks run with PyTorch's arguments."""
    m = nn.Linear(1, 1)
    seen = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep: seen.append(("pre", prefix)))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: seen.append(("post", len(sd))))
    m.register_load_state_dict_post_hook(lambda mod, keys: seen.append(("load", keys)))
    m.load_state_dict(m.state_dict())
    assert seen[0] == ("pre", "") and seen[1] == ("post", 2)
    assert repr(seen[2][1]) == "<All keys matched successfully>"


# ------------------------------------------------------------------ apply, modes, grads
def test_apply_children_first():
    """apply visits children before parents and returns self (the my_init pattern)."""
    order = []
    net = _nested()
    assert net.apply(lambda m: order.append(type(m).__name__)) is net
    assert order == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]

    def my_init(m):
        if type(m) == nn.Linear:
            nn.init.constant_(m.weight, 1.0)
            nn.init.zeros_(m.bias)
    net.apply(my_init)
    assert net[1][1].weight.tolist() == [[1.0, 1.0, 1.0]]


def test_train_eval_propagate():
    """train()/eval() set .training on the whole tree; a non-bool mode is refused."""
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(), nn.Sequential(nn.Dropout()))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train(1)


def test_zero_grad_and_requires_grad():
    """zero_grad sets grads to None by default or zeroes them; requires_grad_ toggles all."""
    net = MLP()
    net(torch.randn(4, 3)).sum().backward()
    grads = [p.grad for p in net.parameters()]
    net.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(net.parameters(), grads))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())


def test_to_double_keeps_parameter_objects():
    """Dtype conversions happen in place: same Parameter objects, new dtype, grads too."""
    net = WithBuffers()
    net.p.grad = torch.ones(1)
    params = list(net.parameters())
    assert net.double() is net
    assert [p is q for p, q in zip(params, net.parameters())] == [True] * 3
    assert all(p.dtype is torch.float64 for p in net.parameters())
    assert net.p.grad.dtype is torch.float64 and net.a.dtype is torch.float64
    assert net.to(torch.float32).p.dtype is torch.float32
    assert net.half().p.dtype is torch.float16 and net.float().p.dtype is torch.float32
    assert net.to("cpu", torch.float64).lin.weight.dtype is torch.float64
    assert net.to(torch.zeros(1)).a.dtype is torch.float32
    assert net.cpu() is net and net.to(device="cpu") is net
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex "
                                        "dtypes, but got desired dtype=disttrain.int64"):
        net.to(torch.int64)


def test_to_leaves_integer_buffers_alone():
    """Casting a module to a float dtype keeps integer buffers as they are."""
    m = nn.Module()
    m.register_buffer("count", torch.tensor([3]))
    m.double()
    assert m.count.dtype is torch.int64


# ------------------------------------------------------------------ hooks
def test_forward_pre_hook_and_hook():
    """Pre-hooks may replace the input, hooks the output; handles remove them."""
    m = nn.Linear(2, 2)
    seen = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: seen.append(out.shape) or out + 1)
    y = m(torch.ones(3, 2))
    assert seen == [(3, 2)]
    assert np.allclose(y.detach().numpy(), (m.bias + 1).detach().numpy())
    h1.remove()
    h2.remove()
    assert np.allclose(m(torch.zeros(1, 2)).detach().numpy(), m.bias.detach().numpy())


def test_hooks_with_kwargs_and_prepend():
    """with_kwargs hooks see and may replace keyword arguments; prepend runs first."""
    class Scale(nn.Module):
        def forward(self, x, *, k=1.0):
            return x * k

    m = Scale()
    order = []
    m.register_forward_pre_hook(lambda mod, a, kw: (a, {"k": kw["k"] * 10}), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, kw, out: order.append(("b", kw)), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, out: order.append(("a",)), prepend=True)
    assert m(torch.ones(1), k=2.0).tolist() == [20.0]
    assert order == [("a",), ("b", {"k": 20.0})]
    m.register_forward_pre_hook(lambda mod, a, kw: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple of "
                                           r"\(new_args, new_kwargs\), but got 5."):
        m(torch.ones(1), k=1.0)


def test_full_backward_hook():
    """Backward hooks get grad_input/grad_output and may replace grad_input."""
    m = nn.Linear(3, 2)
    log = []
    m.register_full_backward_hook(lambda mod, gi, go: log.append(
        ("bw", [tuple(g.shape) for g in gi], [tuple(g.shape) for g in go])))
    m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", tuple(go[0].shape))))
    x = torch.ones(4, 3, requires_grad=True)
    m(x).sum().backward()
    assert log == [("pre", (4, 2)), ("bw", [(4, 3)], [(4, 2)])]
    m2 = nn.Linear(3, 2)
    m2.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0 + 1,))
    x = torch.ones(4, 3, requires_grad=True)
    m2(x).sum().backward()
    assert x.grad.tolist() == [[1.0] * 3] * 4


def test_backward_pre_hook_scales_grad_output():
    """A backward pre-hook's return value replaces grad_output for the whole module."""
    m = nn.Linear(3, 2)
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
    m(torch.ones(1, 3)).sum().backward()
    assert m.bias.grad.tolist() == [2.0, 2.0]


def test_backward_hook_multiple_inputs_outputs():
    """With several tensor inputs, one not requiring grad, its grad_input entry is zero."""
    class Two(nn.Module):
        def forward(self, a, b):
            return a * b, a + b

    t = Two()
    log = []
    t.register_full_backward_hook(lambda mod, gi, go: log.append((gi, go)))
    a = torch.tensor([2.0], requires_grad=True)
    p, s = t(a, torch.tensor([3.0]))
    (p + 2 * s).sum().backward()
    (gi, go), = log
    assert [g.tolist() for g in gi] == [[5.0], [0.0]]
    assert [g.tolist() for g in go] == [[1.0], [2.0]]
    assert a.grad.tolist() == [5.0]


def test_backward_hook_when_no_input_requires_grad():
    """Without input grads the hook fires at the outputs, with a warning and None inputs."""
    m = nn.Linear(3, 2)
    log = []
    m.register_full_backward_hook(lambda mod, gi, go: log.append(gi))
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are "
                                         "computed with respect to module outputs"):
        m(torch.ones(4, 3)).sum().backward()
    assert log == [(None,)]


# ------------------------------------------------------------------ copies and pickling
def test_deepcopy_copies_parameters_and_keeps_sharing():
    """copy.deepcopy makes independent parameters; shared ones stay shared in the copy."""
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    net.register_buffer("steps", torch.tensor([1]))
    clone = copy.deepcopy(net)
    assert clone[0] is clone[2] and clone[0] is not shared
    assert type(clone[0].weight) is nn.Parameter and clone[0].weight.requires_grad
    assert np.array_equal(clone[0].weight.detach().numpy(), shared.weight.detach().numpy())
    with torch.no_grad():
        clone[0].weight.fill_(0)
    assert shared.weight.abs().sum().item() > 0
    assert clone.steps.tolist() == [1]
    x = torch.ones(1, 2)
    clone(x).sum().backward()
    assert shared.weight.grad is None


def test_pickle_round_trip():
    """A pickled module unpickles with equal parameters, types and training flag."""
    net = MLP().eval()
    back = pickle.loads(pickle.dumps(net))
    assert type(back) is MLP and not back.training
    assert type(back.hidden.weight) is nn.Parameter
    for p, q in zip(net.parameters(), back.parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())
    x = torch.randn(2, 3)
    assert (net(x) == back(x)).all()


def test_setstate_fills_missing_registries():
    """Unpickling a state without hook dicts (an older format) still gives a working module."""
    net = nn.Linear(2, 2)
    state = {k: v for k, v in net.__dict__.items() if "hook" not in k}
    fresh = nn.Linear.__new__(nn.Linear)
    fresh.__setstate__(state)
    assert fresh(torch.ones(1, 2)).shape == (1, 2)


# ------------------------------------------------------------------ printing
def test_nested_repr_matches_pytorch():
    """print(model) nests children with PyTorch's indentation."""
    class NestMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU())
            self.linear = nn.Linear(64, 16)

    chimera = nn.Sequential(NestMLP(), nn.Linear(16, 20))
    assert str(chimera) == (
        "Sequential(\n"
        "  (0): NestMLP(\n"
        "    (net): Sequential(\n"
        "      (0): Linear(in_features=20, out_features=64, bias=True)\n"
        "      (1): ReLU()\n"
        "    )\n"
        "    (linear): Linear(in_features=64, out_features=16, bias=True)\n"
        "  )\n"
        "  (1): Linear(in_features=16, out_features=20, bias=True)\n"
        ")")
    assert str(WithBuffers()) == ("WithBuffers(\n  (lin): Linear(in_features=1, out_features=1, "
                                  "bias=True)\n)")


def test_multiline_extra_repr():
    """A multi-line extra_repr goes on its own indented lines, before the children."""
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.child = nn.ReLU()

        def extra_repr(self):
            return "a=1\nb=2"

    assert repr(Custom()) == "Custom(\n  a=1\n  b=2\n  (child): ReLU()\n)"


def test_parameter_repr_and_type():
    """Parameter prints 'Parameter containing:' and its tensor; it is a Tensor subclass."""
    p = nn.Parameter(torch.ones(2))
    assert repr(p) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    q = nn.Parameter(torch.ones(2, 2), requires_grad=False)
    assert repr(q) == "Parameter containing:\ntensor([[1., 1.],\n        [1., 1.]])"
    assert isinstance(p, torch.Tensor) and p.is_leaf
    assert str(type(p)) == "<class 'disttrain.nn.parameter.Parameter'>"
    assert type(p * 2) is torch.Tensor
    assert nn.Parameter().shape == (0,)


def test_integer_parameter_cannot_require_grad():
    """An integer Parameter must be created with requires_grad=False, as in PyTorch."""
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype "
                                           "can require gradients"):
        nn.Parameter(torch.tensor([1, 2]))
    assert not nn.Parameter(torch.tensor([1, 2]), requires_grad=False).requires_grad


def test_parameter_shares_memory_with_its_data():
    """Parameter(t) uses t's memory, as PyTorch's does."""
    t = torch.zeros(3)
    p = nn.Parameter(t)
    with torch.no_grad():
        p.add_(1)
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_call_runs_forward_with_functional_relu():
    """The MLP from the tutorial runs through __call__ and returns (2, 10) with a graph."""
    class TutorialMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(20, 256)
            self.out = nn.Linear(256, 10)

        def forward(self, X):
            return self.out(F.relu(self.hidden(X)))

    y = TutorialMLP()(torch.rand(2, 20))
    assert y.shape == (2, 10) and type(y.grad_fn).__name__ == "AddmmBackward0"


def test_nn_parallel_reexports_ddp_lazily():
    """nn.parallel.DistributedDataParallel is distributed's class, loaded only on access."""
    import subprocess
    import sys
    code = ("import sys, disttrain.nn as nn; assert 'disttrain.distributed' not in sys.modules; "
            "from disttrain.distributed import DistributedDataParallel as D; "
            "assert nn.parallel.DistributedDataParallel is D")
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError, match="module 'disttrain.nn.parallel' has no attribute "
                                             "'Foo'"):
        nn.parallel.Foo
