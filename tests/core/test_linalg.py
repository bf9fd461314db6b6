"""Matrix products: matmul in every broadcasting case, mm, bmm, dot, mv, outer, einsum;
values against numpy, gradients, grad_fn names and PyTorch's errors."""
import numpy as np
import pytest

import disttrain
from disttrain.autograd import gradcheck, gradgradcheck

from .conftest import check_op, leaf, raises, randn

MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 4)),
    ((5, 2, 3), (3,)), ((1, 2, 3), (5, 3, 4)), ((2, 5, 2, 3), (5, 3, 1)),
]


@pytest.mark.parametrize("a, b", MATMUL_SHAPES, ids=str)
def test_matmul_broadcasting_cases(a, b):
    """matmul (and ``@``) matches numpy for vectors, matrices and broadcast batches, and both
    gradients pass gradcheck."""
    check_op(lambda x, y: x @ y, a, b, ref=np.matmul)
    check_op(lambda x, y: disttrain.matmul(x, y), a, b, ref=np.matmul, grad=False)


def test_matmul_of_strided_operands():
    """Transposed and strided operands multiply correctly, with gradients."""
    check_op(lambda x, y: x.t() @ y, (3, 2), (3, 4), ref=lambda a, b: a.T @ b)
    check_op(lambda x, y: x @ y, (2, 3), (3, 2), noncontig=True, ref=np.matmul)
    check_op(lambda x, y: x.mT @ y, (5, 3, 2), (3, 4), ref=lambda a, b: a.swapaxes(-1, -2) @ b)


@pytest.mark.parametrize("name, shapes, ref", [
    ("mm", ((2, 3), (3, 4)), np.matmul), ("bmm", ((5, 2, 3), (5, 3, 4)), np.matmul),
    ("dot", ((3,), (3,)), np.dot), ("mv", ((2, 3), (3,)), np.matmul),
    ("outer", ((2,), (3,)), np.outer),
])
def test_named_products(name, shapes, ref):
    """mm, bmm, dot, mv and outer match numpy as functions and methods, with gradients."""
    check_op(getattr(disttrain, name), *shapes, ref=ref)
    check_op(lambda x, y: getattr(x, name)(y), *shapes, ref=ref, grad=False)


def test_integer_matmul_and_out():
    """Integer matrices multiply exactly; ``out=`` receives the product."""
    a = disttrain.tensor([[1, 2], [3, 4]])
    assert (a @ a).tolist() == [[7, 10], [15, 22]] and (a @ a).dtype == disttrain.int64
    out = disttrain.empty(2, 2, dtype=disttrain.int64)
    assert disttrain.mm(a, a, out=out) is out and out.tolist() == [[7, 10], [15, 22]]


@pytest.mark.parametrize("eq, shapes, ref_eq", [
    ("ij,jk->ik", ((2, 3), (3, 4)), None), ("bij,bjk->bik", ((5, 2, 3), (5, 3, 4)), None),
    ("ii->", ((3, 3),), None), ("ii->i", ((3, 3),), None), ("ij->j", ((3, 4),), None),
    ("i,j->ij", ((2,), (3,)), None), ("ij,jk", ((2, 3), (3, 4)), None),
    ("iji,j->ij", ((3, 2, 3), (2,)), None), ("ij,k->i", ((3, 2), (4,)), None),
    ("ij, jk -> ki", ((2, 3), (3, 4)), "ij,jk->ki"),
])
def test_einsum_values_and_gradients(eq, shapes, ref_eq):
    """einsum matches numpy, including traces, diagonals, implicit outputs and letters summed
    inside one operand, and its gradient passes gradcheck."""
    check_op(lambda *ops: disttrain.einsum(eq, *ops), *shapes,
             ref=lambda *ops: np.einsum(ref_eq or eq, *ops))
    if len(shapes) == 2:
        check_op(lambda *ops: disttrain.einsum(eq, list(ops)), *shapes, grad=False,
                 ref=lambda *ops: np.einsum(ref_eq or eq, *ops))


