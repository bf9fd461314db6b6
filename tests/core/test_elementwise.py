"""Elementwise ops: values against numpy and PyTorch, gradients, broadcasting, grad_fn names,
errors, in-place forms and ``out=``."""
import math
import warnings

import numpy as np
import pytest

import disttrain
from disttrain.autograd import gradcheck, gradgradcheck

from .conftest import assert_close, check_op, leaf, raises, randn

BROADCAST = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((3, 1, 2), (2,)),
             ((2, 3), ())]

BINARY = {
    "add": (lambda a, b: a + b, None, {}),
    "sub": (lambda a, b: a - b, None, {}),
    "mul": (lambda a, b: a * b, None, {}),
    "div": (lambda a, b: a / b, None, {"away_from": 0}),
    "pow": (lambda a, b: a ** b, None, {"positive": True}),
    "maximum": (disttrain.maximum, np.maximum, {}),
    "minimum": (disttrain.minimum, np.minimum, {}),
    "remainder": (lambda a, b: a % b, None, {"positive": True}),
    "fmod": (disttrain.fmod, np.fmod, {"away_from": 0}),
    "atan2": (disttrain.atan2, np.arctan2, {"away_from": 0}),
    "where": (lambda a, b: disttrain.where(a > b, a, b),
              lambda a, b: np.where(a > b, a, b), {}),
}


@pytest.mark.parametrize("shapes", BROADCAST, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_op_values_and_gradients(name, shapes):
    """Each binary op broadcasts like numpy and passes gradcheck for every operand."""
    fn, ref, kw = BINARY[name]
    check_op(fn, *shapes, ref=ref, **kw)


@pytest.mark.parametrize("name", ["add", "mul", "div", "pow", "maximum", "where"])
def test_binary_op_non_contiguous_inputs(name):
    """Strided (non-contiguous) operands give the same values and gradients."""
    fn, ref, kw = BINARY[name]
    check_op(fn, (2, 3), (2, 3), ref=ref, noncontig=True, **kw)
    check_op(lambda a, b: fn(a.t(), b), (3, 2), (2, 3),
             ref=lambda a, b: (ref or fn)(a.T, b), **kw)


UNARY = {
    "exp": (np.exp, {}), "expm1": (np.expm1, {}), "log": (np.log, {"positive": True}),
    "log2": (np.log2, {"positive": True}), "log10": (np.log10, {"positive": True}),
    "log1p": (np.log1p, {"positive": True}), "sqrt": (np.sqrt, {"positive": True}),
    "rsqrt": (lambda x: 1 / np.sqrt(x), {"positive": True}),
    "reciprocal": (lambda x: 1 / x, {"away_from": 0}), "square": (np.square, {}),
    "sin": (np.sin, {}), "cos": (np.cos, {}), "tan": (np.tan, {}), "tanh": (np.tanh, {}),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), {}), "atan": (np.arctan, {}),
    "sinh": (np.sinh, {}), "cosh": (np.cosh, {}), "relu": (lambda x: np.maximum(x, 0),
                                                           {"away_from": 0}),
    "abs": (np.abs, {"away_from": 0}), "neg": (np.negative, {}),
    "sign": (np.sign, {"away_from": 0}), "floor": (np.floor, {}), "ceil": (np.ceil, {}),
    "trunc": (np.trunc, {}), "frac": (lambda x: x - np.trunc(x), {}), "round": (np.round, {}),
}


