"""The few matrix routines ``MultivariateNormal`` needs, composed from differentiable ops
(row by row, so their cost grows with the event size; meant for the small matrices of
distribution parameters)."""
import numpy as np

import disttrain as T

__all__ = ["cholesky", "solve_lower", "is_positive_definite", "inverse_spd"]


def _host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a


def is_positive_definite(m):
    """Per matrix of a batch: symmetric with a Cholesky factor."""
    a = _host(m.detach()._data)
    flat = a.reshape((-1,) + a.shape[-2:])
    ok = []
    for x in flat:
        sym = np.allclose(x, x.T, atol=1e-6)
        try:
            np.linalg.cholesky(x)
            ok.append(sym)
        except np.linalg.LinAlgError:
            ok.append(False)
    return T.tensor(np.asarray(ok, dtype=bool).reshape(a.shape[:-2]))


def cholesky(a):
    """The lower Cholesky factor ``L`` of symmetric positive-definite ``a`` (``L L^T = a``),
    batched over leading dims; differentiable."""
    n = a.shape[-1]
    cols = []          # cols[j]: column j of L below and on the diagonal, as (..., n) tensors
    for j in range(n):
        s = a[..., :, j]
        for k in range(j):
            s = s - cols[k] * cols[k][..., j:j + 1]
        d = s[..., j:j + 1].sqrt()
        mask = T.tensor(np.arange(n) >= j)
        col = T.where(mask, s / d, s * 0)
        cols.append(col)
    return T.stack(cols, -1)


def solve_lower(L, b):
    """``x`` with ``L x = b`` for lower-triangular ``L`` (..., n, n) and ``b`` (..., n)."""
    n = L.shape[-1]
    xs = []
    for i in range(n):
        s = b[..., i]
        for k in range(i):
            s = s - L[..., i, k] * xs[k]
        xs.append(s / L[..., i, i])
    return T.stack(xs, -1)


def inverse_spd(a):
    """The inverse of symmetric positive-definite ``a``, through its Cholesky factor."""
    L = cholesky(a)
    n = a.shape[-1]
    eye = T.eye(n, dtype=a.dtype).expand(*a.shape)
    # columns of L^{-1}: solve L x = e_i
    linv = T.stack([solve_lower(L, eye[..., :, i]) for i in range(n)], -1)
    return linv.transpose(-2, -1) @ linv
