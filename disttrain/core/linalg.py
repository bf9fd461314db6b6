"""disttrain.linalg: ``torch.linalg``'s functions on batches of matrices (..., m, n),
differentiable where PyTorch's are, with PyTorch's errors.

Example::

    >>> import disttrain as torch
    >>> A = torch.tensor([[2., 1.], [1., 3.]])
    >>> torch.linalg.solve(A, torch.tensor([1., 2.]))
    tensor([0.2000, 0.6000])
"""
import math as _math

import numpy as _np

from . import _names, dtype as _dt
from .tensor import Tensor as _Tensor
from .ops import linalg_ops as _L
from .ops import linalg_decomp as _D
from .ops import reduce as _R
from .ops._util import type_name as _type_name
from .functions import matmul, stack as _stack
from .functions._common import write_out as _write_out
from .ops.linalg_ops import LinAlgError

__all__ = ["LinAlgError", "norm", "vector_norm", "matrix_norm", "inv", "inv_ex", "solve",
           "solve_ex", "det", "slogdet", "svd", "svdvals", "qr", "eigh", "eigvalsh", "eig",
           "eigvals", "cholesky", "cholesky_ex", "pinv", "lstsq", "matmul", "cross", "vecdot",
           "matrix_rank", "matrix_power", "matrix_exp", "multi_dot", "tensorinv",
           "tensorsolve", "diagonal", "vander", "solve_triangular", "lu_factor",
           "lu_factor_ex", "lu", "cond", "householder_product"]

_inf = float("inf")


def _result(name, fields):
    """A named tuple that prints as PyTorch's ``torch.return_types.<name>``."""

    class Result(tuple):
        __slots__ = ()

        def __new__(cls, *values):
            return tuple.__new__(cls, values)

        def __repr__(self):
            body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
            return _names.qualified(f"return_types.{name}(\n{body})")

    for i, f in enumerate(fields):
        setattr(Result, f, property(lambda self, i=i: self[i]))
    Result.__name__ = Result.__qualname__ = name
    return Result


