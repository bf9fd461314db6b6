"""Array kernels of the special functions (numpy or cupy, float64 inside): erfc/erfcx,
erfinv/ndtri, lgamma, digamma/trigamma, Hurwitz zeta and the modified Bessel functions.

There is no scipy, so each is built here from series, recurrences and interpolants whose
coefficients are computed once at import from Python's exact-to-an-ulp ``math`` functions.
Where PyTorch's own algorithm is known to be the reference users compare with (digamma,
trigamma, zeta), the same algorithm is used so the numbers agree to the last bits.
"""
import math

import numpy as np

from ..device import array_module
from .nn_ops import erf_array

__all__ = ["erfc_array", "erfcx_array", "erfinv_array", "erfcinv_array", "ndtr_array",
           "ndtri_array", "log_ndtr_array", "lgamma_array", "digamma_array",
           "trigamma_array", "zeta_array", "polygamma_array", "i0_array", "i0e_array",
           "i1_array", "i1e_array", "sinpi_array"]

_2_SQRTPI = 2 / math.sqrt(math.pi)
_SQRT2 = math.sqrt(2.0)
_SQRT1_2 = 1 / _SQRT2


# ------------------------------------------------------------------------- erfc, erfcx
def _erfcx_exact(x):
    """exp(x²)·erfc(x) for a Python float in [0.5, 60], to an ulp or two: x² is split so
    that exp sees it without rounding."""
    hi = float(np.float32(x))
    lo = x - hi
    return math.erfc(x) * math.exp(hi * hi) * math.exp(2 * hi * lo + lo * lo)


def _cheb_fit(f, a, b, deg):
    """Chebyshev coefficients of ``f`` on [a, b] by interpolation at deg+1 Chebyshev nodes."""
    k = np.arange(deg + 1)
    theta = np.pi * (k + 0.5) / (deg + 1)
    vals = np.array([f(0.5 * (a + b) + 0.5 * (b - a) * math.cos(t)) for t in theta])
    coef = np.array([2.0 / (deg + 1) * np.sum(vals * np.cos(j * theta)) for j in k])
    coef[0] /= 2
    return coef


# erfcx is smooth and slowly varying for x >= 0.5; piecewise Chebyshev interpolants reach
# float64 precision there; beyond 10 its continued fraction converges in a few dozen terms.
_ERFCX_EDGES = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.75, 5.5, 6.5, 7.5, 8.75,
                10.0]
_ERFCX_CHEB = [_cheb_fit(_erfcx_exact, a, b, 16)
               for a, b in zip(_ERFCX_EDGES[:-1], _ERFCX_EDGES[1:])]


def _clenshaw(xp, t, coef):
    b1 = xp.zeros_like(t)
    b2 = xp.zeros_like(t)
    for c in coef[:0:-1]:
        b1, b2 = 2 * t * b1 - b2 + c, b1
    return t * b1 - b2 + coef[0]


def _erfcx_pos(xp, a):
    """erfcx of non-negative float64 ``a`` (nan passes through)."""
    out = xp.empty_like(a)
    small = a < 0.5
    if bool(small.any()):
        s = a[small]
        out[small] = xp.exp(s * s) * (1 - erf_array(s))
    for (lo, hi), coef in zip(zip(_ERFCX_EDGES[:-1], _ERFCX_EDGES[1:]), _ERFCX_CHEB):
        m = (a >= lo) & (a < hi)
        if bool(m.any()):
            t = (2 * a[m] - (lo + hi)) / (hi - lo)
            out[m] = _clenshaw(xp, t, coef)
    big = a >= _ERFCX_EDGES[-1]
    if bool(big.any()):
        z = a[big]
        # erfcx(z) = 1/sqrt(pi) · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))), backwards
        f = z
        for k in range(40, 0, -1):
            f = z + (k / 2) / f
        out[big] = 1 / (math.sqrt(math.pi) * f)
    nan = xp.isnan(a)
    if bool(nan.any()):
        out[nan] = a[nan]
    return out


def _exp_neg_sq(xp, a):
    """exp(-a²) with a² split into an exactly squared head and a tail, so the rounding of
    a² (relative 1e-16, absolute a²·1e-16) does not reach the result."""
    hi = a.astype(np.float32).astype(np.float64)
    lo = a - hi
    return xp.exp(-hi * hi) * xp.exp(-(2 * hi * lo + lo * lo))


