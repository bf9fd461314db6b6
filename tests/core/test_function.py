"""autograd.Function written by users, and autograd.gradcheck itself.

Expected values and messages are PyTorch 2.13's for the same programs.
"""
import re
import warnings

import numpy as np
import pytest

import disttrain
from disttrain import autograd
from disttrain.core.gradcheck import GradcheckError
from tests.core.conftest import raises


def vals(t):
    return t.detach().numpy().tolist()


class Square(autograd.Function):
    """k * x**2 with the tutorial's static forward/backward and save_for_backward."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * x * k

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * ctx.k * x * g, None


def test_custom_function_forward_backward():
    """apply runs forward, records a SquareBackward node, and backward uses saved tensors."""
    x = disttrain.tensor([1., 2.], requires_grad=True)
    y = Square.apply(x, 3.)
    assert repr(y) == "tensor([ 3., 12.], grad_fn=<SquareBackward>)"
    assert re.fullmatch(r"<disttrain\.autograd\.function\.SquareBackward object at 0x[0-9a-f]+>",
                        repr(y.grad_fn))
    y.sum().backward()
    assert vals(x.grad) == [6., 12.]


def test_custom_function_gradcheck_and_double_backward():
    """A backward written with Tensor ops passes gradcheck and gradgradcheck."""
    x = disttrain.tensor([0.5, -1.5, 2.0], dtype=disttrain.float64, requires_grad=True)
    assert autograd.gradcheck(lambda t: Square.apply(t, 1.5), (x,))
    assert autograd.gradgradcheck(lambda t: Square.apply(t, 1.5), (x,))


def test_forward_runs_without_recording():
    """Inside forward grad mode is off; outside it, no graph without inputs needing grad."""
    seen = []

    class Probe(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(disttrain.is_grad_enabled())
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = disttrain.ones(2, requires_grad=True)
    y = Probe.apply(x)
    assert seen == [False] and y.grad_fn.name() == "ProbeBackward"
    assert Probe.apply(disttrain.ones(2)).requires_grad is False
    with disttrain.no_grad():
        assert Probe.apply(x).requires_grad is False


def test_needs_input_grad():
    """needs_input_grad has one flag per forward argument, in forward and in backward."""
    seen = []

    class NI(autograd.Function):
        @staticmethod
        def forward(ctx, a, b, c):
            seen.append(ctx.needs_input_grad)
            return a * b

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return g, None, None

    x = disttrain.ones(2, requires_grad=True)
    NI.apply(x, disttrain.ones(2), 3).sum().backward()
    assert seen == [(True, False, False), (True, False, False)]


def test_mark_non_differentiable():
    """An output marked non-differentiable does not require grad; its gradient is zeros."""
    got = []

    class MaxIdx(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            v, i = x.max(0)
            ctx.mark_non_differentiable(i)
            ctx.save_for_backward(i)
            ctx.n = x.shape[0]
            return v, i

        @staticmethod
        def backward(ctx, gv, gi):
            got.append(gi)
            i, = ctx.saved_tensors
            return (disttrain.arange(ctx.n) == i).float() * gv

    x = disttrain.tensor([1., 3., 2.], requires_grad=True)
    v, i = MaxIdx.apply(x)
    assert v.requires_grad and not i.requires_grad
    v.backward()
    assert vals(x.grad) == [0., 1., 0.] and vals(got[0]) == 0


def test_materialize_grads():
    """Unused outputs get zero gradients, or None after set_materialize_grads(False)."""
    got = []

    class Two(autograd.Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            got.append(g2)
            return g1 * 2 + (g2 * 3 if g2 is not None else 0), None

    x = disttrain.ones(2, requires_grad=True)
    Two.apply(x, True)[0].sum().backward()
    Two.apply(x, False)[0].sum().backward()
    assert vals(got[0]) == [0., 0.] and got[1] is None
    assert vals(x.grad) == [4., 4.]


def test_saved_tensors_freed_after_backward():
    """ctx.saved_tensors after backward (without retain_graph) raises PyTorch's error."""
    x = disttrain.tensor([1., 2.], requires_grad=True)
    y = Square.apply(x, 2.)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second "):
        y.grad_fn.saved_tensors


def test_saved_input_modified_in_place():
    """A saved input changed in place is detected when backward unpacks it."""
    w = disttrain.tensor([1., 2.], requires_grad=True)
    x = w * 1
    y = Square.apply(x, 2.)
    x.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: "
                                           r"\[disttrain.FloatTensor \[2\]\], which is output 0 "
                                           r"of Mul, is at version 1; expected version 0"):
        y.sum().backward()


