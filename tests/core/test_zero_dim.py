"""Every elementwise op and activation works on 0-d tensors (and on 0-d elements taken by
indexing), forward and backward: numpy returns scalars, not 0-d arrays, from ufuncs of 0-d
arrays, which the in-place kernels must not trip over."""
import math
import warnings

import pytest

import disttrain as t
import disttrain.nn.functional as F

OPS = {
    **{n: (lambda x, n=n: getattr(t, n)(x)) for n in [
        "sigmoid", "tanh", "exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "reciprocal",
        "sin", "cos", "abs", "relu", "erf", "erfc", "erfinv", "square", "neg", "lgamma",
        "digamma", "logit", "sinc", "i0", "exp2", "atan", "asinh"]},
    **{f"F.{n}": (lambda x, n=n: getattr(F, n)(x)) for n in [
        "gelu", "silu", "softplus", "mish", "elu", "leaky_relu", "logsigmoid", "hardswish",
        "relu6", "celu", "selu", "softsign", "tanhshrink", "hardsigmoid", "hardtanh"]},
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    **{f"pow{p}": (lambda x, p=p: x ** p) for p in (2, 3, 0.5, -1, -2, -0.5, 1.7)},
    "bce_logits": lambda x: F.binary_cross_entropy_with_logits(x, t.ones_like(x)),
    "mse": lambda x: F.mse_loss(x, t.ones_like(x)),
}


@pytest.mark.parametrize("dtype", [t.float32, t.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_zero_dim_forward_and_backward(name, dtype):
    """A 0-d input gives a 0-d output equal to the 1-element case, and a 0-d gradient."""
    fn = OPS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = t.tensor(0.3, dtype=dtype, requires_grad=True)
        y = fn(x)
        assert y.shape == ()
        y.backward()
        assert x.grad.shape == ()
        one = t.tensor([0.3], dtype=dtype, requires_grad=True)
        y1 = fn(one)
        y1.sum().backward()
        assert math.isclose(y.item(), y1.item(), rel_tol=1e-6, abs_tol=1e-7)
        assert math.isclose(x.grad.item(), one.grad.item(), rel_tol=1e-6, abs_tol=1e-7)
        assert fn(t.tensor([0.3, 0.5], dtype=dtype)[0]).shape == ()