def erfcx_array(x):
    """exp(x²)·erfc(x), the scaled complementary error function."""
    xp = array_module(x)
    a = x.astype(np.float64)
    r = _erfcx_pos(xp, xp.abs(a))
    with np.errstate(over="ignore", invalid="ignore"):
        neg = 2 * xp.exp(a * a) - r
    return xp.where(a < 0, neg, r).astype(x.dtype, copy=False)


def erfc_array(x):
    """1 - erf(x), accurate in relative terms far into the right tail."""
    xp = array_module(x)
    a = x.astype(np.float64)
    ab = xp.abs(a)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        tail = _erfcx_pos(xp, ab) * _exp_neg_sq(xp, ab)
        tail = xp.where(ab == np.inf, 0.0, tail)
    pos = xp.where(ab < 0.5, 1 - erf_array(ab), tail)
    return xp.where(a < 0, 2 - pos, pos).astype(x.dtype, copy=False)


def ndtr_array(x):
    """The standard normal CDF, Φ(x)."""
    xp = array_module(x)
    a = x.astype(np.float64) * _SQRT1_2
    out = xp.where(xp.abs(a) < _SQRT1_2, 0.5 + 0.5 * erf_array(a), 0.5 * erfc_array(-a))
    return out.astype(x.dtype, copy=False)


def log_ndtr_array(x):
    """log Φ(x), finite far into the left tail (through erfcx) and precise near 0 in the
    right tail (through log1p)."""
    xp = array_module(x)
    a = x.astype(np.float64)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        left = xp.log(erfcx_array(-a * _SQRT1_2) / 2) - a * a / 2
        right = xp.log1p(-erfc_array(a * _SQRT1_2) / 2)
    return xp.where(a < -1, left, right).astype(x.dtype, copy=False)


# ------------------------------------------------------------------------ erfinv, ndtri
def _giles(xp, w, sign):
    """Giles' single-precision erfinv from w = -log((1-x)(1+x)): the starting point."""
    w1 = w - 2.5
    p1 = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
              -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
        p1 = c + p1 * w1
    w2 = xp.sqrt(xp.maximum(w, 5.0)) - 3
    p2 = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
              -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
        p2 = c + p2 * w2
    return xp.where(w < 5, p1, p2) * sign


def _erfinv_small(xp, a):
    """erfinv for |a| <= 0.5 by Halley's method on erf, where erf(y) - a is precise."""
    with np.errstate(divide="ignore", invalid="ignore"):
        y = _giles(xp, -xp.log((1 - a) * (1 + a)), a)
    for _ in range(3):
        f = erf_array(y) - a
        step = f / (_2_SQRTPI * xp.exp(-y * y))
        y = y - step / (1 + y * step)
    return y


def erfcinv_array(c):
    """y with erfc(y) = c for c in [0, 2]. Near c = 1 it is erfinv(1 - c) (1 - c exact);
    in the tails Newton's method on log erfc(y) = log c, with log erfc(y) = log erfcx(y) -
    y², which keeps its relative precision (and stays finite) however small c is."""
    xp = array_module(c)
    c = c.astype(np.float64)
    small = c <= 1
    cc = xp.where(small, c, 2 - c)        # erfcinv(2 - c) = -erfcinv(c); 2-c exact for c>1
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        mid = _erfinv_small(xp, 1 - xp.where(cc >= 0.5, cc, 1.0))
        w = -xp.log(cc * (2 - cc))
        # Giles' polynomial is a good start up to w = 16; beyond, erfc(y) ~ e^-y²/(y√π)
        t = xp.sqrt(xp.maximum(-xp.log(cc), 1.0))
        deep = xp.sqrt(xp.maximum(-xp.log(cc * math.sqrt(math.pi) * t), 1.0))
        y = xp.where(w < 16, _giles(xp, w, 1 - cc), deep)
        logc = xp.log(cc)
        for _ in range(4):
            r = _erfcx_pos(xp, xp.abs(y))
            y = y + (xp.log(r) - y * y - logc) * r / _2_SQRTPI
        y = xp.where(cc >= 0.5, mid, y)
        y = xp.where(cc == 0, np.inf, y)
        y = xp.where((c < 0) | (c > 2) | xp.isnan(c), np.nan, y)
    return xp.where(small, y, -y)


