"""``disttrain.autograd.functional``: values as PyTorch 2.13 computes them, tuple inputs and
outputs, ``create_graph`` giving differentiable results, and the ``strict`` errors."""
import numpy as np
import pytest

import disttrain as T
from disttrain.autograd import gradcheck
from disttrain.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

from ..core.conftest import assert_close

cube = lambda x: x ** 3  # noqa: E731
cube_sum = lambda x: (x ** 3).sum()  # noqa: E731


def x64(*v):
    return T.tensor(list(v), dtype=T.float64)


def test_jacobian_hessian_and_products():
    x = x64(1.0, 2.0)
    assert_close(jacobian(cube, x), [[3.0, 0.0], [0.0, 12.0]])
    assert_close(hessian(cube_sum, x), [[6.0, 0.0], [0.0, 12.0]])
    out, v = vjp(cube, x, x64(1.0, 1.0))
    assert_close(out, [1.0, 8.0])
    assert_close(v, [3.0, 12.0])
    out, v = jvp(cube, x, x64(1.0, -1.0))
    assert_close(v, [3.0, -12.0])
    out, v = hvp(cube_sum, x, x64(1.0, 1.0))
    assert_close(out, 9.0)
    assert_close(v, [6.0, 12.0])
    out, v = vhp(cube_sum, x, x64(1.0, 2.0))
    assert_close(v, [6.0, 24.0])


def test_tuple_inputs_and_outputs():
    a, b = x64(1.0, 2.0), x64(3.0, 4.0)
    jac = jacobian(lambda p, q: (p * q, p + q), (a, b))
    assert_close(jac[0][0], [[3.0, 0.0], [0.0, 4.0]])
    assert_close(jac[0][1], [[1.0, 0.0], [0.0, 2.0]])
    assert_close(jac[1][0], np.eye(2))
    h = hessian(lambda p, q: (p * p * q).sum(), (a, b))
    assert_close(h[0][0], [[6.0, 0.0], [0.0, 8.0]])
    assert_close(h[0][1], [[2.0, 0.0], [0.0, 4.0]])
    assert_close(h[1][1], np.zeros((2, 2)))


def test_jacobian_of_matrix_function_has_output_then_input_shape():
    w = T.tensor(np.arange(6.0).reshape(2, 3), dtype=T.float64)
    jac = jacobian(lambda m: m.sum(1), w)
    assert tuple(jac.shape) == (2, 2, 3)
    assert_close(jac[1], [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])


def test_vectorize_and_forward_mode_strategy_give_the_same_values():
    x = x64(1.0, 2.0)
    assert_close(jacobian(cube, x, vectorize=True, strategy="forward-mode"),
                 [[3.0, 0.0], [0.0, 12.0]])
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        jacobian(cube, x, strategy="forward-mode")


def test_create_graph_makes_results_differentiable():
    x = x64(0.5, -1.5).requires_grad_()
    assert gradcheck(lambda t: jacobian(cube, t, create_graph=True), [x])
    assert gradcheck(lambda t: hvp(cube_sum, t, x64(1.0, 2.0), create_graph=True)[1], [x])
    assert gradcheck(lambda t: jvp(T.sin, t, x64(1.0, 2.0), create_graph=True)[1], [x])
    assert not jacobian(cube, x).requires_grad


def test_unused_input_gives_zeros_or_strict_error():
    x = x64(1.0, 2.0)
    assert_close(jacobian(lambda t: T.ones(2, dtype=T.float64), x), np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not "
                                           "require gradients"):
        jacobian(lambda t: T.ones(2), x, strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        vjp(lambda p, q: p * 2, (x, x), x64(1.0, 1.0), strict=True)


def test_v_errors():
    x = x64(1.0, 2.0)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided "
                                           "function returns a single Tensor with a single "
                                           "element."):
        vjp(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match="v has invalid size"):
        vjp(lambda t: t * 2, x, x64(1.0))
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        hvp(lambda t: (t.sum(), t.sum()), x, x)
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        jacobian(cube, [x])


def test_forward_ad_tangents_are_jacobian_vector_products():
    import disttrain.autograd.forward_ad as fwAD
    x = x64(1.0, 2.0)
    v = x64(1.0, 0.5)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, v)
        y = (d.sin() * d).sum()
        primal, tangent = fwAD.unpack_dual(y)
        assert_close(primal, np.sum(np.sin([1.0, 2.0]) * [1.0, 2.0]))
        exact = sum(vi * (np.cos(xi) * xi + np.sin(xi)) for xi, vi in ((1.0, 1.0), (2.0, 0.5)))
        assert_close(tangent, exact)                                  # PyTorch: 1.4203
        assert not primal.requires_grad
        assert fwAD.unpack_dual(d).tangent is v
        assert fwAD.unpack_dual(T.ones(2)).tangent is None
        w = d * d
        assert_close(fwAD.unpack_dual(w).tangent, jvp(lambda t: t * t, x, v)[1].numpy())
        c = d * 0 + T.ones(2, dtype=T.float64)
        assert_close(fwAD.unpack_dual(c).tangent, [0.0, 0.0])


def test_forward_ad_errors():
    import disttrain.autograd.forward_ad as fwAD
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fwAD.make_dual(T.ones(2), T.ones(2))
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="Tensor is of size \\[2\\] while the given "
                                               "forward gradient is of size \\[3\\]."):
            fwAD.make_dual(T.ones(2), T.ones(3))
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            with fwAD.dual_level():
                pass
        with pytest.raises(ValueError, match="Expected primal to be floating point"):
            fwAD.make_dual(T.tensor([1, 2]), T.ones(2))
    assert fwAD.unpack_dual(T.ones(1)).tangent is None
