"""Kernels behind ``nn.functional``: activations, softmax, erf, embedding, linear variants.

Each is one ``Function`` because a fused kernel is either more stable (softmax, softplus)
or saves memory and passes over the data (GELU, ELU, embedding). Backward formulas are
written with Tensor ops so that higher-order gradients work.
"""
import math

import numpy as np

from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor
from .linalg import Linear
from ._util import (finite_max, float_array, float_sum, on_1d, select, sigmoid_array,
                    softplus_array, unbroadcast)

__all__ = []


# ---------------------------------------------------------------------------------- erf
def _erf_taylor(c, deg):
    """Taylor coefficients of erf at ``c``: erf^(k)(c) = 2/sqrt(pi) (-1)^(k-1) H_{k-1}(c) e^-c²
    with H the physicists' Hermite polynomials (computed by their recurrence)."""
    h = [1.0, 2.0 * c]
    for n in range(1, deg):
        h.append(2 * c * h[n] - 2 * n * h[n - 1])
    scale = 2 / math.sqrt(math.pi) * math.exp(-c * c)
    return [math.erf(c)] + [scale * (-1) ** (k - 1) * h[k - 1] / math.factorial(k)
                            for k in range(1, deg + 1)]


# Degree-27 expansions about 0, 1, ..., 6 cover |x| < 6.5 with |x - c| <= 0.5, enough for
# float64 (within 2 ulp of math.erf); beyond, erf(x) rounds to ±1.
_ERF_DEG = 27
_ERF_COEF = [_erf_taylor(float(c), _ERF_DEG) for c in range(7)]


# float32: the minimax fits of N. Juffa's erff. Below 475/512, erf(x) = x + x·P(x²); above,
# erf(x) = 1 - exp(-x + x·Q(x)). Evaluated by Horner's rule in float32 without fused
# multiply-adds they stay within 1 ulp of PyTorch's (vectorised) erff and ~1.3 ulp of exact.
_ERF32_SMALL = (-5.96761703e-4, 4.99119423e-3, -2.67681349e-2, 1.12819925e-1,
                -3.76125336e-1, 1.28379166e-1)
_ERF32_LARGE = (-1.72853470e-5, 3.83197126e-4, -3.88396438e-3, 2.42546219e-2,
                -1.06777877e-1, -6.34846687e-1, -1.28717512e-1)


@on_1d
def _erf_float32(x):
    """erf of a float32 (or narrower) array in float32, with few temporaries (each new array
    of this size costs page faults as well as its pass)."""
    xp = array_module(x)
    f = np.float32
    a = xp.abs(x).astype(f, copy=False)
    s = a * a
    with np.errstate(invalid="ignore", over="ignore"):
        small = s * f(_ERF32_SMALL[0])
        for c in _ERF32_SMALL[1:-1]:
            small += f(c)
            small *= s
        small += f(_ERF32_SMALL[-1])
        small *= a
        small += a
        big = xp.multiply(a, f(_ERF32_LARGE[0]), out=s)
        for c in _ERF32_LARGE[1:]:
            big += f(c)
            big *= a
        big -= a
        xp.exp(big, out=big)
        xp.subtract(f(1), big, out=big)
    out = select(xp, a > f(0.927734375), big, small)
    xp.copysign(out, x, out=out)
    return out.astype(x.dtype, copy=False)


def erf_array(x):
    """erf of an array (numpy or cupy): float32 and narrower within ~1 ulp, float64 accurate to
    float64 precision."""
    xp = array_module(x)
    dt = x.dtype
    if dt.itemsize <= 4:
        return _erf_float32(x)
    a = xp.abs(x.astype(np.float64))
    out = xp.ones_like(a)
    center = xp.floor(a + 0.5)
    for i, co in enumerate(_ERF_COEF):
        m = center == i
        if not bool(m.any()):
            continue
        t = a[m] - i
        r = xp.full_like(t, co[-1])
        for c in co[-2::-1]:
            r = r * t + c
        out[m] = r
    out = xp.where(xp.isnan(a), a, out)
    return xp.copysign(out, x).astype(dt, copy=False)


class Erf(Function):
    """The error function (needed by exact GELU)."""

    node_name = "ErfBackward0"

    @staticmethod
    def forward(ctx, x):
        if ctx._recording:
            ctx.save_for_backward(x)
        return erf_array(float_array(x._data))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * (-(x * x)).exp()