def erfinv_array(x):
    """The inverse error function on [-1, 1] (±inf at ±1, nan outside)."""
    xp = array_module(x)
    a = x.astype(np.float64)
    ab = xp.abs(a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        y = _erfinv_small(xp, xp.where(ab <= 0.5, a, 0.0))
        tail = xp.copysign(erfcinv_array(1 - xp.minimum(ab, 1.0)), a)
    out = xp.where(ab <= 0.5, y, tail)
    out = xp.where(ab > 1, np.nan, out)
    return out.astype(x.dtype, copy=False)


def ndtri_array(p):
    """The inverse of the normal CDF: Φ⁻¹(p) = -√2·erfcinv(2p)."""
    a = p.astype(np.float64)
    xp = array_module(p)
    lo = -_SQRT2 * erfcinv_array(2 * a)
    hi = _SQRT2 * erfcinv_array(2 * (1 - a))      # 1 - p is exact for p >= 0.5
    return xp.where(a < 0.5, lo, hi).astype(p.dtype, copy=False)


# ---------------------------------------------------------------------- gamma family
def _zeta_minus_one(k):
    """ζ(k) - 1 for an integer k >= 2 (a Python float), by Euler–Maclaurin from n = 10."""
    s = math.fsum(n ** -k for n in range(2, 10))
    w = 10.0
    tail = w ** (1 - k) / (k - 1) + 0.5 * w ** -k
    # Bernoulli terms B_2j/(2j)! · k(k+1)...(k+2j-2) · w^(-k-2j+1)
    b2j = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6]
    rising = k
    for j, b in enumerate(b2j, start=1):
        tail += b / math.factorial(2 * j) * rising * w ** (-k - 2 * j + 1)
        rising *= (k + 2 * j - 1) * (k + 2 * j)
    return s + tail


# lgamma(2 + t) = (1 - γ)t + Σ_{k>=2} (-1)^k (ζ(k) - 1)/k · t^k, fast for |t| <= 0.5
_EULER = 0.5772156649015329
_LG2_COEF = [0.0, 1 - _EULER] + [(-1) ** k * _zeta_minus_one(k) / k for k in range(2, 40)]
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _lgamma_series(xp, t):
    r = xp.full_like(t, _LG2_COEF[-1])
    for c in _LG2_COEF[-2::-1]:
        r = r * t + c
    return r


def sinpi_array(xp, x):
    """sin(πx) with x reduced exactly first, so it is 0 at integers however large."""
    r = x - 2 * xp.round(x / 2)        # in [-1, 1], exact
    return xp.sin(math.pi * r)


def _lgamma_pos(xp, x):
    """lgamma for x >= 0.5 (float64): series about 1 and 2, downward recurrence below 12,
    Stirling's series above."""
    out = xp.empty_like(x)
    near = x < 2.5
    if bool(near.any()):
        z = x[near]
        one = z < 1.5
        t = xp.where(one, z - 1, z - 2)
        out[near] = _lgamma_series(xp, t) - xp.where(one, xp.log1p(t), 0.0)
    mid = (x >= 2.5) & (x < 12)
    if bool(mid.any()):
        z = x[mid]
        prod = xp.ones_like(z)
        for _ in range(10):
            m = z >= 2.5
            prod = xp.where(m, prod * (z - 1), prod)
            z = xp.where(m, z - 1, z)
        out[mid] = _lgamma_series(xp, z - 2) + xp.log(prod)
    big = x >= 12
    if bool(big.any()):
        z = x[big]
        iz2 = 1 / (z * z)
        ser = (1 / 12 + iz2 * (-1 / 360 + iz2 * (1 / 1260 + iz2 * (-1 / 1680 + iz2 * (
            1 / 1188 + iz2 * (-691 / 360360 + iz2 / 156)))))) / z
        out[big] = (z - 0.5) * xp.log(z) - z + _HALF_LOG_2PI + ser
    return out


def lgamma_array(x):
    """log|Γ(x)|: inf at 0 and the negative integers, reflection below 0.5."""
    xp = array_module(x)
    a = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos = _lgamma_pos(xp, xp.where(a >= 0.5, a, 1 - a))
        s = xp.abs(sinpi_array(xp, a))
        refl = math.log(math.pi) - xp.log(s) - pos
        out = xp.where(a >= 0.5, pos, refl)
        out = xp.where(xp.isinf(a), np.inf, out)
        out = xp.where((a <= 0) & (a == xp.floor(a)), np.inf, out)
    return out.astype(x.dtype, copy=False)


