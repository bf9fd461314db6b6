"""The matrix decompositions behind ``disttrain.linalg``: SVD, eigh and eig, Cholesky,
QR and the pseudo-inverse, each with PyTorch's backward formula written with Tensor ops."""
import numpy as np

from ..autograd import Function
from ..device import array_module
from .linalg_ops import (LinAlgError, Solve, SolveTriangular, _batch_prefix, _diag, _eye_like,
                         _host, _mH, _mT, diag_embed)

__all__ = ["Svd", "svd_backward", "Eigh", "Eig", "Cholesky", "cholesky_info", "not_pd_error",
           "Qr", "Pinv"]


class Svd(Function):
    """A = U diag(S) Vh; PyTorch's svd_backward (real case)."""

    node_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, a, full_matrices=True):
        xp = array_module(a._data)
        u, s, vh = xp.linalg.svd(a._data, full_matrices=full_matrices)
        if ctx._recording:
            ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        if u.shape[-1] != k:
            u, gu = u[..., :k], gu[..., :k]
        if vh.shape[-2] != k:
            vh, gvh = vh[..., :k, :], gvh[..., :k, :]
        # an output nothing used (svdvals) contributes nothing; skipping it also avoids
        # 0/0 where singular values repeat
        return svd_backward(_unless_zero(gu), gs, _unless_zero(gvh), u, s, vh), None


def _unless_zero(g):
    return None if g is None or not bool(g._data.any()) else g


def svd_backward(gu, gs, gvh, u, s, vh):
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    if gu is None and gvh is None:
        return (u * gs.unsqueeze(-2)) @ vh
    v = _mT(vh)
    gv = _mT(gvh) if gvh is not None else None
    s2 = s * s
    e = s2.unsqueeze(-2) - s2.unsqueeze(-1)
    e = e + _eye_like(e, k)
    inner = diag_embed(gs) if gs is not None else 0
    if gu is not None:
        uhgu = _mT(u) @ gu
        inner = inner + ((uhgu - _mT(uhgu)) / e) * s.unsqueeze(-2)
    if gv is not None:
        vhgv = _mT(v) @ gv
        inner = inner + s.unsqueeze(-1) * ((vhgv - _mT(vhgv)) / e)
    ga = u @ inner @ vh
    if gu is not None and m > k:
        ga = ga + ((gu - u @ (_mT(u) @ gu)) / s.unsqueeze(-2)) @ vh
    if gv is not None and n > k:
        ga = ga + u @ _mT((gv - v @ (_mT(v) @ gv)) / s.unsqueeze(-2))
    return ga


class Eigh(Function):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices."""

    node_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, a, uplo="L"):
        xp = array_module(a._data)
        w, v = xp.linalg.eigh(a._data, UPLO=uplo)
        if ctx._recording:
            ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        inner = diag_embed(gw)
        gv = _unless_zero(gv)
        if gv is not None:
            e = w.unsqueeze(-2) - w.unsqueeze(-1)
            n = w.shape[-1]
            e = e + _eye_like(e, n)
            vhgv = _mT(v) @ gv
            off = 1 - _eye_like(e, n)
            inner = inner + vhgv / e * off
        return v @ inner @ _mT(v), None


def not_pd_error(name, order_info):
    prefix, k = _batch_prefix(order_info)
    return LinAlgError(f"{name}: {prefix}The factorization could not be completed because the "
                       f"input is not positive-definite (the leading minor of order {k} is not "
                       f"positive-definite).")


def cholesky_info(a):
    """Lower Cholesky factors and, per matrix, the order of the first leading minor that is
    not positive-definite (0 when all are)."""
    xp = array_module(a)
    try:
        c = xp.linalg.cholesky(a)
        if xp is np or bool(xp.isfinite(c).all()):
            return c, xp.zeros(a.shape[:-2], dtype=np.int32)
        c, info = cholesky_info(_host(a))
        return xp.asarray(c), xp.asarray(info)
    except np.linalg.LinAlgError:
        pass
    mats = a.reshape((-1,) + a.shape[-2:])
    n = a.shape[-1]
    out = xp.zeros_like(mats)
    info = np.zeros(len(mats), dtype=np.int32)
    for b, m in enumerate(mats):
        try:
            out[b] = xp.linalg.cholesky(m)
            continue
        except np.linalg.LinAlgError:
            pass
        for k in range(1, n + 1):
            try:
                xp.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                info[b] = k
                break
    return out.reshape(a.shape), xp.asarray(info.reshape(a.shape[:-2]))


class Cholesky(Function):
    """Primitive: the Cholesky factor (a LAPACK decomposition; its gradient is the closed form)."""
    node_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, a, upper=False, check=True, name="linalg.cholesky"):
        l, info = cholesky_info(a._data)
        if check and bool((info != 0).any()):
            raise not_pd_error(name, info)
        if upper:
            l = array_module(l).swapaxes(l, -1, -2).copy()
        ctx.upper = upper
        if ctx._recording:
            ctx.save_for_backward(l)
        return l

    @staticmethod
    def backward(ctx, gl):
        l, = ctx.saved_tensors
        if ctx.upper:
            l, gl = _mT(l), _mT(gl)
        phi = (_mT(l) @ gl).tril()
        phi = 0.5 * (phi + _mT(phi.tril(-1)))
        ga = SolveTriangular.apply(_mT(l), phi, True, True, False)
        ga = SolveTriangular.apply(l, ga, False, False, False)
        return ga, None, None, None


class Qr(Function):
    """A = QR; PyTorch's backward for m >= n and the wide case."""

    node_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, a, mode="reduced"):
        xp = array_module(a._data)
        ctx.mode = mode
        m, n = a._data.shape[-2:]
        ctx.mn = (m, n)
        if mode == "r":
            r = xp.linalg.qr(a._data, mode="r")
            return xp.zeros((0,), dtype=a._data.dtype), r
        q, r = xp.linalg.qr(a._data, mode=mode)
        if ctx._recording:
            ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        m, n = ctx.mn
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        q, r = ctx.saved_tensors
        if m >= n:
            return _qr_backward_tall(gq, gr, q, r), None
        # wide: A = [X | Y], X = QU square; R = [U | Q^T Y]
        u, gu, gv = r[..., :, :m], gr[..., :, :m], gr[..., :, m:]
        y = _qr_y(ctx, q, r)
        gx = _qr_backward_tall(gq + y @ _mT(gv), gu, q, u)
        gy = q @ gv
        return _cat_last(gx, gy), None