_InvEx = _result("linalg_inv_ex", ("inverse", "info"))
_SolveEx = _result("linalg_solve_ex", ("result", "info"))
_Slogdet = _result("linalg_slogdet", ("sign", "logabsdet"))
_Svd = _result("linalg_svd", ("U", "S", "Vh"))
_Qr = _result("linalg_qr", ("Q", "R"))
_Eigh = _result("linalg_eigh", ("eigenvalues", "eigenvectors"))
_Eig = _result("linalg_eig", ("eigenvalues", "eigenvectors"))
_CholEx = _result("linalg_cholesky_ex", ("L", "info"))
_Lstsq = _result("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
_LuFactor = _result("linalg_lu_factor", ("LU", "pivots"))
_LuFactorEx = _result("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_Lu = _result("linalg_lu", ("P", "L", "U"))


# ------------------------------------------------------------------------- checks
def _check_float(A, name, arg="input", complex_ok=False):
    if A._data.dtype.kind == "c" and not complex_ok:
        raise NotImplementedError(f"{name}: complex inputs are not supported by disttrain "
                                  f"(linalg.inv, solve, eig, eigvals and matmul take them)")
    if A._data.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as {arg}. Got "
                           f"{_type_name(A._data.dtype)}")


def _check_matrix(A, name, square=True, arg="A", complex_ok=False):
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: {arg} must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    _check_float(A, name, complex_ok=complex_ok)


def _info_tensor(info):
    return _Tensor._make(info.astype(_np.int32))


# --------------------------------------------------------------- inverse and solves
def inv(A, *, out=None):
    """The inverse of each square matrix of ``A`` (..., n, n).

    Raises ``LinAlgError`` when a matrix is singular, naming its zero pivot as LAPACK
    finds it.
    """
    _check_matrix(A, "linalg.inv", complex_ok=True)
    return _write_out(_L.Inv.apply(A), out, "linalg_inv")


def inv_ex(A, *, check_errors=False):
    """``inv`` that also returns LAPACK's ``info`` (0, or the 1-based zero pivot) instead of
    raising, unless ``check_errors``."""
    _check_matrix(A, "linalg.inv_ex")
    res = _L.Inv.apply(A, check_errors, "linalg.inv_ex")
    _, info = _L.inv_info(A._data)
    return _InvEx(res, _info_tensor(info))


def _vector_rhs(A, B):
    """PyTorch's rule: B is a batch of vectors when it is 1-D or has A's batch shape
    with one dim less."""
    return B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def solve(A, B, *, left=True, out=None):
    """X with ``A X = B`` (``X A = B`` when ``left=False``), batch dims broadcast.

    Args:
        A (Tensor): square matrices (..., n, n).
        B (Tensor): right-hand sides (..., n, k), or vectors (..., n).
        left (bool): solve ``AX = B`` (default) or ``XA = B``.
    """
    _check_matrix(A, "linalg.solve", complex_ok=True)
    if not left:
        return _write_out(solve(A.mT, B.mT).mT, out, "linalg_solve")
    vec = _vector_rhs(A, B)
    Bm = B.unsqueeze(-1) if vec else B
    if Bm.shape[-2] != A.shape[-1]:
        bs = "x".join(str(s) for s in Bm.shape[-2:])
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({A.shape[-2]}x{A.shape[-1]} and {bs})")
    X = _L.Solve.apply(A, Bm)
    return _write_out(X.squeeze(-1) if vec else X, out, "linalg_solve")


def solve_ex(A, B, *, left=True, check_errors=False):
    """``solve`` that also returns LAPACK's ``info``; a singular system gives nan/inf and a
    non-zero info instead of an error, unless ``check_errors``."""
    _, info = _L.inv_info(A._data)
    if bool((info != 0).any()):
        if check_errors:
            raise _L.singular_error("linalg.solve_ex", info)
        return _SolveEx(_L.Inv.apply(A, False) @ B if left else B @ _L.Inv.apply(A, False),
                        _info_tensor(info))
    return _SolveEx(solve(A, B, left=left), _info_tensor(info))


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with ``A X = B`` (or ``X A = B``) for triangular ``A``; only the triangle named by
    ``upper`` is read, and its diagonal is taken as ones when ``unitriangular``."""
    _check_matrix(A, "linalg.solve_triangular")
    if B.dim() < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    return _write_out(_L.SolveTriangular.apply(A, B, upper, left, unitriangular), out,
                      "linalg_solve_triangular")


# --------------------------------------------------------------------- determinants
def det(A, *, out=None):
    """The determinant of each square matrix; its gradient at a singular matrix is the
    adjugate, as PyTorch's."""
    _check_matrix(A, "linalg.det")
    return _write_out(_L.Det.apply(A), out, "linalg_det")


def slogdet(A, *, out=None):
    """(sign, log|det|) of each square matrix: the determinant without overflow."""
    _check_matrix(A, "linalg.slogdet")
    return _Slogdet(*_L.SlogDet.apply(A))


# ------------------------------------------------------------------- decompositions
def svd(A, full_matrices=True, *, driver=None, out=None):
    """A = U diag(S) Vh for each matrix (..., m, n), singular values descending.

    Args:
        full_matrices (bool): U (m x m) and Vh (n x n) in full (default) or reduced to
            k = min(m, n) columns/rows.
    """
    _check_matrix(A, "linalg.svd", square=False)
    return _Svd(*_D.Svd.apply(A, full_matrices))


def svdvals(A, *, driver=None, out=None):
    """The singular values of each matrix, descending."""
    _check_matrix(A, "linalg.svdvals", square=False)
    return _write_out(_D.Svd.apply(A, False)[1], out, "linalg_svdvals")


def qr(A, mode="reduced", *, out=None):
    """A = QR with Q orthonormal columns and R upper triangular.

    Args:
        mode (str): ``'reduced'`` (default, k = min(m, n) columns), ``'complete'`` (Q is
            m x m) or ``'r'`` (R only; Q is an empty tensor).
    """
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    _check_matrix(A, "linalg.qr", square=False)
    return _Qr(*_D.Qr.apply(A, mode))


def _check_uplo(UPLO):
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices; only
    the triangle ``UPLO`` is read."""
    _check_matrix(A, "linalg.eigh")
    return _Eigh(*_D.Eigh.apply(A, _check_uplo(UPLO)))


def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues (ascending) of symmetric matrices."""
    _check_matrix(A, "linalg.eigvalsh")
    return _write_out(_D.Eigh.apply(A, _check_uplo(UPLO))[0], out, "linalg_eigvalsh")


def eig(A, *, out=None):
    """Eigenvalues and eigenvectors (unit-norm columns) of general square matrices, as
    complex tensors. Differentiable for losses that do not depend on each eigenvector's
    phase (as in PyTorch)."""
    _check_matrix(A, "linalg.eig", complex_ok=True)
    return _Eig(*_D.Eig.apply(A))


def eigvals(A, *, out=None):
    """The eigenvalues of general square matrices, complex."""
    _check_matrix(A, "linalg.eigvals", complex_ok=True)
    return _write_out(_D.Eig.apply(A)[0], out, "linalg_eigvals")


def cholesky(A, *, upper=False, out=None):
    """The Cholesky factor L (A = L Lᵀ) of symmetric positive-definite matrices, or the
    upper factor U = Lᵀ when ``upper``."""
    _check_matrix(A, "linalg.cholesky")
    return _write_out(_D.Cholesky.apply(A, upper), out, "linalg_cholesky")


def cholesky_ex(A, *, upper=False, check_errors=False):
    """``cholesky`` that returns (L, info) instead of raising; ``info`` is the order of the
    first leading minor that is not positive-definite."""
    _check_matrix(A, "linalg.cholesky_ex")
    L = _D.Cholesky.apply(A, upper, check_errors, "linalg.cholesky_ex")
    _, info = _D.cholesky_info(A._data)
    return _CholEx(L, _info_tensor(info))


def _tolerances(A, atol, rtol, rcond=None):
    """PyTorch's (atol, rtol): rtol defaults to eps·max(m, n) when atol is not given (or
    0), else to 0; the old ``rcond`` is an rtol."""
    if rcond is not None:
        return 0.0, _tol_value(rcond)
    eps = float(_np.finfo(A._data.dtype).eps)
    if rtol is None:
        rtol = eps * max(A.shape[-2], A.shape[-1]) if atol is None or (
            not isinstance(atol, _Tensor) and atol <= 0) else 0.0
    return _tol_value(0.0 if atol is None else atol), _tol_value(rtol)


def _tol_value(t):
    return t._data if isinstance(t, _Tensor) else float(t)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The Moore–Penrose pseudo-inverse, from the SVD; singular values at or below
    ``max(atol, rtol·σ_max)`` count as zero.

    Args:
        atol (float or Tensor, optional): absolute tolerance. Default: 0.
        rtol (float or Tensor, optional): relative tolerance. Default: ``eps·max(m, n)``
            when ``atol`` is not given, else 0.
        hermitian (bool): ``A`` is symmetric (the result is the same).
    """
    _check_matrix(A, "linalg.pinv", square=False)
    atol, rtol = _tolerances(A, atol, rtol, rcond)
    return _write_out(_D.Pinv.apply(A, atol, rtol, hermitian), out, "linalg_pinv")


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The number of singular values above ``max(atol, rtol·σ_max)`` (int64)."""
    _check_matrix(A, "linalg.matrix_rank", square=False)
    if tol is not None:
        atol, rtol = tol, 0.0
    atol, rtol = _tolerances(A, atol, rtol)
    s = svdvals(A.detach())._data
    xp = _array_module(s)
    smax = s[..., :1] if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), dtype=s.dtype)
    atol = atol[..., None] if _np.ndim(atol) else atol
    rtol = rtol[..., None] if _np.ndim(rtol) else rtol
    cut = xp.maximum(atol, rtol * smax)
    return _Tensor._make((s > cut).sum(axis=-1).astype(_np.int64))


