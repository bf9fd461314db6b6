"""Differentiable matrix functions behind ``disttrain.linalg``: diagonals, LU, inverse, solve,
determinants, triangular solves, matrix_exp and cdist (the decompositions are in
``linalg_decomp``).

Forwards call the array module's ``linalg`` (numpy's or cupy's); backwards are PyTorch's
formulas written with Tensor ops (and these Functions), so second derivatives work.
"""
import math

import numpy as np

from ..autograd import Function
from ..device import array_module, is_cuda_array
from ..tensor import Tensor
from ._util import unbroadcast

__all__ = ["LinAlgError", "lu_array"]


class LinAlgError(RuntimeError):
    """A matrix that the requested factorisation or inversion does not exist for."""


def _mT(t):
    return t.transpose(-2, -1)


def _const(arr):
    return Tensor._make(arr)


def _host(a):
    """The host copy of an array, for the error paths that must find which matrix failed
    (cupy's solvers return inf/nan where LAPACK reports an error)."""
    return a.get() if is_cuda_array(a) else a


def _mH(t):
    from .complex_ops import conj_if_complex
    return _mT(conj_if_complex(t))


# ------------------------------------------------------------------------- diagonals
def _diag_index(shape, offset, d1, d2):
    """Row and column indices of a diagonal of the matrices on dims (d1, d2)."""
    n1, n2 = shape[d1], shape[d2]
    k = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    r = np.arange(k)
    return (r, r + offset) if offset >= 0 else (r - offset, r)


def _scatter_diag(xp, g, shape, offset, d1, d2):
    out = xp.zeros(shape, dtype=g.dtype)
    rows, cols = _diag_index(shape, offset, d1, d2)
    xp.moveaxis(out, (d1, d2), (-2, -1))[..., xp.asarray(rows), xp.asarray(cols)] = g
    return out


class Diagonal(Function):
    """The diagonal at ``offset`` of the matrices on dims (d1, d2), as the last dim."""

    node_name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.args = (x._data.shape, offset, d1, d2)
        return array_module(x._data).diagonal(x._data, offset, d1, d2).copy()

    @staticmethod
    def backward(ctx, g):
        return DiagonalScatter.apply(g, *ctx.args), None, None, None


class DiagonalScatter(Function):
    """Zeros of ``shape`` with ``g`` on a diagonal: diagonal's gradient and diag_embed."""

    node_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, g, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        return _scatter_diag(array_module(g._data), g._data, shape, offset, d1, d2)

    @staticmethod
    def backward(ctx, gg):
        return Diagonal.apply(gg, *ctx.args), None, None, None, None


def diag_embed(x, offset=0, d1=-2, d2=-1):
    """Matrices with the last dim of ``x`` on their diagonal (zeros elsewhere)."""
    n = x.shape[-1] + abs(offset)
    nd = x.dim() + 1
    d1, d2 = d1 % nd, d2 % nd
    rest = list(x.shape[:-1])
    shape = []
    for i in range(nd):
        shape.append(n if i in (d1, d2) else rest.pop(0))
    return DiagonalScatter.apply(x, tuple(shape), offset, d1, d2)


def _diag(t):
    return Diagonal.apply(t, 0, -2, -1)


def _eye_like(t, n):
    return _const(array_module(t._data).eye(n, dtype=t._data.dtype))


# -------------------------------------------------------------------- LU and inverse
def lu_array(a):
    """LU with partial pivoting of a batch of square matrices, as LAPACK's getrf:
    (LU, 1-based pivots, info) where info is the first zero pivot (1-based), 0 if none."""
    xp = array_module(a)
    lu = a.astype(a.dtype, copy=True)
    n = lu.shape[-1]
    batch = lu.shape[:-2]
    piv = xp.zeros(batch + (n,), dtype=np.int32)
    info = xp.zeros(batch, dtype=np.int32)
    bidx = tuple(xp.indices(batch)) if batch else ()
    for k in range(n):
        col = xp.abs(lu[..., k:, k])
        p = xp.argmax(col, axis=-1) + k
        piv[..., k] = p + 1
        rows_k = lu[..., k, :].copy()
        rows_p = lu[(*bidx, p)] if batch else lu[p]
        if batch:
            lu[..., k, :] = rows_p
            lu[(*bidx, p)] = rows_k
        else:
            lu[k], lu[p] = rows_p.copy(), rows_k
        pivot = lu[..., k, k]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, k + 1, info)
        safe = xp.where(zero, 1, pivot)
        lu[..., k + 1:, k] /= safe[..., None]
        lu[..., k + 1:, k + 1:] -= lu[..., k + 1:, k:k + 1] * lu[..., k:k + 1, k + 1:]
    return lu, piv, info


