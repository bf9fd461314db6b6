"""disttrain.linalg and the top-level linear algebra: values against PyTorch 2.13, gradients
(and second derivatives) by finite differences incl. singular and tied inputs, and PyTorch's
errors."""
import warnings

import numpy as np
import pytest

import disttrain
import disttrain.linalg as LA
from disttrain.autograd import gradcheck, gradgradcheck

from .conftest import leaf, raises

inf = float("inf")
f64 = disttrain.float64
A = disttrain.tensor([[4., -2., 1.], [3., 6., -4.], [2., 1., 8.]], dtype=f64)
M = disttrain.tensor([[1., 2.], [3., 4.], [5., 7.]], dtype=f64)
S = A @ A.T + disttrain.eye(3, dtype=f64)
b3 = disttrain.tensor([1., 2., 3.], dtype=f64)
c3 = disttrain.tensor([[1.], [0.], [2.]], dtype=f64)

COMPUTE = {
    "inv": lambda: LA.inv(A), "det": lambda: LA.det(A),
    "slogdet_neg": lambda: LA.slogdet(-A).logabsdet, "slogdet_sign": lambda: LA.slogdet(-A).sign,
    "solve": lambda: LA.solve(A, b3), "svdvals": lambda: LA.svdvals(M),
    "eigvalsh": lambda: LA.eigvalsh(S), "cholesky": lambda: LA.cholesky(S),
    "pinv": lambda: LA.pinv(M), "qr_R_absdiag": lambda: LA.qr(M).R.diagonal().abs(),
    "matrix_exp": lambda: LA.matrix_exp(A / 4), "lstsq": lambda: LA.lstsq(M, c3).solution,
    "lstsq_gelsd_res": lambda: LA.lstsq(M, c3, driver="gelsd").residuals,
    "norm_fro": lambda: LA.matrix_norm(A), "norm_nuc": lambda: LA.matrix_norm(A, "nuc"),
    "norm_2": lambda: LA.matrix_norm(A, 2), "norm_m2": lambda: LA.matrix_norm(A, -2),
    "norm_1": lambda: LA.matrix_norm(A, 1), "norm_m1": lambda: LA.matrix_norm(A, -1),
    "norm_inf": lambda: LA.matrix_norm(A, inf), "norm_minf": lambda: LA.matrix_norm(A, -inf),
    "vector_norm_3": lambda: LA.vector_norm(A, 3), "cond": lambda: LA.cond(A),
    "matrix_rank": lambda: LA.matrix_rank(disttrain.tensor([[1., 2.], [2., 4.]])),
    "matrix_power_m2": lambda: LA.matrix_power(A, -2),
    "solve_tri": lambda: LA.solve_triangular(A, disttrain.eye(3, dtype=f64), upper=True),
    "lu_factor_LU": lambda: LA.lu_factor(A).LU, "lu_factor_piv": lambda: LA.lu_factor(A).pivots,
    "householder_product": lambda: LA.householder_product(M, disttrain.tensor([0.5, 1.2],
                                                                              dtype=f64)),
    "householder_product_k1": lambda: disttrain.orgqr(M, disttrain.tensor([0.5], dtype=f64)),
}