# ---------------------------------------------------------------------------- activations
class LeakyRelu(Function):
    """Fused: one select instead of where/mul, on every activation of a model (the hot path)."""
    node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, slope):
        xd = x._data
        ctx.slope = slope
        if ctx._recording:
            ctx.save_for_backward(x)
        xp = array_module(xd)
        if xd.dtype.kind != "f" or not slope > 0:
            return select(xp, xd > 0, xd, xd * slope)
        # x > 0 ? x : slope·x is the larger of the two for 0 < slope <= 1 and the smaller
        # above (zeros keep their sign: slope·x has x's; slope 0 would make 0·inf a nan):
        # two passes instead of select's mask arithmetic (4x faster), nan kept by both; the
        # second writes a new array, which a 0-d input needs (a ufunc gives it a scalar)
        return (xp.maximum if slope <= 1 else xp.minimum)(xd * slope, xd)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return LeakyReluBackward.apply(g, x, ctx.slope), None


class LeakyReluBackward(Function):
    """``g`` where ``x > 0``, else ``g * slope``, selected without branches; its backward is
    itself in ``g`` (and zero in ``x``), so double backward works."""

    node_name = "LeakyReluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, slope):
        gd, xd = g._data, x._data
        ctx.slope = slope
        if ctx._recording:
            ctx.save_for_backward(x)
        return select(array_module(xd), xd > 0, gd, gd * slope)

    @staticmethod
    def backward(ctx, gg):
        x, = ctx.saved_tensors
        d_g = LeakyReluBackward.apply(gg, x, ctx.slope) if ctx.needs_input_grad[0] else None
        d_x = gg.new_zeros(gg.shape) if ctx.needs_input_grad[1] else None
        return d_g, d_x, None


class Elu(Function):
    """ELU (and SELU/CELU through ``scale``/``input_scale``): x>0 ? s*x : s*a*(exp(i*x)-1)."""

    node_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha, scale=1.0, input_scale=1.0):
        xd = x._data
        xp = array_module(xd)
        ctx.args = (alpha, scale, input_scale)
        if ctx._recording:
            ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            neg = alpha * xp.expm1(xp.minimum(xd, 0) * input_scale)
        return scale * xp.where(xd > 0, xd, neg).astype(xd.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        alpha, scale, input_scale = ctx.args
        neg = (x.clamp(max=0) * input_scale).exp() * (alpha * scale * input_scale)
        return (g * scale).where(x > 0, g * neg), None, None, None


_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_K = math.sqrt(2 / math.pi)


class Gelu(Function):
    """GELU: x·Φ(x) with the exact normal CDF, or its tanh approximation."""

    node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate="none"):
        xd = float_array(x._data)
        shape = xd.shape
        xd = xd.reshape(-1) if xd.ndim == 0 else xd       # see on_1d
        xp = array_module(xd)
        ctx.approximate = approximate
        if ctx._recording:
            ctx.save_for_backward(x)
        if approximate == "tanh":
            inner = _gelu_tanh_inner(xp, xd)
            xp.tanh(inner, out=inner)
        else:
            inner = erf_array(xd * _SQRT1_2)
        # the erf (or tanh) is kept for the backward, which would otherwise compute it again
        ctx.inner = inner if ctx._recording else None
        out = inner + 1 if ctx._recording else inner
        if not ctx._recording:
            out += 1
        out *= xd
        out *= 0.5
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return GeluBackward.apply(g, x, ctx.approximate, ctx.inner), None


def _gelu_tanh_inner(xp, xd):
    """k·(x + 0.044715·x³) as a new array."""
    u = xd * xd
    u *= 0.044715
    u += 1
    u *= xd
    u *= _TANH_K
    return u


class GeluBackward(Function):
    """``g · gelu'(x)`` in one pass over the arrays; its own backward (for higher-order
    gradients) is written with Tensor ops."""

    node_name = "GeluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, approximate, inner=None):
        xd, gd = float_array(x._data), g._data
        shape = xd.shape
        if xd.ndim == 0:                                # see on_1d
            xd, gd = xd.reshape(1), gd.reshape(1)
        xp = array_module(xd)
        ctx.approximate = approximate
        if ctx._recording:
            ctx.save_for_backward(g, x)
        if approximate == "tanh":
            if inner is None:
                t = _gelu_tanh_inner(xp, xd)
                xp.tanh(t, out=t)
            else:
                t = inner.copy()                        # the forward's, reused
            d = xd * xd                                 # 0.5·x·(1-t²)·k·(1+3a·x²)
            d *= 3 * 0.044715
            d += 1
            d *= xd
            d *= 0.5 * _TANH_K
            one_m = t * t
            xp.subtract(1, one_m, out=one_m)
            d *= one_m
            t += 1                                      # + 0.5·(1+t)
            t *= 0.5
            d += t
        else:
            d = xd * xd                                 # x·pdf(x) + cdf(x)
            d *= -0.5
            xp.exp(d, out=d)
            d *= xd
            d *= _INV_SQRT_2PI
            cdf = erf_array(xd * _SQRT1_2) if inner is None else inner.copy()
            cdf += 1
            cdf *= 0.5
            d += cdf
        d *= gd
        return d.reshape(shape)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        needs = ctx.needs_input_grad
        d_g = gg * _gelu_grad(x, ctx.approximate) if needs[0] else None
        d_x = gg * g * _gelu_grad2(x, ctx.approximate) if needs[1] else None
        return d_g, d_x, None, None


