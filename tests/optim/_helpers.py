"""Fixed parameters and gradients shared by the optimizer tests, and a runner over them."""
import numpy as np

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