def _array_module(a):
    from .device import array_module
    return array_module(a)


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of ``A X = B`` (minimum norm when rank-deficient) with
    the residuals, rank and singular values the LAPACK ``driver`` reports.

    Args:
        rcond (float, optional): singular values below ``rcond·σ_max`` count as zero.
            Default: eps·max(m, n).
        driver (str, optional): ``'gelsy'`` (default), ``'gels'``, ``'gelsd'`` or
            ``'gelss'``; they differ only in which extra results are filled in.
    """
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           f"gelsy, gelsd, gelss)".replace("torch.", ""))
    _check_matrix(A, "linalg.lstsq", square=False)
    vec = B.dim() == A.dim() - 1
    Bm = B.unsqueeze(-1) if vec else B
    if Bm.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2)"
                           .replace("torch.", ""))
    m, n = A.shape[-2], A.shape[-1]
    rtol = float(_np.finfo(A._data.dtype).eps) * max(m, n) if rcond is None or rcond < 0 \
        else rcond
    X = _D.Pinv.apply(A, 0.0, rtol, False) @ Bm
    s = svdvals(A.detach())
    xp = _array_module(s._data)
    smax = s._data[..., :1] if n and m else xp.zeros(s.shape[:-1] + (1,))
    rank = _Tensor._make((s._data > rtol * smax).sum(axis=-1).astype(_np.int64))
    empty = A.new_zeros((0,))
    full = bool((rank._data == n).all())
    if driver != "gelsy" and m > n and full:
        res = ((A @ X - Bm) ** 2).sum(-2)
        res = res.squeeze(-1) if vec else res
    else:
        res = empty
    sv = s if driver in ("gelsd", "gelss") else empty
    return _Lstsq(X.squeeze(-1) if vec else X, res,
                  rank if driver != "gels" else _Tensor._make(xp.zeros((0,), _np.int64)), sv)


# ----------------------------------------------------------------------------- norms
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The vector ``ord``-norm over ``dim`` (all elements when None).

    Args:
        ord (float): 2 (default), 1, inf, -inf, 0 (count of non-zeros) or any real p.
    """
    if isinstance(ord, str):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not str")
    if dtype is not None:
        x = x.to(_dt.to_dtype(dtype))
    return _write_out(_R.Norm.apply(x, float(ord), dim, keepdim), out, "linalg_vector_norm")