def _gelu_grad(x, approximate):
    """gelu'(x) with Tensor ops."""
    if approximate == "tanh":
        t = (_TANH_K * (x + 0.044715 * x ** 3)).tanh()
        dt = _TANH_K * (1 + 3 * 0.044715 * x * x)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dt
    cdf = 0.5 * (1 + Erf.apply(x * _SQRT1_2))
    pdf = (-0.5 * x * x).exp() * _INV_SQRT_2PI
    return cdf + x * pdf


def _gelu_grad2(x, approximate):
    """gelu''(x) with Tensor ops: pdf·(2 - x²), or for tanh with u = k(x + a·x³),
    (1 - t²)·(u' - x·t·u'² + x·u''/2)."""
    if approximate == "tanh":
        t = (_TANH_K * (x + 0.044715 * x ** 3)).tanh()
        du = _TANH_K * (1 + 3 * 0.044715 * x * x)
        d2u = (6 * 0.044715 * _TANH_K) * x
        return (1 - t * t) * (du - x * t * du * du + 0.5 * x * d2u)
    return (-0.5 * x * x).exp() * _INV_SQRT_2PI * (2 - x * x)


class Silu(Function):
    """Fused: x * sigmoid(x) as one node keeping one saved input instead of two arrays.
    Not for speed: forward + backward of 256x1024 float32 measured 1.1-1.7 ms against 0.8 ms
    composed."""
    node_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        xd = float_array(x._data)
        if ctx._recording:
            ctx.save_for_backward(x)
        out = sigmoid_array(array_module(xd), xd)
        out *= xd
        return out

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return SiluBackward.apply(g, x)


class SiluBackward(Function):
    """``g · s·(1 + x·(1 - s))`` with s = sigmoid(x), in one pass; backward with Tensor ops."""

    node_name = "SiluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x):
        xd = float_array(x._data)
        if ctx._recording:
            ctx.save_for_backward(g, x)
        s = sigmoid_array(array_module(xd), xd)
        d = 1 - s
        d *= xd
        d += 1
        d *= s
        d *= g._data
        return d

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        needs = ctx.needs_input_grad
        s = x.sigmoid()
        d_g = gg * s * (1 + x * (1 - s)) if needs[0] else None
        # d/dx of s(1 + x(1-s)) = s(1-s)(2 + x(1-2s))
        d_x = gg * g * s * (1 - s) * (2 + x * (1 - 2 * s)) if needs[1] else None
        return d_g, d_x


class Softplus(Function):
    """log(1 + exp(beta·x)) / beta, linear above ``threshold`` as PyTorch does."""

    node_name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        xd = float_array(x._data)
        xp = array_module(xd)
        ctx.beta, ctx.threshold = beta, threshold
        if ctx._recording:
            ctx.save_for_backward(x)
        shape = xd.shape
        xd = xd.reshape(-1) if xd.ndim == 0 else xd       # see on_1d
        bx = xd * beta
        out = softplus_array(xp, bx)
        if beta != 1:
            out /= beta
        xp.copyto(out, xd, where=bx > threshold)
        return out.astype(xd.dtype, copy=False).reshape(shape)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        bx = x * ctx.beta
        return g.where(bx > ctx.threshold, g * bx.sigmoid()), None, None


class Hardtanh(Function):
    """Fused: clip with PyTorch's gradient, zero at the bounds themselves (clamp's passes
    there, so clamp cannot stand in; it is about 2x faster, 0.4 vs 0.9 ms at 256x1024)."""
    node_name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        xd = x._data
        ctx.bounds = (min_val, max_val)
        if ctx._recording:
            ctx.save_for_backward(x)
        return array_module(xd).clip(xd, min_val, max_val)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        lo, hi = ctx.bounds
        return g.masked_fill((x <= lo) | (x >= hi), 0), None, None


class Prelu(Function):
    """max(0, x) + w·min(0, x) with one learned slope per channel (dim 1) or one in all."""

    node_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, w):
        xd, wd = x._data, w._data
        shape = _prelu_shape(xd.ndim, wd.size)
        ctx.shape = shape
        if ctx._recording:
            ctx.save_for_backward(x, w)
        return array_module(xd).where(xd > 0, xd, xd * wd.reshape(shape))

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        pos = x > 0
        gx = gw = None
        if ctx.needs_input_grad[0]:
            gx = g.where(pos, g * w.reshape(ctx.shape))
        if ctx.needs_input_grad[1]:
            gw = unbroadcast((g * x).masked_fill(pos, 0), ctx.shape).reshape(w.shape)
        return gx, gw