def _qr_y(ctx, q, r):
    return q @ r[..., :, q.shape[-1]:]


def _cat_last(a, b):
    from ..functions.shaping import cat
    return cat([a, b], -1)


def _qr_backward_tall(gq, gr, q, r):
    # gA = (gQ + Q copyltu(M)) R^-T,  M = R gR^T - gQ^T Q,  copyltu(M) = tril(M) + tril(M,-1)^T
    mm = r @ _mT(gr) - _mT(gq) @ q
    c = mm.tril() + _mT(mm.tril(-1))
    b = gq + q @ c
    # B R^-T = (R^-1 B^T)^T: one right triangular solve
    return SolveTriangular.apply(_mT(r), b, False, False, False)


class Pinv(Function):
    """The pseudo-inverse from the SVD, singular values at or below ``max(atol,
    rtol·σ_max)`` treated as zero; PyTorch's pinv_backward."""

    node_name = "LinalgPinvBackward0"

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        xp = array_module(a._data)
        ad = a._data
        u, s, vh = xp.linalg.svd(ad, full_matrices=False)
        smax = s[..., :1] if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), dtype=s.dtype)
        cut = xp.maximum(xp.asarray(atol, dtype=s.dtype)[..., None] if np.ndim(atol) else atol,
                         (xp.asarray(rtol, dtype=s.dtype)[..., None] if np.ndim(rtol) else rtol)
                         * smax)
        with np.errstate(divide="ignore"):
            sinv = xp.where(s > cut, 1 / xp.where(s > cut, s, 1), 0)
        p = (xp.swapaxes(vh, -1, -2) * sinv[..., None, :]) @ xp.swapaxes(u, -1, -2)
        if ctx._recording:
            ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx, g):
        a, p = ctx.saved_tensors
        m, n = a.shape[-2], a.shape[-1]
        ph, gh = _mT(p), _mT(g)
        if m <= n:
            k = gh @ p
            kph = k @ ph
            ga = -_mT(p @ k) + kph - (a @ p) @ kph + (ph @ p) @ (gh - k @ a)
        else:
            k = p @ gh
            phk = ph @ k
            ga = -_mT(k @ p) + (gh - a @ k) @ p @ ph + phk - phk @ p @ a
        return ga, None, None, None


class Eig(Function):
    """Eigenvalues and eigenvectors (unit columns) of general matrices, complex; PyTorch's
    linalg_eig_backward. A loss must not depend on each eigenvector's phase."""

    node_name = "LinalgEigBackward0"

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a._data)
        w, v = xp.linalg.eig(a._data)
        cd = np.complex128 if a._data.dtype in (np.float64, np.complex128) else np.complex64
        w, v = w.astype(cd, copy=False), v.astype(cd, copy=False)
        ctx.real_input = a._data.dtype.kind != "c"
        if ctx._recording:
            ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        from .complex_ops import Conj, Real
        w, v = ctx.saved_tensors
        n = w.shape[-1]
        eye = _eye_like(Real.apply(w.unsqueeze(-1) * 0 + 0j).expand(w.shape + (n,)), n)
        gv = _unless_zero(gv)
        if gv is not None:
            vhgv = _mH(v) @ gv
            diag_re = Real.apply(_diag(vhgv))
            ga = vhgv - _mH(v) @ (v * diag_re.unsqueeze(-2))
            e = Conj.apply(w.unsqueeze(-2) - w.unsqueeze(-1)) + eye
            ga = ga / e * (1 - eye)
        else:
            ga = None
        if gw is not None:
            ga = diag_embed(gw) if ga is None else ga + diag_embed(gw)
        ga = Solve.apply(_mH(v), ga @ _mH(v))
        return Real.apply(ga) if ctx.real_input else ga
