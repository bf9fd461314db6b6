"""Fixed parameters and gradients shared by the optimizer tests, and a runner over them."""
import re

import numpy as np
import pytest

import disttrain

# Two parameters and three steps of gradients; parameter 1 has no gradient at the second step,
# so its state must not advance then (PyTorch skips parameters whose grad is None).
P0 = [[0.5, -1.0, 2.0], [[0.1, 0.2], [-0.3, 0.4]]]
GRADS = [[[0.3, -0.2, 0.1], [[1.0, -0.5], [0.25, 0.0]]],
         [[-0.4, 0.6, 0.05], None],
         [[0.2, 0.2, -0.7], [[-0.3, 0.8], [0.1, -0.6]]]]


def make_params(dtype=disttrain.float64):
    return [disttrain.tensor(p, dtype=dtype, requires_grad=True) for p in P0]


def run_steps(cls, kwargs, dtype=disttrain.float64, grads=GRADS):
    """Step a fresh optimizer over ``P0`` with ``grads``; returns (params, optimizer)."""
    params = make_params(dtype)
    opt = cls(params, **kwargs)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else disttrain.tensor(g, dtype=dtype)
        opt.step()
    return params, opt


def run_reference(fn, states, **hyper):
    """Step a functional reference over ``P0`` with ``GRADS``, passing only the parameters
    that have a gradient, as the optimizers do. ``states`` are per-parameter lists of state
    (entries a function replaces, like SGD's first momentum buffer, are kept); returns the
    parameters."""
    params = make_params()
    for step_grads in GRADS:
        idx = [i for i, g in enumerate(step_grads) if g is not None]
        subs = [[s[i] for i in idx] for s in states]
        fn([params[i] for i in idx],
           [disttrain.tensor(step_grads[i], dtype=disttrain.float64) for i in idx], *subs,
           **hyper)
        for s, sub in zip(states, subs):
            for i, v in zip(idx, sub):
                s[i] = v
    return params


def fresh_states(k, fill=0.0):
    """``k`` per-parameter lists of state filled with ``fill``, then the 0-d step counts."""
    arrays = [[disttrain.full_like(p, fill).detach() for p in make_params()] for _ in range(k)]
    return arrays + [[disttrain.tensor(0.0) for _ in P0]]


def assert_same(params, ref, rtol=1e-13):
    """The flat step's parameters equal the reference's."""
    for p, r in zip(params, ref):
        np.testing.assert_allclose(p.detach().numpy(), r.detach().numpy(), rtol=rtol)


def check_float32(cls, kwargs, expected, state, text, rtol=2e-6):
    """Three float32 steps: the parameters, ``state_dict()["state"]`` and the repr."""
    params, opt = run_steps(cls, kwargs, disttrain.float32)
    assert_values(params, expected, rtol=rtol, atol=1e-7)
    assert_state(opt, state)
    assert repr(opt) == text


def check_invalid(cls, kwargs, message):
    """Building ``cls`` with ``kwargs`` raises ValueError with exactly ``message``."""
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        cls([disttrain.zeros(2, requires_grad=True)], **kwargs)


def assert_values(params, expected, rtol=1e-12, atol=1e-14):
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.detach().numpy().ravel(), e, rtol=rtol, atol=atol)


def assert_state(opt, expected, rtol=1e-6, atol=1e-7):
    """Compare ``state_dict()["state"]`` with {index: {name: flat values}}."""
    state = opt.state_dict()["state"]
    assert sorted(state) == sorted(expected)
    for k, names in expected.items():
        assert list(state[k]) == list(names)
        for name, values in names.items():
            t = state[k][name]
            assert isinstance(t, disttrain.Tensor)
            np.testing.assert_allclose(t.numpy().ravel(), values, rtol=rtol, atol=atol)
            if name == "step":
                assert t.dtype == disttrain.float32 and t.dim() == 0