def _moved_last(A, dim):
    """A with the two matrix dims (normalised) moved last, and those dims."""
    nd = A.dim()
    d0, d1 = dim[0] % nd, dim[1] % nd
    return A.movedim((d0, d1), (-2, -1)), (d0, d1)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """A matrix norm over the two dims ``dim``: ``'fro'`` (default), ``'nuc'`` (sum of
    singular values), 2/-2 (largest/smallest singular value), 1/-1 (max/min column abs
    sum), inf/-inf (max/min row abs sum)."""
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if dtype is not None:
        A = A.to(_dt.to_dtype(dtype))
    _check_float(A, "linalg.matrix_norm")
    dim = tuple(dim)
    if ord == "fro":
        return vector_norm(A, 2, dim, keepdim)
    Am, (d0, d1) = _moved_last(A, dim)
    if ord == "nuc" or ord in (2, -2):
        s = _D.Svd.apply(Am, False)[1]
        r = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
    elif ord in (1, -1, _inf, -_inf):
        red, ext = (-2, -1) if ord in (1, -1) else (-1, -2)
        sums = Am.abs().sum(red, keepdim=True)
        r = (sums.amax(ext, keepdim=True) if ord > 0 else sums.amin(ext, keepdim=True))
        r = r.squeeze(-1).squeeze(-1)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        for d in sorted((d0, d1)):
            r = r.unsqueeze(d)
    return _write_out(r, out, "linalg_matrix_norm")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """A vector or matrix norm: a matrix norm when ``dim`` is a pair (or ``A`` is 2-D with
    ``ord`` given and ``dim`` not), a vector norm otherwise; ``ord=None`` is the 2-norm of
    the flattened input or the Frobenius norm."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype,
                               out=out)
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype, out=out)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A.dim() not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {A.dim()}D.")
    if A.dim() == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
    return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)


def cond(A, p=None):
    """The condition number of each matrix in the ``p`` norm (2 by default: σ_max/σ_min)."""
    _check_matrix(A, "linalg.cond", square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = svdvals(A)
        r = s[..., 0] / s[..., -1]
        return r if p != -2 else 1 / r
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


# ---------------------------------------------------------------- products and more
def cross(input, other, *, dim=-1, out=None):
    """The cross product of 3-vectors along ``dim``, broadcasting the other dims."""
    if input.dim() != other.dim():
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions.")
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[dim]} and {other.shape[dim]}")
    a = [input.select(dim, i) for i in range(3)]
    b = [other.select(dim, i) for i in range(3)]
    c = _stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                a[0] * b[1] - a[1] * b[0]], dim)
    return _write_out(c, out, "linalg_cross")


def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of vectors along ``dim``, broadcasting the other dims."""
    if x.shape[dim] != y.shape[dim]:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same size along dim "
                           f"{dim}, but got {x.shape[dim]} and {y.shape[dim]}")
    return _write_out((x * y).sum(dim), out, "linalg_vecdot")