def _batch_prefix(info):
    """PyTorch's "(Batch element i): " for the first failing matrix of a batch."""
    flat = np.asarray(info).reshape(-1)
    bad = int(np.flatnonzero(flat)[0])
    return ("" if np.ndim(info) == 0 else f"(Batch element {bad}): "), int(flat[bad])


def singular_error(name, info):
    prefix, k = _batch_prefix(info)
    return LinAlgError(f"{name}: {prefix}The diagonal element {k} is zero, the inversion could "
                       f"not be completed because the input matrix is singular.")


def inv_info(a):
    """The inverse of each matrix and its getrf info (nan/inf where singular, as LAPACK)."""
    xp = array_module(a)
    try:
        y = xp.linalg.inv(a)
        if xp is np or bool(xp.isfinite(y).all()):
            return y, xp.zeros(a.shape[:-2], dtype=np.int32)
    except np.linalg.LinAlgError:
        y = None
    _, _, info = lu_array(_host(a))
    if xp is not np:
        return y, xp.asarray(info)
    with np.errstate(all="ignore"):
        out = xp.stack([_inv_or_nan(xp, m) for m in a.reshape((-1,) + a.shape[-2:])])
    return out.reshape(a.shape), info


def _inv_or_nan(xp, m):
    try:
        return xp.linalg.inv(m)
    except np.linalg.LinAlgError:
        return xp.full_like(m, np.nan)


class Inv(Function):
    """Primitive: the inverse of each square matrix (LAPACK)."""
    node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, a, check=True, name="linalg.inv"):
        y, info = inv_info(a._data)
        if check and bool((info != 0).any()):
            raise singular_error(name, info)
        if ctx._recording:
            ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        yt = _mH(y)
        return -(yt @ g @ yt), None, None


class Solve(Function):
    """X with A X = B for matrix right-hand sides, batch dims broadcast."""

    node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a._data)
        try:
            x = xp.linalg.solve(a._data, b._data)
            if xp is not np and not bool(xp.isfinite(x).all()) and \
                    bool((lu_array(_host(a._data))[2] != 0).any()):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix "
                              "is singular.".replace("torch.", "disttrain.")) from None
        ctx.shapes = (a._data.shape, b._data.shape)
        if ctx._recording:
            ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = Solve.apply(_mH(a), g)
        ga = -(gb @ _mH(x)) if ctx.needs_input_grad[0] else None
        return (unbroadcast(ga, ctx.shapes[0]) if ga is not None else None,
                unbroadcast(gb, ctx.shapes[1]) if ctx.needs_input_grad[1] else None)


def _adjugate_t(xp, a):
    """The transposed adjugate of each matrix, from its SVD, so it exists where A is
    singular (the gradient of det there)."""
    u, s, vh = xp.linalg.svd(a)
    n = s.shape[-1]
    others = xp.stack([xp.prod(xp.delete(s, i, axis=-1), axis=-1) for i in range(n)], -1) \
        if xp is np else xp.stack([xp.prod(xp.concatenate([s[..., :i], s[..., i + 1:]], -1),
                                            axis=-1) for i in range(n)], -1)
    sign = xp.linalg.det(u) * xp.linalg.det(vh)
    adj = (xp.swapaxes(vh, -1, -2) * others[..., None, :]) @ xp.swapaxes(u, -1, -2)
    return xp.swapaxes(adj, -1, -2) * sign[..., None, None]


