"""Linear algebra at the top level (``disttrain.det``, ``disttrain.svd``, ``disttrain.cdist``
...) with PyTorch's older signatures, built on ``disttrain.linalg``."""
import builtins
import math
import warnings

from .. import _names
from ..ops import linalg_ops as L
from ._common import write_out

__all__ = ["det", "logdet", "slogdet", "inverse", "pinverse", "cholesky", "cholesky_solve",
           "cholesky_inverse", "svd", "qr", "cross", "matrix_power", "matrix_exp", "trace",
           "cdist", "dist", "kron", "tensordot", "triangular_solve", "lu",
           "diag_embed", "orgqr", "svd_lowrank", "pca_lowrank"]


def _linalg():
    from .. import linalg
    return linalg


def det(input):
    """The determinant of each square matrix (``linalg.det``)."""
    return _linalg().det(input)


def slogdet(input):
    """(sign, log|det|) of each square matrix (``linalg.slogdet``)."""
    return _linalg().slogdet(input)


def logdet(input):
    """log(det) of each square matrix: nan where det < 0, -inf where det = 0."""
    sign, logabs = _linalg().slogdet(input)
    nan = sign < 0
    return logabs.masked_fill(nan, float("nan")) if bool(nan.any()) else logabs


def inverse(input, *, out=None):
    """The inverse of each square matrix (``linalg.inv``)."""
    return _linalg().inv(input, out=out)


def pinverse(input, rcond=1e-15):
    """The pseudo-inverse; singular values below ``rcond·σ_max`` count as zero."""
    return _linalg().pinv(input, rtol=rcond)


def cholesky(input, upper=False, *, out=None):
    """The Cholesky factor (lower, or upper when ``upper``)."""
    return _linalg().cholesky(input, upper=upper, out=out)


def cholesky_solve(input, input2, upper=False, *, out=None):
    """X with ``A X = B`` given B (``input``) and A's Cholesky factor (``input2``)."""
    solve = _linalg().solve_triangular
    if upper:
        y = solve(input2.mT, input, upper=False)
        return write_out(solve(input2, y, upper=True), out, "cholesky_solve")
    y = solve(input2, input, upper=False)
    return write_out(solve(input2.mT, y, upper=True), out, "cholesky_solve")


def cholesky_inverse(input, upper=False, *, out=None):
    """The inverse of A from its Cholesky factor."""
    from ..creation import eye
    n = input.shape[-1]
    e = eye(n, dtype=input.dtype).expand(input.shape)
    return write_out(cholesky_solve(e, input, upper), out, "cholesky_inverse")


class _SvdResult(tuple):
    __slots__ = ()

    def __new__(cls, u, s, v):
        return tuple.__new__(cls, (u, s, v))

    U = property(lambda self: self[0])
    S = property(lambda self: self[1])
    V = property(lambda self: self[2])

    def __repr__(self):
        return _names.qualified(f"return_types.svd(\nU={self[0]!r},\nS={self[1]!r},\nV={self[2]!r})")


def svd(input, some=True, compute_uv=True, *, out=None):
    """The old SVD: (U, S, V) with A = U diag(S) Vᵀ (V, not Vh); ``some=False`` gives full
    U and V; ``compute_uv=False`` gives zero-filled U and V."""
    m, n = input.shape[-2], input.shape[-1]
    if not compute_uv:
        s = _linalg().svdvals(input)
        bs = tuple(input.shape[:-2])
        return _SvdResult(input.new_zeros(bs + (m, m)), s, input.new_zeros(bs + (n, n)))
    u, s, vh = _linalg().svd(input, full_matrices=not some)
    return _SvdResult(u, s, vh.mT)


def qr(input, some=True, *, out=None):
    """A = QR (reduced when ``some``, else complete)."""
    return _linalg().qr(input, "reduced" if some else "complete")


def cross(input, other, dim=None, *, out=None):
    """The cross product along ``dim``; without ``dim``, the first dim of size 3 (with
    PyTorch's deprecation warning)."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        dim = next((i for i, s in enumerate(input.shape) if s == 3), -1)
    return _linalg().cross(input, other, dim=dim, out=out)


def matrix_power(input, n):
    return _linalg().matrix_power(input, n)


def matrix_exp(input):
    return _linalg().matrix_exp(input)


def trace(input):
    """The sum of the main diagonal of a matrix."""
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    d = L.Diagonal.apply(input, 0, 0, 1)
    return d.sum()


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices with the last dim of ``input`` on their diagonal at ``offset``."""
    return L.diag_embed(input, offset, dim1, dim2)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2``
    (..., R, M): (..., P, R). The gradient is 0 at zero distances.
    """
    if x1.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.dim()}D")
    if x2.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    return L.Cdist.apply(x1, x2, float(p))


def dist(input, other, p=2):
    """The p-norm of ``input - other`` (broadcast), over all elements."""
    from .reductions import norm
    return norm(input - other, p)


def kron(input, other, *, out=None):
    """The Kronecker product: blocks ``input[i, j] * other``."""
    nd = builtins.max(input.dim(), other.dim())
    a = input.reshape((1,) * (nd - input.dim()) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.dim()) + tuple(other.shape))
    sa, sb = a.shape, b.shape
    ea = a.reshape([v for s in sa for v in (s, 1)])
    eb = b.reshape([v for s in sb for v in (1, s)])
    return write_out((ea * eb).reshape([x * y for x, y in zip(sa, sb)]), out, "kron")


def tensordot(a, b, dims=2, out=None):
    """Contract ``dims`` (the last n of ``a`` with the first n of ``b``, or two lists)."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da = list(range(a.dim() - dims, a.dim()))
        db = list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else [d % a.dim() for d in da]
        db = [db] if isinstance(db, int) else [d % b.dim() for d in db]
        da = [d % a.dim() for d in da]
        db = [d % b.dim() for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[x]} in dim {x} and second has size {b.shape[y]} in "
                               f"dim {y}")
    fa = [d for d in range(a.dim()) if d not in da]
    fb = [d for d in range(b.dim()) if d not in db]
    k = math.prod(a.shape[d] for d in da)
    am = a.permute(*(fa + da)).reshape(math.prod(a.shape[d] for d in fa), k)
    bm = b.permute(*(db + fb)).reshape(k, math.prod(b.shape[d] for d in fb))
    r = (am @ bm).reshape([a.shape[d] for d in fa] + [b.shape[d] for d in fb])
    return write_out(r, out, "tensordot")


