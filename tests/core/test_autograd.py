"""The autograd engine: backward, grad, graph lifetime, grad modes, hooks, versions, views.

Expected values and error messages are PyTorch 2.13's for the same programs.
"""
import re

import numpy as np
import pytest

import disttrain
from disttrain import autograd
from tests.core.conftest import raises

FREED = ("Trying to backward through the graph a second time (or directly access saved "
         "tensors after they have already been freed). Saved intermediate values of the graph "
         "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
         "you need to backward through the graph a second time or if you need to access saved "
         "tensors after calling backward.")
HINT = ("Hint: enable anomaly detection to find the operation that failed to compute its "
        "gradient, with disttrain.autograd.set_detect_anomaly(True, check_nan=False).")


def x3():
    return disttrain.tensor([1., 2., 3.], requires_grad=True)


def vals(t):
    return t.detach().numpy().tolist()


# ------------------------------------------------------------------ backward basics
def test_seed_scalar_backward():
    """The tutorial's out = mean(3 * (x + 2)^2) gives x.grad = 4.5 everywhere."""
    x = disttrain.ones(2, 2, requires_grad=True)
    out = ((x + 2) * (x + 2) * 3).mean()
    assert out.backward() is None
    assert vals(x.grad) == [[4.5, 4.5], [4.5, 4.5]]


def test_grad_accumulates_over_backward_calls():
    """.grad sums over backward calls, in place in the same tensor, as PyTorch does."""
    x = x3()
    (x * 2).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad is first and vals(x.grad) == [5., 5., 5.]


