"""Fixed parameters and gradients shared by the optimizer tests, a runner over them, and the
checks every optimizer stepped on them shares."""
import copy
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


def check_float32(cls, kwargs, expected, state, text, rtol=2e-6, grads=GRADS):
    """The float32 steps of ``grads``: the parameters, ``state_dict()["state"]`` and the
    repr."""
    params, opt = run_steps(cls, kwargs, disttrain.float32, grads=grads)
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


class StepChecks:
    """The tests every optimizer stepped over ``P0`` shares; a ``Test*`` subclass names the
    ``optimizer`` and its recorded values: ``EXPECTED``, [(kwargs, parameters after the steps
    in float64)]; ``EXPECTED_F32``, ``STATE_F32`` and ``REPR`` for the last configuration in
    float32; ``INVALID``, [(kwargs, PyTorch's ValueError message)]; and the ``grads`` of the
    steps if not ``GRADS``."""

    grads = GRADS

    def pytest_generate_tests(self, metafunc):
        if "expected" in metafunc.fixturenames:
            metafunc.parametrize("kwargs,expected", self.EXPECTED,
                                 ids=[str(k) for k, _ in self.EXPECTED])
        elif "message" in metafunc.fixturenames:
            metafunc.parametrize("kwargs,message", self.INVALID)

    def test_matches_pytorch_float64(self, kwargs, expected):
        """The steps (one with a missing grad) equal PyTorch's to float64 rounding."""
        params, _ = run_steps(self.optimizer, kwargs, grads=self.grads)
        assert_values(params, expected)

    def test_matches_pytorch_float32_state_and_repr(self):
        """In float32 the parameters, ``state_dict()["state"]`` (PyTorch's keys, in order) and
        the repr match PyTorch's."""
        check_float32(self.optimizer, self.EXPECTED[-1][0], self.EXPECTED_F32, self.STATE_F32,
                      self.REPR, grads=self.grads)

    def test_state_dict_round_trip(self):
        """A saved state dict loaded into a fresh optimizer continues exactly as the
        original."""
        params, opt = run_steps(self.optimizer, self.EXPECTED[-1][0], grads=self.grads)
        twin = [p.detach().clone().requires_grad_() for p in params]
        other = self.optimizer(twin)
        other.load_state_dict(copy.deepcopy(opt.state_dict()))
        for ps, o in ((params, opt), (twin, other)):
            for p in ps:
                p.grad = disttrain.ones_like(p) * 0.3
            o.step()
        for p, q in zip(params, twin):
            assert disttrain.equal(p, q)

    def test_invalid_arguments(self, kwargs, message):
        """Bad hyperparameters raise PyTorch's ValueError and message."""
        check_invalid(self.optimizer, kwargs, message)


class RefusesDifferentiable:
    """For an optimizer that takes PyTorch's ``differentiable`` flag."""

    def test_differentiable_is_refused(self):
        """``differentiable=True`` raises instead of silently stepping outside autograd."""
        with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
            self.optimizer([disttrain.zeros(2, requires_grad=True)], differentiable=True)