class _TriResult(tuple):
    __slots__ = ()

    def __new__(cls, x, a):
        return tuple.__new__(cls, (x, a))

    solution = property(lambda self: self[0])
    cloned_coefficient = property(lambda self: self[1])

    def __repr__(self):
        return (f"disttrain.return_types.triangular_solve(\nsolution={self[0]!r},\n"
                f"cloned_coefficient={self[1]!r})")


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """The old triangular solve: (X, A.clone()) with ``A X = b`` (``Aᵀ X = b`` when
    ``transpose``)."""
    M = A.mT if transpose else A
    x = _linalg().solve_triangular(M, b, upper=upper != transpose, unitriangular=unitriangular)
    return _TriResult(x, A.clone())


def lu(A, pivot=True, get_infos=False, out=None):
    """The old LU: (LU, pivots[, infos]) as ``linalg.lu_factor_ex``."""
    lu_, piv, info = _linalg().lu_factor_ex(A, pivot=pivot)
    return (lu_, piv, info) if get_infos else (lu_, piv)


def orgqr(input, tau):
    """``linalg.householder_product`` under its LAPACK name."""
    return _linalg().householder_product(input, tau)


# ------------------------------------------------------------------ randomized low rank
def _approximate_basis(A, q, niter, M):
    """Q with orthonormal columns such that Q Qᴴ (A - M) approximates A - M: a Gaussian
    sketch and ``niter`` power iterations (Halko, Martinsson and Tropp 2009, Algorithm 4.4),
    never forming A - M."""
    from ..creation import randn
    real = A.real if A.is_complex() else A
    R = randn(A.shape[-1], q, dtype=A.dtype if A.is_complex() else real.dtype,
              device=A.device)
    X = A @ R if M is None else A @ R - M @ R
    Q = qr(X)[0]
    for _ in range(niter):
        X = A.mH @ Q if M is None else A.mH @ Q - M.mH @ Q
        Q = qr(X)[0]
        X = A @ Q if M is None else A @ Q - M @ Q
        Q = qr(X)[0]
    return Q


def _svd_lowrank(A, q, niter, M):
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:
        A = A.mH
        M = None if M is None else M.mH
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mH @ A if M is None else Q.mH @ A - Q.mH @ M
    U, S, V = svd(B)
    U = Q @ U
    return (V, S, U) if m < n else (U, S, V)


def svd_lowrank(A, q=6, niter=2, M=None):
    """An approximate truncated SVD ``A ≈ U diag(S) Vᴴ`` of rank ``q`` (of ``A - M`` when
    ``M`` is given) by randomized range finding (Halko et al. 2009, Algorithm 5.1): exact
    for a matrix of rank at most ``q``; random (set the seed to repeat it).

    Args:
        A (Tensor): (*, m, n).
        q (int, optional): a slightly overestimated rank. Default: 6
        niter (int, optional): power iterations. Default: 2
        M (Tensor, optional): subtracted from ``A`` (broadcast), without forming A - M.
    """
    return _svd_lowrank(A, 6 if q is None else q, 2 if niter is None else niter, M)


def pca_lowrank(A, q=None, center=True, niter=2):
    """Principal components of the rows of ``A`` (*, m, n): ``(U, S, V)`` of the rank-``q``
    approximate SVD of ``A`` with its column means subtracted (``center``); the components
    are the columns of ``V``, ``S**2 / (m - 1)`` their variances.

    Args:
        q (int, optional): how many components. Default: ``min(6, m, n)``
        center (bool): subtract the column means first. Default: True
        niter (int): power iterations. Default: 2
    """
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (isinstance(q, int) and 0 <= q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than "
                         f"min(m, n)={min(m, n)}")
    if not (isinstance(niter, int) and niter >= 0):
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return _svd_lowrank(A, q, niter, None)
    return _svd_lowrank(A - A.mean(dim=-2, keepdim=True), q, niter, None)
