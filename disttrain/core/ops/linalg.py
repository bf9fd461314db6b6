"""Matrix products: matmul with every broadcasting case, mm, bmm, mv, dot, outer, linear."""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ._util import unbroadcast, shape_str
from .. import dtype as _dt

__all__ = []


def _promoted(a, b):
    ad, bd = a._data, b._data
    if ad.dtype != bd.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_dt.from_numpy_dtype(ad.dtype).name.title().replace('Float32', 'float')}"
                           f" != {_dt.from_numpy_dtype(bd.dtype).name}")
    return ad, bd


class Matmul(Function):
    """The general case: batched, broadcast, 1-d operands promoted and squeezed back."""

    node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ad, bd = _promoted(a, b)
        ctx.shapes = (ad.shape, bd.shape)
        if ctx._recording:
            ctx.save_for_backward(a, b)
        return ad @ bd

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        a2 = a.unsqueeze(0) if len(sa) == 1 else a
        b2 = b.unsqueeze(-1) if len(sb) == 1 else b
        g2 = g
        if len(sa) == 1:
            g2 = g2.unsqueeze(-2)
        if len(sb) == 1:
            g2 = g2.unsqueeze(-1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = g2.matmul(b2.transpose(-1, -2))
            ga = unbroadcast(ga, a2.shape).reshape(sa)
        if ctx.needs_input_grad[1]:
            gb = a2.transpose(-1, -2).matmul(g2)
            gb = unbroadcast(gb, b2.shape).reshape(sb)
        return ga, gb


class Mm(Matmul):
    node_name = "MmBackward0"


class Mv(Matmul):
    node_name = "MvBackward0"


class Dot(Matmul):
    node_name = "DotBackward0"


class Bmm(Matmul):
    node_name = "BmmBackward0"


def matmul(a, b):
    if not isinstance(b, Tensor) or not isinstance(a, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(b).__name__}")
    sa, sb = a.shape, b.shape
    if len(sa) == 0 or len(sb) == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{len(sa)}D and {len(sb)}D")
    if len(sa) == 1 and len(sb) == 1:
        return dot(a, b)
    if len(sa) == 2 and len(sb) == 2:
        return mm(a, b)
    if len(sa) == 2 and len(sb) == 1:
        return mv(a, b)
    k_a = sa[-1]
    k_b = sb[-2] if len(sb) > 1 else sb[0]
    if k_a != k_b:
        if len(sa) == 1:
            raise RuntimeError(f"size mismatch, got input ({sa[0]}), mat "
                               f"({shape_str(sb[-2:])}), vec ({sa[0]})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0] if len(sa) > 2 else 1}, {k_a}] but got: "
                           f"[{sb[0] if len(sb) > 2 else 1}, {k_b}].")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2] if len(sb) > 1 else ())
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({sa[-3]}) must match the size of tensor b "
                           f"({sb[-3]}) at non-singleton dimension 0") from None
    return Matmul.apply(a, b)


def mm(a, b):
    if a.dim() != 2:
        raise RuntimeError(f"self must be a matrix")
    if b.dim() != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({shape_str(a.shape)} and "
                           f"{shape_str(b.shape)})")
    return Mm.apply(a, b)


def mv(a, v):
    if a.dim() != 2 or v.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {a.dim()}, {v.dim()}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({shape_str(a.shape)}), "
                           f"vec ({v.shape[0]})")
    return Mv.apply(a, v)


def dot(a, b):
    if a.dim() != 1 or b.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.dim()}D and {b.dim()}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{a.dtype.name.title()} and {b.dtype.name.title()}")
    return Dot.apply(a, b)


def bmm(a, b):
    if a.dim() != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if b.dim() != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    return Bmm.apply(a, b)


def outer(a, b):
    if a.dim() != 1 or b.dim() != 1:
        raise RuntimeError(f"outer: expected 1-D vectors, got {a.dim()}D and {b.dim()}D")
    return a.unsqueeze(1) * b.unsqueeze(0)


class Linear(Function):
    """``x @ w.T + b`` fused: one matmul and one add, the hot path of every MLP."""

    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, w, b=None):
        xd, wd = x._data, w._data
        if xd.shape[-1] != wd.shape[1]:
            flat = (int(np.prod(xd.shape[:-1])), xd.shape[-1])
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({shape_str(flat)} and "
                               f"{shape_str(wd.shape[::-1])})")
        if xd.dtype != wd.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{_dt.from_numpy_dtype(xd.dtype).name.title()} and "
                               f"{_dt.from_numpy_dtype(wd.dtype).name.title()}")
        if ctx._recording:
            ctx.save_for_backward(x, w)
        y = xd @ wd.T
        if b is not None:
            y += b._data
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = g.matmul(w)
        if ctx.needs_input_grad[1]:
            if g.dim() == 2:
                gw = g.t().mm(x)
            else:
                gw = g.reshape(-1, g.shape[-1]).t().mm(x.reshape(-1, x.shape[-1]))
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            gb = g.sum(0) if g.dim() == 2 else g.reshape(-1, g.shape[-1]).sum(0)
        return gx, gw, gb