def test_wrong_number_of_gradients():
    """Returning too many (non-None) gradients raises PyTorch's message."""
    class Bad(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = disttrain.ones(2, requires_grad=True)
    with raises(RuntimeError, "function BadBackward returned an incorrect number of gradients "
                              "(expected 1, got 2)"):
        Bad.apply(x).sum().backward()


def test_gradient_shape_checked_and_broadcast_reduced():
    """A wrong-shaped gradient is an error; a broadcast one is summed to the input's shape."""
    class WrongShape(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return disttrain.ones(3)

    class Broadcast(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g.expand(3, 2) * 1

    x = disttrain.ones(2, requires_grad=True)
    with raises(RuntimeError, "Function WrongShapeBackward returned an invalid gradient at "
                              "index 0 - got [3] but expected shape compatible with [2]"):
        WrongShape.apply(x).backward()
    (Broadcast.apply(x * 1)).sum().backward()
    assert vals(x.grad) == [3., 3.]


def test_missing_backward_and_instantiation():
    """No backward: PyTorch's NotImplementedError; instantiating warns like PyTorch."""
    class NoBackward(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    x = disttrain.ones(2, requires_grad=True)
    with raises(NotImplementedError, "You must implement either the backward or vjp method "
                                     "for your custom autograd.Function to use it with "
                                     "backward mode AD."):
        NoBackward.apply(x).sum().backward()
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        Square()


def test_forward_returning_its_input():
    """Returning an input gives a new tensor (sharing memory) with the Function's node."""
    class Ident(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = disttrain.ones(2, requires_grad=True)
    y = Ident.apply(x)
    assert y is not x and y.grad_fn.name() == "IdentBackward"
    y.sum().backward()
    assert vals(x.grad) == [5., 5.]


def test_user_backward_result_is_copied_into_grad():
    """A gradient a user's backward keeps is never adopted as .grad (no aliasing)."""
    kept = disttrain.full((2,), 7.)

    class Const(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return kept

    x = disttrain.ones(2, requires_grad=True)
    y = Const.apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert vals(x.grad) == [14., 14.] and vals(kept) == [7., 7.]


def test_numpy_forward_with_tensor_backward():
    """A forward may compute in numpy and return an array; apply wraps it."""
    class NpExp(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = np.exp(x.detach().numpy())
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y

    x = disttrain.tensor([0., 1.], dtype=disttrain.float64, requires_grad=True)
    y = NpExp.apply(x)
    assert isinstance(y, disttrain.Tensor) and y.grad_fn.name() == "NpExpBackward"
    assert autograd.gradcheck(NpExp.apply, (x,))


# ------------------------------------------------------------------ gradcheck itself
class WrongBackward(autograd.Function):
    """sin with a deliberately wrong derivative (sin instead of cos)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.sin()


def test_gradcheck_catches_wrong_backward():
    """gradcheck raises GradcheckError (or returns False) when backward is wrong."""
    x = disttrain.tensor([0.3, 1.2], dtype=disttrain.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="^Jacobian mismatch for output 0 with respect to "
                                             "input 0"):
        autograd.gradcheck(WrongBackward.apply, (x,))
    assert autograd.gradcheck(WrongBackward.apply, (x,), raise_exception=False) is False


def test_gradcheck_catches_wrong_second_derivative():
    """gradgradcheck catches a first derivative whose own backward is wrong."""
    class BadDouble(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * (x * x).detach()      # right value, but cut from the graph

    x = disttrain.tensor([0.5, 2.0], dtype=disttrain.float64, requires_grad=True)
    assert autograd.gradcheck(BadDouble.apply, (x,))
    assert autograd.gradgradcheck(BadDouble.apply, (x,), raise_exception=False) is False


def test_gradcheck_multiple_inputs_and_outputs():
    """All inputs needing grad and every output are checked."""
    a = disttrain.tensor([0.5, 1.5], dtype=disttrain.float64, requires_grad=True)
    b = disttrain.tensor([2.0, -1.0], dtype=disttrain.float64, requires_grad=True)
    c = disttrain.tensor([1.0, 1.0], dtype=disttrain.float64)
    assert autograd.gradcheck(lambda x, y, z: (x * y + z, (x / y).exp()), (a, b, c))


def test_gradcheck_input_checks():
    """Without an input that requires grad gradcheck refuses; float32 inputs warn."""
    with raises(ValueError, "gradcheck expects at least one input tensor to require gradient, "
                            "but none of the them have requires_grad=True."):
        autograd.gradcheck(lambda t: t * 2, (disttrain.ones(2, dtype=disttrain.float64),))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        autograd.gradcheck(lambda t: t * 2, (disttrain.ones(2, requires_grad=True),),
                           eps=1e-3, atol=1e-2)
    assert any("is not a double precision floating point" in str(i.message) for i in w)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_builtin_op_names_its_graph_node():
    """Each built-in differentiable Function sets its own node name (PyTorch's), so no op
    inherits a base's and none prints the generic ``<Class>Backward``."""
    import disttrain.nn  # noqa: F401  (its Functions register as subclasses too)
    unnamed = [c.__name__ for c in _subclasses(autograd.Function)
               if c._builtin and c.differentiable and not c.__name__.startswith("_")
               and "node_name" not in c.__dict__]
    assert unnamed == []


def test_gradcheck_warns_about_single_precision_inputs():
    """A float32 input that requires grad gets PyTorch's warning naming its position, not an
    error from comparing tensors."""
    import warnings
    x = disttrain.ones(3, dtype=disttrain.float64, requires_grad=True)
    y = disttrain.ones(3, dtype=disttrain.float32, requires_grad=True)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        disttrain.autograd.gradcheck(lambda a, b: a * b.double(), (x, y), atol=1e-2,
                                     rtol=1e-2, raise_exception=False)
    assert any("Input #1 requires gradient and is not a double precision" in str(w.message)
               for w in rec)
