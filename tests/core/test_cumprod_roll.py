"""cumprod's gradient where inputs are zero, and roll never aliasing its input."""
import pytest

import disttrain
from disttrain.autograd import gradcheck, gradgradcheck

from .conftest import assert_close, leaf


@pytest.mark.parametrize("arr,dim", [
    ([2.0, 0.0, 3.0], 0),                                          # one zero
    ([[1.5, 0.0, 2.0, -1.0, 0.5], [0.0, 0.0, 3.0, 2.0, 1.0]], 1),  # one zero, several zeros
    ([[1.0, 0.0], [2.0, 3.0]], 0),                                 # zero along dim 0
    ([0.0, 0.0, 0.0], 0),                                          # all zeros
])
def test_cumprod_gradient_with_zeros(arr, dim):
    """cumprod's first and second derivatives are finite and right where inputs are 0."""
    x = leaf(arr)
    assert gradcheck(lambda a: a.cumprod(dim), [x])
    assert gradgradcheck(lambda a: a.cumprod(dim), [x])


def test_cumprod_gradient_values_with_zeros():
    """The gradient of cumprod(x).sum() matches PyTorch's, not NaN from dividing by 0."""
    x = leaf([[1.5, 0.0, 2.0, -1.0, 0.5], [0.0, 0.0, 3.0, 2.0, 1.0]])
    x.cumprod(-1).sum().backward()
    assert_close(x.grad, [[1.0, 0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]])
    y = leaf([2.0, 0.0, 3.0])
    y.cumprod(0).sum().backward()
    assert_close(y.grad, [1.0, 8.0, 0.0])


@pytest.mark.parametrize("shift,dims", [(0, 0), (4, 0), (-8, 0), (4, None), ((0, 3), (0, 1))])
def test_roll_by_a_full_turn_returns_a_new_tensor(shift, dims):
    """A shift that wraps to 0 gives an equal tensor that does not share memory."""
    x = disttrain.arange(12.0).reshape(4, 3) if isinstance(dims, tuple) else \
        disttrain.arange(4.0)
    r = x.roll(shift, dims)
    assert disttrain.equal(r, x)
    r.view(-1)[0] = 99.0
    assert x.view(-1)[0].item() == 0.0


def test_roll_full_turn_keeps_gradient():
    x = leaf([1.0, 2.0, 3.0])
    assert gradcheck(lambda a: a.roll(3), [x])


def test_cumprod_gradient_with_scattered_zeros_along_either_dim():
    import numpy as np
    a = np.random.default_rng(0).standard_normal((3, 7))
    a[0, 2] = a[0, 5] = a[1, 0] = a[2, 6] = 0.0
    x = leaf(a)
    for dim in (0, 1):
        assert gradcheck(lambda t: t.cumprod(dim), [x])
        assert gradgradcheck(lambda t: t.cumprod(dim), [x])


def test_cumprod_first_order_gradient_of_a_long_sequence_with_zeros():
    """The first-order form needs memory linear in the length (no length x length table)."""
    x = disttrain.zeros(100000, dtype=disttrain.float64, requires_grad=True)
    x.cumprod(0).sum().backward()
    assert x.grad[0].item() == 1.0 and x.grad[1:].abs().sum().item() == 0.0