def matrix_power(A, n, *, out=None):
    """A to the integer power ``n`` by repeated squaring (``inv(A)`` to ``-n`` when n < 0,
    the identity when n = 0)."""
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 "
                           "dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but "
                           f"they are {A.shape[-2]} by {A.shape[-1]} matrices")
    if not isinstance(n, int):
        raise TypeError(f"linalg_matrix_power(): argument 'n' must be int, not "
                        f"{type(n).__name__}")
    if n == 0:
        from .creation import eye
        return eye(A.shape[-1], dtype=A.dtype).expand(A.shape).clone()
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return _write_out(result, out, "linalg_matrix_power")


def matrix_exp(A):
    """The matrix exponential of each square matrix (scaling and squaring)."""
    _check_matrix(A, "linalg.matrix_exp")
    return _L.MatrixExp.apply(A)


def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices; the first may be a row vector (1-D) and the
    last a column vector (1-D)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_vec, last_vec = tensors[0].dim() == 1, tensors[-1].dim() == 1
    mats = list(tensors)
    if first_vec:
        mats[0] = mats[0].unsqueeze(0)
    if last_vec:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i, t in enumerate(mats):
        if t.dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.dim()}D")
    r = mats[0]
    for t in mats[1:]:
        r = r @ t
    if first_vec:
        r = r.squeeze(0)
    if last_vec:
        r = r.squeeze(-1)
    return _write_out(r, out, "linalg_multi_dot")


def tensorinv(A, ind=2, *, out=None):
    """The tensor ``X`` with ``tensordot(X, A, ind) = I``: ``A`` reshaped to a square
    matrix by its first ``ind`` dims, inverted, and reshaped back."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    lead, rest = A.shape[:ind], A.shape[ind:]
    m, n = _math.prod(lead), _math.prod(rest)
    if m != n:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) "
                           f"== prod(self.shape[:ind]), but got {n} != {m}")
    return _write_out(inv(A.reshape(m, n)).reshape(tuple(rest) + tuple(lead)), out,
                      "linalg_tensorinv")


def tensorsolve(A, B, dims=None, *, out=None):
    """The tensor ``X`` with ``tensordot(A, X, X.ndim) = B``."""
    if dims is not None:
        nd = A.dim()
        dims = [d % nd for d in dims]
        A = A.movedim(dims, list(range(nd - len(dims), nd)))
    rest = A.shape[B.dim():]
    n = _math.prod(rest)
    X = solve(A.reshape(-1, n), B.reshape(-1))
    return _write_out(X.reshape(rest), out, "linalg_tensorsolve")


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal at ``offset`` of the matrices on (dim1, dim2), as the last dim."""
    return _L.Diagonal.apply(A, offset, dim1 % A.dim(), dim2 % A.dim())