_PSI_A = [8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
          -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
          8.33333333333333333333E-2]
_PSI_10 = 2.25175258906672110764


def _digamma_pos(xp, x):
    """PyTorch's (Cephes') digamma for x > 0: up to 10 by ψ(x+1) = ψ(x) + 1/x, then the
    asymptotic series."""
    res = xp.zeros_like(x)
    lo = float(xp.where(xp.isnan(x), 10.0, x).min()) if x.size else 10.0
    for _ in range(int(max(0, math.ceil(10 - lo)))):
        m = x < 10
        res = xp.where(m, res - 1 / x, res)
        x = xp.where(m, x + 1, x)
    z = 1 / (x * x)
    p = xp.full_like(x, _PSI_A[0])
    for c in _PSI_A[1:]:
        p = p * z + c
    y = xp.where(x < 1e17, z * p, 0.0)
    return xp.where(x == 10, res + _PSI_10, res + xp.log(x) - 0.5 / x - y)


def digamma_array(x):
    """ψ(x) = Γ'(x)/Γ(x): ∓inf at ±0, nan at the negative integers, reflection below 0."""
    xp = array_module(x)
    a = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        neg = a < 0
        pos = _digamma_pos(xp, xp.where(neg, 1 - a, xp.where(a == 0, 1.0, a)))
        r = a - xp.trunc(a)
        out = xp.where(neg, pos - math.pi / xp.tan(math.pi * r), pos)
        out = xp.where(neg & (a == xp.floor(a)), np.nan, out)
        out = xp.where(a == 0, xp.copysign(np.inf, -a), out)
        out = xp.where(a == np.inf, np.inf, out)
    return out.astype(x.dtype, copy=False)


def trigamma_array(x):
    """ψ'(x), PyTorch's algorithm: reflection below 0.5, six recurrence steps, then the
    asymptotic series."""
    xp = array_module(x)
    a = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        low = a < 0.5
        s = xp.sin(math.pi * a)
        res = xp.where(low, -(math.pi * math.pi) / (s * s), 0.0)
        z = xp.where(low, 1 - a, a)
        for _ in range(6):
            res = res + 1 / (z * z)
            z = z + 1
        ixx = 1 / (z * z)
        res = res + (1 + 1 / (2 * z) + ixx * (1 / 6 - ixx * (1 / 30 - ixx * (1 / 42)))) / z
        out = xp.where(low, -res, res)
    return out.astype(x.dtype, copy=False)


_ZETA_A = [12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18]


def zeta_array(x, q):
    """The Hurwitz zeta function ζ(x, q) = Σ_k (k + q)^-x, PyTorch's (Cephes') algorithm:
    a direct sum until the terms pass 9, then Euler–Maclaurin."""
    xp = array_module(x if hasattr(x, "dtype") else q)
    x = xp.asarray(x, dtype=np.float64)
    q = xp.asarray(q, dtype=np.float64)
    x, q = xp.broadcast_arrays(x, q)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        # the direct sum runs until every q + k passes 9 (q far below 0 is capped)
        fin = xp.where(xp.isfinite(q), q, 0.0)
        qmin = max(float(fin.min()), -1e4) if q.size else 0.0
        n = max(10, int(math.ceil(9 - qmin)) + 1)
        s = q ** -x
        a = q.copy()
        b = s
        for _ in range(n):
            a = a + 1
            b = a ** -x
            s = s + b
        w = a
        s = s + b * w / (x - 1) - 0.5 * b
        fac = xp.ones_like(x)
        k = 0.0
        for c in _ZETA_A:
            fac = fac * (x + k)
            b = b / w
            s = s + fac * b / c
            k += 1
            fac = fac * (x + k)
            b = b / w
            k += 1
        out = xp.where(x == 1, np.inf, s)
        out = xp.where(x < 1, np.nan, out)
        qint = (q <= 0) & (q == xp.floor(q))
        out = xp.where(qint, np.inf, out)
        out = xp.where((q <= 0) & ~qint & (x != xp.floor(x)), np.nan, out)
    return out