@pytest.mark.parametrize("noncontig", [False, True], ids=["contiguous", "strided"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_op_values_and_gradients(name, noncontig):
    """Each unary op matches numpy and passes gradcheck, on contiguous and strided inputs."""
    ref, kw = UNARY[name]
    check_op(lambda x: getattr(x, name)(), (2, 3), ref=ref, noncontig=noncontig, **kw)
    check_op(getattr(disttrain, name), (3,), ref=ref, **kw)


def test_asin_acos_inside_their_domain():
    """asin and acos match numpy and pass gradcheck on (-1, 1)."""
    check_op(lambda x: (x * 0.3).asin(), (2, 3), ref=lambda x: np.arcsin(x * 0.3))
    check_op(lambda x: (x * 0.3).acos(), (2, 3), ref=lambda x: np.arccos(x * 0.3))


SCALAR_FORMS = [
    lambda x: x + 2, lambda x: 2 + x, lambda x: x - 2, lambda x: 2 - x, lambda x: x * 2.5,
    lambda x: 2.5 * x, lambda x: x / 4, lambda x: 4 / x, lambda x: x ** 2, lambda x: x ** 3,
    lambda x: 2 ** x, lambda x: abs(x) ** 0.5, lambda x: abs(x) ** -1.5, lambda x: x % 1.5,
]


@pytest.mark.parametrize("k", range(len(SCALAR_FORMS)))
def test_python_scalar_operands(k):
    """Operators with a Python number on either side match numpy and pass gradcheck."""
    check_op(SCALAR_FORMS[k], (2, 3), away_from=0)
    check_op(lambda x: disttrain.sub(2, x), (3,), ref=lambda x: 2 - x)
    check_op(lambda x: disttrain.rsub(x, 2, alpha=3), (3,), ref=lambda x: 2 - 3 * x)


@pytest.mark.parametrize("expr, name", [
    ("x + y", "AddBackward0"), ("x + 1", "AddBackward0"), ("1 + x", "AddBackward0"),
    ("x - y", "SubBackward0"), ("2 - x", "RsubBackward1"), ("disttrain.sub(2, x)", "SubBackward0"),
    ("disttrain.rsub(x, 2)", "RsubBackward1"), ("x * y", "MulBackward0"),
    ("2 / x", "MulBackward0"), ("x / y", "DivBackward0"), ("x ** 2", "PowBackward0"),
    ("x ** y", "PowBackward1"), ("2 ** x", "PowBackward2"), ("-x", "NegBackward0"),
    ("x.abs()", "AbsBackward0"), ("x.exp()", "ExpBackward0"), ("x.log1p()", "Log1PBackward0"),
    ("x.rsqrt()", "RsqrtBackward0"), ("x.sigmoid()", "SigmoidBackward0"),
    ("x.relu()", "ReluBackward0"), ("x.square()", "PowBackward0"),
    ("x.clamp(0, 1)", "ClampBackward1"), ("x.clamp(min=y)", "ClampBackward0"),
    ("disttrain.where(x > 0, x, y)", "WhereBackward0"), ("disttrain.maximum(x, y)",
                                                         "MaximumBackward0"),
    ("x.round()", "RoundBackward0"), ("x.round(decimals=1)", "RoundBackward1"),
    ("x % 2", "RemainderBackward0"), ("x % y", "RemainderBackward1"),
    ("disttrain.fmod(x, 2)", "FmodBackward0"),
    ("disttrain.div(x, y, rounding_mode='floor')", "DivBackward2"),
    ("disttrain.atan2(x, y)", "Atan2Backward0"), ("disttrain.rsub(x, y)", "RsubBackward0"),
    ("disttrain.rsub(x, 2, alpha=3)", "RsubBackward1"),
])
def test_grad_fn_names_match_pytorch(expr, name):
    """The graph node of each op has the name PyTorch prints."""
    x, y = leaf(randn(2, 3)), leaf(randn(3, seed=1))
    assert type(eval(expr).grad_fn).__name__ == name


def test_add_sub_alpha():
    """add/sub scale ``other`` by ``alpha`` and differentiate through it; a float alpha is
    refused for integer tensors."""
    check_op(lambda a, b: disttrain.add(a, b, alpha=2.5), (2, 3), (3,),
             ref=lambda a, b: a + 2.5 * b)
    check_op(lambda a, b: a.sub(b, alpha=-3), (2, 3), (2, 1), ref=lambda a, b: a + 3 * b)
    with raises(RuntimeError, "For integral input tensors, argument alpha must not be a "
                              "floating point number."):
        disttrain.add(disttrain.tensor([1, 2]), 1, alpha=0.5)


def test_division_and_remainder_follow_pytorch():
    """Rounding modes, Python-style remainder and C-style fmod give PyTorch 2.13's values."""
    t = disttrain.tensor
    assert disttrain.div(t([-7., 7.]), 2, rounding_mode="trunc").tolist() == [-3., 3.]
    assert disttrain.div(t([-7., 7.]), 2, rounding_mode="floor").tolist() == [-4., 3.]
    assert (t([-7, 7]) // 2).tolist() == [-4, 3]
    assert disttrain.div(t([-7, 7]), 2, rounding_mode="trunc").dtype == disttrain.int64
    assert (t([-3., -1., 1., 3.]) % 2).tolist() == [1., 1., 1., 1.]
    assert disttrain.remainder(t([-3, 3]), -2).tolist() == [-1, -1]
    assert disttrain.fmod(t([-3., 3.]), 2).tolist() == [-1., 1.]
    r = disttrain.fmod(t([-3, 3]), -2)
    assert r.tolist() == [-1, 1] and r.dtype == disttrain.int64
    q = t([1, 2, 3]) / t([2, 2, 2])
    assert q.tolist() == [0.5, 1.0, 1.5] and q.dtype == disttrain.float32
    assert (t([1., -1., 0.]) / 0).tolist()[:2] == [float("inf"), float("-inf")]


def test_rounding_and_integer_results_follow_pytorch():
    """round is half-to-even (with decimals), and integer-only semantics match PyTorch."""
    t = disttrain.tensor
    assert t([0.5, 1.5, 2.5, -0.5, -1.5]).round().tolist() == [0., 2., 2., -0., -2.]
    assert_close(t([1.25, 1.35, -2.675]).round(decimals=1), [1.2, 1.4, -2.7], atol=1e-6)
    assert t([1234.5]).round(decimals=-2).tolist() == [1200.]
    assert t([-2, 0, 3]).sign().tolist() == [-1, 0, 1]
    assert t([-1, 0, 2]).relu().tolist() == [0, 0, 2]
    assert (2 ** t([-1, 2])).tolist() == [0, 4]
    assert (t([1, -1, 2, -2]) ** t([-3, -3, -1, -1])).tolist() == [1, -1, 0, 0]
    assert (t([1, 2], dtype=disttrain.int8) * 1000).tolist() == [-24, -48]
    assert t([-1000., 1000.]).sigmoid().tolist() == [0., 1.]
    c = t([2, 3]).clamp(0.5, 2.5)
    assert c.tolist() == [2.0, 2.5] and c.dtype == disttrain.float32
    assert t([1., 5.]).clamp(min=3., max=2.).tolist() == [2., 2.]


def test_clamp_gradients_with_tensor_bounds():
    """Tensor bounds broadcast and receive the gradient where they clip."""
    check_op(lambda x, lo, hi: x.clamp(lo, hi), (2, 3), (3,), (2, 1),
             ref=lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi))
    check_op(lambda x, lo: disttrain.clamp(x, min=lo), (2, 3), (3,), ref=np.maximum)
    check_op(lambda x: x.clamp(-0.5, 0.5), (2, 3), ref=lambda x: np.clip(x, -0.5, 0.5))


def test_where_promotes_and_checks_its_condition():
    """where promotes its branches like arithmetic and refuses a non-bool condition."""
    t = disttrain.tensor
    c = t([True, False])
    r = disttrain.where(c, t([1, 2]), 0.5)
    assert r.tolist() == [1.0, 0.5] and r.dtype == disttrain.float32
    assert disttrain.where(c, 1.0, 0.0).dtype == disttrain.float32
    assert disttrain.where(c, 1, 0).dtype == disttrain.int64
    with raises(RuntimeError, "where expected condition to be a boolean tensor, but got a "
                              "tensor with dtype Long"):
        disttrain.where(t([1, 0]), 1., 0.)
    with raises(RuntimeError, "The size of tensor a (3) must match the size of tensor b (2) at "
                              "non-singleton dimension 0"):
        disttrain.where(t([True, False, True]), disttrain.ones(3), disttrain.ones(2))


def test_comparisons_give_bool_tensors_without_grad():
    """Comparisons broadcast, give bool and never require grad; == with a foreign object
    falls back to identity like PyTorch."""
    x, y = leaf([[1., 2., 3.], [3., 2., 1.]]), disttrain.tensor([2., 2., 2.])
    for op, want in [("<", [[True, False, False], [False, False, True]]),
                     ("<=", [[True, True, False], [False, True, True]]),
                     (">", [[False, False, True], [True, False, False]]),
                     (">=", [[False, True, True], [True, True, False]]),
                     ("==", [[False, True, False], [False, True, False]]),
                     ("!=", [[True, False, True], [True, False, True]])]:
        r = eval(f"x {op} y")
        assert r.dtype == disttrain.bool and not r.requires_grad and r.tolist() == want
    assert (x == None) is False and (x != "a") is True  # noqa: E711
    assert disttrain.tensor([1, 2]).eq(disttrain.tensor([1., 3.])).tolist() == [True, False]


def test_bitwise_and_logical_ops():
    """& | ^ ~ work on bool and integer tensors; logical_* accept any dtype."""
    t = disttrain.tensor
    a, b = t([True, True, False]), t([True, False, False])
    assert (a & b).tolist() == [True, False, False] and (a | b).tolist() == [True, True, False]
    assert (a ^ b).tolist() == [False, True, False] and (~a).tolist() == [False, False, True]
    assert (t([12, 10]) & 6).tolist() == [4, 2] and (~t([0, 5])).tolist() == [-1, -6]
    assert disttrain.logical_and(t([1., 0.]), t([2, 2])).tolist() == [True, False]
    assert disttrain.logical_not(t([0, 3])).tolist() == [True, False]


@pytest.mark.parametrize("fn, exc, msg", [
    (lambda: disttrain.ones(2, 3) + disttrain.ones(4), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
    (lambda: disttrain.ones(2, 3, 4) * disttrain.ones(5, 1), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (5) at non-singleton dimension 1"),
    (lambda: disttrain.logical_and(disttrain.ones(2, 3), disttrain.ones(2)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
    (lambda: disttrain.tensor([True]) - disttrain.tensor([False]), RuntimeError,
     "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
     "`logical_xor()` operator instead."),
    (lambda: disttrain.ones(1) - disttrain.tensor([True]), RuntimeError,
     "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
     "invert a mask, use the `~` or `logical_not()` operator instead."),
    (lambda: -disttrain.tensor([True]), RuntimeError,
     "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
     "invert a mask, use the `~` or `logical_not()` operator instead."),
    (lambda: disttrain.ones(2) & disttrain.ones(2), NotImplementedError,
     "\"bitwise_and_cpu\" not implemented for 'Float'"),
    (lambda: disttrain.tensor([True]) ^ 1.5, NotImplementedError,
     "\"bitwise_xor_cpu\" not implemented for 'Float'"),
    (lambda: ~disttrain.ones(2), TypeError,
     "~ (operator.invert) is only implemented on integer and Boolean-type tensors"),
    (lambda: disttrain.bitwise_not(disttrain.ones(2)), NotImplementedError,
     "\"bitwise_not_cpu\" not implemented for 'Float'"),
    (lambda: disttrain.ones(2) + "a", TypeError,
     "unsupported operand type(s) for +: 'Tensor' and 'str'"),
    (lambda: disttrain.add(disttrain.ones(2), "a"), TypeError,
     "add(): argument 'other' (position 2) must be Tensor, not str"),
    (lambda: disttrain.ones(2) < None, TypeError,
     "'<' not supported between instances of 'Tensor' and 'NoneType'"),
    (lambda: disttrain.clamp(disttrain.ones(2)), RuntimeError,
     "disttrain.clamp: At least one of 'min' or 'max' must not be None"),
    (lambda: disttrain.tensor([1, 2]) // 0, RuntimeError, "ZeroDivisionError"),
    (lambda: disttrain.tensor([1, 2]) % 0, RuntimeError, "ZeroDivisionError"),
    (lambda: disttrain.div(disttrain.tensor([1]), 0, rounding_mode="trunc"), RuntimeError,
     "ZeroDivisionError"),
    (lambda: disttrain.div(disttrain.ones(1), 2, rounding_mode="up"), RuntimeError,
     "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'up'"),
    (lambda: disttrain.tensor([2, 3]) ** -1, RuntimeError,
     "Integers to negative integer powers are not allowed."),
    (lambda: disttrain.tensor([1, 2]).frac(), NotImplementedError,
     "\"frac_cpu\" not implemented for 'Long'"),
])
def test_errors_match_pytorch(fn, exc, msg):
    """Bad operands raise PyTorch's exception type and message."""
    with raises(exc, msg):
        fn()


INPLACE = [
    ("add_", lambda y: (y,), {}, lambda x, y: x + y),
    ("add_", lambda y: (y,), {"alpha": 2}, lambda x, y: x + 2 * y),
    ("sub_", lambda y: (1.5,), {}, lambda x, y: x - 1.5),
    ("mul_", lambda y: (y,), {}, lambda x, y: x * y),
    ("div_", lambda y: (2,), {}, lambda x, y: x / 2),
    ("pow_", lambda y: (2,), {}, lambda x, y: x ** 2),
    ("clamp_", lambda y: (-0.5, 0.5), {}, lambda x, y: np.clip(x, -0.5, 0.5)),
    ("neg_", lambda y: (), {}, lambda x, y: -x),
    ("exp_", lambda y: (), {}, lambda x, y: np.exp(x)),
    ("relu_", lambda y: (), {}, lambda x, y: np.maximum(x, 0)),
    ("sigmoid_", lambda y: (), {}, lambda x, y: 1 / (1 + np.exp(-x))),
    ("zero_", lambda y: (), {}, lambda x, y: x * 0),
    ("fill_", lambda y: (3.0,), {}, lambda x, y: x * 0 + 3),
    ("copy_", lambda y: (y,), {}, lambda x, y: x * 0 + y),
    ("masked_fill_", lambda y: (y > 0, -1.0), {}, lambda x, y: np.where(y > 0, -1.0, x)),
]


@pytest.mark.parametrize("name, args, kwargs, ref", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_methods(name, args, kwargs, ref):
    """In-place methods write into the same memory, bump the version, return self, and
    their gradient (on a non-leaf) matches finite differences."""
    xa, ya = randn(2, 3), randn(3, seed=1)
    x = disttrain.tensor(xa)
    ptr, version = x.data_ptr(), x._version[0]
    y = disttrain.tensor(ya)
    assert getattr(x, name)(*args(y), **kwargs) is x
    assert x.data_ptr() == ptr and x._version[0] == version + 1
    assert_close(x, ref(xa, ya))

    def fn(a, b):
        z = a * 1
        getattr(z, name)(*args(b), **kwargs)
        return z
    assert gradcheck(fn, (leaf(xa), leaf(ya)))


def test_inplace_chain_on_non_leaf_differentiates_every_step():
    """Several in-place updates of one intermediate all reach the gradient, with the names
    PyTorch gives their nodes."""
    def fn(x):
        y = x * 1
        y.add_(x)
        y.mul_(x)
        y += 1
        return y
    check_op(fn, (2, 3), ref=lambda x: 2 * x * x + 1)
    y = leaf(randn(3)) * 1
    assert type(y.add_(1).grad_fn).__name__ == "AddBackward0"
    assert type(y.zero_().grad_fn).__name__ == "ZeroBackward0"
    assert type(y.fill_(2.).grad_fn).__name__ == "FillBackward2"


def test_augmented_assignment_is_in_place():
    """``+= -= *= /=`` modify the tensor itself."""
    x = disttrain.tensor([1., 2.])
    alias = x
    x += 1
    x *= 3
    x -= 1
    x /= 2
    assert x is alias and x.tolist() == [2.5, 4.0]


@pytest.mark.parametrize("fn, msg", [
    (lambda: disttrain.ones(2, requires_grad=True).add_(1),
     "a leaf Variable that requires grad is being used in an in-place operation."),
    (lambda: disttrain.tensor([1, 2]).add_(1.5),
     "result type Float can't be cast to the desired output type Long"),
    (lambda: disttrain.tensor([1, 2]).div_(2),
     "result type Float can't be cast to the desired output type Long"),
    (lambda: disttrain.ones(3).add_(disttrain.ones(2, 3)),
     "output with shape [3] doesn't match the broadcast shape [2, 3]"),
    (lambda: disttrain.ones(2, 3).copy_(disttrain.ones(3, 3)),
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
     "dimension 0"),
    (lambda: disttrain.ones(2).fill_(disttrain.ones(2)),
     "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."),
    (lambda: disttrain.add(disttrain.ones(2, requires_grad=True), 1, out=disttrain.empty(2)),
     "add(): functions with out=... arguments don't support automatic differentiation, but "
     "one of the arguments requires grad."),
    (lambda: disttrain.mul(disttrain.ones(2), 1.5, out=disttrain.empty(2, dtype=disttrain.long)),
     "result type Float can't be cast to the desired output type Long"),
])
def test_inplace_and_out_errors_match_pytorch(fn, msg):
    """Invalid in-place writes and ``out=`` raise PyTorch's RuntimeError."""
    with raises(RuntimeError, msg):
        fn()


def test_inplace_allowed_on_leaf_under_no_grad_and_with_casts():
    """A leaf may be updated under no_grad; float += int and copy_ across dtypes cast."""
    w = disttrain.ones(2, requires_grad=True)
    with disttrain.no_grad():
        w.sub_(0.5)
    assert w.tolist() == [0.5, 0.5] and w.requires_grad and w.grad_fn is None
    f = disttrain.zeros(2)
    f += disttrain.tensor([1, 2])
    assert f.dtype == disttrain.float32 and f.tolist() == [1., 2.]
    c = disttrain.zeros(2, 2, dtype=disttrain.int64).copy_(disttrain.tensor([1.7, -2.7]))
    assert c.tolist() == [[1, -2], [1, -2]]


def test_copy_sends_gradient_to_its_source():
    """``dst.copy_(src)`` on a tracked tensor passes the gradient to ``src`` (broadcast)."""
    def fn(x, s):
        y = x * 1
        y.copy_(s)
        return y * x
    check_op(fn, (2, 3), (3,), ref=lambda x, s: s * x)


def test_out_argument_writes_and_resizes():
    """``out=`` receives the result (resized when needed) and is returned."""
    a, b = disttrain.tensor([[1., 2.], [3., 4.]]), disttrain.tensor([10., 20.])
    out = disttrain.empty(2, 2)
    assert disttrain.add(a, b, out=out) is out and out.tolist() == [[11., 22.], [13., 24.]]
    small = disttrain.empty(0)
    disttrain.mul(a, 2, out=small)
    assert small.shape == (2, 2) and small.tolist() == [[2., 4.], [6., 8.]]
    disttrain.exp(disttrain.zeros(2, 2), out=out)
    assert out.tolist() == [[1., 1.], [1., 1.]]
    vals, idx = disttrain.empty(2), disttrain.empty(2, dtype=disttrain.int64)
    r = disttrain.max(a, 1, out=(vals, idx))
    assert r.values is vals and vals.tolist() == [2., 4.] and idx.tolist() == [1, 1]


def test_float16_ops_keep_their_dtype():
    """Half-precision inputs give half-precision results close to float64 ones."""
    xa = randn(2, 3)
    x = disttrain.tensor(xa, dtype=disttrain.float16)
    for fn, ref in [(lambda t: t.exp(), np.exp), (lambda t: t.sigmoid(),
                                                  lambda a: 1 / (1 + np.exp(-a))),
                    (lambda t: t * 2 + 1, lambda a: a * 2 + 1)]:
        assert_close(fn(x), ref(xa.astype(np.float16).astype(np.float64)), atol=2e-2,
                     rtol=2e-2, dtype=disttrain.float16)


SECOND_ORDER = {
    "mul": (lambda a, b: a * b, [(2, 3), (3,)], {}),
    "div": (lambda a, b: a / b, [(2, 3), (3,)], {"positive": True}),
    "pow": (lambda a, b: a ** b, [(2, 3), (3,)], {"positive": True}),
    "pow_scalar": (lambda a, b: a ** 3 + 2 ** b, [(3,), (3,)], {}),
    "exp_log": (lambda a, b: a.exp() + b.log(), [(3,), (3,)], {"positive": True}),
    "sqrt_rsqrt": (lambda a, b: a.sqrt() * b.rsqrt(), [(3,), (3,)], {"positive": True}),
    "sigmoid_tanh": (lambda a, b: a.sigmoid() * b.tanh(), [(3,), (3,)], {}),
    "maximum": (lambda a, b: disttrain.maximum(a, b) * a, [(3,), (3,)], {}),
    "where": (lambda a, b: disttrain.where(a > 0, a * b, b * b), [(3,), (3,)], {}),
    "clamp_tensor": (lambda a, b: a.clamp(min=b) * a, [(3,), (3,)], {}),
    "fmod": (lambda a, b: disttrain.fmod(a, b) * b, [(3,), (3,)], {"positive": True}),
    "abs": (lambda a, b: a.abs() * b, [(3,), (3,)], {"away_from": 0}),
    "relu": (lambda a, b: a.relu() * b + (a * b).relu(), [(3,), (3,)], {"away_from": 0}),
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives(name):
    """Backward formulas are differentiable themselves (create_graph): gradgradcheck."""
    fn, shapes, kw = SECOND_ORDER[name]
    inputs = [leaf(randn(*s, seed=i, **kw)) for i, s in enumerate(shapes)]
    assert gradgradcheck(fn, inputs)


def test_relu_gradient_follows_pytorch_threshold_backward():
    """relu's gradient is zero where the output is <= 0 even for an inf/nan upstream gradient,
    passes where the output is nan, and its own derivative is zeros (PyTorch 2.13's values)."""
    x = leaf([-1., 0., 2.])
    x.relu().backward(disttrain.tensor([float("nan"), float("inf"), 3.], dtype=disttrain.float64))
    assert x.grad.tolist() == [0., 0., 3.]
    x = leaf([-1., float("nan"), 2.])
    x.relu().sum().backward()
    assert x.grad.tolist() == [0., 1., 1.]
    x = leaf([-1., 2.])
    g, = disttrain.autograd.grad(x.relu().sum(), x, create_graph=True)
    assert type(g.grad_fn).__name__ == "ThresholdBackwardBackward0"
    assert disttrain.autograd.grad(g.sum(), x)[0].tolist() == [0., 0.]


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "atan", "relu", "abs", "sign", "floor",
                                  "ceil", "trunc", "exp", "log", "sqrt", "sin", "square"])
def test_unary_ops_are_silent_on_inf_and_nan(name):
    """inf, -inf, nan, 0 and huge inputs give inf/nan results without a numpy warning, as
    PyTorch computes them (the ops that cannot warn run without an errstate guard)."""
    x = disttrain.tensor([float("inf"), float("-inf"), float("nan"), 0., -1., 3e38])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(x, name)()
        x ** 2.5, x ** -0.5
    assert disttrain.tensor([float("inf"), float("-inf")]).tanh().tolist() == [1., -1.]
    assert disttrain.tensor([float("inf"), float("-inf")]).sigmoid().tolist() == [1., 0.]


def test_atan2_follows_pytorch():
    """atan2 keeps C's signed zeros and quadrants, computes integers in the default float
    dtype, differentiates to (b, -a) / (a² + b²), and takes tensors only (PyTorch 2.13)."""
    t = disttrain.tensor
    r = disttrain.atan2(t([0., -0., 1., -1., 0., float("inf")]),
                        t([-1., -1., 0., 0., 0., float("inf")]))
    assert_close(r, [math.pi, -math.pi, math.pi / 2, -math.pi / 2, 0., math.pi / 4], atol=1e-6)
    i = disttrain.atan2(t([1, 2]), t([3, 4]))
    assert i.dtype == disttrain.float32
    assert_close(i, [0.32175055146217346, 0.46364760398864746], atol=1e-6)
    assert disttrain.atan2(t([1.], dtype=disttrain.float64), t([3.])).dtype == disttrain.float64
    a, b = leaf([1., -2., 0.5]), leaf([-1., 0., 2.])
    disttrain.atan2(a, b).backward(t([1., 2., 3.], dtype=disttrain.float64))
    assert_close(a.grad, [-0.5, 0., 1.4117647058823528])
    assert_close(b.grad, [-0.5, 1., -0.35294117647058826])
    with raises(TypeError, "atan2(): argument 'other' (position 2) must be Tensor, not float"):
        disttrain.atan2(t([1.]), 2.)
    with raises(TypeError, "atan2(): argument 'input' (position 1) must be Tensor, not float"):
        disttrain.atan2(1., t([1.]))


def test_rsub_and_scalar_first_operands_follow_pytorch():
    """rsub computes ``other - alpha * input`` for scalar and tensor ``other``, and add/sub/mul
    with a Python number first keep it first (PyTorch 2.13's values and gradients)."""
    t = disttrain.tensor
    assert disttrain.rsub(t([1., 2.]), 5, alpha=2).tolist() == [3., 1.]
    assert disttrain.rsub(t([1., 2.]), t([5., 6.]), alpha=2).tolist() == [3., 2.]
    r = disttrain.rsub(t([1, 2]), t([5., 6.]))
    assert r.tolist() == [4., 4.] and r.dtype == disttrain.float32
    assert disttrain.add(2, t([1., 2.]), alpha=3).tolist() == [5., 8.]
    assert disttrain.mul(2, t([1., 2.])).tolist() == [2., 4.]
    a, b = leaf([1., 2.]), leaf([3., 4.])
    disttrain.rsub(a, b, alpha=3).backward(t([1., 2.], dtype=disttrain.float64))
    assert a.grad.tolist() == [-3., -6.] and b.grad.tolist() == [1., 2.]
    check_op(lambda a, b: disttrain.rsub(a, b, alpha=2.5), (2, 3), (3,),
             ref=lambda a, b: b - 2.5 * a)
    a = leaf([1., 2.])
    disttrain.add(2, a, alpha=3).backward(t([1., 2.], dtype=disttrain.float64))
    assert a.grad.tolist() == [3., 6.]


def test_clamp_keeps_x_on_a_tie_of_signed_zeros_as_pytorch():
    """PyTorch 2.13: clamp(tensor([-0., 0.]), min=0.) and (max=-0.) both print
    tensor([-0., 0.]): x is kept when it equals the bound, for number and tensor bounds."""
    x = disttrain.tensor([-0.0, 0.0])
    for out in (disttrain.clamp(x, min=0.0), disttrain.clamp(x, max=-0.0),
                disttrain.clamp(x, min=disttrain.tensor(0.0)),
                disttrain.clamp(x, max=disttrain.tensor(-0.0))):
        assert np.signbit(out.numpy()).tolist() == [True, False]
        assert str(out) == "tensor([-0., 0.])"
