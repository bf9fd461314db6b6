"""Gradient clipping: total norms, in-place scaling, non-finite handling, value clipping."""
import math

import numpy as np
import pytest

import disttrain as torch
from disttrain import nn
from disttrain.nn.utils import (clip_grad_norm_, clip_grad_value_, get_total_norm,
                                parameters_to_vector, vector_to_parameters)


def _param(grad):
    p = nn.Parameter(torch.zeros(len(grad)))
    p.grad = torch.tensor(grad)
    return p


@pytest.mark.parametrize("norm_type,total,scaled", [
    (2.0, 5.0, [0.6, 0.8, 0.0]),
    ("inf", 4.0, [0.75, 1.0, 0.0]),
    (1.0, 7.0, [3 / 7, 4 / 7, 0.0]),
    (0, 1.0, [3.0, 4.0, 0.0]),
])
def test_clip_grad_norm_matches_pytorch(norm_type, total, scaled):
    """The returned norm and the scaled gradient equal PyTorch's for each norm type."""
    p = _param([3.0, 4.0, 0.0])
    g = p.grad
    out = clip_grad_norm_(p, 1.0, norm_type=norm_type)
    assert out.item() == pytest.approx(total) and out.dtype is torch.float32
    assert p.grad is g
    np.testing.assert_allclose(p.grad.numpy(), scaled, rtol=1e-5)


def test_norm_over_all_parameters_together():
    """The norm is that of all gradients concatenated; each is scaled by the same factor."""
    a, b = _param([3.0]), _param([4.0, 0.0])
    assert clip_grad_norm_([a, b], 2.5).item() == pytest.approx(5.0)
    assert a.grad.tolist() == pytest.approx([1.5], rel=1e-5)
    assert b.grad.tolist() == pytest.approx([2.0, 0.0], rel=1e-5)


def test_under_the_bound_nothing_changes():
    """A total norm below max_norm leaves the gradients as they are."""
    p = _param([3.0, 4.0])
    assert clip_grad_norm_(p, 10.0).item() == pytest.approx(5.0)
    assert p.grad.tolist() == [3.0, 4.0]


def test_no_gradients():
    """Parameters without gradients give a zero norm and no error."""
    assert clip_grad_norm_([nn.Parameter(torch.ones(3))], 1.0).item() == 0.0
    assert clip_grad_norm_([], 1.0).item() == 0.0


def test_non_finite_norm():
    """nan gradients propagate (as PyTorch) unless error_if_nonfinite asks for an error."""
    p = _param([3.0, math.nan, 0.0])
    assert math.isnan(clip_grad_norm_(p, 1.0).item())
    assert all(math.isnan(v) for v in p.grad.tolist())
    q = _param([3.0, math.inf])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite, so it cannot be "
                                           "clipped. To disable this error and scale the "
                                           "gradients by the non-finite norm anyway, set "
                                           "`error_if_nonfinite=False`"):
        clip_grad_norm_(q, 1.0, error_if_nonfinite=True)
    assert q.grad.tolist() == [3.0, math.inf]


def test_clip_grad_value():
    """clip_grad_value_ clamps each element in place and returns None."""
    p = _param([3.0, -4.0, 0.5])
    assert clip_grad_value_(p, 1.0) is None
    assert p.grad.tolist() == [1.0, -1.0, 0.5]


def test_after_backward_on_a_model():
    """Clipping a real model's gradients brings their joint norm to max_norm."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    (net(torch.randn(16, 4)) * 100).sum().backward()
    before = clip_grad_norm_(net.parameters(), 0.5, foreach=True)
    after = get_total_norm([p.grad for p in net.parameters()])
    assert before.item() > 0.5 and after.item() == pytest.approx(0.5, rel=1e-4)


def test_float64_norm_dtype():
    """The returned norm has the gradients' dtype."""
    p = nn.Parameter(torch.zeros(2, dtype=torch.float64))
    p.grad = torch.tensor([1.0, 1.0], dtype=torch.float64)
    assert clip_grad_norm_(p, 1.0).dtype is torch.float64


def test_parameters_to_vector_and_back():
    """Flatten parameters into one vector and write a vector back into them."""
    net = nn.Linear(2, 2)
    vec = parameters_to_vector(net.parameters())
    assert vec.shape == (6,)
    vector_to_parameters(torch.arange(6.0), net.parameters())
    assert net.weight.tolist() == [[0.0, 1.0], [2.0, 3.0]] and net.bias.tolist() == [4.0, 5.0]