def test_nonscalar_backward_needs_gradient():
    """backward() of a non-scalar raises PyTorch's error; with a gradient it is a VJP."""
    x = x3()
    y = x * x
    with raises(RuntimeError, "grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(disttrain.tensor([1., 0.5, 2.]))
    assert vals(x.grad) == [2., 2., 12.]


def test_seed_vector_backward():
    """The tutorial's doubling loop: y = x * 2**k, backward(ones) gives 2**k."""
    x = disttrain.randn(3, requires_grad=True)
    y = x * 2
    k = 1
    while y.data.norm() < 1000:
        y = y * 2
        k += 1
    y.backward(disttrain.ones_like(x))
    assert vals(x.grad) == [2.0 ** k] * 3


def test_gradient_shape_mismatch():
    """A gradient of the wrong shape is refused with PyTorch's message."""
    y = x3() * 2
    with raises(RuntimeError, "Mismatch in shape: grad_output[0] has a shape of "
                              "disttrain.Size([2]) and output[0] has a shape of "
                              "disttrain.Size([3])."):
        y.backward(disttrain.ones(2))


@pytest.mark.parametrize("t", [disttrain.ones(3), disttrain.ones(()), x3().sum().detach()])
def test_backward_without_graph(t):
    """backward() of a tensor outside any graph names it, whatever its shape."""
    with raises(RuntimeError, "element 0 of tensors does not require grad and does not have "
                              "a grad_fn"):
        t.backward()


def test_second_backward_through_freed_graph():
    """The graph's saved tensors are freed by backward; a second one raises PyTorch's error."""
    x = x3()
    y = (x * x).sum()
    y.backward()
    with raises(RuntimeError, FREED):
        y.backward()


def test_retain_graph():
    """retain_graph=True keeps the graph for another backward."""
    x = x3()
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert vals(x.grad) == [4., 8., 12.]


def test_graph_without_saved_tensors_runs_twice():
    """A graph that saved nothing (add, sum) can run backward twice, as in PyTorch."""
    x = x3()
    y = (x + 1).sum()
    y.backward()
    y.backward()
    assert vals(x.grad) == [2., 2., 2.]


def test_shared_subexpression_sums_paths():
    """A value used twice (diamond graph) receives the sum of both paths' gradients."""
    x = x3()
    h = x * 2
    y = (h * h + h.exp()).sum()
    y.backward()
    xs = np.array([1., 2., 3.])
    np.testing.assert_allclose(vals(x.grad), 8 * xs + 2 * np.exp(2 * xs), rtol=1e-6)


def test_deep_graph_is_iterative():
    """A chain of 3000 ops backpropagates without recursion limits."""
    x = disttrain.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    assert vals(x.grad) == [1.0]


def test_backward_only_flows_to_float_outputs():
    """Comparisons and argmax produce tensors outside the graph."""
    x = disttrain.tensor([1., 2.], requires_grad=True)
    assert (x > 1).requires_grad is False and (x > 1).grad_fn is None
    assert x.argmax().requires_grad is False


# ------------------------------------------------------------------ higher order
def test_create_graph_second_and_third_derivatives():
    """create_graph=True records the backward: d/dx of sin is cos, then -sin, then -cos."""
    x = x3()
    g1, = autograd.grad(x.sin().sum(), x, create_graph=True)
    g2, = autograd.grad(g1.sum(), x, create_graph=True)
    g3, = autograd.grad(g2.sum(), x)
    xs = np.array([1., 2., 3.])
    np.testing.assert_allclose(vals(g1), np.cos(xs), rtol=1e-6)
    np.testing.assert_allclose(vals(g2), -np.sin(xs), rtol=1e-6)
    np.testing.assert_allclose(vals(g3), -np.cos(xs), rtol=1e-6)


def test_backward_create_graph_grad_is_differentiable():
    """backward(create_graph=True) leaves a .grad with a graph (PyTorch's CopyBackwards)."""
    x = x3()
    (x ** 3).sum().backward(create_graph=True)
    assert repr(x.grad) == "tensor([ 3., 12., 27.], grad_fn=<CopyBackwards>)"
    g = x.grad
    x.grad = None
    g.sum().backward()
    assert vals(x.grad) == [6., 12., 18.]


def test_grad_of_grad_with_mul_of_itself():
    """x*x seen twice by one node: the grad is the sum (AddBackward0), and differentiable."""
    x = x3()
    g, = autograd.grad((x * x).sum(), x, create_graph=True)
    assert repr(g) == "tensor([2., 4., 6.], grad_fn=<AddBackward0>)"
    gg, = autograd.grad(g.sum(), x)
    assert vals(gg) == [2., 2., 2.]


# ------------------------------------------------------------------ autograd.grad / backward
def test_autograd_grad_leaves_dot_grad_alone():
    """autograd.grad returns a tuple of gradients and does not touch .grad."""
    x = x3()
    r = autograd.grad((x * x).sum(), x)
    assert isinstance(r, tuple) and vals(r[0]) == [2., 4., 6.]
    assert x.grad is None


def test_autograd_grad_outputs_vector():
    """grad_outputs weights a non-scalar output."""
    x = x3()
    g, = autograd.grad(x * x, x, disttrain.tensor([1., 0., -1.]))
    assert vals(g) == [2., 0., -6.]
    with raises(RuntimeError, "grad can be implicitly created only for scalar outputs"):
        autograd.grad(x3() * 2, x)


def test_autograd_grad_unused_input():
    """An input the output does not depend on: error, None with allow_unused, or zeros."""
    x, z = x3(), disttrain.ones(2, requires_grad=True)
    with raises(RuntimeError, "The differentiated Tensor at index 1 appears to not have been "
                              "used in the graph. Set allow_unused=True if this is the "
                              "desired behavior."):
        autograd.grad((x * x).sum(), [x, z])
    gx, gz = autograd.grad((x * x).sum(), [x, z], allow_unused=True)
    assert vals(gx) == [2., 4., 6.] and gz is None
    gx, gz = autograd.grad((x * x).sum(), [x, z], materialize_grads=True)
    assert vals(gz) == [0., 0.]


def test_autograd_grad_bad_inputs():
    """Inputs must require grad and must not be empty."""
    x = x3()
    with raises(RuntimeError, "One of the differentiated Tensors does not require grad"):
        autograd.grad((x * 2).sum(), disttrain.ones(2))
    with raises(RuntimeError, "`inputs` argument to `grad()` cannot be empty."):
        autograd.grad((x * 2).sum(), [])


def test_autograd_grad_of_intermediate():
    """Gradients with respect to a non-leaf stop there."""
    x = x3()
    h = x * 2
    g, = autograd.grad((h * h).sum(), h)
    assert vals(g) == [4., 8., 12.]


def test_autograd_backward_many_roots():
    """autograd.backward(tensors, grad_tensors) sums the roots' contributions."""
    x = x3()
    autograd.backward([x * 2, x * 3], [disttrain.ones(3), disttrain.full((3,), 2.)])
    assert vals(x.grad) == [8., 8., 8.]
    x.grad = None
    autograd.backward([(x * 2).sum(), (x * 3).sum()])
    assert vals(x.grad) == [5., 5., 5.]
    with raises(RuntimeError, "got 2 tensors and 1 gradients"):
        autograd.backward([x * 2, x * 3], [disttrain.ones(3)])
    x.grad = None
    autograd.backward([x * 2], [disttrain.ones(3), disttrain.ones(3)])   # extras are ignored
    assert vals(x.grad) == [2., 2., 2.]


def test_backward_inputs_restricts_accumulation():
    """backward(inputs=[z]) accumulates into z only."""
    x, z = x3(), disttrain.ones(3, requires_grad=True)
    (x * z).sum().backward(inputs=[z])
    assert x.grad is None and vals(z.grad) == [1., 2., 3.]
    with raises(RuntimeError, "`inputs` argument to `backward()` cannot be empty."):
        (x * z).sum().backward(inputs=[])


# ------------------------------------------------------------------ grad modes
def test_no_grad_context():
    """Inside no_grad nothing is recorded; the previous mode comes back afterwards."""
    x = x3()
    assert (x ** 2).requires_grad
    with disttrain.no_grad():
        y = x ** 2
        assert not disttrain.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and disttrain.is_grad_enabled()


def test_no_grad_restores_after_exception():
    """An exception leaving no_grad still restores grad mode."""
    with pytest.raises(ValueError):
        with disttrain.no_grad():
            raise ValueError
    assert disttrain.is_grad_enabled()


@pytest.mark.parametrize("make", [lambda: disttrain.no_grad(), lambda: disttrain.no_grad,
                                  lambda: disttrain.set_grad_enabled(False)],
                         ids=["no_grad()", "no_grad", "set_grad_enabled(False)"])
def test_grad_off_decorators(make):
    """no_grad (with or without parentheses) and set_grad_enabled(False) decorate functions."""
    x = x3()

    @make()
    def f(a):
        return a * 2
    assert f(x).requires_grad is False and f.__name__ == "f"
    assert disttrain.is_grad_enabled()


def test_grad_mode_decorates_generators():
    """A decorated generator runs each step under the mode, and restores it between steps."""
    x = x3()

    @disttrain.no_grad()
    def steps(a):
        yield a * 2
        assert not disttrain.is_grad_enabled()
        yield a * 3
        return "done"

    gen = steps(x)
    first = next(gen)
    assert disttrain.is_grad_enabled() and not first.requires_grad
    assert not next(gen).requires_grad
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done" and disttrain.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    """enable_grad (context or decorator) records again inside no_grad."""
    x = x3()

    @disttrain.enable_grad()
    def f(a):
        return a * 2
    with disttrain.no_grad():
        with disttrain.enable_grad():
            y = x * 2
        z = f(x)
        w = x * 2
    assert y.requires_grad and z.requires_grad and not w.requires_grad
    assert y.grad_fn.name() == "MulBackward0"


def test_set_grad_enabled_forms():
    """set_grad_enabled works as a plain call and as a context manager."""
    x = x3()
    disttrain.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        disttrain.set_grad_enabled(True)
    with disttrain.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with disttrain.set_grad_enabled(True):
        assert (x * 2).requires_grad
    assert disttrain.is_grad_enabled()


def test_inference_mode():
    """inference_mode records nothing, like no_grad."""
    x = x3()
    with disttrain.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


# ------------------------------------------------------------------ requires_grad
def test_requires_grad_flags():
    """requires_grad_ switches a leaf; non-leaves and integer tensors refuse it."""
    x = disttrain.randn(2)
    assert x.requires_grad is False and x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    with raises(RuntimeError, "you can only change requires_grad flags of leaf variables. If "
                              "you want to use a computed variable in a subgraph that doesn't "
                              "require differentiation use var_no_grad = var.detach()."):
        (x3() * 2).requires_grad_(False)
    with raises(RuntimeError, "only Tensors of floating point dtype can require gradients"):
        disttrain.tensor([1, 2]).requires_grad_()
    with raises(RuntimeError, "Only Tensors of floating point and complex dtype can require "
                              "gradients"):
        disttrain.tensor([1, 2], requires_grad=True)


def test_leaf_and_detach():
    """is_leaf, detach (shares memory, no grad) and detach_ (in place)."""
    x = x3()
    y = x * 2
    assert x.is_leaf and not y.is_leaf and disttrain.ones(2).is_leaf
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    d[0] = 10.
    assert vals(y)[0] == 10.
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad


def test_retain_grad_and_non_leaf_grad_warning():
    """A non-leaf's .grad is None with PyTorch's warning, unless retain_grad() was called."""
    x = x3()
    y = x * 2
    y.retain_grad()
    z = x * 3
    (y * z).sum().backward()
    assert y.retains_grad and vals(y.grad) == [3., 6., 9.]
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert z.grad is None


# ------------------------------------------------------------------ graph structure
def test_grad_fn_and_next_functions():
    """grad_fn names and next_functions lead back to the leaf's AccumulateGrad."""
    a = disttrain.tensor([1., 2.], requires_grad=True)
    y = a * a
    (n0, i0), (n1, i1) = y.grad_fn.next_functions
    assert n0 is n1 and (i0, i1) == (0, 0) and n0.variable is a
    assert n0.name() == "torch::autograd::AccumulateGrad"
    s = (y + 1).sum()
    assert s.grad_fn.name() == "SumBackward0"
    assert s.grad_fn.next_functions[0][0].name() == "AddBackward0"


@pytest.mark.parametrize("expr, inputs", [
    ("x * 2", ["AccumulateGrad", None]), ("2 * x", ["AccumulateGrad", None]),
    ("disttrain.mul(2, x)", [None, "AccumulateGrad"]), ("x + True", ["AccumulateGrad", None]),
    ("x.add(2, alpha=3)", ["AccumulateGrad", None]), ("x - 2", ["AccumulateGrad", None]),
    ("disttrain.sub(2, x)", [None, "AccumulateGrad"]), ("x / 2", ["AccumulateGrad", None]),
    ("2 / x", ["ReciprocalBackward0", None]), ("x * y", ["AccumulateGrad", None]),
    ("x.div(2, rounding_mode='floor')", ["AccumulateGrad", None]),
    ("x % y", ["AccumulateGrad", None]), ("x ** y", ["AccumulateGrad", None]),
    ("2 - x", ["AccumulateGrad"]), ("disttrain.rsub(x, 2, alpha=3)", ["AccumulateGrad"]),
    ("disttrain.rsub(x, y)", ["AccumulateGrad", None]), ("x ** 2", ["AccumulateGrad"]),
    ("2 ** x", ["AccumulateGrad"]), ("x % 2", ["AccumulateGrad"]),
    ("x.clamp(0, 1)", ["AccumulateGrad"]),
    ("x.clamp(max=y)", ["AccumulateGrad", None, None]),
    ("disttrain.where(x > 0, 0., x)", [None, "AccumulateGrad"]),
    ("disttrain.where(x > 0, x, y)", ["AccumulateGrad", None]),
    ("x.masked_fill(y > 0, 1.)", ["AccumulateGrad"]),
    ("disttrain.atan2(y, x)", [None, "AccumulateGrad"]),
    ("disttrain.cat([x, y])", ["AccumulateGrad", None]),
])
def test_next_functions_list_scalar_operands_as_pytorch(expr, inputs):
    """next_functions has PyTorch 2.13's entries: ``(None, 0)`` for a Python scalar PyTorch
    wraps into a tensor and for a tensor without grad, nothing for a mask or condition."""
    x, y = disttrain.tensor([1., 2.], requires_grad=True), disttrain.tensor([3., -4.])
    fns = eval(expr).grad_fn.next_functions
    assert [None if n is None else type(n).__name__ for n, _ in fns] == inputs
    assert all(nr == 0 for _, nr in fns)


def test_calling_a_node_runs_its_backward():
    """grad_fn(g) returns the gradients of its tensor inputs."""
    x = x3()
    assert vals(x.sum().grad_fn(disttrain.tensor(1.))) == [1., 1., 1.]
    ga, gb = (x * x).grad_fn(disttrain.ones(3))
    assert vals(ga) == vals(gb) == [1., 2., 3.]


# ------------------------------------------------------------------ gradient ownership
def test_dot_grad_never_aliases_between_leaves():
    """Add passes one gradient to both leaves: each .grad is its own memory."""
    a = disttrain.ones(2, requires_grad=True)
    b = disttrain.ones(2, requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    assert vals(b.grad) == [1., 1.]
    (a + b).backward(disttrain.ones(2))
    a.grad.add_(5)
    assert vals(b.grad) == [2., 2.] and vals(a.grad) == [6., 6.]


@pytest.mark.parametrize("make", [lambda a: a, lambda a: a + 0, lambda a: a * 1,
                                  lambda a: a.view(2), lambda a: a.t() if a.dim() > 1 else a],
                         ids=["leaf", "add", "mul", "view", "t"])
def test_user_gradient_is_not_aliased(make):
    """The gradient tensor given to backward() never becomes .grad itself."""
    a = disttrain.ones(2, requires_grad=True)
    g = disttrain.ones(2)
    make(a).backward(g)
    a.grad.add_(1)
    assert vals(g) == [1., 1.] and vals(a.grad) == [2., 2.]


def test_grad_of_expand_and_sum_are_fresh():
    """Gradients built by broadcasting (views of one array) become independent .grad."""
    a = disttrain.ones(2, 2, requires_grad=True)
    b = disttrain.ones(2, 2, requires_grad=True)
    (a.sum() + b.sum()).backward()
    a.grad[0, 0] = 7.
    assert vals(b.grad) == [[1., 1.], [1., 1.]] and vals(a.grad)[1] == [1., 1.]


def test_grad_assignment_checks():
    """Assigning .grad checks type, size and dtype with PyTorch's messages."""
    x = x3()
    x.grad = disttrain.ones(3)
    (x * 2).sum().backward()
    assert vals(x.grad) == [3., 3., 3.]
    x.grad = None
    assert x.grad is None
    with raises(TypeError, "assigned grad expected to be a Tensor or None but got grad of "
                           "type list"):
        x.grad = [1.]
    with raises(RuntimeError, "attempting to assign a gradient of size '[2]' to a tensor of "
                              "size '[3]'. Please ensure that the gradient and the tensor are "
                              "the same size"):
        x.grad = disttrain.ones(2)
    with pytest.raises(RuntimeError, match="^attempting to assign a gradient with dtype "
                                           "'double' to a tensor with grad_dtype 'Float'"):
        x.grad = disttrain.ones(3, dtype=disttrain.float64)


# ------------------------------------------------------------------ hooks
def test_tensor_hooks_change_gradients():
    """register_hook on a leaf or non-leaf may replace the gradient; remove() undoes it."""
    x = x3()
    h = x.register_hook(lambda g: g * 2)
    (x * x).sum().backward()
    assert vals(x.grad) == [4., 8., 12.]
    h.remove()
    x.grad = None
    (x * x).sum().backward()
    assert vals(x.grad) == [2., 4., 6.]
    x.grad = None
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert vals(x.grad) == [20., 20., 20.]


def test_hook_order_and_post_accumulate_hook():
    """Hooks run non-leaf first, then the leaf's, then its post-accumulate hook."""
    x = disttrain.ones(2, requires_grad=True)
    order = []
    y = x * 2
    y.register_hook(lambda g: order.append("y"))
    x.register_hook(lambda g: order.append("x"))
    x.register_post_accumulate_grad_hook(lambda t: order.append("post"))
    y.sum().backward()
    assert order == ["y", "x", "post"]


def test_post_accumulate_hook_sees_accumulated_grad():
    """The hook receives the leaf after .grad was accumulated, on every backward."""
    x = x3()
    seen = []
    h = x.register_post_accumulate_grad_hook(lambda t: seen.append(vals(t.grad)))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert seen == [[2., 2., 2.], [5., 5., 5.]]
    h.remove()
    (x * 3).sum().backward()
    assert len(seen) == 2


def test_hook_registration_errors():
    """Hooks need requires_grad; post-accumulate hooks need a leaf."""
    with raises(RuntimeError, "cannot register a hook on a tensor that doesn't require "
                              "gradient"):
        disttrain.ones(2).register_hook(lambda g: g)
    with raises(RuntimeError, "post accumulate grad hooks cannot be registered on non-leaf "
                              "tensors"):
        (x3() * 2).register_post_accumulate_grad_hook(lambda t: None)


def test_node_hooks():
    """grad_fn.register_hook sees (grad_inputs, grad_outputs); register_prehook may rewrite."""
    x = x3()
    y = x * 2
    seen = []
    y.grad_fn.register_hook(lambda gi, go: seen.append((vals(gi[0]), vals(go[0]))))
    y.grad_fn.register_prehook(lambda go: (go[0] * 3,))
    y.sum().backward()
    assert seen == [([6., 6., 6.], [3., 3., 3.])] and vals(x.grad) == [6., 6., 6.]


# ------------------------------------------------------------------ in place and versions
def test_leaf_inplace_error_and_no_grad_escape():
    """In-place ops on a leaf that requires grad raise, except under no_grad."""
    x = x3()
    for op in (lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.zero_(),
               lambda t: t.copy_(disttrain.ones(3))):
        with raises(RuntimeError, "a leaf Variable that requires grad is being used in an "
                                  "in-place operation."):
            op(x)
    with raises(RuntimeError, "a view of a leaf Variable that requires grad is being used in "
                              "an in-place operation."):
        x[0] = 5.
    with disttrain.no_grad():
        x.mul_(2)
    assert repr(x) == "tensor([2., 4., 6.], requires_grad=True)"


def test_inplace_on_non_leaf_is_recorded():
    """y.add_(1) on a non-leaf keeps gradients flowing (grad of add is 1)."""
    x = x3()
    y = x * 1
    y.add_(1)
    assert repr(y) == "tensor([2., 3., 4.], grad_fn=<AddBackward0>)"
    y.sum().backward()
    assert vals(x.grad) == [1., 1., 1.]


def test_modified_saved_input_is_detected():
    """Changing in place a tensor a node saved raises PyTorch's version error."""
    x = x3()
    y = x * 1
    z = y * y
    y.add_(1)
    with raises(RuntimeError, "one of the variables needed for gradient computation has been "
                              "modified by an inplace operation: [disttrain.FloatTensor [3]], "
                              "which is output 0 of Add, is at version 1; expected version 0 "
                              "instead. " + HINT):
        z.sum().backward()


def test_modified_saved_output_is_detected():
    """exp saves its output; changing that output in place is detected too."""
    x = x3()
    y = x.exp()
    y.add_(1)
    with raises(RuntimeError, "one of the variables needed for gradient computation has been "
                              "modified by an inplace operation: [disttrain.FloatTensor [3]], "
                              "which is output 0 of Exp, is at version 1; expected version 0 "
                              "instead. " + HINT):
        y.sum().backward()


def test_modified_saved_constant_is_detected():
    """A tensor without grad saved by mul (the other factor) is version-checked as well."""
    x = x3()
    w = disttrain.ones(3)
    y = x * w
    w.add_(1)
    with raises(RuntimeError, "one of the variables needed for gradient computation has been "
                              "modified by an inplace operation: [disttrain.FloatTensor [3]] "
                              "is at version 1; expected version 0 instead. " + HINT):
        y.sum().backward()


def test_versions_that_do_not_matter():
    """add saves nothing (no error); .data changes are untracked; detach shares versions."""
    x = x3()
    w = disttrain.ones(3)
    y = x + w
    w.add_(1)
    y.sum().backward()
    assert vals(x.grad) == [1., 1., 1.]
    d = x.detach()
    x.data.add_(1)
    assert x._version[0] == 0 and vals(d) == [2., 3., 4.]
    with disttrain.no_grad():
        x.mul_(1)
    assert d._version[0] == 1


def test_inplace_on_view_rebases_base():
    """Writing a view in place gives the base a CopySlices node with the right gradients."""
    x = x3()
    y = x * 1
    v = y[1:]
    v.mul_(2)
    assert repr(y) == "tensor([1., 4., 6.], grad_fn=<CopySlices>)"
    y.sum().backward()
    assert vals(x.grad) == [1., 2., 2.]


def test_inplace_on_integer_selected_element():
    """y[0].mul_(2) writes through to y (a 0-d view) and its gradient."""
    x = x3()
    y = x * 1
    y[0].mul_(2)
    assert vals(y) == [2., 2., 3.]
    (y * y).sum().backward()
    assert vals(x.grad) == [8., 4., 6.]


def test_copy_into_view_of_plain_tensor():
    """Copying a tensor that requires grad into a slice makes the buffer part of the graph."""
    b = disttrain.zeros(4)
    w = disttrain.tensor([1., 2.], requires_grad=True)
    b[1:3].copy_(w)
    assert repr(b) == "tensor([0., 1., 2., 0.], grad_fn=<CopySlices>)"
    (b * disttrain.arange(4.)).sum().backward()
    assert vals(w.grad) == [1., 2.]


def test_sibling_view_sees_inplace_change():
    """A view made before its base changed in place differentiates through the new value."""
    x = disttrain.ones(4, requires_grad=True)
    y = x * 2
    v = y.view(2, 2)
    v[1].mul_(3)
    (v * v).sum().backward()
    assert vals(x.grad) == [8., 8., 72., 72.]


def test_inplace_view_errors():
    """Views of leaves and outputs of split may not be written in place under autograd."""
    x = x3()
    with raises(RuntimeError, "a view of a leaf Variable that requires grad is being used in "
                              "an in-place operation."):
        x[0:2].mul_(2)
    a, _ = (disttrain.ones(2, 3, requires_grad=True) * 2).split(1)
    with raises(RuntimeError, "Output 0 of Split is a view and is being modified inplace. This "
                              "view is the output of a function that returns multiple views. "
                              "Such functions do not allow the output views to be modified "
                              "inplace. You should replace the inplace operation by an "
                              "out-of-place one."):
        a.mul_(5)
    b, _ = disttrain.zeros(2, 3).split(1)
    with pytest.raises(RuntimeError, match="^A view was created in no_grad mode and is being "
                                           "modified inplace with grad mode enabled. This view "
                                           "is the output of a function that returns multiple"):
        b.copy_(disttrain.ones(1, 3, requires_grad=True))


def test_seed_in_place_division_loop():
    """The tutorial's 'while X.abs().sum() > 1: X /= 2' on a non-leaf keeps its gradient."""
    w = disttrain.tensor([[3., -1.], [2., 0.5]], requires_grad=True)
    x = w * 1
    n = 0
    while x.abs().sum() > 1:
        x /= 2
        n += 1
    x.sum().backward()
    assert n == 3 and vals(w.grad) == [[0.125, 0.125], [0.125, 0.125]]


def test_graph_does_not_keep_unsaved_outputs_alive():
    """Nodes keep only what backward needs: an unsaved intermediate is freed."""
    import gc
    import weakref
    x = disttrain.ones(1000, requires_grad=True)
    h = x + 1                      # add saves nothing
    ref = weakref.ref(h._data)
    y = (h + 1).sum()
    del h
    gc.collect()
    assert ref() is None
    y.backward()
    assert vals(x.grad)[:2] == [1., 1.]


def test_functions_exposed():
    """The autograd module exposes PyTorch's names."""
    for name in ("Function", "backward", "grad", "gradcheck", "gradgradcheck", "no_grad",
                 "enable_grad", "set_grad_enabled", "Variable"):
        assert hasattr(autograd, name), name
    assert re.match(r"<class 'disttrain", repr(autograd.Variable))


def test_anomaly_detection_finds_nan():
    """Under detect_anomaly a backward returning NaN raises PyTorch's message; the mode is
    restored afterwards."""
    x = disttrain.tensor([0., 1.], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = autograd.detect_anomaly()
    with ctx:
        assert autograd.is_anomaly_enabled()
        y = x.sqrt() * 0
        with raises(RuntimeError, "Function 'DivBackward0' returned nan values in its 1th "
                                  "output."):
            (y / y).sum().backward()
    assert not autograd.is_anomaly_enabled()
    (y / y).sum().backward()                    # outside the mode NaN passes silently


def test_anomaly_detection_shows_forward_trace():
    """A failing backward warns with the traceback of the forward call that recorded it."""
    class Boom(autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom")

    autograd.set_detect_anomaly(True)
    try:
        y = Boom.apply(x3())
        with pytest.warns(UserWarning, match=r"(?s)Error detected in BoomBackward. Traceback of "
                                             r"forward call that caused the error:\n.*"
                                             r"test_anomaly_detection_shows_forward_trace"):
            with pytest.raises(ValueError, match="boom"):
                y.sum().backward()
    finally:
        autograd.set_detect_anomaly(False)
    assert not autograd.is_anomaly_enabled()
