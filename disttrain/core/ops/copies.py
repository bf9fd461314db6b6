"""Copies: dtype and device casts, clone, and the graph nodes of fill_, zero_ and
copy_."""
from ..autograd import Function
from ..device import array_module, move_array
from ..tensor import Tensor
from ._util import unbroadcast

__all__ = []


class Cast(Function):
    """Primitive: a copy in another dtype; the gradient casts back."""
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.src = x.dtype
        return x._data.astype(dtype.np)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.src), None


class ToDevice(Cast):
    """The copy to another device; its gradient goes back to the source device."""

    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dev):
        ctx.src = x.device
        return move_array(x._data, dev)


class Clone(Function):
    """Primitive: a copy in new memory."""
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x, memory_format=None):
        return x._data.copy()

    @staticmethod
    def backward(ctx, g):
        return g, None


class Fill(Function):
    """Every element set to one value: the graph node of ``fill_`` on tracked tensors."""

    node_name = "FillBackward2"

    @staticmethod
    def forward(ctx, x, value):
        xp = array_module(x._data)
        v = value._data if isinstance(value, Tensor) else value
        return xp.full(x._data.shape, v, dtype=x._data.dtype)

    @staticmethod
    def backward(ctx, g):
        gv = g.sum() if ctx.needs_input_grad[1] else None
        return g * 0, gv


class FillTensor(Fill):
    """``fill_`` with a 0-d tensor value, which receives the sum of the gradient."""

    node_name = "FillBackward3"


class Zero(Fill):
    node_name = "ZeroBackward0"


class Copy(Function):
    """``dst.copy_(src)`` on tracked tensors: the gradient flows to ``src`` only."""

    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, dst, src):
        ctx.src_shape, ctx.src_dtype, ctx.src_dev = src._data.shape, src.dtype, src.device
        s = move_array(src._data, dst.device)
        xp = array_module(dst._data)
        return xp.broadcast_to(s, dst._data.shape).astype(dst._data.dtype, copy=True)

    @staticmethod
    def backward(ctx, g):
        gs = None
        if ctx.needs_input_grad[1]:
            gs = unbroadcast(g, ctx.src_shape).to(ctx.src_dev).to(ctx.src_dtype)
        return g * 0, gs