class Det(Function):
    """Primitive: the determinant of each square matrix (LAPACK)."""
    node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a._data)
        d = xp.asarray(xp.linalg.det(a._data))
        if ctx._recording:
            ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved_tensors
        xp = array_module(a._data)
        _, info = inv_info(a._data)
        if not bool((info != 0).any()) and bool((d._data != 0).all()):
            return (g * d)[..., None, None] * _mT(Inv.apply(a))
        # at a singular matrix the gradient is the adjugate (not differentiated further)
        return g[..., None, None] * _const(_adjugate_t(xp, a._data))


class SlogDet(Function):
    """Primitive: (sign, log|det|) of each square matrix (LAPACK)."""
    node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a._data)
        sign, logabs = xp.linalg.slogdet(a._data)
        if ctx._recording:
            ctx.save_for_backward(a)
        return xp.asarray(sign), xp.asarray(logabs)

    @staticmethod
    def backward(ctx, gsign, glog):
        a, = ctx.saved_tensors
        return glog[..., None, None] * _mT(Inv.apply(a))


def _triangle(t, upper, unit):
    """The triangle of ``t`` a triangular solve reads (strict when unitriangular)."""
    if upper:
        return t.triu(1 if unit else 0)
    return t.tril(-1 if unit else 0)


class SolveTriangular(Function):
    """X with A X = B (left) or X A = B, A triangular; batch dims broadcast."""

    node_name = "LinalgSolveTriangularBackward0"

    @staticmethod
    def forward(ctx, a, b, upper, left=True, unitriangular=False):
        xp = array_module(a._data)
        ad = xp.triu(a._data) if upper else xp.tril(a._data)
        if unitriangular:
            n = ad.shape[-1]
            ad = ad * (1 - xp.eye(n, dtype=ad.dtype)) + xp.eye(n, dtype=ad.dtype)
        bd = b._data
        with np.errstate(all="ignore"):
            try:
                if left:
                    x = xp.linalg.solve(ad, bd)
                else:
                    x = xp.swapaxes(xp.linalg.solve(xp.swapaxes(ad, -1, -2),
                                                    xp.swapaxes(bd, -1, -2)), -1, -2)
            except np.linalg.LinAlgError:
                # a zero on the diagonal: LAPACK's trtrs gives inf/nan rather than failing
                x = _solve_tri_nan(xp, ad, bd, left)
        ctx.args = (upper, left, unitriangular, a._data.shape, b._data.shape)
        if ctx._recording:
            ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        upper, left, unit, sa, sb = ctx.args
        gb = SolveTriangular.apply(_mT(a), g, not upper, left, unit)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -(gb @ _mT(x)) if left else -(_mT(x) @ gb)
            ga = unbroadcast(_triangle(ga, upper, unit), sa)
        gb = unbroadcast(gb, sb) if ctx.needs_input_grad[1] else None
        return ga, gb, None, None, None


def _solve_tri_nan(xp, ad, bd, left):
    inv = xp.stack([_inv_or_nan(xp, m) for m in ad.reshape((-1,) + ad.shape[-2:])])
    inv = inv.reshape(ad.shape)
    return inv @ bd if left else bd @ inv


# ----------------------------------------------------------------------- matrix_exp
_EXP_TERMS = 18


def _expm(xp, a):
    """exp of each matrix: scaled so its 1-norm is at most 1/2, an 18-term Taylor sum
    (truncation below 1e-22), then squared back."""
    norm = xp.abs(a).sum(axis=-2).max(axis=-1) if a.size else xp.zeros(a.shape[:-2])
    with np.errstate(divide="ignore"):
        s = xp.maximum(0, xp.ceil(xp.log2(xp.where(norm > 0, norm, 1)) + 1)).astype(np.int64)
    scaled = a / (2.0 ** s)[..., None, None].astype(a.dtype)
    n = a.shape[-1]
    eye = xp.broadcast_to(xp.eye(n, dtype=a.dtype), a.shape)
    out = eye.copy()
    term = eye.copy()
    for k in range(1, _EXP_TERMS + 1):
        term = term @ scaled / k
        out = out + term
    smax = int(s.max()) if s.size else 0
    for i in range(smax):
        out = xp.where((s > i)[..., None, None], out @ out, out)
    return out


