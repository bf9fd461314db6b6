"""Loss kernels: each loss is one Function computing the elementwise terms and the reduction.

Fused for stability (log-sigmoid in BCE-with-logits, clamped logs in BCE) and so that the
graph holds one node per loss, named as PyTorch names it (``MseLossBackward0``...).
Backward formulas use Tensor ops, so second derivatives work.
"""
import numpy as np

from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor
from ._util import softplus_array, unbroadcast

__all__ = []


def _reduce(arr, reduction):
    if reduction == "mean":
        return arr.mean()
    if reduction == "sum":
        return arr.sum()
    return arr


def _grad_scale(g, reduction, n):
    """The upstream gradient as each element's share of the reduced loss."""
    return g / n if reduction == "mean" else g


def _arr(t):
    return t._data if isinstance(t, Tensor) else t


def _split_grads(ctx, gd, x, t):
    gx = unbroadcast(gd, x.shape) if ctx.needs_input_grad[0] else None
    gt = unbroadcast(-gd, t.shape) if ctx.needs_input_grad[1] else None
    return gx, gt


class _DifferenceLoss(Function):
    """A loss of ``d = input - target`` alone: subclasses give the elementwise ``_terms`` as
    arrays and their ``_slope`` (d terms / d d) as Tensor ops; ``param`` is beta or delta."""

    @classmethod
    def forward(cls, ctx, x, t, reduction, param=None):
        d = x._data - t._data
        ctx.reduction, ctx.n, ctx.param = reduction, d.size, param
        if ctx._recording:
            ctx.save_for_backward(x, t)
        return _reduce(cls._terms(array_module(d), d, param), reduction)

    @classmethod
    def backward(cls, ctx, g):
        x, t = ctx.saved_tensors
        gd = cls._slope(x - t, ctx.param) * _grad_scale(g, ctx.reduction, ctx.n)
        return _split_grads(ctx, gd, x, t) + (None,) * (len(ctx.needs_input_grad) - 2)


class MseLoss(_DifferenceLoss):
    node_name = "MseLossBackward0"

    @staticmethod
    def _terms(xp, d, param):
        return d * d

    @staticmethod
    def _slope(d, param):
        return 2 * d


class SmoothL1Loss(_DifferenceLoss):
    """0.5·d²/beta where |d| < beta, else |d| - 0.5·beta."""

    node_name = "SmoothL1LossBackward0"

    @staticmethod
    def _terms(xp, d, beta):
        ad = xp.abs(d)
        if beta == 0:
            return ad
        return xp.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)

    @staticmethod
    def _slope(d, beta):
        return d.sign() if beta == 0 else (d / beta).where(d.abs() < beta, d.sign())


class HuberLoss(_DifferenceLoss):
    """0.5·d² where |d| < delta, else delta·(|d| - 0.5·delta)."""

    node_name = "HuberLossBackward0"

    @staticmethod
    def _terms(xp, d, delta):
        ad = xp.abs(d)
        return xp.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))

    @staticmethod
    def _slope(d, delta):
        return d.clamp(-delta, delta)


def _clamped_log(xp, a):
    # PyTorch clamps BCE's logs at -100 so that a 0 or 1 probability gives a finite loss.
    with np.errstate(divide="ignore"):
        return xp.maximum(xp.log(a), -100)