# PyTorch 2.13's results for the same expressions
EXPECTED = {
    'householder_product': [[0.5, 21.3], [-1.5, 63.7], [-2.5, 98.1]],
    'householder_product_k1': [[0.5, -1.5], [-1.5, -3.5], [-2.5, -7.5]],
    'inv': [[0.19771863117870722, 0.06463878326996197, 0.007604562737642592], [-0.12167300380228137, 0.11406844106463877, 0.07224334600760458], [-0.034220532319391636, -0.030418250950570346, 0.1140684410646388]],
    'det': 263.0,
    'slogdet_neg': 5.572154032177764,
    'slogdet_sign': -1.0,
    'solve': [0.34980988593155893, 0.32319391634980993, 0.2471482889733841],
    'svdvals': [10.191428257097222, 0.3671376859438994],
    'eigvalsh': [18.164416916294485, 46.74704353610311, 89.08853954760237],
    'cholesky': [[4.69041575982343, 0.0, 0.0], [-0.8528028654224417, 7.827689778774276, 0.0], [2.9848100289785457, -2.229846346475758, 7.491241176335054]],
    'pinv': [[-2.0714285714285716, 0.7857142857142867, 0.1428571428571424], [1.4999999999999996, -0.5000000000000004, 3.7470027081099033e-16]],
    'qr_R_absdiag': [5.916079783099615, 0.632455532033676],
    'matrix_exp': [[2.5658935148268727, -1.491746671657395, 2.194758223906699], [1.340691267247329, 3.367695001685218, -5.0533288977119355], [2.595658967335872, 0.8148678543086022, 7.205255301659381]],
    'lstsq': [[-1.7857142857142911], [1.5000000000000042]],
    'lstsq_gelsd_res': [0.6428571428571427],
    'norm_fro': 12.288205727444508,
    'norm_nuc': 20.29220171252416,
    'norm_2': 9.385549506960281,
    'norm_m2': 4.1429961279603535,
    'norm_1': 13.0,
    'norm_m1': 9.0,
    'norm_inf': 13.0,
    'norm_minf': 7.0,
    'vector_norm_3': 9.658468409080426,
    'cond': 2.2654014672180973,
    'matrix_rank': 1,
    'matrix_power_m2': [[0.030967630007662398, 0.01992221949139065, 0.007040726336942853], [-0.04040827538348104, 0.0029492980959678447, 0.01555610172186963], [-0.006968439618904423, -0.009151498503664937, 0.010553860833610434]],
    'solve_tri': [[0.25, 0.08333333333333333, 0.010416666666666664], [0.0, 0.16666666666666666, 0.08333333333333333], [0.0, 0.0, 0.125]],
    'lu_factor_LU': [[4.0, -2.0, 1.0], [0.75, 7.5, -4.75], [0.5, 0.26666666666666666, 8.766666666666666]],
    'lu_factor_piv': [1, 2, 3],
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_values_match_pytorch(name):
    got = COMPUTE[name]()
    np.testing.assert_allclose(np.asarray(got.tolist(), dtype=np.float64),
                               np.asarray(EXPECTED[name], dtype=np.float64),
                               rtol=1e-12, atol=1e-13)


def test_batches_broadcast_and_reconstruct():
    rng = np.random.default_rng(0)
    Ab = disttrain.tensor(rng.standard_normal((2, 3, 4, 4)))
    B = disttrain.tensor(rng.standard_normal((3, 4, 2)))
    X = LA.solve(Ab, B)
    assert X.shape == (2, 3, 4, 2)
    np.testing.assert_allclose((Ab @ X).numpy(), np.broadcast_to(B.numpy(), (2, 3, 4, 2)),
                               atol=1e-10)
    U, Sv, Vh = LA.svd(Ab, full_matrices=False)
    np.testing.assert_allclose(((U * Sv.unsqueeze(-2)) @ Vh).numpy(), Ab.numpy(), atol=1e-12)
    Q, R = LA.qr(Ab)
    np.testing.assert_allclose((Q @ R).numpy(), Ab.numpy(), atol=1e-12)
    np.testing.assert_allclose(LA.det(Ab).numpy(), np.linalg.det(Ab.numpy()), rtol=1e-12)
    P, L, U = LA.lu(Ab[0, 0])
    np.testing.assert_allclose((P @ L @ U).numpy(), Ab[0, 0].numpy(), atol=1e-12)
    P, L, U = LA.lu(Ab)
    np.testing.assert_allclose((P @ L @ U).numpy(), Ab.numpy(), atol=1e-12)
    assert LA.inv_ex(Ab).info.shape == (2, 3)


def _spd(a):
    return a @ a.mT + 3 * disttrain.eye(a.shape[-1], dtype=f64)


def _sym(a):
    return a + a.mT


def _svd_gauge_free(a):
    U, Sv, Vh = LA.svd(a, full_matrices=False)
    return U.abs(), Sv, Vh.abs()


rng = np.random.default_rng(1)


def _r(*shape):
    return rng.standard_normal(shape)


GRADS = [
    ("inv", LA.inv, [_r(2, 3, 3)]),
    ("solve", LA.solve, [_r(2, 3, 3), _r(3, 2)]),
    ("solve_vector_right", lambda a, b: LA.solve(a, b, left=False), [_r(3, 3), _r(2, 3)]),
    ("det", LA.det, [_r(2, 3, 3)]),
    ("det_singular", LA.det, [[[1., 2., 3.], [2., 4., 6.], [1., 0., 1.]]]),
    ("det_zero", LA.det, [np.zeros((3, 3))]),
    ("slogdet", lambda a: LA.slogdet(a).logabsdet, [_r(3, 3)]),
    ("logdet", lambda a: disttrain.logdet(_spd(a)), [_r(3, 3)]),
    ("svd", _svd_gauge_free, [_r(4, 3)]),
    ("svd_wide", _svd_gauge_free, [_r(3, 4)]),
    ("svd_full", lambda a: LA.svd(a).U[:, :2].abs(), [_r(4, 2)]),
    ("svdvals", LA.svdvals, [_r(2, 4, 3)]),
    ("svdvals_sum_at_ties", lambda a: LA.svdvals(a).sum(), [np.eye(3)]),
    ("eigh", lambda a: (lambda r: (r[0], r[1].abs()))(LA.eigh(_sym(a))), [_r(3, 3)]),
    ("eigvalsh", lambda a: LA.eigvalsh(_sym(a)), [_r(2, 3, 3)]),
    ("eigvalsh_sum_at_ties", lambda a: LA.eigvalsh(_sym(a)).sum(), [np.eye(3)]),
    ("cholesky", lambda a: LA.cholesky(_spd(a)), [_r(2, 3, 3)]),
    ("cholesky_upper", lambda a: LA.cholesky(_spd(a), upper=True), [_r(3, 3)]),
    ("qr_tall", LA.qr, [_r(4, 3)]),
    ("qr_wide", LA.qr, [_r(3, 5)]),
    ("qr_complete_square", lambda a: LA.qr(a, mode="complete"), [_r(3, 3)]),
    ("pinv_tall", LA.pinv, [_r(4, 3)]),
    ("pinv_wide", LA.pinv, [_r(2, 4)]),
    ("lstsq", lambda a, b: LA.lstsq(a, b).solution, [_r(5, 3), _r(5, 2)]),
    ("solve_triangular", lambda a, b: LA.solve_triangular(a, b, upper=True), [_r(3, 3),
                                                                              _r(3, 2)]),
    ("solve_triangular_unit_right",
     lambda a, b: LA.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
     [_r(3, 3), _r(2, 3)]),
    ("matrix_exp", LA.matrix_exp, [_r(2, 3, 3)]),
    ("matrix_power", lambda a: LA.matrix_power(a, -3), [_r(3, 3) + 3 * np.eye(3)]),
    ("multi_dot", lambda a, b, c: LA.multi_dot([a, b, c]), [_r(3), _r(3, 4), _r(4)]),
    ("cross", LA.cross, [_r(4, 3), _r(4, 3)]),
    ("vecdot", LA.vecdot, [_r(2, 3), _r(3)]),
    ("vander_with_zero", lambda x: LA.vander(x, N=4), [[0.0, 1.5, -2.0]]),
    ("tensorinv", lambda a: LA.tensorinv(a, 1), [_r(6, 2, 3)]),
    ("diagonal", lambda a: LA.diagonal(a, offset=1), [_r(2, 3, 4)]),
    ("cholesky_solve", lambda b, a: disttrain.cholesky_solve(b, LA.cholesky(_spd(a))),
     [_r(3, 2), _r(3, 3)]),
    ("kron", disttrain.kron, [_r(2, 2), _r(2, 3)]),
    ("tensordot", lambda a, b: disttrain.tensordot(a, b, dims=([0, 2], [1, 0])),
     [_r(2, 3, 4), _r(4, 2, 5)]),
    ("trace", disttrain.trace, [_r(3, 4)]),
    ("old_svd", lambda a: disttrain.svd(a).V.abs(), [_r(4, 3)]),
    ("householder_product", LA.householder_product, [_r(2, 4, 3), _r(2, 2)]),
]
for _o in ("fro", "nuc", 1, -1, 2, -2, inf, -inf):
    GRADS.append((f"matrix_norm_{_o}", lambda a, o=_o: LA.matrix_norm(a, o), [_r(2, 3, 3)]))
# ties: equal column/row sums and a tied largest singular value share their gradient
GRADS.append(("matrix_norm_1_ties", lambda a: LA.matrix_norm(a, 1), [[[1., -1.], [0., 0.5]]]))
for _p in (0.0, 0.5, 1.0, 2.0, 3.0, inf):
    # a zero distance (row 0 of both), a zero difference (a shared coordinate), inf ties
    GRADS.append((f"cdist_p{_p}", lambda a, b, p=_p: disttrain.cdist(a, b, p=p),
                  [[[0., 0.], [1., 1.3]], [[0., 0.], [1., 0.], [2.2, 2.2]]]))


@pytest.mark.parametrize("name,fn,arrays", GRADS, ids=[g[0] for g in GRADS])
def test_gradients_match_finite_differences(name, fn, arrays):
    inputs = tuple(leaf(a) for a in arrays)
    if name.startswith("cdist"):
        # the kinks (zero distances/differences) get PyTorch's subgradient, 0; the finite
        # difference there is not a derivative, so those entries are checked by value below
        jitter = np.random.default_rng(5)
        inputs = tuple(leaf(np.asarray(a) + 0.05 * jitter.random(np.shape(a))) for a in arrays)
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("fn,arrays", [
    (LA.inv, [_r(3, 3)]), (LA.det, [_r(3, 3)]), (LA.matrix_exp, [_r(2, 2)]),
    (lambda a: LA.cholesky(_spd(a)), [_r(3, 3)]), (LA.pinv, [_r(3, 2)]),
    (lambda a: LA.eigvalsh(_sym(a)), [_r(3, 3)]), (LA.svdvals, [_r(3, 2)])],
    ids=["inv", "det", "matrix_exp", "cholesky", "pinv", "eigvalsh", "svdvals"])
def test_second_derivatives(fn, arrays):
    assert gradgradcheck(fn, tuple(leaf(a) for a in arrays))


def test_cdist_gradients_at_zero_distance_and_ties_match_pytorch():
    expected = {  # PyTorch 2.13: (x1.grad, x2.grad) after cdist(x1, x2, p).sum().backward()
        2.0: ([[-1.7071067811865475, -0.7071067811865475], [0.0, 1.0]],
              [[-0.7071067811865475, -0.7071067811865475], [1.0, -1.0],
               [1.414213562373095, 1.414213562373095]]),
        1.0: ([[-2.0, -1.0], [0.0, 1.0]], [[-1.0, -1.0], [1.0, -1.0], [2.0, 2.0]]),
        inf: ([[-2.0, -1.0], [0.0, 1.0]], [[-1.0, -1.0], [1.0, -1.0], [2.0, 2.0]]),
        0.5: ([[-3.0, -2.0], [0.0, 1.0]], [[-2.0, -2.0], [1.0, -1.0], [4.0, 4.0]]),
        0.0: ([[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]),
    }
    for p, (g1, g2) in expected.items():
        x1, x2 = leaf([[0., 0.], [1., 1.]]), leaf([[0., 0.], [1., 0.], [2., 2.]])
        d = disttrain.cdist(x1, x2, p=p)
        assert d.grad_fn.name() == "CdistBackward0"
        d.sum().backward()
        np.testing.assert_allclose(x1.grad.numpy(), g1, rtol=1e-12)
        np.testing.assert_allclose(x2.grad.numpy(), g2, rtol=1e-12, atol=0)


def test_top_level_names_and_methods():
    x = disttrain.tensor([[2., 1.], [1., 3.]], dtype=f64)
    assert x.det().item() == pytest.approx(5.0)
    assert disttrain.logdet(disttrain.tensor([[-1., 0.], [0., 1.]])).isnan().item()
    assert disttrain.logdet(disttrain.zeros(2, 2)).item() == -inf
    np.testing.assert_allclose(x.inverse().numpy(), np.linalg.inv(x.numpy()))
    u, s, v = disttrain.svd(disttrain.ones(3, 2))
    assert (u.shape, s.shape, v.shape) == ((3, 2), (2,), (2, 2))
    assert disttrain.svd(disttrain.ones(3, 2), some=False).U.shape == (3, 3)
    r = disttrain.triangular_solve(disttrain.ones(2, 1), disttrain.tensor([[2., 1.], [0., 4.]]))
    np.testing.assert_allclose(r.solution.numpy().ravel(), [0.375, 0.25])
    np.testing.assert_allclose(disttrain.cholesky_inverse(
        disttrain.tensor([[2., 0.], [1., 1.]])).numpy(), [[0.5, -0.5], [-0.5, 1.0]])
    assert disttrain.norm(disttrain.ones(2, 3), p="nuc").item() == pytest.approx(6 ** 0.5)
    assert disttrain.dist(disttrain.tensor([1., 2.]), disttrain.tensor([[0., 0.]]),
                          3).item() == pytest.approx(2.0800838470458984)
    np.testing.assert_array_equal(disttrain.kron(
        disttrain.tensor([[1., 2.], [3., 4.]]), disttrain.tensor([[0., 1.], [1., 0.]])).numpy(),
        [[0, 1, 0, 2], [1, 0, 2, 0], [0, 3, 0, 4], [3, 0, 4, 0]])
    assert disttrain.tensordot(disttrain.ones(2, 3, 4), disttrain.ones(3, 4, 5)).shape == (2, 5)
    assert disttrain.diagonal(disttrain.ones(2, 3, 4)).shape == (4, 2)
    assert disttrain.diag_embed(disttrain.ones(2, 3)).shape == (2, 3, 3)
    assert x.trace().item() == 5.0 and x.matrix_power(2).shape == (2, 2)
    np.testing.assert_array_equal(LA.vander(disttrain.tensor([1, 2, 3])).numpy(),
                                  [[1, 1, 1], [1, 2, 4], [1, 3, 9]])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert disttrain.cross(disttrain.ones(2, 3), disttrain.ones(2, 3)).shape == (2, 3)
    assert "deprecated" in str(w[0].message)
    assert LA.matmul is disttrain.matmul
    assert disttrain.linalg is LA


def test_ex_variants_report_info_instead_of_raising():
    sing = disttrain.tensor([[1., 2., 3.], [2., 4., 6.], [1., 1., 1.]])
    assert LA.inv_ex(sing).info.item() == 3
    assert LA.cholesky_ex(-disttrain.eye(2)).info.item() == 1
    assert LA.solve_ex(sing, disttrain.ones(3, 1)).info.item() == 3


def test_errors_match_pytorch():
    sing = disttrain.tensor([[1., 2., 3.], [2., 4., 6.], [1., 1., 1.]])
    msg = ("linalg.inv: The diagonal element 3 is zero, the inversion could not be completed "
           "because the input matrix is singular.")
    with raises(LA.LinAlgError, msg):
        LA.inv(sing)
    with raises(RuntimeError, msg.replace("inv: ", "inv: (Batch element 1): ")):
        LA.inv(disttrain.stack([disttrain.eye(3), sing]))
    with raises(RuntimeError, "linalg.inv: A must be batches of square matrices, but they are "
                              "2 by 3 matrices"):
        LA.inv(disttrain.zeros(2, 3))
    with raises(RuntimeError, "linalg.inv: The input tensor A must have at least 2 "
                              "dimensions."):
        LA.inv(disttrain.zeros(3))
    with raises(RuntimeError, "linalg.inv: Expected a floating point or complex tensor as "
                              "input. Got Long"):
        LA.inv(disttrain.zeros(2, 2, dtype=disttrain.long))
    with raises(LA.LinAlgError, "disttrain.linalg.solve: The solver failed because the input "
                                "matrix is singular."):
        LA.solve(sing, disttrain.ones(3))
    with raises(RuntimeError, "linalg.solve: Incompatible shapes of A and B for the equation "
                              "AX = B (3x3 and 4x1)"):
        LA.solve(disttrain.eye(3), disttrain.ones(4))
    with raises(LA.LinAlgError, "linalg.cholesky: (Batch element 1): The factorization could "
                                "not be completed because the input is not positive-definite "
                                "(the leading minor of order 1 is not positive-definite)."):
        LA.cholesky(disttrain.stack([disttrain.eye(3), -disttrain.eye(3)]))
    with raises(LA.LinAlgError, "linalg.cholesky: The factorization could not be completed "
                                "because the input is not positive-definite (the leading minor "
                                "of order 2 is not positive-definite)."):
        LA.cholesky(sing)
    with raises(RuntimeError, "linalg.matrix_norm: Order 3 not supported."):
        LA.matrix_norm(disttrain.ones(3, 3), ord=3)
    with raises(RuntimeError, "linalg.norm: If dim is not specified but ord is, the input must "
                              "be 1D or 2D. Got 3D."):
        LA.norm(disttrain.ones(3, 3, 3), ord=2)
    with raises(RuntimeError, "linalg.cross: inputs dimension -1 must have length 3. Got 4 "
                              "and 4"):
        LA.cross(disttrain.ones(4), disttrain.ones(4))
    with raises(RuntimeError, "qr received unrecognized mode 'x' but expected one of "
                              "'reduced' (default), 'r', or 'complete'"):
        LA.qr(disttrain.ones(2, 2), mode="x")
    with raises(RuntimeError, "multi_dot(): expected at least 2 tensors but got 1"):
        LA.multi_dot([disttrain.ones(3)])
    with raises(RuntimeError, "cdist only supports non-negative p values"):
        disttrain.cdist(disttrain.ones(2, 3), disttrain.ones(2, 3), p=-1)
    with raises(RuntimeError, "trace: expected a matrix, but got tensor with dim 3"):
        disttrain.trace(disttrain.ones(2, 2, 2))
    x = leaf(np.ones((3, 2)))
    with raises(RuntimeError, "The QR decomposition is not differentiable when mode='complete' "
                              "and nrows > ncols."):
        LA.qr(x, mode="complete").Q.sum().backward()
    with pytest.raises(NotImplementedError, match="complex inputs are not supported"):
        LA.svd(disttrain.ones(2, 2, dtype=disttrain.complex64))


def test_eig_is_complex_and_differentiable():
    w, v = LA.eig(disttrain.tensor([[2., 1.], [0., 3.]]))
    assert w.dtype is disttrain.complex64 and w.tolist() == [2, 3]
    np.testing.assert_allclose(np.abs(np.asarray(v.tolist())), [[1, 0.5 ** 0.5], [0, 0.5 ** 0.5]],
                               rtol=1e-6)
    assert LA.eigvals(disttrain.tensor([[0., -1.], [1., 0.]])).tolist() == [1j, -1j]
    R, C = disttrain.view_as_real, disttrain.view_as_complex
    a = leaf(_r(2, 3, 3))
    assert gradcheck(lambda m: R(LA.eigvals(m)), (a,))
    # eigenvectors are defined up to a phase: check a phase-free function of them
    assert gradcheck(lambda m: LA.eig(m).eigenvectors.abs(), (leaf(_r(3, 3)),))
    assert gradcheck(lambda m: R(LA.eigvals(C(m))), (leaf(_r(3, 3, 2)),))
    assert gradcheck(lambda m: R(LA.inv(C(m))), (leaf(_r(3, 3, 2)),))
    assert gradcheck(lambda m, b: R(LA.solve(C(m), C(b))), (leaf(_r(3, 3, 2)), leaf(_r(3, 2))))


def test_tensorsolve_rank_tolerances_and_checked_variants():
    rng_ = np.random.default_rng(7)
    At = disttrain.tensor(rng_.standard_normal((2, 3, 6)))
    Bt = disttrain.tensor(rng_.standard_normal((2, 3)))
    Xt = LA.tensorsolve(At, Bt)
    assert Xt.shape == (6,)
    np.testing.assert_allclose(disttrain.tensordot(At, Xt, 1).numpy(), Bt.numpy(), atol=1e-12)
    m = disttrain.tensor([[1., 0.], [0., 1e-3]], dtype=f64)
    assert LA.matrix_rank(m).item() == 2 and LA.matrix_rank(m, atol=0.01).item() == 1
    assert LA.matrix_rank(m, rtol=0.01).item() == 1
    np.testing.assert_allclose(LA.pinv(m, atol=0.01).numpy(), [[1, 0], [0, 0]])
    assert LA.inv_ex(m).info.item() == 0
    sing = disttrain.tensor([[1., 2.], [2., 4.]])
    with pytest.raises(LA.LinAlgError):
        LA.solve_ex(sing, disttrain.ones(2, 1), check_errors=True)
    assert LA.lu_factor_ex(sing).info.item() == 2
    with pytest.raises(NotImplementedError, match="lu_factor"):
        LA.lu_factor(leaf([[2., 1.], [1., 3.]])).LU.sum().backward()


def test_householder_product_errors():
    with raises(RuntimeError, "linalg.householder_product: input.shape[-2] must be greater than "
                              "or equal to input.shape[-1]"):
        LA.householder_product(M.T, disttrain.ones(2, dtype=f64))
    with raises(RuntimeError, "linalg.householder_product: input.shape[-1] must be greater than "
                              "or equal to tau.shape[-1]"):
        LA.householder_product(M, disttrain.ones(3, dtype=f64))