def _prelu_shape(ndim, n_weights):
    if n_weights == 1 or ndim < 2:
        return (1,) * ndim if ndim else ()
    return (1, n_weights) + (1,) * (ndim - 2)


class Softmax(Function):
    """exp(x - max) / sum: one pass and a backward that needs only the output."""

    node_name = "SoftmaxBackward0"
    _single = 1                 # the value of a lone element (its probability is 1)

    @classmethod
    def forward(cls, ctx, x, dim):
        xd = float_array(x._data)
        xp = array_module(xd)
        ctx.dim = dim
        if xd.ndim == 0:        # a single element: its gradient is 0
            return xp.full_like(xd, cls._single)
        y = cls._kernel(xp, xd - finite_max(xp, xd, dim), dim)
        if ctx._recording:
            ctx.save_for_backward(y)
        return y

    @staticmethod
    def _kernel(xp, shifted, dim):
        e = xp.exp(shifted, out=shifted)            # shifted is this op's own temporary
        e /= float_sum(e, (dim % e.ndim,))
        return e

    @staticmethod
    def backward(ctx, g):
        if g.dim() == 0:
            return g * 0, None
        y, = ctx.saved_tensors
        return y * (g - (g * y).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(Softmax):
    """x - max - log(sum(exp(x - max))): finite for any logits."""

    node_name = "LogSoftmaxBackward0"
    _single = 0

    @staticmethod
    def _kernel(xp, shifted, dim):
        with np.errstate(divide="ignore"):
            return shifted - xp.log(float_sum(xp.exp(shifted), (dim % shifted.ndim,)))

    @staticmethod
    def backward(ctx, g):
        if g.dim() == 0:
            return g * 0, None
        y, = ctx.saved_tensors
        return g - y.exp() * g.sum(ctx.dim, keepdim=True), None


# ----------------------------------------------------------------------------- embedding
class Embedding(Function):
    """Rows of ``weight`` picked by integer ``indices``; the padding row gets no gradient."""

    node_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, indices, padding_idx=None):
        idx = indices._data
        ctx.idx, ctx.num, ctx.padding_idx = idx, weight._data.shape[0], padding_idx
        return weight._data[idx]

    @staticmethod
    def backward(ctx, g):
        return EmbeddingDenseBackward.apply(g, ctx.idx, ctx.num, ctx.padding_idx), None, None


class EmbeddingDenseBackward(Function):
    """Scatter-add of row gradients into a (num_embeddings, dim) table; its own backward is
    the lookup again, so double backward works."""

    node_name = "EmbeddingDenseBackwardBackward0"

    @staticmethod
    def forward(ctx, g, idx, num, padding_idx):
        gd = g._data
        xp = array_module(gd)
        row_shape = gd.shape[idx.ndim:]
        width = int(np.prod(row_shape))
        flat = idx.reshape(-1)
        rows = gd.reshape(flat.size, width)
        if padding_idx is not None:
            keep = flat != padding_idx
            flat, rows = flat[keep], rows[keep]
        # Scatter-add as one bincount over (row, column) slots: faster than add.at on numpy
        # and available on cupy alike.
        slots = (flat[:, None] * width + xp.arange(width)).reshape(-1)
        out = xp.bincount(slots, weights=rows.reshape(-1), minlength=num * width)
        ctx.idx, ctx.padding_idx = idx, padding_idx
        return out.astype(gd.dtype, copy=False).reshape((num,) + row_shape)

    @staticmethod
    def backward(ctx, gg):
        out = Embedding.apply(gg, Tensor._make(ctx.idx))
        if ctx.padding_idx is not None:
            out = out.masked_fill(Tensor._make(ctx.idx == ctx.padding_idx).unsqueeze(-1), 0)
        return out, None, None, None


# -------------------------------------------------------------------------------- linear
class LinearNoBias(Linear):
    """``x @ w.T`` (the fused Linear without its bias); named as PyTorch names it."""

    node_name = "MmBackward0"


class LinearND(Linear):
    """``x @ w.T + b`` for inputs of more than two dims."""

    node_name = "ViewBackward0"


class LinearNDNoBias(Linear):
    node_name = "UnsafeViewBackward0"


class LinearVecNoBias(Linear):
    """``w @ x`` for a 1-d ``x``."""

    node_name = "SqueezeBackward4"