class MatrixExp(Function):
    """Primitive: the matrix exponential (scaled Taylor sum); its gradient is a block-matrix
    exp."""
    node_name = "LinalgMatrixExpBackward0"

    @staticmethod
    def forward(ctx, a):
        if ctx._recording:
            ctx.save_for_backward(a)
        return _expm(array_module(a._data), a._data)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        # the Fréchet derivative's adjoint: the top-right block of exp([[A^T, G], [0, A^T]])
        from ..functions.shaping import cat
        n = a.shape[-1]
        at = _mT(a)
        top = cat([at, g], -1)
        bottom = cat([at * 0, at], -1)
        big = MatrixExp.apply(cat([top, bottom], -2))
        return big[..., :n, n:]


class LuFactor(Function):
    """LU with partial pivoting: (LU, pivots). Its derivative is not implemented."""

    node_name = "LinalgLuFactorExBackward0"

    @staticmethod
    def forward(ctx, a):
        return lu_array(a._data)

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("the derivative for 'linalg_lu_factor_ex' is not "
                                  "implemented in disttrain; use linalg.solve or linalg.inv "
                                  "for a differentiable path.")


__all__ += ["Diagonal", "DiagonalScatter", "diag_embed", "Inv", "Solve", "Det", "SlogDet",
            "SolveTriangular", "MatrixExp", "LuFactor", "inv_info", "singular_error"]


# --------------------------------------------------------------------------- cdist
def _pnorm_array(xp, diff, p):
    a = xp.abs(diff)
    if p == 0:
        return (a != 0).sum(-1).astype(diff.dtype)
    if p == 1:
        return a.sum(-1)
    if p == 2:
        return xp.sqrt((a * a).sum(-1))
    if p == math.inf:
        return a.max(-1) if a.shape[-1] else a.sum(-1)
    return (a ** p).sum(-1) ** (1.0 / p)


class Cdist(Function):
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M);
    PyTorch's backward: 0 at zero distances and zero differences, and for p = inf every
    coordinate that attains the max gets the full sign."""

    node_name = "CdistBackward0"

    @staticmethod
    def forward(ctx, x1, x2, p):
        xp = array_module(x1._data)
        diff = x1._data[..., :, None, :] - x2._data[..., None, :, :]
        with np.errstate(over="ignore", invalid="ignore"):
            d = _pnorm_array(xp, diff, p)
        ctx.p = p
        ctx.shapes = (x1._data.shape, x2._data.shape)
        if ctx._recording:
            ctx.save_for_backward(x1, x2, d)
        return d

    @staticmethod
    def backward(ctx, g):
        x1, x2, d = ctx.saved_tensors
        p = ctx.p
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        gd, dd = g.unsqueeze(-1), d.unsqueeze(-1)
        if p == 0:
            gdiff = diff * 0
        elif p == 1:
            gdiff = gd * diff.sign()
        elif p == 2:
            gdiff = (gd * diff / dd.masked_fill(dd == 0, 1)).masked_fill(dd == 0, 0)
        elif p == math.inf:
            gdiff = gd * diff.sign() * (diff.abs() == dd).to(diff.dtype)
        else:
            zero = (diff == 0) | (dd == 0)
            ad = diff.abs().masked_fill(zero, 1)
            ratio = (ad / dd.masked_fill(dd == 0, 1)) ** (p - 1)
            gdiff = (gd * diff.sign() * ratio).masked_fill(zero, 0)
        s1, s2 = ctx.shapes
        g1 = unbroadcast(gdiff.sum(-2), s1) if ctx.needs_input_grad[0] else None
        g2 = unbroadcast(-gdiff.sum(-3), s2) if ctx.needs_input_grad[1] else None
        return g1, g2, None


__all__ += ["Cdist"]