def polygamma_array(n, x):
    """ψ⁽ⁿ⁾(x): digamma, trigamma, then (-1)^(n+1) n! ζ(n+1, x)."""
    if n == 0:
        return digamma_array(x)
    if n == 1:
        return trigamma_array(x)
    sign = 1.0 if n % 2 else -1.0
    with np.errstate(over="ignore", invalid="ignore"):
        out = sign * math.exp(math.lgamma(n + 1.0)) * zeta_array(float(n + 1), x)
    return out.astype(x.dtype, copy=False)


# ------------------------------------------------------------- modified Bessel functions
def _bessel_series(xp, a, nu, terms=75):
    """Σ (a²/4)^k / (k! (k+ν)!) · (a/2)^ν: all terms positive, so no cancellation."""
    q = a * a / 4
    term = xp.ones_like(a) if nu == 0 else a / 2
    s = term
    for k in range(1, terms):
        term = term * q / (k * (k + nu))
        s = s + term
    return s


def _bessel_asym_e(xp, a, nu, terms=30):
    """e^-x I_ν(x) for x >= 30 by Hankel's expansion: error below e^-60."""
    mu = 4.0 * nu * nu
    term = xp.ones_like(a)
    s = term
    for k in range(1, terms):
        term = -term * (mu - (2 * k - 1) ** 2) / (k * 8 * a)
        s = s + term
    return s / xp.sqrt(2 * math.pi * a)


def _bessel(x, nu, scaled):
    xp = array_module(x)
    a = xp.abs(x.astype(np.float64))
    big = a >= 30
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        small = _bessel_series(xp, xp.where(big, 0.0, a), nu)
        if scaled:
            small = small * xp.exp(-a)
        asym = _bessel_asym_e(xp, xp.where(big, a, 30.0), nu)
        if not scaled:
            asym = asym * xp.exp(a)
        out = xp.where(big, asym, small)
        out = xp.where(xp.isnan(a), np.nan, out)
    if nu == 1:
        out = xp.copysign(out, x)
    return out.astype(x.dtype, copy=False)


def i0_array(x):
    return _bessel(x, 0, False)


def i0e_array(x):
    return _bessel(x, 0, True)


def i1_array(x):
    return _bessel(x, 1, False)


def i1e_array(x):
    return _bessel(x, 1, True)


