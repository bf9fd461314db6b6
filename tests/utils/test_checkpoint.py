"""``disttrain.utils.checkpoint``: the same gradients as without checkpointing (dropout
included, thanks to the preserved RNG state), real recomputation in backward, and PyTorch's
warnings and errors."""
import warnings

import numpy as np
import pytest

import disttrain as T
import disttrain.nn as nn
from disttrain.autograd import grad
from disttrain.utils.checkpoint import checkpoint, checkpoint_sequential

from ..core.conftest import assert_close


def _net():
    T.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Tanh(), nn.Linear(8, 3))


def _grads(net, x, run):
    net.zero_grad()
    x.grad = None
    T.manual_seed(3)
    y = run(net, x)
    (y * y).sum().backward()
    after = T.rand(1).item()          # the RNG stream continues as without checkpointing
    return [p.grad.clone() for p in net.parameters()] + [x.grad.clone()], after


@pytest.mark.parametrize("reentrant", [True, False])
def test_same_gradients_and_rng_stream_as_without_checkpoint(reentrant):
    net = _net()
    x = T.randn(5, 4, requires_grad=True)
    ref, ref_after = _grads(net, x, lambda m, t: m(t))
    got, got_after = _grads(net, x, lambda m, t: checkpoint(m, t, use_reentrant=reentrant))
    for a, b in zip(ref, got):
        assert_close(b, a.numpy(), atol=1e-6, rtol=1e-6)
    assert ref_after == got_after


@pytest.mark.parametrize("reentrant", [True, False])
def test_forward_runs_again_in_backward(reentrant):
    calls = []
    w = T.tensor([1.5, -2.0], requires_grad=True)

    def f(t):
        calls.append(1)
        return (t * w).exp()

    x = T.tensor([0.5, 1.0], requires_grad=True)
    y = checkpoint(f, x, use_reentrant=reentrant)
    assert len(calls) == 1
    y.sum().backward()
    assert len(calls) == 2                # once in forward, once (only) in backward
    assert_close(x.grad, (np.array([1.5, -2.0]) * np.exp([0.75, -2.0])))
    assert_close(w.grad, (np.array([0.5, 1.0]) * np.exp([0.75, -2.0])))


def test_reentrant_keeps_no_inner_graph():
    x = T.randn(3, 4, requires_grad=True)
    y = checkpoint(_net(), x, use_reentrant=True)
    assert type(y.grad_fn).__name__ == "CheckpointFunctionBackward"
    # the only edge leads to the input: the layers' nodes were never recorded
    edges = [e for e in y.grad_fn.next_functions if e[0] is not None]
    assert [type(e[0]).__name__ for e in edges] == ["AccumulateGrad"]


def test_nonreentrant_drops_saved_tensors_and_supports_autograd_grad():
    x = T.tensor([0.3, -0.7], dtype=T.float64, requires_grad=True)
    y = checkpoint(lambda t: (t.sin() * t).sum(), x, use_reentrant=False)
    saved = y.grad_fn.next_functions[0][0]._saved   # the Mul node's saved tensors: indices
    assert all(type(s).__name__ == "_Packed" and isinstance(s.packed, int) for s in saved)
    g, = grad(y, x)
    xs = np.array([0.3, -0.7])
    assert_close(g, np.cos(xs) * xs + np.sin(xs))


def test_checkpoint_sequential_matches():
    net = _net()
    x = T.randn(5, 4, requires_grad=True)
    ref, _ = _grads(net, x, lambda m, t: m(t))
    for reentrant in (True, False):
        got, _ = _grads(net, x, lambda m, t: checkpoint_sequential(m, 2, t,
                                                                   use_reentrant=reentrant))
        for a, b in zip(ref, got):
            assert_close(b, a.numpy(), atol=1e-6, rtol=1e-6)


def test_warnings_and_errors_as_pytorch():
    x = T.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed "
                                         "explicitly"):
        checkpoint(lambda t: t * 2, x)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True. "
                                         "Gradients will be None"):
        y = checkpoint(lambda t: t * 2, T.ones(2), use_reentrant=True)
    assert not y.requires_grad
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        checkpoint(lambda t: t, x, use_reentrant=True, foo=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(lambda t, k: t * k, x, use_reentrant=False, k=3)