def vander(x, *, N=None):
    """The Vandermonde matrix with columns x⁰, x¹, ..., x^(N-1) (increasing powers)."""
    if x.dim() < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension.")
    n = x.shape[-1] if N is None else N
    if n <= 1 and N is not None and n < 1:
        raise RuntimeError("N must be greater than 1.")
    cols = [x.new_ones(x.shape) if x._data.dtype.kind == "f" else x * 0 + 1]
    for k in range(1, n):
        cols.append(cols[-1] * x)
    return _stack(cols[:n], -1)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """The LU factorisation with partial pivoting, packed: (LU, pivots, info), pivots
    1-based as LAPACK's. Not differentiable in disttrain."""
    _check_matrix(A, "linalg.lu_factor_ex")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the "
                           "CPU")
    lu_, piv, info = _L.LuFactor.apply(A)
    if check_errors and bool((info._data != 0).any()):
        raise LinAlgError(f"torch.linalg.lu_factor_ex: U[{int(info._data.max())},"
                          f"{int(info._data.max())}] is zero and using it on "
                          f"lu_solve would result in a division by zero. If you still want "
                          f"to perform the factorization, consider calling linalg.lu(A, "
                          f"pivot) or linalg.lu_factor_ex(A, pivot)".replace("torch.", ""))
    return _LuFactorEx(lu_, piv, info)


def lu_factor(A, *, pivot=True, out=None):
    """The LU factorisation with partial pivoting, packed: (LU, pivots)."""
    lu_, piv, info = lu_factor_ex(A, pivot=pivot)
    return _LuFactor(lu_, piv)


def lu(A, *, pivot=True, out=None):
    """A = P L U with P a permutation, L unit lower and U upper triangular."""
    lu_, piv, _ = lu_factor_ex(A, pivot=pivot)
    xp = _array_module(lu_._data)
    n = A.shape[-1]
    # the row swaps, replayed on host integers, give the permutation
    p0 = _L._host(piv._data).reshape(-1, n) - 1
    perm = _np.tile(_np.arange(n), (len(p0), 1))
    for b, row in enumerate(p0):
        for k, p in enumerate(row):
            perm[b, k], perm[b, p] = perm[b, p], perm[b, k]
    perm = xp.asarray(perm.reshape(piv.shape))
    P = xp.swapaxes(xp.eye(n, dtype=lu_._data.dtype)[perm], -1, -2)
    from .creation import eye
    L = lu_.tril(-1) + eye(n, dtype=A.dtype)
    return _Lu(_Tensor._make(xp.ascontiguousarray(P)), L, lu_.triu())


def householder_product(A, tau, *, out=None):
    """The first n columns of the product of Householder matrices H_1 ... H_k, with
    H_i = I - tau_i v_i v_iᵀ and v_i column i of ``A`` below the diagonal, 1 on it (the Q
    of a QR factorisation stored as LAPACK's geqrf stores it). Differentiable."""
    m, n = A.shape[-2], A.shape[-1]
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater "
                           "than or equal to input.shape[-1]".replace("torch.", ""))
    k = tau.shape[-1]
    if n < k:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater "
                           "than or equal to tau.shape[-1]".replace("torch.", ""))
    from .creation import eye
    V = A.tril(-1) + eye(m, n, dtype=A.dtype)
    Q = eye(m, dtype=A.dtype)
    for i in range(k):
        v = V[..., :, i:i + 1]
        # Q (I - tau v vᵀ) = Q - tau (Q v) vᵀ
        Q = Q - tau[..., i:i + 1].unsqueeze(-1) * ((Q @ v) @ v.mT)
    return _write_out(Q[..., :, :n], out, "linalg_householder_product")