# ---------------------------------------------------------- regularised incomplete gamma
def _igamma_pair(a, x):
    """(P, Q): the regularised lower and upper incomplete gamma functions, by the series
    for P below x = a + 1 and Lentz's continued fraction for Q above (each converging in
    O(√a) terms), from the same prefactor x^a e^-x / Γ(a)."""
    xp = array_module(a if hasattr(a, "dtype") else x)
    a, x = xp.broadcast_arrays(xp.asarray(a, dtype=np.float64), xp.asarray(x, dtype=np.float64))
    fin = xp.where(xp.isfinite(a), a, 0.0)
    steps = int(min(20000, 60 + 12 * math.sqrt(max(float(fin.max()) if a.size else 0.0, 0.0))))
    with np.errstate(all="ignore"):
        pos = (a > 0) & (x > 0) & xp.isfinite(x)
        sa = xp.where(pos, a, 1.0)
        sx = xp.where(pos, x, 1.0)
        pre = xp.exp(sa * xp.log(sx) - sx - lgamma_array(sa))
        series = sx < sa + 1
        # the series Σ x^n / (a (a+1) ... (a+n)) for P
        term = 1 / sa
        total = term
        for n in range(1, steps):
            term = term * sx / (sa + n)
            total = total + term
        p_series = total * pre
        # the continued fraction for Q
        tiny = 1e-300
        b = sx + 1 - sa
        c = xp.full_like(b, 1 / tiny)
        d = 1 / xp.where(b == 0, tiny, b)
        h = d
        for i in range(1, steps):
            an = -i * (i - sa)
            b = b + 2
            d = an * d + b
            d = 1 / xp.where(xp.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = xp.where(xp.abs(c) < tiny, tiny, c)
            h = h * d * c
        q_cf = pre * h
        p = xp.where(series, p_series, 1 - q_cf)
        q = xp.where(series, 1 - p_series, q_cf)
        # the edges, as PyTorch: x = 0, x = inf, a = 0, a = inf, negatives and nan
        p = xp.where(x == 0, 0.0, p)
        q = xp.where(x == 0, 1.0, q)
        p = xp.where(x == np.inf, 1.0, p)
        q = xp.where(x == np.inf, 0.0, q)
        p = xp.where((a == 0) & (x > 0), 1.0, p)
        q = xp.where((a == 0) & (x > 0), 0.0, q)
        p = xp.where((a == np.inf) & xp.isfinite(x), 0.0, p)
        q = xp.where((a == np.inf) & xp.isfinite(x), 1.0, q)
        bad = (a < 0) | (x < 0) | xp.isnan(a) | xp.isnan(x) | ((a == 0) & (x == 0)) | \
            ((a == np.inf) & (x == np.inf))
        p = xp.where(bad, np.nan, p)
        q = xp.where(bad, np.nan, q)
    return p, q


def gammainc_array(a, x):
    return _igamma_pair(a, x)[0]


def gammaincc_array(a, x):
    return _igamma_pair(a, x)[1]


__all__ += ["gammainc_array", "gammaincc_array"]


# ------------------------------------------------------------ Bessel functions J0, J1
def _bessel_j_small(xp, a, nu):
    """J_ν(a), ν = 0 or 1, by the power series (for a <= 2, where its terms fall fast)."""
    q = -a * a / 4
    term = xp.ones_like(a) if nu == 0 else a / 2
    s = term
    for k in range(1, 25):
        term = term * q / (k * (k + nu))
        s = s + term
    return s


def _bessel_j_miller(xp, a):
    """(J0, J1) for 2 <= a <= 25 by Miller's backward recurrence from order 80, normalised
    with J0 + 2 Σ J_2k = 1 (stable; absolute accuracy ~1e-16)."""
    top = 80
    jk1 = xp.zeros_like(a)
    jk = xp.full_like(a, 1e-30)
    norm = xp.zeros_like(a)
    j0 = j1 = None
    for k in range(top, 0, -1):
        jm = (2 * k / a) * jk - jk1       # J_{k-1}
        jk1, jk = jk, jm
        if (k - 1) % 2 == 0 and k - 1 > 0:
            norm = norm + 2 * jm
        if k - 1 == 1:
            j1 = jm
        big = xp.abs(jm) > 1e250        # rescale everything kept so far
        if bool(big.any()):
            f = xp.where(big, 1e-250, 1.0)
            jk, jk1, norm = jk * f, jk1 * f, norm * f
            j1 = j1 * f if j1 is not None else None
    j0 = jk
    norm = norm + j0
    return j0 / norm, j1 / norm


def _bessel_j_asym(xp, a, nu, terms=20):
    """J_ν(a) for a > 25 by Hankel's expansion (error below e^-50)."""
    mu = 4.0 * nu * nu
    p = xp.ones_like(a)
    q = (mu - 1) / (8 * a)
    tp, tq = p, q
    for k in range(1, terms):
        tp = -tq * (mu - (4 * k - 1) ** 2) / ((2 * k) * 8 * a)
        tq = tp * (mu - (4 * k + 1) ** 2) / ((2 * k + 1) * 8 * a)
        p, q = p + tp, q + tq
    chi = a - (nu / 2 + 0.25) * math.pi
    return xp.sqrt(2 / (math.pi * a)) * (p * xp.cos(chi) - q * xp.sin(chi))


def _bessel_j(x, nu):
    xp = array_module(x)
    v = x.astype(np.float64)
    a = xp.abs(v)
    with np.errstate(all="ignore"):
        small = _bessel_j_small(xp, xp.where(a <= 2, a, 1.0), nu)
        mid = _bessel_j_miller(xp, xp.where((a > 2) & (a <= 25), a, 10.0))[nu]
        asym = _bessel_j_asym(xp, xp.where(a > 25, a, 30.0), nu)
        out = xp.where(a <= 2, small, xp.where(a <= 25, mid, asym))
        out = xp.where(xp.isfinite(a), out, np.nan)
    if nu == 1:
        out = xp.where(v < 0, -out, out)
    return out.astype(x.dtype, copy=False)


def bessel_j0_array(x):
    return _bessel_j(x, 0)


def bessel_j1_array(x):
    return _bessel_j(x, 1)


__all__ += ["bessel_j0_array", "bessel_j1_array"]