class BinaryCrossEntropy(Function):
    """Fused: BCE with its log clamped at -100 as PyTorch's kernel does, which composed
    log ops would not give."""
    node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, t, weight, reduction):
        xd, td = x._data, t._data
        xp = array_module(xd)
        if bool(((xd < 0) | (xd > 1)).any()) or bool(xp.isnan(xd).any()):
            raise RuntimeError("all elements of input should be between 0 and 1")
        loss = -(td * _clamped_log(xp, xd) + (1 - td) * _clamped_log(xp, 1 - xd))
        if weight is not None:
            loss = loss * weight._data
        ctx.reduction, ctx.n = reduction, loss.size
        if ctx._recording:
            ctx.save_for_backward(x, t, weight)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t, w = ctx.saved_tensors
        gs = _grad_scale(g, ctx.reduction, ctx.n)
        wg = gs if w is None else gs * w
        gx = gt = gw = None
        if ctx.needs_input_grad[0]:
            gx = wg * (x - t) / ((1 - x) * x).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:
            gt = wg * ((1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
        if w is not None and ctx.needs_input_grad[2]:
            raw = -(t * x.log().clamp(min=-100) + (1 - t) * (1 - x).log().clamp(min=-100))
            gw = unbroadcast(gs * raw, w.shape)
        return gx, gt, gw, None


class BinaryCrossEntropyWithLogits(Function):
    """BCE on logits: (1-t)·x + (1 + (pw-1)·t)·softplus(-x), computed without overflow."""

    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, t, weight, pos_weight, reduction):
        xd, td = x._data, t._data
        xp = array_module(xd)
        sp = softplus_array(xp, -xd)                  # softplus(-x) = -log(sigmoid(x))
        lw = 1 if pos_weight is None else 1 + (pos_weight._data - 1) * td
        loss = (1 - td) * xd + lw * sp
        if weight is not None:
            loss = loss * weight._data
        ctx.reduction, ctx.n = reduction, loss.size
        if ctx._recording:
            ctx.save_for_backward(x, t, weight, pos_weight)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t, w, pw = ctx.saved_tensors
        gs = _grad_scale(g, ctx.reduction, ctx.n)
        wg = gs if w is None else gs * w
        lw = 1 if pw is None else 1 + (pw - 1) * t
        sp = None
        need = ctx.needs_input_grad
        if need[1] or need[2] or need[3]:
            sp = _softplus_neg(x)
        gx = gt = gw = gpw = None
        if need[0]:
            gx = wg * ((1 - t) - lw * (-x).sigmoid())
        if need[1]:
            gt = wg * (-x if pw is None else -x + (pw - 1) * sp)
        if w is not None and need[2]:
            gw = unbroadcast(gs * ((1 - t) * x + lw * sp), w.shape)
        if pw is not None and need[3]:
            gpw = unbroadcast(wg * t * sp, pw.shape)
        return gx, gt, gw, gpw, None


def _softplus_neg(x):
    """softplus(-x) = max(-x, 0) + log1p(exp(-|x|)) as Tensor ops (stable for any x)."""
    return (-x).clamp(min=0) + (-x.abs()).exp().log1p()


class NllLoss(Function):
    """Negative log-likelihood of class indices, with class weights and an ignored index.

    Input ``(N, C, d1, ...)`` or ``(C,)`` of log-probabilities; target ``(N, d1, ...)`` or ``()``.
    """

    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, logp, target, weight, reduction, ignore_index):
        lp, tg = logp._data, target._data
        xp = array_module(lp)
        n_cls = lp.shape[0] if lp.ndim == 1 else lp.shape[1]
        flat = (lp[None] if lp.ndim == 1 else xp.moveaxis(lp, 1, -1)).reshape(-1, n_cls)
        t = tg.reshape(-1)
        valid = t != ignore_index
        safe = xp.where(valid, t, 0)
        bad = (safe < 0) | (safe >= n_cls)
        if bool(bad.any()):
            raise IndexError(f"Target {int(safe[bad][0])} is out of bounds.")
        w = valid.astype(lp.dtype)
        if weight is not None:
            w = w * weight._data[safe]
        rows = xp.arange(t.size)
        loss = -w * flat[rows, safe]
        coef = -w
        if reduction == "mean":
            total = w.sum()
            with np.errstate(invalid="ignore", divide="ignore"):
                out = loss.sum() / total
                coef = coef / total
        else:
            out = loss.reshape(tg.shape) if reduction == "none" else loss.sum()
        if ctx._recording:
            dense = xp.zeros_like(flat)
            dense[rows, safe] = coef
            ctx.mask = dense.reshape(lp.shape) if lp.ndim == 1 else xp.moveaxis(
                dense.reshape(lp.shape[:1] + lp.shape[2:] + (n_cls,)), -1, 1)
            ctx.unsqueeze = reduction == "none" and lp.ndim > 1
        return out.astype(lp.dtype, copy=False) if hasattr(out, "astype") else out

    @staticmethod
    def backward(ctx, g):
        if ctx.unsqueeze:
            g = g.unsqueeze(1)
        return g * Tensor._make(ctx.mask), None, None, None, None


class NllLoss2d(NllLoss):
    """The same loss for inputs with spatial dims, named as PyTorch names that case."""

    node_name = "NllLoss2DBackward0"