@pytest.mark.parametrize("expr, name", [
    ("a @ b", "MmBackward0"), ("disttrain.mm(a, b)", "MmBackward0"),
    ("a @ v", "MvBackward0"), ("v @ v", "DotBackward0"), ("v.dot(v)", "DotBackward0"),
    ("disttrain.bmm(c, c.mT)", "BmmBackward0"), ("c @ b", "UnsafeViewBackward0"),
])
def test_grad_fn_names_match_pytorch(expr, name):
    """Product nodes carry PyTorch's names."""
    a, b, v = leaf(randn(3, 3)), leaf(randn(3, 2, seed=1)), leaf(randn(3, seed=2))
    c = leaf(randn(2, 4, 3, seed=3))
    assert type(eval(expr).grad_fn).__name__ == name


def _m(*shape, dtype=disttrain.float32):
    return disttrain.ones(*shape, dtype=dtype)


@pytest.mark.parametrize("fn, exc, msg", [
    (lambda: _m(3) @ _m(4), RuntimeError,
     "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
     "elements, but got 3 and 4 elements respectively"),
    (lambda: _m(2, 3) @ _m(4), RuntimeError, "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda: _m(4) @ _m(3, 5), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (1x4 and 3x5)"),
    (lambda: _m(2, 3) @ _m(4, 5), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    (lambda: _m(5, 2, 3) @ _m(4, 5), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (10x3 and 4x5)"),
    (lambda: _m(2, 3) @ _m(5, 4, 4), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (20x4 and 3x2)"),
    (lambda: _m(5, 2, 3) @ _m(2), RuntimeError,
     "size mismatch, got input (10), mat (10x3), vec (2)"),
    (lambda: _m(2) @ _m(5, 3, 4), RuntimeError,
     "size mismatch, got input (20), mat (20x3), vec (2)"),
    (lambda: _m(5, 2, 3) @ _m(5, 4, 4), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [5, 3] but got: [5, 4]."),
    (lambda: _m(2, 5, 2, 3) @ _m(5, 4, 1), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [10, 3] but got: [10, 4]."),
    (lambda: _m(5, 2, 3) @ _m(3, 3, 4), RuntimeError,
     "The size of tensor a (5) must match the size of tensor b (3) at non-singleton "
     "dimension 0"),
    (lambda: _m(3).sum() @ _m(3), RuntimeError,
     "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    (lambda: _m(2, 3) @ _m(3, 2, dtype=disttrain.float64), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda: _m(2, 2, 3) @ _m(2, 3, 2, dtype=disttrain.float64), RuntimeError,
     "expected scalar type Float but found Double"),
    (lambda: disttrain.mm(_m(2, 3), _m(4, 5)), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    (lambda: disttrain.mm(_m(2), _m(2, 2)), RuntimeError, "self must be a matrix"),
    (lambda: disttrain.mm(_m(2, 2), _m(2)), RuntimeError, "mat2 must be a matrix"),
    (lambda: disttrain.mm(_m(2, 3, dtype=disttrain.float16), _m(3, 2)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: c10::Half != float"),
    (lambda: disttrain.bmm(_m(2, 2), _m(2, 2, 2)), RuntimeError, "batch1 must be a 3D tensor"),
    (lambda: disttrain.bmm(_m(2, 2, 2), _m(2, 2)), RuntimeError, "batch2 must be a 3D tensor"),
    (lambda: disttrain.bmm(_m(5, 2, 3), _m(4, 3, 4)), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [5, 3] but got: [4, 3]."),
    (lambda: disttrain.dot(_m(2, 2), _m(2)), RuntimeError,
     "1D tensors expected, but got 2D and 1D tensors"),
    (lambda: disttrain.dot(_m(3), _m(3, dtype=disttrain.float64)), RuntimeError,
     "dot : expected both vectors to have same dtype, but found Float and Double"),
    (lambda: disttrain.mv(_m(2, 2), _m(2, 1)), RuntimeError,
     "vector + matrix @ vector expected, got 1, 2, 2"),
    (lambda: disttrain.mv(_m(2, 3), _m(3, dtype=disttrain.float64)), RuntimeError,
     "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
    (lambda: disttrain.outer(_m(2), _m(2, 2)), RuntimeError,
     "outer: Expected 1-D argument vec2, but got 2-D"),
    (lambda: _m(2) @ 2, TypeError, "unsupported operand type(s) for @: 'Tensor' and 'int'"),
])
def test_errors_match_pytorch(fn, exc, msg):
    """Incompatible shapes and dtypes raise PyTorch's exception and message."""
    with raises(exc, msg):
        fn()


@pytest.mark.parametrize("fn, shapes", [
    (lambda a, b: a @ b, [(2, 3), (3, 2)]), (lambda a, b: a @ b, [(2, 2, 3), (3, 2)]),
    (lambda a, b: a.dot(b), [(3,), (3,)]), (lambda a, b: a @ b, [(2, 3), (3,)]),
    (lambda a, b: disttrain.einsum("ij,jk->ik", a, b), [(2, 3), (3, 2)]),
    (lambda a, b: disttrain.einsum("ii->", a * b), [(3, 3), (3, 3)]),
], ids=["mm", "batched", "dot", "mv", "einsum", "einsum_trace"])
def test_second_derivatives(fn, shapes):
    """Product backwards are differentiable themselves (create_graph): gradgradcheck."""
    inputs = [leaf(randn(*s, seed=i)) for i, s in enumerate(shapes)]
    assert gradgradcheck(fn, inputs)


def test_low_rank_svd_and_pca():
    """Randomized, but exact for a matrix of rank at most q: PyTorch 2.13's singular values,
    reconstructions, the ``M`` (subtracted mean) and wide-matrix paths, and gradients."""
    d = disttrain.float64
    a = ((disttrain.arange(120, dtype=d).reshape(40, 3) * 0.37).sin() @
         (disttrain.arange(75, dtype=d).reshape(3, 25) * 0.61).cos())
    disttrain.manual_seed(0)
    # PyTorch 2.13 on the same matrix
    U, S, V = disttrain.pca_lowrank(a, q=4)
    np.testing.assert_allclose(S.numpy(), [10.6396832255, 5.0495600644, 0.0, 0.0], atol=1e-9)
    assert (U.shape, V.shape) == ((40, 4), (25, 4))
    centered = a - a.mean(0, keepdim=True)
    np.testing.assert_allclose((U @ disttrain.diag(S) @ V.T).numpy(), centered.numpy(),
                               atol=1e-12)
    U, S, V = disttrain.svd_lowrank(a, q=3, M=a.mean(0, keepdim=True))
    np.testing.assert_allclose(S.numpy(), [10.6396832255, 5.0495600644, 0.0], atol=1e-9)
    U, S, V = disttrain.svd_lowrank(a.T, q=3)
    np.testing.assert_allclose(S.numpy(), [10.6396849873, 5.0500424312, 0.0], atol=1e-9)
    assert (U.shape, V.shape) == ((25, 3), (40, 3))
    np.testing.assert_allclose((U @ disttrain.diag(S) @ V.T).numpy(), a.T.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match=r"^q\(=30\) must be non-negative integer and not "
                                         r"greater than min\(m, n\)=25$"):
        disttrain.pca_lowrank(a, q=30)
    with pytest.raises(ValueError, match=r"^niter\(=-1\) must be non-negative integer$"):
        disttrain.pca_lowrank(a, niter=-1)

    def singular_values(x):
        disttrain.manual_seed(3)                # the same sketch at every evaluation
        return disttrain.svd_lowrank(x, q=4)[1]
    x = disttrain.tensor(np.random.default_rng(1).standard_normal((6, 4)), requires_grad=True)
    assert gradcheck(singular_values, (x,))
    assert disttrain.functional.svd_lowrank is disttrain.svd_lowrank
